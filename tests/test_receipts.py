"""Receipts: the hub confirms an imported bundle to the field vault, which marks it handed
off; standard tools check a receipt like any bundle; tampered, foreign or unknown receipts are
refused and change nothing."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Any

import pytest

from monitor_app.bundles.export import export_bundle
from monitor_app.bundles.importing import import_bundle, verify_bundle
from monitor_app.bundles.manifest import parse_manifest
from monitor_app.bundles.receipts import export_receipt
from monitor_app.errors import MonitorError
from monitor_app.records import audit
from monitor_app.vault import lifecycle
from monitor_app.vault.session import UnlockedVault
from tests.bundle_tools import age_identity_file, check_signed_sums, unpack_with_standard_tools
from tests.conftest import PASSPHRASE
from tests.test_cli_identity import (  # noqa: F401 - fixtures
    Vault,
    _error,
    cli,
    vault_a,
    vault_b,
)
from tests.vault_checks import snapshot

ATTACHMENT = b"\x89PNG fake photo " * 3000
TABLES = ("bundles_out", "bundle_recipients", "bundle_receipts", "bundles_in", "audit")


@pytest.fixture
def field(vault: UnlockedVault, hub: UnlockedVault) -> UnlockedVault:
    """A field vault and a hub that know and have verified each other; a few records."""
    vault.contacts.add(hub.identity.card(), verified=True)
    vault.contacts.set_custodian(hub.identity.fingerprint, True)  # the hub keeps the records
    hub.contacts.add(vault.identity.card(), verified=True)
    place = vault.records.add("place", {"name": "ИВС №1", "place_type": "police_station"})
    vault.attachments.add_stream(place.record_id, io.BytesIO(ATTACHMENT), original_name="a.png")
    return vault


def _handed(field: UnlockedVault, hub: UnlockedVault, stick: Path) -> str:
    """Field exports to the hub, the hub imports; returns the bundle id."""
    result = export_bundle(field, stick, contacts=[field.contacts.get("Hub")])
    assert import_bundle(hub, result.path).status == "imported"
    return result.bundle_id


def _receipt_at(vault: UnlockedVault, bundle_id: str) -> Any:
    with vault.reading() as conn:
        return conn.execute(
            "SELECT receipt_at FROM bundles_out WHERE bundle_id = ?", (bundle_id,)
        ).fetchone()[0]


def _state(vault: UnlockedVault) -> dict[str, list[tuple[Any, ...]]]:
    with vault.reading() as conn:
        return {t: [tuple(r) for r in conn.execute(f"SELECT * FROM {t}")] for t in TABLES}


def _files(vault: UnlockedVault) -> dict[str, str]:
    return {k: v for k, v in snapshot(vault.path).items() if not k.endswith("-shm")}


def _actions(vault: UnlockedVault) -> list[str]:
    with vault.reading() as conn:
        return [e.action for e in audit.entries(conn)]


def test_receipt_round_trip_marks_the_bundle_handed_off(
    field: UnlockedVault, hub: UnlockedVault, stick: Path, tmp_path: Path
) -> None:
    bundle_id = _handed(field, hub, stick)
    assert _receipt_at(field, bundle_id) is None
    receipts_dir = tmp_path / "receipts"
    receipts_dir.mkdir()
    made = export_receipt(hub, bundle_id, receipts_dir)
    assert made.receipt_for == bundle_id and made.recipient == field.identity.fingerprint
    assert made.path.name.endswith(".bin") and made.size == made.path.stat().st_size
    assert "receipt_exported" in _actions(hub)
    with hub.reading() as conn:
        kind = conn.execute(
            "SELECT kind FROM bundles_out WHERE bundle_id = ?", (made.bundle_id,)
        ).fetchone()[0]
    assert kind == "receipt"

    summary = verify_bundle(field, made.path)
    assert summary.kind == "receipt" and summary.signer_verified
    assert summary.receipt is not None and summary.receipt.bundle_id == bundle_id
    assert summary.to_json()["receipt"]["bundle_id"] == bundle_id

    result = import_bundle(field, made.path)
    assert result.status == "imported" and result.missing == ()
    assert _receipt_at(field, bundle_id) is not None
    with field.reading() as conn:
        confirmed = conn.execute(
            "SELECT recipient, receipt_bundle_id FROM bundle_receipts WHERE bundle_id = ?",
            (bundle_id,),
        ).fetchall()
    assert [tuple(row) for row in confirmed] == [(hub.identity.fingerprint, made.bundle_id)]
    assert _actions(field)[-1] == "receipt_imported"

    before = _state(field)
    again = import_bundle(field, made.path)
    assert again.status == "already_imported"
    assert _state(field) == before

    # The hub's next records bundle follows the receipt's sequence: nothing is missing.
    hub.records.add("place", {"name": "ИК-2", "place_type": "police_station"})
    later = export_bundle(hub, stick, contacts=[hub.contacts.get(field.identity.fingerprint)])
    assert import_bundle(field, later.path).missing == ()


def test_standard_tools_check_the_receipt(
    field: UnlockedVault, hub: UnlockedVault, stick: Path, tmp_path: Path
) -> None:
    bundle_id = _handed(field, hub, stick)
    made = export_receipt(hub, bundle_id, stick, file_name="receipt.bin")
    out = unpack_with_standard_tools(made.path, age_identity_file(field, tmp_path), tmp_path)
    names = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert names == sorted(
        ["SHA256SUMS", "SHA256SUMS.minisig", "manifest.json", "records.jsonl", "padding"]
    )
    check_signed_sums(out, hub, made.bundle_id, "receipt")
    assert (out / "records.jsonl").read_bytes() == b""
    manifest = json.loads((out / "manifest.json").read_text())
    with field.reading() as conn:
        sums_sha256 = conn.execute(
            "SELECT sums_sha256 FROM bundles_out WHERE bundle_id = ?", (bundle_id,)
        ).fetchone()[0]
    assert manifest["kind"] == "receipt"
    with hub.reading() as conn:
        (revision_hash,) = conn.execute("SELECT hash FROM revisions").fetchone()
        attachments = [str(r[0]) for r in conn.execute("SELECT id FROM attachments ORDER BY id")]
    # What the hub now holds of the bundle, item by item.
    assert manifest["receipt"] == {
        "bundle_id": bundle_id,
        "sums_sha256": sums_sha256,
        "kept": {"revisions": [revision_hash], "attachments": attachments},
        "not_kept": [],
    }
    assert manifest["recipients"] == [field.identity.fingerprint]
    assert manifest["records"] == [] and manifest["attachments"] == []
    assert made.size == stick.joinpath("receipt.bin").stat().st_size
    assert made.size >= 1 << 20  # padded like any bundle


def test_a_receipt_needs_an_imported_bundle_and_a_verified_author(
    field: UnlockedVault, hub: UnlockedVault, stick: Path
) -> None:
    with pytest.raises(MonitorError) as caught:
        export_receipt(hub, "00000000-0000-4000-8000-000000000000", stick)
    assert caught.value.code == "receipt_bundle_unknown"
    bundle_id = _handed(field, hub, stick)
    hub.contacts.add(field.identity.card(), verified=False)
    contact = hub.contacts.get(field.identity.fingerprint)
    if contact.verified:  # adding again does not downgrade: unverify through the database
        with hub.transaction() as conn:
            conn.execute("UPDATE contacts SET verified_at = NULL")
    with pytest.raises(MonitorError) as caught:
        export_receipt(hub, bundle_id, stick)
    assert caught.value.code == "contact_not_verified"
    assert len(list(stick.iterdir())) == 1  # only the field's bundle: no receipt was left


def _forge_receipt(
    hub: UnlockedVault, field: UnlockedVault, stick: Path, bundle_id: str, sums_sha256: str
) -> Path:
    """A correctly signed receipt from the hub naming ``bundle_id`` with ``sums_sha256``."""
    with hub.transaction() as conn:
        conn.execute(
            "INSERT INTO bundles_in (bundle_id, author_fingerprint, sequence, follows,"
            " sums_sha256, imported_at, status) VALUES (?, ?, 99, NULL, ?, '', 'imported')",
            (bundle_id, field.identity.fingerprint, sums_sha256),
        )
    return export_receipt(hub, bundle_id, stick).path


def test_a_receipt_with_another_hash_is_refused(
    field: UnlockedVault, hub: UnlockedVault, stick: Path
) -> None:
    bundle_id = _handed(field, hub, stick)
    with hub.transaction() as conn:
        conn.execute("DELETE FROM bundles_in WHERE bundle_id = ?", (bundle_id,))
    forged = _forge_receipt(hub, field, stick, bundle_id, hashlib.sha256(b"other").hexdigest())
    before = _state(field)
    with pytest.raises(MonitorError) as caught:
        import_bundle(field, forged)
    assert caught.value.code == "receipt_mismatch"
    assert _receipt_at(field, bundle_id) is None
    after = _state(field)
    assert {k: v for k, v in after.items() if k != "audit"} == {
        k: v for k, v in before.items() if k != "audit"
    }
    assert _actions(field)[-1] == "bundle_refused"


def test_a_receipt_for_an_unknown_bundle_is_refused(
    field: UnlockedVault, hub: UnlockedVault, stick: Path
) -> None:
    _handed(field, hub, stick)
    forged = _forge_receipt(hub, field, stick, "00000000-0000-4000-8000-000000000001", "0" * 64)
    with pytest.raises(MonitorError) as caught:
        import_bundle(field, forged)
    assert caught.value.code == "receipt_unknown_bundle"


def test_a_receipt_from_someone_not_sent_the_bundle_is_refused(
    field: UnlockedVault, hub: UnlockedVault, stick: Path, tmp_path: Path
) -> None:
    other, _ = lifecycle.create_vault(tmp_path / "other", PASSPHRASE, name="Other")
    try:
        other.contacts.add(field.identity.card(), verified=True)
        field.contacts.add(other.identity.card(), verified=True)
        bundle_id = _handed(field, hub, stick)
        with field.reading() as conn:
            sums_sha256 = conn.execute(
                "SELECT sums_sha256 FROM bundles_out WHERE bundle_id = ?", (bundle_id,)
            ).fetchone()[0]
        forged = _forge_receipt(other, field, stick, bundle_id, sums_sha256)
        with pytest.raises(MonitorError) as caught:
            import_bundle(field, forged)
        assert caught.value.code == "receipt_not_recipient"
        assert _receipt_at(field, bundle_id) is None
    finally:
        other.lock()


def test_a_receipt_from_an_unknown_signer_is_quarantined(
    field: UnlockedVault, hub: UnlockedVault, stick: Path
) -> None:
    bundle_id = _handed(field, hub, stick)
    made = export_receipt(hub, bundle_id, stick)
    with field.transaction() as conn:
        conn.execute("UPDATE contacts SET verified_at = NULL")
    assert not field.contacts.get("Hub").verified
    assert import_bundle(field, made.path).status == "quarantined"
    assert _receipt_at(field, bundle_id) is None


def test_a_tampered_receipt_is_refused(
    field: UnlockedVault, hub: UnlockedVault, stick: Path
) -> None:
    bundle_id = _handed(field, hub, stick)
    made = export_receipt(hub, bundle_id, stick)
    data = bytearray(made.path.read_bytes())
    data[-100] ^= 1
    made.path.write_bytes(bytes(data))
    before = _files(field)
    with pytest.raises(MonitorError) as caught:
        import_bundle(field, made.path)
    assert caught.value.code == "bundle_damaged"
    assert _files(field) == before


@pytest.mark.parametrize(
    ("receipt", "records"),
    [
        (None, []),
        ({"bundle_id": "00000000-0000-4000-8000-000000000000"}, []),
        ({"bundle_id": "x", "sums_sha256": "0" * 64}, []),
        ({"bundle_id": "00000000-0000-4000-8000-000000000000", "sums_sha256": "0" * 63}, []),
        (
            {"bundle_id": "00000000-0000-4000-8000-000000000000", "sums_sha256": "0" * 64},
            [{"id": "00000000-0000-4000-8000-000000000000", "revision": 1, "size": 2}],
        ),
    ],
)
def test_receipt_manifests_are_parsed_strictly(receipt: Any, records: list[Any]) -> None:
    manifest = {
        "format": "monitor_app-bundle",
        "version": 1,
        "bundle_id": "00000000-0000-4000-8000-000000000002",
        "kind": "receipt",
        "created_at": "2024-01-01T00:00:00+00:00",
        "author": {"fingerprint": "0" * 32, "card": "00"},
        "recipients": [],
        "archive_recipients": [],
        "sequence": 1,
        "follows": {},
        "records": records,
        "attachments": [],
        "receipt": receipt,
    }
    with pytest.raises(MonitorError) as caught:
        parse_manifest(json.dumps(manifest).encode())
    assert caught.value.code == "bundle_malformed"
    assert caught.value.params["reason"] in {"manifest_receipt", "manifest_kind"}


def test_receipt_and_import_commands(
    cli: Any,  # noqa: F811
    vault_a: Vault,  # noqa: F811
    vault_b: Vault,  # noqa: F811
    tmp_path: Path,
) -> None:
    card_a, card_b = tmp_path / "a.card", tmp_path / "b.card"
    cli(*vault_a.base, "identity", "card", "--out", str(card_a))
    cli(*vault_b.base, "identity", "card", "--out", str(card_b))
    cli(*vault_b.base, "contact", "add", str(card_a), "--verified")
    cli(*vault_a.base, "contact", "add", str(card_b), "--verified")
    hub_fingerprint = cli("--json", *vault_a.base, "identity", "show").json["result"]["fingerprint"]
    custodian = cli("--json", *vault_b.base, "contact", "custodian", hub_fingerprint, "--on")
    assert custodian.json["result"]["custodian"] is True
    place = tmp_path / "place.json"
    place.write_text(json.dumps({"name": "ИК-47", "place_type": "police_station"}))
    cli("--json", *vault_b.base, "record", "add", "--type", "place", "--json", str(place))
    bundle = tmp_path / "b.bin"
    exported = cli("--json", *vault_b.base, "export", "--to", "Aida K.", "--out", str(bundle))
    bundle_id = exported.json["result"]["bundle_id"]
    cli(*vault_a.base, "import", str(bundle))

    unknown = cli(
        "--json", *vault_a.base, "receipt", "00000000-0000-4000-8000-000000000000",
        "--out", str(tmp_path / "x.bin"), expect=1,
    )  # fmt: skip
    assert _error(unknown)["code"] == "receipt_bundle_unknown"
    receipt = tmp_path / "r.bin"
    made = cli("--json", *vault_a.base, "receipt", bundle_id, "--out", str(receipt))
    assert made.json["result"]["receipt_for"] == bundle_id
    assert receipt.is_file()
    plain = cli(*vault_a.base, "receipt", bundle_id, "--out", str(tmp_path / "r2.bin"))
    assert bundle_id in plain.out

    done = cli("--json", *vault_b.base, "import", str(receipt)).json["result"]
    assert done["status"] == "imported"
    assert done["bundle"]["kind"] == "receipt"
    assert done["bundle"]["receipt"]["bundle_id"] == bundle_id
    text = cli(*vault_b.base, "import", str(tmp_path / "r2.bin"))
    assert f"confirms receiving bundle {bundle_id}." in text.out
    again = cli("--json", *vault_b.base, "import", str(receipt)).json["result"]
    assert again["status"] == "already_imported"

    # The author can now purge what the receipt confirms; a dry run first changes nothing.
    record_id = exported.json["result"]["bundle_id"] and _only_record(cli, vault_b)
    dry = cli("--json", *vault_b.base, "purge", "--handed-off", "--dry-run").json["result"]
    assert dry == {
        "purged": [record_id], "kept_withheld": [], "kept_draft": [], "attachments": 0,
        "rekeyed": False, "dry_run": True,
    }  # fmt: skip
    assert _only_record(cli, vault_b) == record_id
    done_text = cli(*vault_b.base, "purge", "--handed-off")
    assert "Records purged: 1; attachments: 0." in done_text.out
    assert "re-encrypted under a new key" in done_text.out
    shown = cli("--json", *vault_b.base, "record", "show", record_id, expect=1)
    assert _error(shown)["code"] == "record_purged"
    assert "handed off" in cli(*vault_b.base, "record", "show", record_id, expect=1).err
    nothing = cli("--json", *vault_b.base, "purge", "--handed-off").json["result"]
    assert nothing["purged"] == [] and nothing["rekeyed"] is False
    assert cli(*vault_b.base, "purge", expect=2).code == 2  # --handed-off is required


def _only_record(cli: Any, vault: Vault) -> str:  # noqa: F811
    listed = cli("--json", *vault.base, "record", "list").json["result"]
    records = listed["records"] if isinstance(listed, dict) else listed
    assert len(records) == 1
    return str(records[0]["id"])
