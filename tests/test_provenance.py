"""Provenance as an insider would attack it: a verified colleague who holds their own keys,
a co-recipient of a bundle, a hub that forwards. Each attempt fails with its own error (or is
held as unverified, or as a conflict) and leaves what the vault held as it was."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from monitor_app.bundles import canonical, purge
from monitor_app.bundles.export import export_bundle
from monitor_app.bundles.importing import import_bundle
from monitor_app.bundles.receipts import export_receipt
from monitor_app.errors import MonitorError
from monitor_app.records import audit, provenance
from monitor_app.records.store import stored_revision
from monitor_app.vault import lifecycle
from monitor_app.vault.session import UnlockedVault
from tests.bundle_tools import (
    TarEntry,
    body_of,
    craft,
    manifest_of,
    revision_lines,
    signed,
    signed_line,
    vault_rows,
    with_lines,
    with_manifest,
)
from tests.cli_tools import invoke
from tests.conftest import PASSPHRASE


@dataclass
class World:
    field: UnlockedVault  # monitor B, who wrote the testimony
    colleague: UnlockedVault  # monitor A: a verified contact of the hub, an insider
    hub: UnlockedVault
    stick: Path

    def key_of(self, vault: UnlockedVault) -> Any:
        return vault.identity.keys().signing_private


def _know(a: UnlockedVault, b: UnlockedVault) -> None:
    a.contacts.add(b.identity.card(), verified=True)


def _vault(root: Path, name: str) -> UnlockedVault:
    vault, _ = lifecycle.create_vault(root / name, PASSPHRASE, name=name, organisation="Org")
    return vault


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    field = _vault(tmp_path, "Monitor B")
    colleague = _vault(tmp_path, "Monitor A")
    hub = _vault(tmp_path, "Hub")
    for a, b in [(field, hub), (hub, field), (colleague, hub), (hub, colleague)]:
        _know(a, b)
    _know(field, colleague)
    _know(colleague, field)
    field.contacts.set_custodian(hub.identity.fingerprint, True)
    stick = tmp_path / "stick"
    stick.mkdir()
    yield World(field, colleague, hub, stick)
    for vault in (field, colleague, hub):
        vault.lock()


def _send(sender: UnlockedVault, *recipients: UnlockedVault, stick: Path) -> Path:
    contacts = [sender.contacts.get(r.identity.fingerprint) for r in recipients]
    return export_bundle(sender, stick, contacts=contacts).path


def _incident(vault: UnlockedVault, title: str = "Избиение при допросе") -> str:
    return vault.records.add(
        "incident",
        {
            "title": title,
            "description": "Показания задержанного",
            "incident_type": "torture",
            "occurred_on": "2024-03-10",
        },
    ).record_id


def _colleague_bundle(world: World, lines: list[dict[str, Any]], out: Path) -> Path:
    """A bundle from the colleague to the hub carrying ``lines``, signed by the colleague:
    what an insider with their own verified key can make."""
    _incident(world.colleague, "Своя запись")
    own = _send(world.colleague, world.hub, stick=world.stick)
    return craft(own, world.hub, lambda e: with_lines(e, lines, world.colleague), out)


def _refused(vault: UnlockedVault, bundle: Path, code: str) -> MonitorError:
    """Importing ``bundle`` raises ``code`` and changes nothing but its audit entry."""
    before = vault_rows(vault)
    with pytest.raises(MonitorError) as caught:
        import_bundle(vault, bundle)
    assert caught.value.code == code, caught.value
    assert vault_rows(vault) == before
    return caught.value


def _testimony(world: World) -> tuple[str, dict[str, Any]]:
    """The field's incident, handed to the hub; returns its id and its line as sent."""
    record_id = _incident(world.field)
    bundle = _send(world.field, world.hub, stick=world.stick)
    assert import_bundle(world.hub, bundle).records_added == 1
    (line,) = revision_lines(_entries(bundle, world.hub))
    return record_id, line


def _entries(bundle: Path, recipient: UnlockedVault) -> list[TarEntry]:
    from tests.bundle_tools import decrypt_bundle, read_tar

    return read_tar(decrypt_bundle(bundle, recipient))


# --- 1. a verified contact cannot write under another author's name ---------------------------


def test_a_revision_signed_by_one_contact_claiming_anothers_authorship_is_refused(
    world: World, tmp_path: Path
) -> None:
    record_id, line = _testimony(world)
    body = body_of(line)
    # A rewrites B's record and keeps B's key as the author; B's key cannot sign it for A.
    forged = {**body, "parent": provenance.hash_of(line["signed"].encode())}
    forged["fields"] = {**body["fields"], "description": "Ничего не было"}
    bundle = _colleague_bundle(
        world, [signed_line(forged, world.key_of(world.colleague))], tmp_path / "f.bin"
    )
    error = _refused(world.hub, bundle, "revision_signature_invalid")
    assert error.params["record_id"] == record_id
    assert world.hub.records.get(record_id).fields["description"] == "Показания задержанного"


def test_a_record_created_in_anothers_name_is_refused(world: World, tmp_path: Path) -> None:
    _, line = _testimony(world)
    body = body_of(line)
    planted = {**body, "record_id": "7d1c5c3e-8f1b-4e0b-9a57-2f7b7c2d9e11", "parent": None}
    bundle = _colleague_bundle(
        world, [signed_line(planted, world.key_of(world.colleague))], tmp_path / "p.bin"
    )
    _refused(world.hub, bundle, "revision_signature_invalid")


@pytest.mark.parametrize("number", [2**62, 2**63, 2**64])
def test_a_revision_number_cannot_be_sent_at_all(world: World, tmp_path: Path, number: int) -> None:
    """Revisions have no numbers in a bundle: none can jump ahead or overflow anything."""
    _, line = _testimony(world)
    body = {**body_of(line), "revision": number}
    bundle = _colleague_bundle(
        world, [signed_line(body, world.key_of(world.colleague))], tmp_path / "n.bin"
    )
    error = _refused(world.hub, bundle, "revision_malformed")
    assert error.params["reason"] == "keys"
    lined = {**line, "revision": number}
    bundle = _colleague_bundle(world, [lined], tmp_path / "m.bin")
    error = _refused(world.hub, bundle, "bundle_malformed")
    assert error.params["reason"] == "record_keys"


def test_an_honest_edit_by_a_colleague_is_theirs_and_a_concurrent_one_is_a_conflict(
    world: World, tmp_path: Path
) -> None:
    """A colleague may edit a record they hold, under their own name; the author's own next
    edit then forks from the same parent and is kept beside it as a conflict, not lost."""
    record_id, _ = _testimony(world)
    import_bundle(world.colleague, _send(world.field, world.colleague, stick=world.stick))
    world.colleague.records.edit(record_id, {"title": "Уточнение коллеги"})
    import_bundle(world.hub, _send(world.colleague, world.hub, stick=world.stick))
    current = world.hub.records.get(record_id)
    assert current.author is not None
    assert (current.author.status, current.author.name) == ("verified", "Monitor A")
    world.field.records.edit(record_id, {"title": "Уточнение автора"})
    result = import_bundle(world.hub, _send(world.field, world.hub, stick=world.stick))
    assert (result.conflicts, result.records_updated) == (1, 0)
    history = world.hub.records.history(record_id)
    assert [h.conflict for h in history] == [None, None, "fork"]
    assert history[2].signed_by is not None and history[2].signed_by.name == "Monitor B"


# --- 2. no identifying fields planted into someone's revision ----------------------------------


def _withheld_person(world: World) -> tuple[str, dict[str, Any]]:
    person = world.field.records.add(
        "person",
        {"pseudonym": "KG-7", "real_name": "Асель", "consent": {"share_with_coalition": "refused"}},
    ).record_id
    bundle = _send(world.field, world.hub, stick=world.stick)
    import_bundle(world.hub, bundle)
    (line,) = revision_lines(_entries(bundle, world.hub))
    assert "sensitive" not in line and body_of(line)["sensitive"]["fields"] == ["real_name"]
    return person, line


def test_identifying_fields_cannot_be_planted_into_a_withheld_revision(
    world: World, tmp_path: Path
) -> None:
    person, line = _withheld_person(world)
    planted = {**line, "sensitive": {"real_name": "Чужое имя"}, "sensitive_salt": "00" * 32}
    bundle = _colleague_bundle(world, [planted], tmp_path / "s.bin")
    _refused(world.hub, bundle, "revision_sensitive_mismatch")
    view = world.hub.records.get(person)
    assert view.withheld == ("real_name",)


def test_a_withheld_revision_is_never_filled_in_place(world: World, tmp_path: Path) -> None:
    """Even the author's genuine values, arriving later for the same revision, do not change
    the copy held; the receipt says it was not kept complete, so the author keeps them."""
    person, line = _withheld_person(world)
    with world.field.reading() as conn:
        revision = stored_revision(conn, person, 1)
    assert revision.salt is not None
    complete = {**line, "sensitive": revision.sensitive, "sensitive_salt": revision.salt.hex()}
    world.field.records.add("place", {"name": "ИВС", "place_type": "police_station"})
    own = _send(world.field, world.hub, stick=world.stick)
    bundle = craft(own, world.hub, lambda e: with_lines(e, [complete], world.field), tmp_path / "c")
    before = world.hub.conn.execute("SELECT * FROM revisions").fetchall()
    result = import_bundle(world.hub, bundle)
    assert (result.unchanged, result.revisions_added) == (1, 0)
    assert world.hub.conn.execute("SELECT * FROM revisions").fetchall() == before
    assert world.hub.records.get(person, reveal_sensitive=True).sensitive == {}
    receipt = export_receipt(world.hub, result.summary.bundle_id, world.stick)
    manifest = json.loads(receipt_manifest(receipt.path, world.field))
    assert manifest["receipt"]["not_kept"] == [
        {"item": "revision", "key": revision.hash, "reason": "held_without_sensitive"}
    ]


# --- 3. a receipt never confirms what its writer dropped ---------------------------------------


def test_a_revision_skipped_by_the_receiver_is_never_purged(world: World) -> None:
    record_id = _incident(world.field)
    bundle = _send(world.field, world.hub, stick=world.stick)
    result = import_bundle(world.hub, bundle)
    import_bundle(
        world.field, export_receipt(world.hub, result.summary.bundle_id, world.stick).path
    )
    # The hub purges the record itself (its own custodian, the coordinator, holds it).
    coordinator = _vault(world.stick.parent, "Coordinator")
    try:
        _know(world.hub, coordinator)
        _know(coordinator, world.hub)
        world.hub.contacts.set_custodian(coordinator.identity.fingerprint, True)
        forwarded = _send(world.hub, coordinator, stick=world.stick)
        got = import_bundle(coordinator, forwarded)
        import_bundle(
            world.hub, export_receipt(coordinator, got.summary.bundle_id, world.stick).path
        )
        assert record_id in purge.purge_handed_off(world.hub).purged
    finally:
        coordinator.lock()
    # The field edits the record; the hub skips the revision (purged there).
    world.field.records.edit(record_id, {"title": "Новые подробности"})
    later = import_bundle(world.hub, _send(world.field, world.hub, stick=world.stick))
    assert later.purged_skipped == 1
    receipt = export_receipt(world.hub, later.summary.bundle_id, world.stick)
    manifest = json.loads(receipt_manifest(receipt.path, world.field))
    edited = world.field.records.get(record_id).revision_hash
    assert manifest["receipt"]["not_kept"] == [
        {"item": "revision", "key": edited, "reason": "purged_here"}
    ]
    import_bundle(world.field, receipt.path)
    result = purge.purge_handed_off(world.field)
    assert record_id not in result.purged
    assert world.field.records.get(record_id).fields["title"] == "Новые подробности"


def receipt_manifest(path: Path, recipient: UnlockedVault) -> bytes:
    from tests.bundle_tools import member_data

    return member_data(_entries(path, recipient), "manifest.json")


def test_a_receipt_listing_a_revision_never_sent_is_refused(world: World, tmp_path: Path) -> None:
    _incident(world.field)
    result = import_bundle(world.hub, _send(world.field, world.hub, stick=world.stick))
    receipt = export_receipt(world.hub, result.summary.bundle_id, world.stick)

    def claim_more(entries: list[TarEntry]) -> list[TarEntry]:
        manifest = manifest_of(entries)
        manifest["receipt"]["kept"]["revisions"] = sorted(
            [*manifest["receipt"]["kept"]["revisions"], "ab" * 32]
        )
        return signed(with_manifest(entries, manifest), world.hub)

    forged = craft(receipt.path, world.field, claim_more, tmp_path / "r.bin")
    _refused(world.field, forged, "receipt_lists_unsent")
    with world.field.reading() as conn:
        assert purge.plan(conn).purge == ()


# --- 4. co-recipients: no purge on their word, no blocking by bundle id ------------------------


def test_a_receipt_from_a_co_recipient_who_is_no_custodian_purges_nothing(world: World) -> None:
    record_id = _incident(world.field)
    bundle = _send(world.field, world.hub, world.colleague, stick=world.stick)
    got = import_bundle(world.colleague, bundle)
    receipt = export_receipt(world.colleague, got.summary.bundle_id, world.stick)
    assert import_bundle(world.field, receipt.path).status == "imported"
    result = purge.purge_handed_off(world.field)
    assert result.purged == ()
    assert world.field.records.get(record_id).record_id == record_id


def test_a_co_recipient_cannot_block_a_bundle_by_sending_its_id_first(
    world: World, tmp_path: Path
) -> None:
    _incident(world.field)
    genuine = _send(world.field, world.hub, world.colleague, stick=world.stick)
    bundle_id = json.loads(receipt_manifest(genuine, world.colleague))["bundle_id"]
    _incident(world.colleague, "Пустышка")
    own = _send(world.colleague, world.hub, stick=world.stick)

    def same_id(entries: list[TarEntry]) -> list[TarEntry]:
        manifest = {**manifest_of(entries), "bundle_id": bundle_id}
        return signed(with_manifest(entries, manifest), world.colleague)

    squatter = craft(own, world.hub, same_id, tmp_path / "squat.bin")
    assert import_bundle(world.hub, squatter).status == "imported"
    result = import_bundle(world.hub, genuine)
    assert (result.status, result.records_added) == ("imported", 1)


# --- 5. who signed is what this vault's contacts say -------------------------------------------


def test_a_contact_calling_itself_the_hub_is_shown_by_its_stored_name(
    world: World, tmp_path: Path
) -> None:
    _incident(world.colleague)
    contact = world.colleague.contacts.get(world.hub.identity.fingerprint)
    # The colleague's card in the bundle says "Coalition Hub".
    card = world.colleague.identity.card(name="Coalition Hub", organisation="Coalition")
    bundle = export_bundle(world.colleague, world.stick, contacts=[contact]).path

    def renamed(entries: list[TarEntry]) -> list[TarEntry]:
        manifest = manifest_of(entries)
        manifest["author"]["card"] = card.hex()
        return signed(with_manifest(entries, manifest), world.colleague)

    impostor = craft(bundle, world.hub, renamed, tmp_path / "hub.bin")
    result = import_bundle(world.hub, impostor)
    assert (result.summary.author_name, result.summary.signer_verified) == ("Monitor A", True)
    (record,) = [r for r in world.hub.records.list() if r.display == "Избиение при допросе"]
    view = world.hub.records.get(record.record_id)
    assert view.author is not None and view.author.name == "Monitor A"


# --- forwarding: who wrote, who brought -------------------------------------------------------


def test_a_forwarded_revision_by_an_unknown_author_is_shown_unverified(
    world: World, tmp_path: Path
) -> None:
    record_id, _ = _testimony(world)
    coordinator = _vault(tmp_path, "Coordinator")
    try:
        _know(world.hub, coordinator)
        _know(coordinator, world.hub)  # the coordinator has never met monitor B
        result = import_bundle(coordinator, _send(world.hub, coordinator, stick=world.stick))
        assert result.records_added == 1
        view = coordinator.records.get(record_id)
        assert view.author is not None and view.brought_by is not None
        assert (view.author.status, view.author.name) == ("unverified", None)
        assert view.author.key == world.field.identity.signing_public_key.hex()
        assert (view.brought_by.status, view.brought_by.name) == ("verified", "Hub")
        # Once the coordinator verifies monitor B, the same revision shows as B's.
        _know(coordinator, world.field)
        view = coordinator.records.get(record_id)
        assert view.author is not None
        assert (view.author.status, view.author.name) == ("verified", "Monitor B")
    finally:
        coordinator.lock()


# --- 6. smaller ones ---------------------------------------------------------------------------


def test_a_lone_surrogate_in_a_bundle_is_refused_with_a_typed_error(
    world: World, tmp_path: Path
) -> None:
    _, line = _testimony(world)
    # A lone surrogate, escaped as JSON allows: no UTF-8 text holds one.
    broken = canonical.dumps(line).replace("Показания".encode(), b"\\ud800")
    _incident(world.colleague, "Своя запись")
    own = _send(world.colleague, world.hub, stick=world.stick)
    bundle = craft(
        own,
        world.hub,
        lambda e: with_lines(e, [line], world.colleague, raw={0: broken}),
        tmp_path / "u.bin",
    )
    error = _refused(world.hub, bundle, "bundle_record_invalid")
    assert error.params["reason"] == "text_not_encodable"


def test_deleted_records_are_purged_once_confirmed(world: World) -> None:
    record_id = _incident(world.field)
    result = import_bundle(world.hub, _send(world.field, world.hub, stick=world.stick))
    world.field.records.delete(record_id, "дубликат")
    import_bundle(
        world.field, export_receipt(world.hub, result.summary.bundle_id, world.stick).path
    )
    assert purge.purge_handed_off(world.field).purged == (record_id,)
    with pytest.raises(MonitorError) as caught:
        world.field.records.get(record_id)
    assert caught.value.code == "record_purged"


def test_record_show_and_history_say_there_is_a_conflict(
    world: World, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    record_id, _ = _testimony(world)
    world.hub.records.edit(record_id, {"title": "Правка хаба"})
    world.field.records.edit(record_id, {"title": "Правка автора"})
    import_bundle(world.hub, _send(world.field, world.hub, stick=world.stick))
    secret = tmp_path / "pass"
    secret.write_text(PASSPHRASE + "\n")
    base = ["--vault", str(world.hub.path), "--passphrase-file", str(secret)]
    shown = invoke(capsys, [*base, "record", "show", record_id])
    assert json.loads(shown.out)["conflicts"] == 1
    assert "CONFLICT" in shown.err
    history = invoke(capsys, [*base, "record", "history", record_id]).out.splitlines()
    assert len(history) == 3
    assert "CONFLICT: another revision has the same parent" in history[2]
    assert "Monitor B" in history[2] and "brought by Monitor B" in history[2]
    data = invoke(capsys, ["--json", *base, "record", "history", record_id]).json
    assert [r["conflict"] for r in data["result"]["revisions"]] == [None, None, "fork"]


# --- the documented check, from the document itself --------------------------------------------


def _documented_script() -> str:
    text = (Path(__file__).parent.parent / "docs" / "bundle-format.md").read_text()
    after = text.split("<!-- verify-revision.py -->\n```python\n", 1)[1]
    return after.split("\n```\n", 1)[0]


def test_a_revision_checks_with_the_documented_script(world: World, tmp_path: Path) -> None:
    """The steps of docs/bundle-format.md: unpack with age and tar, then the script, with the
    author's key as `monitorctl identity show` gives it; a forwarded revision checks the
    same, and an altered one does not."""
    import subprocess
    import sys

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from monitor_app.crypto import minisign
    from tests.bundle_tools import age_identity_file, unpack_with_standard_tools

    record_id, _ = _testimony(world)
    forwarded = _send(world.hub, world.colleague, stick=world.stick)  # the hub forwards it
    (tmp_path / "w").mkdir()
    out = unpack_with_standard_tools(
        forwarded, age_identity_file(world.colleague, tmp_path), tmp_path / "w"
    )
    script = tmp_path / "verify-revision.py"
    script.write_text(_documented_script())
    author = minisign.public_key_base64(world.key_of(world.field).public_key())

    def check(key: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(script), str(out / "records.jsonl"), "1", key],
            capture_output=True,
            text=True,
        )

    done = check(author)
    assert done.returncode == 0, done.stderr
    expected = world.field.records.get(record_id).revision_hash
    assert done.stdout.splitlines()[0] == f"revision {expected}"
    other = minisign.public_key_base64(Ed25519PrivateKey.generate().public_key())
    assert "NOT SIGNED BY THIS KEY" in check(other).stderr
    records = out / "records.jsonl"
    records.write_text(records.read_text().replace("Показания", "Выдумка"))
    assert check(author).returncode != 0


# --- migration: a vault from before signatures existed ------------------------------------------


def test_a_vault_from_before_signatures_signs_its_own_and_never_vouches_for_received(
    world: World, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    received_id, _ = _testimony(world)
    own_id = _incident(world.hub, "Запись хаба")
    with world.hub.transaction() as conn:  # what schema version 7 held: no hashes, no keys
        conn.execute(
            "UPDATE revisions SET hash = NULL, parent = NULL, author_key = NULL,"
            " signature = NULL, sensitive_salt = NULL, sensitive_digest = NULL"
        )
        conn.execute(
            "UPDATE revisions SET author = ? WHERE record_id = ?", ("field-vault-id", received_id)
        )
    path = world.hub.path
    world.hub.lock()
    world.hub = lifecycle.unlock(path, PASSPHRASE)

    (own,) = world.hub.records.history(own_id)
    assert own.signed_by is not None and own.signed_by.status == "own"
    assert own.signed_by.key == world.hub.identity.keys().signing_public.hex()
    (received,) = world.hub.records.history(received_id)
    assert received.signed_by is not None and received.signed_by.status == "unsigned"
    assert received.hash and own.hash  # both are on a chain, named by their hash
    secret = tmp_path / "pass"
    secret.write_text(PASSPHRASE + "\n")
    base = ["--vault", str(path), "--passphrase-file", str(secret)]
    (line,) = invoke(capsys, [*base, "record", "history", received_id]).out.splitlines()
    assert "received before revisions were signed" in line and "NOT VERIFIED" not in line
    with world.hub.reading() as conn:
        (entry,) = [e for e in audit.entries(conn) if e.action == "revisions_signed"]
    assert entry.details == {"signed": 1, "received_unsigned": 1}

    # Sent on, only what the hub can vouch for travels; the colleague gets it verified.
    bundle = _send(world.hub, world.colleague, stick=world.stick)
    sent = [body_of(line) for line in revision_lines(_entries(bundle, world.colleague))]
    assert [body["record_id"] for body in sent] == [own_id]
    assert import_bundle(world.colleague, bundle).records_added == 1
    (copy,) = world.colleague.records.history(own_id)
    assert copy.signed_by is not None and copy.signed_by.status == "verified"


# --- end to end: field -> regional hub -> coordinator -------------------------------------------


def test_field_regional_hub_coordinator_end_to_end(world: World) -> None:
    """The coordinator holds every revision, each provably by the monitor who wrote it; the
    field purges only what the regional hub's receipt lists as kept; a revision the hub
    skipped (it had purged the record) stays at the field."""
    field, hub = world.field, world.hub
    coordinator = _vault(world.stick.parent, "Coordinator")
    try:
        for a, b in [(hub, coordinator), (coordinator, hub), (coordinator, field)]:
            _know(a, b)
        hub.contacts.set_custodian(coordinator.identity.fingerprint, True)
        testimony = _incident(field)
        field.records.edit(testimony, {"title": "Избиение, уточнено"})
        earlier = _incident(field, "Первый случай")
        withheld = field.records.add(
            "person",
            {
                "pseudonym": "Свидетель А",
                "real_name": "Настоящее имя",
                "consent": {"share_with_coalition": "refused"},
            },
        ).record_id
        hashes = [r.hash for r in field.records.history(testimony)]

        # Field -> regional hub, receipt back. The field then adds to the testimony: the
        # purge takes only what the hub kept in full, nothing written since.
        sent = import_bundle(hub, _send(field, hub, stick=world.stick))
        import_bundle(field, export_receipt(hub, sent.summary.bundle_id, world.stick).path)
        field.records.edit(testimony, {"description": "Дополнение после передачи"})
        first = purge.purge_handed_off(field)
        assert first.purged == (earlier,) and first.kept_withheld == (withheld,)

        # Regional hub -> coordinator: the monitor's signatures travel with the revisions.
        forwarded = import_bundle(coordinator, _send(hub, coordinator, stick=world.stick))
        assert forwarded.records_added == 3
        history = coordinator.records.history(testimony)
        assert [r.hash for r in history] == hashes
        field_key = field.identity.keys().signing_public.hex()
        for revision in history:
            assert revision.signed_by is not None and revision.brought_by is not None
            assert (revision.signed_by.status, revision.signed_by.key) == ("verified", field_key)
            assert revision.signed_by.name == "Monitor B"
            assert revision.brought_by.name == "Hub"
        with coordinator.reading() as conn:
            for number in (1, 2):
                provenance.verify(stored_revision(conn, testimony, number))  # raises if not
        receipt = export_receipt(coordinator, forwarded.summary.bundle_id, world.stick)
        import_bundle(hub, receipt.path)
        assert testimony in purge.purge_handed_off(hub).purged

        # The addition reaches the hub after it purged the record: skipped there, so the
        # field keeps it whatever the receipt confirms of the rest of that bundle.
        other = _incident(field, "Новый случай")
        later = import_bundle(hub, _send(field, hub, stick=world.stick))
        assert later.purged_skipped == 1
        import_bundle(field, export_receipt(hub, later.summary.bundle_id, world.stick).path)
        second = purge.purge_handed_off(field)
        assert other in second.purged and testimony not in second.purged
        kept = field.records.get(testimony).fields["description"]
        assert kept == "Дополнение после передачи"
    finally:
        coordinator.lock()
