"""Releasing a quarantined bundle from the copy the vault kept, once its signer is verified."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from monitor_app.bundles import ledger, quarantine
from monitor_app.bundles.export import export_bundle
from monitor_app.bundles.importing import import_bundle
from monitor_app.errors import MonitorError
from monitor_app.records import audit
from monitor_app.vault import lifecycle
from monitor_app.vault.session import UnlockedVault
from tests.bundle_tools import add_sample_case
from tests.conftest import PASSPHRASE
from tests.vault_checks import snapshot


@pytest.fixture
def field(vault: UnlockedVault, hub: UnlockedVault) -> UnlockedVault:
    vault.contacts.add(hub.identity.card(), verified=True)
    add_sample_case(vault, real_name="Real Name", share_consent="given", attachment=b"photo bytes")
    return vault


def _quarantined(field: UnlockedVault, hub: UnlockedVault, stick: Path) -> tuple[str, str]:
    """A bundle from ``field`` quarantined at the hub, and the stick's copy gone."""
    bundle = export_bundle(field, stick, contacts=[field.contacts.get("Hub")]).path
    hub.contacts.add(field.identity.card(), verified=False)
    result = import_bundle(hub, bundle)
    assert result.status == "quarantined"
    bundle.unlink()  # the stick went home with the monitor
    return result.summary.bundle_id, result.summary.author_fingerprint


def _state(vault: UnlockedVault) -> dict[str, str]:
    return {k: v for k, v in snapshot(vault.path).items() if not k.endswith("-shm")}


def _refused(hub: UnlockedVault, bundle_id: str, author: str, code: str) -> None:
    before = _state(hub)
    with pytest.raises(MonitorError) as caught:
        quarantine.release(hub, bundle_id, author)
    assert caught.value.code == code
    assert _state(hub) == before, "a refused release changes nothing"


def test_a_quarantined_bundle_is_released_once_its_signer_is_verified(
    field: UnlockedVault, hub: UnlockedVault, stick: Path
) -> None:
    bundle_id, author = _quarantined(field, hub, stick)
    hub.contacts.verify(author)
    # The summary first, from the kept copy; it changes nothing.
    before = _state(hub)
    summary = quarantine.preview(hub, bundle_id, author)
    assert summary.signer_verified and summary.records == 3
    assert _state(hub) == before

    result = quarantine.release(hub, bundle_id, author)
    assert result.status == "imported" and result.records_added == 3
    assert hub.records.count() == 3
    with hub.reading() as conn:
        statuses = {b.bundle_id: b.status for b in ledger.bundles_in(conn)}
    assert statuses[bundle_id] != ledger.QUARANTINED
    assert not list((hub.path / quarantine.FOLDER).glob("*.bundle")), "the copy is gone"
    _refused(hub, bundle_id, author, "bundle_not_quarantined")


def test_release_refuses_an_unverified_signer_and_a_tampered_copy(
    field: UnlockedVault, hub: UnlockedVault, stick: Path
) -> None:
    bundle_id, author = _quarantined(field, hub, stick)
    _refused(hub, bundle_id, author, "bundle_signer_unverified")

    hub.contacts.verify(author)
    (copy,) = (hub.path / quarantine.FOLDER).glob("*.bundle")
    data = bytearray(copy.read_bytes())
    data[len(data) // 2] ^= 1
    copy.write_bytes(bytes(data))
    _refused(hub, bundle_id, author, "bundle_kept_copy_damaged")
    copy.unlink()
    _refused(hub, bundle_id, author, "bundle_kept_copy_damaged")
    _refused(hub, "no-such-bundle", author, "bundle_not_quarantined")
    assert hub.records.count() == 0


def test_release_refuses_a_kept_copy_signed_by_someone_not_verified(
    field: UnlockedVault, hub: UnlockedVault, stick: Path, tmp_path: Path
) -> None:
    """The entry that names the copy says its author is a contact now verified, but the copy
    it names is a bundle signed by someone else, still unverified (a log entry written by a
    faulty version, or a copy swapped along with its entry): the copy is judged by its own
    signature, not by the entry, and nothing is imported, kept again or logged."""
    bundle_id, author = _quarantined(field, hub, stick)
    intruder, _code = lifecycle.create_vault(
        tmp_path / "intruder", PASSPHRASE, name="Intruder", organisation="X"
    )
    try:
        intruder.contacts.add(hub.identity.card(), verified=True)
        add_sample_case(intruder, real_name="Other Name", share_consent="given", attachment=b"x")
        other = export_bundle(intruder, stick, contacts=[intruder.contacts.get("Hub")]).path
        assert import_bundle(hub, other).status == "quarantined"  # unknown signer
        other_sha = hashlib.sha256(other.read_bytes()).hexdigest()
    finally:
        intruder.lock()
    with hub.transaction() as conn:
        audit.append(
            conn,
            hub.author.author_id,
            quarantine.ACTION,
            None,
            {"bundle_id": bundle_id, "author_fingerprint": author, "kept_sha256": other_sha},
        )
    hub.contacts.verify(author)
    _refused(hub, bundle_id, author, "bundle_kept_copy_other_signer")
    assert hub.records.count() == 0
