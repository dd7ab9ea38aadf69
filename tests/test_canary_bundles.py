"""Canary test for handoff: no plaintext of a record or attachment reaches the stick or any
temporary directory, while a bundle is written, read back, verified, imported, or answered
with a receipt, nor after.

"While" is checked from inside the work: the progress callback, which the core calls between
chunks, scans the destination, both vaults and the temporary directories each time it is
called (a few times per operation). The attachment spans many STREAM chunks, so a scan
happens while part of it has been written. ``test_the_bundle_scan_can_fail`` decrypts a
bundle into a folder and shows that the scanner finds the canaries there.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

from monitor_app.bundles.export import export_bundle
from monitor_app.bundles.importing import import_bundle, verify_bundle
from monitor_app.bundles.receipts import export_receipt
from monitor_app.crypto import age
from monitor_app.vault.session import UnlockedVault
from tests.canary_tools import (
    Canaries,
    Scanner,
    SystemTemp,
    assert_clean,
    describe,
    own_temp,
    system_temp,
)

__all__ = ["own_temp", "system_temp"]  # fixtures used by name

ATTACHMENT_CHUNKS = 96  # 64 KiB STREAM chunks; progress comes about once per MiB


def _fill(field: UnlockedVault, canaries: Canaries) -> None:
    place = field.records.add(
        "place",
        {
            "name": canaries.make("place name"),
            "place_type": "pretrial_detention_centre",
            "notes": canaries.make("place notes"),
        },
    )
    person = field.records.add(
        "person",
        {
            "pseudonym": canaries.make("pseudonym"),
            "real_name": canaries.make("real name"),
            "consent": {"share_with_coalition": "given"},
        },
    )
    incident = field.records.add(
        "incident",
        {
            "title": canaries.make("title"),
            "description": canaries.make("description"),
            "incident_type": "torture",
            "occurred_on": "2024-05",
            "place_id": place.record_id,
            "people": [{"person_id": person.record_id, "role": "victim"}],
        },
    )
    line = (canaries.make("photo") + "\n").encode()
    photo = line * (ATTACHMENT_CHUNKS * 64 * 1024 // len(line))
    field.attachments.add_stream(
        incident.record_id,
        io.BytesIO(photo),
        original_name=canaries.make("file name") + ".jpg",
        caption=canaries.make("caption"),
    )


class ScanningProgress:
    """A progress callback that scans ``roots`` and new temp entries, at most ``limit``
    times."""

    def __init__(
        self, scanner: Scanner, roots: list[Path], system_temp: SystemTemp, limit: int = 6
    ) -> None:
        self.scanner, self.roots, self.system_temp = scanner, roots, system_temp
        self.limit = limit
        self.scans = 0
        self.findings: list[str] = []

    def __call__(self, done: int, total: int | None) -> None:
        if self.scans >= self.limit:
            return
        self.scans += 1
        found = self.scanner.scan(self.roots)
        found += self.scanner.scan(self.system_temp.new_entries(), lenient=True)
        if found:
            self.findings.append(describe(found))

    def check(self, at_least: int) -> None:
        assert self.scans >= at_least, "the work reported too little progress to be watched"
        assert self.findings == [], self.findings[0]


def _watched(scanner: Scanner, roots: list[Path], system_temp: SystemTemp) -> Callable[..., None]:
    def run(work: Callable[[ScanningProgress], object], scans: int = 2) -> None:
        progress = ScanningProgress(scanner, roots, system_temp)
        work(progress)
        progress.check(scans)
        assert_clean(scanner, roots, system_temp)

    return run


def test_no_canary_during_or_after_handoff(
    vault: UnlockedVault,
    hub: UnlockedVault,
    stick: Path,
    own_temp: Path,
    system_temp: SystemTemp,
) -> None:
    field = vault
    field.contacts.add(hub.identity.card(), verified=True)
    hub.contacts.add(field.identity.card(), verified=True)
    canaries = Canaries()
    _fill(field, canaries)
    scanner = Scanner(canaries)
    watched = _watched(scanner, [stick, own_temp, field.path, hub.path], system_temp)

    exported: list[Path] = []
    watched(
        lambda p: exported.append(
            export_bundle(field, stick, contacts=[field.contacts.get("Hub")], progress=p).path
        )
    )
    bundle = exported[0]
    watched(lambda p: verify_bundle(hub, bundle, progress=p))
    watched(lambda p: import_bundle(hub, bundle, progress=p))
    summary = verify_bundle(hub, bundle)
    receipts: list[Path] = []
    watched(
        lambda p: receipts.append(export_receipt(hub, summary.bundle_id, stick, progress=p).path),
        scans=1,
    )
    watched(lambda p: import_bundle(field, receipts[0], progress=p), scans=1)
    # The hub did get the content: the canaries are in its (encrypted) vault, readable there.
    (incident,) = hub.records.list("incident")
    assert hub.records.get(incident.record_id).fields["title"] == " ".join(canaries.of("title"))


def test_the_bundle_scan_can_fail(
    vault: UnlockedVault, hub: UnlockedVault, stick: Path, tmp_path: Path
) -> None:
    vault.contacts.add(hub.identity.card(), verified=True)
    canaries = Canaries()
    _fill(vault, canaries)
    bundle = export_bundle(vault, stick, contacts=[vault.contacts.get("Hub")]).path
    assert Scanner(canaries).scan([stick]) == []
    plain = tmp_path / "opened"
    plain.mkdir()
    identity = age.X25519Identity(hub.identity.keys().encryption_private)
    with open(bundle, "rb") as source, open(plain / "bundle.tar", "wb") as out:
        age.decrypt([identity], source, out)
    labels = {f.label for f in Scanner(canaries).scan([plain])}
    assert {"title/han", "real name/latin", "photo/cyrillic", "file name/latin"} <= labels
    assert {"caption/latin", "caption/cyrillic", "caption/han"} <= labels
