"""The read-only handoff ledger the app's screens show: bundles out with recipients and
receipts, bundles in with quarantine, missing sequences, and export and import previews that
agree with what export and import then do."""

from __future__ import annotations

from pathlib import Path

from monitor_app.bundles import ledger
from monitor_app.bundles.export import export_bundle
from monitor_app.bundles.importing import import_bundle
from monitor_app.bundles.reading import open_bundle
from monitor_app.bundles.receipts import export_receipt
from monitor_app.crypto import age
from monitor_app.records import audit
from monitor_app.vault.session import UnlockedVault
from tests.bundle_tools import add_sample_case

PHOTO = b"\x89PNG ledger photo " * 100


def _know_each_other(field: UnlockedVault, hub: UnlockedVault, *, hub_verifies: bool) -> None:
    field.contacts.add(hub.identity.card(), verified=True)
    hub.contacts.add(field.identity.card(), verified=hub_verifies)


def _preview(hub: UnlockedVault, path: Path) -> ledger.ImportPreview:
    staging = open_bundle(hub, path)
    try:
        assert staging.summary is not None
        with hub.reading() as conn:
            return ledger.import_preview(conn, staging.summary, staging.revisions())
    finally:
        staging.discard()


def test_empty_vault_has_an_empty_ledger(vault: UnlockedVault) -> None:
    with vault.reading() as conn:
        assert ledger.bundles_out(conn) == []
        assert ledger.bundles_in(conn) == []
        assert ledger.missing_bundles(conn) == []
        count = ledger.audit_length(conn)
        assert count == len(audit.entries(conn)) > 0


def test_export_preview_matches_the_export(
    vault: UnlockedVault, hub: UnlockedVault, stick: Path
) -> None:
    _know_each_other(vault, hub, hub_verifies=True)
    add_sample_case(vault, real_name="Асель", share_consent="refused", attachment=PHOTO)
    contact = vault.contacts.get("Hub")
    archive = age.X25519Identity.generate().recipient.encode()
    keys = ledger.selection_keys([contact.fingerprint], [archive])
    assert keys == [contact.fingerprint, "age:" + archive]
    with vault.reading() as conn:
        preview = ledger.export_preview(conn, keys)
    # A place, a person, an incident in two revisions, one photo; the person without consent.
    assert (preview.records, preview.revisions, preview.attachments) == (3, 4, 1)
    assert preview.withheld_people == 1
    result = export_bundle(vault, stick, contacts=[contact], archive_recipients=[archive])
    assert (result.revisions, result.attachments) == (preview.revisions, preview.attachments)

    with vault.reading() as conn:
        after = ledger.export_preview(conn, keys)
        # A bundle to several goes on with what any one of them still lacks.
        with_newcomer = ledger.export_preview(conn, [contact.fingerprint, "someone-else"])
        out = ledger.bundles_out(conn)
    assert (after.revisions, after.attachments, after.withheld_people) == (0, 0, 0)
    assert with_newcomer.revisions == 4  # "someone-else" has received nothing yet
    assert len(out) == 1
    sent = out[0]
    assert sent.bundle_id == result.bundle_id
    assert (sent.sequence, sent.kind, sent.size) == (1, "records", result.size)
    assert sent.recipients == (contact.fingerprint,)
    assert sent.archive_recipients == (archive,)
    assert sent.receipt_at is None and sent.confirmed_by == ()


def test_consented_person_is_not_withheld(vault: UnlockedVault, hub: UnlockedVault) -> None:
    _know_each_other(vault, hub, hub_verifies=True)
    add_sample_case(vault, real_name="Асель", share_consent="given", attachment=PHOTO)
    fingerprint = vault.contacts.get("Hub").fingerprint
    with vault.reading() as conn:
        assert ledger.export_preview(conn, [fingerprint]).withheld_people == 0


def test_quarantine_import_receipt_and_gaps(
    vault: UnlockedVault, hub: UnlockedVault, stick: Path, tmp_path: Path
) -> None:
    _know_each_other(vault, hub, hub_verifies=False)
    add_sample_case(vault, real_name="Асель", share_consent="given", attachment=PHOTO)
    contact = vault.contacts.get("Hub")
    first = export_bundle(vault, stick, contacts=[contact])

    # Unverified signer: quarantined, listed as such, nothing in bundles_in.
    assert import_bundle(hub, first.path).status == "quarantined"
    with hub.reading() as conn:
        (held,) = ledger.bundles_in(conn)
    assert (held.bundle_id, held.status, held.sequence) == (first.bundle_id, "quarantined", 1)
    assert held.author_fingerprint == vault.identity.fingerprint
    assert not held.receipt_written

    # The preview before merging says what the import then does.
    hub.contacts.verify(vault.identity.fingerprint)
    preview = _preview(hub, first.path)
    assert not preview.already_imported
    assert (preview.records_added, preview.records_updated) == (3, 0)
    assert (preview.revisions_added, preview.conflicts, preview.missing) == (4, 0, ())
    imported = import_bundle(hub, first.path)
    assert imported.status == "imported"
    assert (imported.records_added, imported.revisions_added) == (3, 4)
    assert _preview(hub, first.path).already_imported

    receipt = export_receipt(hub, first.bundle_id, tmp_path)
    with hub.reading() as conn:
        (taken,) = ledger.bundles_in(conn)
        (receipt_out,) = ledger.bundles_out(conn)
    assert (taken.status, taken.receipt_written) == ("imported", True)
    assert (receipt_out.kind, receipt_out.bundle_id) == ("receipt", receipt.bundle_id)

    assert import_bundle(vault, receipt.path).status == "imported"
    with vault.reading() as conn:
        (sent,) = ledger.bundles_out(conn)
        (receipt_in,) = ledger.bundles_in(conn)
    assert sent.receipt_at is not None
    assert sent.confirmed_by == (hub.identity.fingerprint,)
    assert (receipt_in.status, receipt_in.bundle_id) == ("receipt", receipt.bundle_id)

    # Bundle 2 is lost on the way; bundle 3, edited records, says it follows 2.
    record_id = vault.records.list("incident")[0].record_id
    vault.records.edit(record_id, {"title": "Второе уточнение"})
    export_bundle(vault, stick, contacts=[contact])
    vault.records.edit(record_id, {"title": "Третье уточнение"})
    third = export_bundle(vault, stick, contacts=[contact])
    preview = _preview(hub, third.path)
    # Its revision's parent was in bundle 2: kept, outside the chain until that arrives.
    assert (preview.records_added, preview.records_updated, preview.conflicts) == (0, 0, 1)
    assert (preview.revisions_added, preview.unchanged, preview.missing) == (1, 0, (2,))
    assert import_bundle(hub, third.path).missing == (2,)
    with hub.reading() as conn:
        gaps = ledger.missing_bundles(conn)
    assert gaps == [ledger.MissingBundle(vault.identity.fingerprint, 2)]


def test_a_differing_revision_is_previewed_as_a_conflict(
    vault: UnlockedVault, hub: UnlockedVault, stick: Path
) -> None:
    _know_each_other(vault, hub, hub_verifies=True)
    place = vault.records.add(
        "place", {"name": "СИЗО-1", "place_type": "pretrial_detention_centre"}
    )
    first = export_bundle(vault, stick, contacts=[vault.contacts.get("Hub")])
    import_bundle(hub, first.path)
    # The hub edits its copy: revision 2 there differs from the field's revision 2.
    hub.records.edit(place.record_id, {"name": "СИЗО-1 (hub)"})
    vault.records.edit(place.record_id, {"name": "СИЗО-1 (field)"})
    second = export_bundle(vault, stick, contacts=[vault.contacts.get("Hub")])
    preview = _preview(hub, second.path)
    assert (preview.conflicts, preview.revisions_added, preview.records_updated) == (1, 1, 0)
    assert import_bundle(hub, second.path).conflicts == 1
