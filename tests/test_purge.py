"""Purge: once the hub's receipt is in, the field vault drops what was handed off, keeps stubs,
and is re-keyed so that the old key (and with it the purged pages) opens nothing any more.

The end-to-end test is the issue's acceptance 3: the monitor exports, the hub imports and
answers with a receipt, the monitor imports it and purges; the hub holds every record and
attachment bit-identical, and no canary of the purged records is left in the field vault, not
even in its decrypted database.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from monitor_app.bundles import ledger, purge
from monitor_app.bundles.export import export_bundle
from monitor_app.bundles.importing import import_bundle
from monitor_app.bundles.reading import open_bundle
from monitor_app.bundles.receipts import export_receipt
from monitor_app.errors import MonitorError
from monitor_app.records import audit
from monitor_app.vault import database, keyslots, lifecycle, rekey
from monitor_app.vault.session import UnlockedVault
from tests.canary_tools import Canaries, Scanner, describe
from tests.conftest import PASSPHRASE
from tests.vault_checks import assert_refused_unchanged

PHOTO = b"\x89PNG " + os.urandom(200_000)


@pytest.fixture
def field(vault: UnlockedVault, hub: UnlockedVault) -> UnlockedVault:
    vault.contacts.add(hub.identity.card(), verified=True)
    vault.contacts.set_custodian(hub.identity.fingerprint, True)  # the hub keeps the records
    hub.contacts.add(vault.identity.card(), verified=True)
    return vault


def _case(vault: UnlockedVault, canaries: Canaries, *, consent: str = "given") -> dict[str, str]:
    """A place, a person, an incident in two revisions with a photo; canaries everywhere."""
    place = vault.records.add(
        "place", {"name": canaries.make("place"), "place_type": "police_station"}
    )
    person = vault.records.add(
        "person",
        {
            "pseudonym": canaries.make("pseudonym"),
            "real_name": canaries.make("real name"),
            "consent": {"share_with_coalition": consent},
        },
    )
    incident = vault.records.add(
        "incident",
        {
            "title": canaries.make("title"),
            "description": canaries.make("description"),
            "incident_type": "torture",
            "occurred_on": "2024-03-10",
            "place_id": place.record_id,
            "people": [{"person_id": person.record_id, "role": "victim"}],
        },
    )
    vault.records.edit(incident.record_id, {"title": canaries.make("edited title")})
    photo = canaries.make("photo").encode() + PHOTO
    attachment = vault.attachments.add_stream(
        incident.record_id,
        io.BytesIO(photo),
        original_name=canaries.make("file name") + ".png",
        caption=canaries.make("caption"),
    )
    return {
        "place": place.record_id,
        "person": person.record_id,
        "incident": incident.record_id,
        "attachment": attachment.attachment_id,
    }


def _hand_off(field: UnlockedVault, hub: UnlockedVault, stick: Path) -> str:
    """Export to the hub, import there, send the receipt back and import it; the bundle id."""
    bundle = export_bundle(field, stick, contacts=[field.contacts.get("Hub")])
    assert import_bundle(hub, bundle.path).status == "imported"
    receipt = export_receipt(hub, bundle.bundle_id, stick)
    assert import_bundle(field, receipt.path).status == "imported"
    return receipt.bundle_id


def _decrypted_copy(vault: UnlockedVault, directory: Path) -> Path:
    """The vault's whole database as plain SQLite (test only): what anyone holding the data
    key, or a coerced passphrase, could read."""
    plain = directory / "plain.db"
    conn = database.connect(vault.path / database.DB_NAME, vault.data_key())
    try:
        conn.execute(f"ATTACH DATABASE '{plain}' AS plain KEY ''")
        conn.execute("SELECT sqlcipher_export('plain')").fetchall()
        conn.execute("DETACH DATABASE plain")
    finally:
        conn.close()
    return plain


def _sha256_of_attachment(vault: UnlockedVault, attachment_id: str) -> str:
    return hashlib.sha256(vault.attachments.read_bytes(attachment_id)).hexdigest()


def test_end_to_end_export_receipt_purge(
    field: UnlockedVault, hub: UnlockedVault, stick: Path, tmp_path: Path, recovery_code: str
) -> None:
    canaries = Canaries()
    ids = _case(field, canaries)
    record_ids = (ids["place"], ids["person"], ids["incident"])
    originals = {rid: field.records.get(rid, reveal_sensitive=True) for rid in record_ids}
    histories = {rid: len(field.records.history(rid)) for rid in record_ids}
    photo_sha = _sha256_of_attachment(field, ids["attachment"])
    old_key = field.data_key()
    blobs_before = set(os.listdir(field.blobs.root))

    receipt_id = _hand_off(field, hub, stick)
    # Unsaved work keeps its record: the plan says so, and nothing is purged by surprise.
    draft = field.drafts.save("place", {"name": canaries.make("draft")}, record_id=ids["place"])
    planned = purge.purge_handed_off(field, dry_run=True)
    assert planned.kept_draft == (ids["place"],) and ids["place"] not in planned.purged
    field.drafts.discard(draft)
    result = purge.purge_handed_off(field)
    assert field.drafts.list() == []

    assert set(result.purged) == {ids["place"], ids["person"], ids["incident"]}
    assert result.attachments == 1 and result.rekeyed and result.kept_withheld == ()
    # The hub holds everything, bit for bit.
    for record_id, original in originals.items():
        held = hub.records.get(record_id, reveal_sensitive=True)
        assert (held.fields, held.sensitive) == (original.fields, original.sensitive)
        assert len(hub.records.history(record_id)) == histories[record_id]
    assert _sha256_of_attachment(hub, ids["attachment"]) == photo_sha
    held_photo = hub.attachments.info(ids["attachment"])
    assert held_photo.caption == " ".join(canaries.of("caption"))
    assert held_photo.original_name == " ".join(canaries.of("file name")) + ".png"
    # The field vault keeps stubs only.
    stubs = {s.record_id: s for s in purge.stubs(field)}
    assert set(stubs) == set(result.purged)
    assert stubs[ids["incident"]].type == "incident"
    assert stubs[ids["incident"]].date == "2024-03-10"
    assert {s.receipt for s in stubs.values()} == {receipt_id}
    with pytest.raises(MonitorError) as caught:
        field.records.get(ids["incident"])
    assert caught.value.code == "record_purged"
    assert caught.value.params["receipt"] == receipt_id
    assert field.records.list() == [] and field.records.count() == 0
    latin = canaries.of("title")[0]
    assert field.records.search(latin) == []
    assert set(os.listdir(field.blobs.root)) == set() and blobs_before
    # Re-keyed: a new data key, the old one opens nothing, every slot still unlocks.
    assert field.data_key() != old_key
    with pytest.raises(MonitorError) as refused:
        database.connect(field.path / database.DB_NAME, old_key)
    assert refused.value.code == "database_damaged"
    with field.reading() as conn:
        assert database.integrity_problems(conn) == []
        assert audit.verify(conn).ok
        actions = [e.action for e in audit.entries(conn)]
    assert actions.count("record_purged") == 3 and actions[-1] == "vault_rekeyed"
    # No canary of the purged records, in the files or in the decrypted database.
    scanner = Scanner(canaries)
    findings = scanner.scan([field.path, stick.parent / "stick"])
    plain = _decrypted_copy(field, tmp_path)
    findings += scanner.scan([plain])
    assert findings == [], describe(findings)
    assert sqlite3.connect(plain).execute("SELECT count(*) FROM records").fetchone()[0] == 3
    field.lock()
    with lifecycle.unlock(field.path, PASSPHRASE) as again:
        assert {s.record_id for s in purge.stubs(again)} == set(result.purged)
    with lifecycle.unlock_with_recovery_code(field.path, recovery_code) as again:
        assert again.records.count() == 0


def test_the_scan_of_the_decrypted_database_can_fail(field: UnlockedVault, tmp_path: Path) -> None:
    canaries = Canaries()
    _case(field, canaries)
    plain = _decrypted_copy(field, tmp_path)
    labels = {f.label for f in Scanner(canaries).scan([plain])}
    assert {"title/latin", "real name/cyrillic", "description/han"} <= labels


def test_edited_after_handoff_is_kept(
    field: UnlockedVault, hub: UnlockedVault, stick: Path
) -> None:
    ids = _case(field, Canaries())
    _hand_off(field, hub, stick)
    field.records.edit(ids["incident"], {"title": "later finding"})
    result = purge.purge_handed_off(field)
    assert ids["incident"] not in result.purged
    assert field.records.get(ids["incident"]).fields["title"] == "later finding"
    assert field.attachments.list(ids["incident"])  # its photo stays with it


def test_a_kept_visit_is_no_longer_called_by_its_purged_places_name(
    field: UnlockedVault, hub: UnlockedVault, stick: Path
) -> None:
    canaries = Canaries()
    ids = _case(field, canaries)
    visit = field.records.add(
        "visit",
        {"place_id": ids["place"], "started_at": "2024-03-09", "visit_type": "ad_hoc"},
    )
    assert field.records.names([visit.record_id])[visit.record_id].display.endswith(", 2024-03-09")
    _hand_off(field, hub, stick)
    field.records.edit(visit.record_id, {"visit_type": "follow_up"})  # kept: changed since
    result = purge.purge_handed_off(field)
    assert ids["place"] in result.purged and visit.record_id not in result.purged
    assert field.records.names([visit.record_id])[visit.record_id].display == "2024-03-09"


def test_new_attachment_after_handoff_is_kept(
    field: UnlockedVault, hub: UnlockedVault, stick: Path
) -> None:
    ids = _case(field, Canaries())
    _hand_off(field, hub, stick)
    field.attachments.add_stream(ids["place"], io.BytesIO(b"plan"), original_name="plan.txt")
    result = purge.purge_handed_off(field)
    assert ids["place"] not in result.purged and ids["incident"] in result.purged


def test_withheld_identity_is_kept_unless_asked(
    field: UnlockedVault, hub: UnlockedVault, stick: Path
) -> None:
    ids = _case(field, Canaries(), consent="refused")
    _hand_off(field, hub, stick)
    assert hub.records.get(ids["person"], reveal_sensitive=True).sensitive == {}
    first = purge.purge_handed_off(field)
    assert first.kept_withheld == (ids["person"],)
    assert ids["person"] not in first.purged and ids["incident"] in first.purged
    real_name = field.records.get(ids["person"], reveal_sensitive=True).sensitive
    assert real_name and real_name.get("real_name")
    second = purge.purge_handed_off(field, include_withheld=True)
    assert second.purged == (ids["person"],)


def test_without_receipt_nothing_is_purged(
    field: UnlockedVault, hub: UnlockedVault, stick: Path
) -> None:
    _case(field, Canaries())
    bundle = export_bundle(field, stick, contacts=[field.contacts.get("Hub")])
    import_bundle(hub, bundle.path)
    key = field.data_key()
    result = purge.purge_handed_off(field)
    assert result.purged == () and not result.rekeyed
    assert field.data_key() == key and field.records.count() == 3


def test_dry_run_changes_nothing(field: UnlockedVault, hub: UnlockedVault, stick: Path) -> None:
    ids = _case(field, Canaries())
    _hand_off(field, hub, stick)
    before = _rows(field)
    result = purge.purge_handed_off(field, dry_run=True)
    assert set(result.purged) == {ids["place"], ids["person"], ids["incident"]}
    assert result.dry_run and not result.rekeyed and result.attachments == 1
    assert _rows(field) == before


def test_stub_still_answers_links_and_exports_nothing(
    field: UnlockedVault, hub: UnlockedVault, stick: Path
) -> None:
    ids = _case(field, Canaries())
    _hand_off(field, hub, stick)
    purge.purge_handed_off(field)
    # A new incident may still name the purged place; the next bundle carries only it.
    later = field.records.add(
        "incident",
        {
            "title": "follow-up",
            "description": "x",
            "incident_type": "torture",
            "occurred_on": "2024-04",
            "place_id": ids["place"],
        },
    )
    bundle = export_bundle(field, stick, contacts=[field.contacts.get("Hub")])
    assert bundle.revisions == 1 and bundle.attachments == 0
    assert import_bundle(hub, bundle.path).status == "imported"
    assert hub.records.get(later.record_id).fields["place_id"] == ids["place"]


def test_old_vault_without_recovery_key_is_refused_before_any_change(
    field: UnlockedVault, hub: UnlockedVault, stick: Path, recovery_code: str
) -> None:
    _case(field, Canaries())
    _hand_off(field, hub, stick)
    recovery_slot = field.slots.slot_of_type("recovery")
    assert recovery_slot is not None
    with field.transaction() as conn:
        conn.execute("DELETE FROM slot_keys WHERE slot_id = ?", (recovery_slot.slot_id,))
    before = _rows(field)
    with pytest.raises(MonitorError) as caught:
        purge.purge_handed_off(field)
    assert caught.value.code == "rekey_slot_key_missing"
    assert _rows(field) == before
    # Unlocking once with the recovery code is what the message asks for; then purge works.
    field.lock()
    with lifecycle.unlock_with_recovery_code(field.path, recovery_code) as recovered:
        assert len(purge.purge_handed_off(recovered).purged) == 3


def test_a_damaged_recovery_slot_stops_the_purge_before_any_change(
    field: UnlockedVault, hub: UnlockedVault, stick: Path
) -> None:
    """The re-key that ends a purge would re-wrap a recovery slot altered on disk around the
    new key, losing the recovery code for good; the purge is refused before it deletes
    anything, and the vault's files stay byte for byte as they were."""
    _case(field, Canaries())
    _hand_off(field, hub, stick)
    field.lock()
    slots_path = field.path / keyslots.FILE_NAME
    body = json.loads(slots_path.read_text())
    slot = next(s for s in body["slots"] if s["type"] == "recovery")
    slot["salt"] = base64.b64encode(os.urandom(len(base64.b64decode(slot["salt"])))).decode()
    slots_path.write_text(json.dumps(body))
    with lifecycle.unlock(field.path, PASSPHRASE) as damaged:
        before = _rows(damaged)
        error = assert_refused_unchanged(
            field.path, "key_slot_damaged", lambda: purge.purge_handed_off(damaged)
        )
        assert error.params == {"slot_type": "recovery", "slot_id": slot["id"]}
        assert _rows(damaged) == before


@pytest.mark.parametrize("fail_at", [2, 3])
def test_rekey_interrupted_at_a_swap_leaves_a_vault_that_opens(
    field: UnlockedVault, monkeypatch: pytest.MonkeyPatch, fail_at: int
) -> None:
    """The renames are the new slot file (1), the database (2), the slot file (3). Failing at
    the database swap leaves the old key in force; failing at the slot swap leaves the new
    database with the new slots still in keyslots.next.json. Either way the passphrase opens
    the vault, with all its content, and the leftovers are cleared."""
    place = field.records.add("place", {"name": "ИВС №2", "place_type": "police_station"})
    calls = {"n": 0}
    real_replace = os.replace

    def failing_replace(src: Any, dst: Any) -> None:
        calls["n"] += 1
        if calls["n"] == fail_at:
            raise OSError(5, "Input/output error")
        real_replace(src, dst)

    monkeypatch.setattr(rekey.os, "replace", failing_replace)
    with pytest.raises(MonitorError) as caught:
        rekey.rekey(field)
    assert caught.value.code == "storage_failed"
    assert field.is_locked
    monkeypatch.setattr(rekey.os, "replace", real_replace)
    with lifecycle.unlock(field.path, PASSPHRASE) as again:
        assert again.records.get(place.record_id).fields["name"] == "ИВС №2"
        with again.reading() as conn:
            assert database.integrity_problems(conn) == []
    names = set(os.listdir(field.path))
    assert "keyslots.next.json" not in names and "vault.db.rekey" not in names


def test_rekey_failure_before_the_swap_keeps_the_session(
    field: UnlockedVault, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = field.data_key()

    def no_space(*args: Any, **kwargs: Any) -> None:
        raise MonitorError("disk_full")

    monkeypatch.setattr(rekey, "_write_next_slots", no_space)
    with pytest.raises(MonitorError):
        rekey.rekey(field)
    assert not field.is_locked and field.data_key() == key
    assert field.records.count() == 0
    assert not (field.path / "vault.db.rekey").exists()


def _rows(vault: UnlockedVault) -> dict[str, list[tuple[Any, ...]]]:
    tables = ("records", "revisions", "attachments", "audit", "slot_keys")
    with vault.reading() as conn:
        return {t: [tuple(r) for r in conn.execute(f"SELECT * FROM {t}")] for t in tables}


def test_a_later_bundle_does_not_bring_purged_records_back(
    field: UnlockedVault, hub: UnlockedVault, stick: Path, tmp_path: Path
) -> None:
    """The hub (or a colleague) sends records this vault already purged: the preview and the
    import leave them out, the stubs stay stubs, and no canary comes back."""
    canaries = Canaries()
    ids = _case(field, canaries)
    _hand_off(field, hub, stick)
    back = export_bundle(hub, stick, contacts=[hub.contacts.get("Test Monitor")])
    assert back.revisions >= 4 and back.attachments == 1  # every revision, and the photo
    assert len(purge.purge_handed_off(field).purged) == 3
    blobs_before = sorted(p.name for p in field.blobs.root.iterdir())

    staging = open_bundle(field, back.path)
    try:
        assert staging.summary is not None
        with field.reading() as conn:
            preview = ledger.import_preview(conn, staging.summary, staging.revisions())
    finally:
        staging.discard()
    assert preview.purged_skipped == back.revisions
    assert preview.records_added == preview.records_updated == preview.revisions_added == 0

    result = import_bundle(field, back.path)
    assert result.status == "imported"
    assert result.purged_skipped == back.revisions + back.attachments
    assert result.revisions_added == result.attachments_added == result.records_updated == 0
    assert sorted(p.name for p in field.blobs.root.iterdir()) == blobs_before
    with field.reading() as conn:
        for record_id in (ids["place"], ids["person"], ids["incident"]):
            assert conn.execute(
                "SELECT count(*) FROM revisions WHERE record_id = ?", (record_id,)
            ).fetchone() == (0,)
            assert conn.execute(
                "SELECT purged_at IS NOT NULL, display FROM records WHERE id = ?", (record_id,)
            ).fetchone() == (1, "")
        assert conn.execute("SELECT count(*) FROM attachments").fetchone() == (0,)
    assert field.records.search(canaries.of("title")[0]) == []
    scanner = Scanner(canaries)
    findings = scanner.scan([field.path]) + scanner.scan([_decrypted_copy(field, tmp_path)])
    assert not findings, describe(findings)
