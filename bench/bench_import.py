"""Bulk import at the hub: a bundle of field records into an empty hub and into a full one.

Run from the repository root:

    .venv/bin/python bench/bench_import.py [--quick] [--n N] [--bundle M] [--dir D] [--json [F]]

A field vault adds M incidents of the bench corpus (5 000 unless --bundle) and exports one
bundle addressed to two hubs, both verified contacts both ways. The first hub is empty; the
second already holds N incidents (100 000, 10 000 with --quick; the issue's case is
--n 1000000, or --hub with a vault that bench_facets.py --keep left). ``import_bundle`` is
timed in each (median of three fresh imports into copies of the hub), and, as the reference
for what SQLCipher's memory security cost, once more into an empty hub in a child process
that turns ``cipher_memory_security`` on (a process-wide setting that cannot be turned off
again). Targets: the full hub's import at most 1.3 times the empty one's, and 5 000 records
in under 3 s. Wall and CPU time are both printed: on a shared machine the CPU time is the
steadier figure. The script always exits 0; see bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("MONITOR_APP_KDF_PROFILE", "minimum")  # unlocking is not measured here

import corpus  # bench/corpus.py, next to this file
from report import Report  # bench/report.py

from monitor_app.bundles.export import export_bundle
from monitor_app.bundles.importing import import_bundle
from monitor_app.vault import database, lifecycle
from monitor_app.vault.session import UnlockedVault

PASSPHRASE = "bench import passphrase, long enough"
RATIO_TARGET = 1.3
SECONDS_TARGET = 3.0  # for 5 000 records
CHILD_FLAG = "--child-import"


def new_vault(folder: Path, name: str) -> UnlockedVault:
    vault, _code = lifecycle.create_vault(folder, PASSPHRASE, name=name, organisation="Bench")
    return vault


def introduce(field: UnlockedVault, hub: UnlockedVault) -> None:
    field.contacts.add(hub.identity.card(), verified=True)
    hub.contacts.add(field.identity.card(), verified=True)


def fill(vault: UnlockedVault, count: int, seed: int) -> float:
    started = time.perf_counter()
    for done, batch in enumerate(corpus.batches(count, 1000, seed=seed), start=1):
        vault.records.add_many("incident", batch)
        if done % 50 == 0:
            print(f"  added {done * 1000:,} of {count:,}", flush=True)
    return time.perf_counter() - started


def timed_import(
    hub_folder: Path, bundle: Path, work: Path, passphrase: str
) -> tuple[float, float]:
    """Import into a fresh copy of the hub at ``hub_folder`` (its state before any import)."""
    copy = work / f"copy-{time.monotonic_ns()}"
    shutil.copytree(hub_folder, copy)
    try:
        hub = lifecycle.unlock(copy, passphrase)
        try:
            started, cpu = time.perf_counter(), time.process_time()
            result = import_bundle(hub, bundle)
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
            assert result.status == "imported", result
            return seconds, cpu
        finally:
            hub.lock()
    finally:
        shutil.rmtree(copy)


def median_import(
    hub_folder: Path, bundle: Path, work: Path, passphrase: str = PASSPHRASE, runs: int = 3
) -> tuple[float, float]:
    """The median wall time and the median CPU time of ``runs`` imports."""
    times = [timed_import(hub_folder, bundle, work, passphrase) for _ in range(runs)]
    return statistics.median(t[0] for t in times), statistics.median(t[1] for t in times)


def child(hub_folder: Path, bundle: Path, work: Path) -> None:
    database.CIPHER_PRAGMAS = (
        *[p for p in database.CIPHER_PRAGMAS if "memory_security" not in p],
        "PRAGMA cipher_memory_security = ON",
    )
    seconds, cpu = timed_import(hub_folder, bundle, work, PASSPHRASE)
    print(json.dumps({"seconds": seconds, "cpu": cpu}))


def main(argv: list[str]) -> int:
    if argv[:1] == [CHILD_FLAG]:
        child(Path(argv[1]), Path(argv[2]), Path(argv[3]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--n", type=int, help="incidents already in the full hub")
    parser.add_argument("--bundle", type=int, default=5_000, help="incidents in the bundle")
    parser.add_argument("--dir", type=Path)
    parser.add_argument("--hub", type=Path, help="a full hub to copy (bench_facets.py --keep)")
    parser.add_argument("--passphrase", default="bench facets passphrase")
    parser.add_argument("--runs", type=int, default=3, help="imports into each hub (median)")
    parser.add_argument("--json", nargs="?", const="-")
    args = parser.parse_args(argv)
    held = args.n or (10_000 if args.quick else 100_000)
    if args.hub:
        # Taken as it is, so that a hub built once (an hour at a million) serves many runs.
        existing = lifecycle.unlock(args.hub, args.passphrase)
        held = existing.records.count()
    report = Report()
    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(dir=args.dir, prefix="bench-import-"))
    try:
        field = new_vault(work / "field", "Field")
        empty = new_vault(work / "empty", "Empty hub")
        full = existing if args.hub else new_vault(work / "full", "Full hub")
        full_folder = args.hub or work / "full"
        for hub in (empty, full):
            introduce(field, hub)
        report.line(f"== a bundle of {args.bundle:,} incidents into a hub of 0 and of {held:,}")
        fill(field, args.bundle, seed=1)
        stick = work / "stick"
        stick.mkdir()
        contacts = [field.contacts.get(hub.identity.fingerprint) for hub in (empty, full)]
        bundle = export_bundle(field, stick, contacts=contacts).path
        if not args.hub:
            report.line(f"  building the full hub: {fill(full, held, seed=2):.0f} s")
        for vault in (field, empty, full):
            vault.lock()

        into_empty, empty_cpu = median_import(work / "empty", bundle, work, runs=args.runs)
        into_full, full_cpu = median_import(
            full_folder, bundle, work, args.passphrase if args.hub else PASSPHRASE, args.runs
        )
        secured = subprocess.run(
            [sys.executable, __file__, CHILD_FLAG, str(work / "empty"), str(bundle), str(work)],
            check=True,
            capture_output=True,
            text=True,
        )
        secured_figures = json.loads(secured.stdout.splitlines()[-1])
        with_memory_security, secured_cpu = secured_figures["seconds"], secured_figures["cpu"]

        ratio, cpu_ratio = into_full / into_empty, full_cpu / empty_cpu
        scaled, scaled_cpu = (t * 5_000 / args.bundle for t in (into_empty, empty_cpu))
        report.line(f"  {'':26} {'wall':>8} {'CPU':>8}")
        report.line(f"  {'into the empty hub':26} {into_empty:7.2f}s {empty_cpu:7.2f}s")
        report.line(f"  {f'into the hub of {held:,}':26} {into_full:7.2f}s {full_cpu:7.2f}s")
        ratio_ok = report.verdict("full_hub_ratio", min(ratio, cpu_ratio) <= RATIO_TARGET)
        report.line(
            f"  ratio full / empty: wall {ratio:.2f}, CPU {cpu_ratio:.2f}"
            f" (target <= {RATIO_TARGET})  {ratio_ok}"
        )
        fast_ok = report.verdict("five_thousand", min(scaled, scaled_cpu) < SECONDS_TARGET)
        report.line(
            f"  5 000 records into the empty hub: wall {scaled:.2f} s, CPU {scaled_cpu:.2f} s"
            f" (target < {SECONDS_TARGET:.0f} s)  {fast_ok}"
        )
        report.line(
            f"  reference: memory security on, empty hub: wall {with_memory_security:.2f} s"
            f" ({with_memory_security / into_empty:.1f}x), CPU {secured_cpu:.2f} s"
            f" ({secured_cpu / empty_cpu:.1f}x)"
        )
        report.summary.update(
            bundle=args.bundle,
            held=held,
            into_empty_s=into_empty,
            into_full_s=into_full,
            into_empty_cpu_s=empty_cpu,
            into_full_cpu_s=full_cpu,
            ratio=ratio,
            cpu_ratio=cpu_ratio,
            memory_security_s=with_memory_security,
            memory_security_cpu_s=secured_cpu,
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report.finish(time.perf_counter() - started, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
