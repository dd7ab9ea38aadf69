"""Provenance benchmark: what signing and verifying every revision costs.

Run from the repository root:

    .venv/bin/python bench/bench_provenance.py [--quick] [--n N] [--bundle N] [--json [FILE]]

1. **Per revision**, for N incidents of the bench corpus (default 100 000; quick 10 000):
   writing a revision (`provenance.write`: canonical body, SHA-256, Ed25519 signature) and
   verifying it (`provenance.verify`), beside the reference in the same run: the canonical
   JSON of the same fields and its SHA-256, which is what storing a revision cost before
   revisions were signed. Microseconds per revision, and the extra seconds for all N.
2. **A bundle of M records** (default 10 000; quick 2 000): `add_many` in the field vault,
   `export_bundle` to the hub and `import_bundle` there, each timed twice in this run: with
   signatures as shipped ("after"), and with Ed25519 signing and verification replaced by
   stubs ("before": the same code paths without the signature work, which is the difference
   this change made). The ratio after/before is the cost of provenance for a whole handoff.

Figures are printed with PASS/MISS against the targets; the script always exits 0. The KDF runs
with its minimum profile: unlocking is not what is measured here.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("MONITOR_APP_KDF_PROFILE", "minimum")

import corpus  # bench/corpus.py, next to this file
from report import Report  # bench/report.py

from monitor_app import canonical
from monitor_app.bundles.export import export_bundle
from monitor_app.bundles.importing import import_bundle
from monitor_app.identity import keys
from monitor_app.records import provenance
from monitor_app.vault import lifecycle
from monitor_app.vault.session import UnlockedVault

PASSPHRASE = "correct horse battery staple, benchmark edition"
# Targets: signing and verifying together add at most this much per revision...
TARGET_EXTRA_US = 250.0
# ...and a whole handoff (add, export, import) takes at most this much longer than without.
TARGET_HANDOFF_RATIO = 1.25


def per_revision(report: Report, total: int) -> None:
    identity = keys.Identity.generate()
    items = [item for batch in corpus.batches(total, 1000) for item in batch]
    created = "2026-01-01T00:00:00+00:00"

    start = time.perf_counter()
    for number, fields in enumerate(items):
        body = canonical.dumps({"record_id": str(number), "type": "incident", "fields": fields})
        hashlib.sha256(body).digest()
    reference = time.perf_counter() - start

    start = time.perf_counter()
    revisions = [
        provenance.write(
            identity,
            record_id=str(number),
            type_name="incident",
            parent=None,
            created_at=created,
            fields=fields,
            sensitive={},
        )
        for number, fields in enumerate(items)
    ]
    signing = time.perf_counter() - start

    start = time.perf_counter()
    for revision in revisions:
        provenance.verify(revision)
    verifying = time.perf_counter() - start

    def us(seconds: float) -> float:
        return seconds / total * 1e6

    extra = us(signing - reference) + us(verifying)
    report.line(f"== per revision, {total:,} incidents of the corpus")
    report.line(f"  reference (canonical JSON + SHA-256)  {us(reference):8.1f} us/revision")
    report.line(f"  write: body, hash, Ed25519 signature  {us(signing):8.1f} us/revision")
    report.line(f"  verify: Ed25519 over the body         {us(verifying):8.1f} us/revision")
    report.line(
        f"  extra per revision {extra:.1f} us (target <= {TARGET_EXTRA_US:.0f}):"
        f" {report.verdict('per_revision', extra <= TARGET_EXTRA_US)};"
        f" for all {total:,}: sign {signing - reference:.1f} s, verify {verifying:.1f} s"
    )
    report.summary["per_revision_us"] = {
        "reference": us(reference),
        "write": us(signing),
        "verify": us(verifying),
    }


@contextlib.contextmanager
def without_signatures() -> Iterator[None]:
    """Ed25519 signing and verification of revisions replaced by stubs: the code paths as they
    are, minus the signature work (a constant 64-byte signature, accepted unchecked)."""
    sign, verify = keys.Identity.sign, provenance.verify

    def sign_cards_only(self: keys.Identity, message: bytes) -> bytes:
        # Cards and bundle signatures are signed for real: only revisions are stubbed.
        return bytes(64) if message.startswith(provenance.CONTEXT) else sign(self, message)

    keys.Identity.sign = sign_cards_only  # type: ignore[method-assign]
    provenance.verify = lambda revision: None
    try:
        yield
    finally:
        keys.Identity.sign = sign  # type: ignore[method-assign]
        provenance.verify = verify


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def handoff(root: Path, count: int, stubbed: bool) -> dict[str, float]:
    field, _ = lifecycle.create_vault(root / "field", PASSPHRASE, name="Field", organisation="O")
    hub, _ = lifecycle.create_vault(root / "hub", PASSPHRASE, name="Hub", organisation="O")
    try:
        field.contacts.add(hub.identity.card(), verified=True)
        hub.contacts.add(field.identity.card(), verified=True)
        contact = field.contacts.get(hub.identity.fingerprint)
        stick = root / "stick"
        stick.mkdir()
        figures = {"add": 0.0}
        with without_signatures() if stubbed else contextlib.nullcontext():
            for batch in corpus.batches(count, 1000):
                seconds, _ = timed(lambda batch=batch: field.records.add_many("incident", batch))
                figures["add"] += seconds
            figures["export"], sent = timed(lambda: export_bundle(field, stick, contacts=[contact]))
            figures["import"], result = timed(lambda: import_bundle(hub, sent.path))
        assert result.records_added == count, result
        return figures
    finally:
        close(field, hub)


def close(*vaults: UnlockedVault) -> None:
    for vault in vaults:
        vault.lock()


def bundle(report: Report, count: int, parent: str | None) -> None:
    runs: dict[str, dict[str, float]] = {}
    for label in ("before", "after"):
        with tempfile.TemporaryDirectory(dir=parent) as tmp:
            runs[label] = handoff(Path(tmp), count, stubbed=label == "before")
    report.line(f"== a bundle of {count:,} incidents: field add, export, hub import")
    report.line("  step     before (no signatures)   after (signed)   ratio")
    for step in ("add", "export", "import"):
        before, after = runs["before"][step], runs["after"][step]
        report.line(f"  {step:<8} {before:12.2f} s {after:16.2f} s {after / before:10.2f}")
    total_before = sum(runs["before"].values())
    total_after = sum(runs["after"].values())
    ratio = total_after / total_before
    report.line(
        f"  handoff  {total_before:12.2f} s {total_after:16.2f} s {ratio:10.2f}"
        f"  (target <= {TARGET_HANDOFF_RATIO}): "
        f"{report.verdict('handoff_ratio', ratio <= TARGET_HANDOFF_RATIO)}"
    )
    report.summary["bundle_s"] = runs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--n", type=int, help="incidents for the per-revision figures")
    parser.add_argument("--bundle", type=int, help="incidents in the bundle")
    parser.add_argument("--dir", help="parent of the temporary vaults")
    parser.add_argument("--json", nargs="?", const="-", help="summary to FILE or stdout")
    args = parser.parse_args()
    total = args.n or (10_000 if args.quick else 100_000)
    count = args.bundle or (2_000 if args.quick else 10_000)
    report = Report()
    start = time.perf_counter()
    per_revision(report, total)
    bundle(report, count, args.dir)
    report.finish(time.perf_counter() - start, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
