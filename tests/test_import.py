"""Import: a bundle from a field vault merges into the hub exactly once, only from a verified
signer, only when addressed to the hub, never from a damaged file, and never overwriting."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from monitor_app.bundles import reading
from monitor_app.bundles.export import export_bundle
from monitor_app.bundles.importing import import_bundle, verify_bundle
from monitor_app.bundles.reading import parse_manifest
from monitor_app.crypto import age
from monitor_app.errors import Cancelled, MonitorError
from monitor_app.jobs import CancelToken
from monitor_app.records import audit
from monitor_app.vault import lifecycle
from monitor_app.vault.session import UnlockedVault
from tests.bundle_tools import add_sample_case
from tests.conftest import PASSPHRASE
from tests.vault_checks import snapshot

REAL_NAME = "Канарейка Реальное Имя 金丝雀"
ATTACHMENT = b"\x89PNG fake photo " * 9000  # more than two STREAM chunks
TABLES = ("records", "revisions", "attachments", "audit", "bundles_in", "conflicts")


@pytest.fixture
def field(vault: UnlockedVault, hub: UnlockedVault) -> UnlockedVault:
    """A field vault that knows and has verified the hub, holding a few records."""
    vault.contacts.add(hub.identity.card(), verified=True)
    add_sample_case(vault, real_name=REAL_NAME, share_consent="given", attachment=ATTACHMENT)
    return vault


def _export(field: UnlockedVault, stick: Path, **kwargs: object) -> Path:
    contacts = kwargs.pop("contacts", None) or [field.contacts.get("Hub")]
    return export_bundle(field, stick, contacts=contacts, **kwargs).path  # type: ignore[arg-type]


def _trust(hub: UnlockedVault, field: UnlockedVault, verified: bool = True) -> None:
    hub.contacts.add(field.identity.card(), verified=verified)


def _counts(vault: UnlockedVault) -> dict[str, int]:
    return {t: vault.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


def _blob_files(vault: UnlockedVault) -> set[str]:
    root = vault.blobs.root
    return {p.name for p in root.iterdir()} if root.is_dir() else set()


def _referenced_blobs(vault: UnlockedVault) -> set[str]:
    return {str(r[0]) for r in vault.conn.execute("SELECT blob_name FROM attachments")}


def _audit_actions(vault: UnlockedVault) -> list[str]:
    return [str(r[0]) for r in vault.conn.execute("SELECT action FROM audit ORDER BY seq")]


def _state(vault: UnlockedVault) -> dict[str, str]:
    """Every file of the vault, byte for byte, but SQLite's shared-memory WAL index (rewritten
    by mere reads, and never vault data)."""
    return {k: v for k, v in snapshot(vault.path).items() if not k.endswith("-shm")}


def _identity_file(vault: UnlockedVault, directory: Path) -> Path:
    identity = age.X25519Identity(vault.identity.keys().encryption_private)
    path = directory / "identity.txt"
    path.write_text(identity.encode() + "\n")
    return path


@pytest.mark.parametrize("kept", [True, False], ids=["kept_parsed", "read_again"])
def test_round_trip_field_to_hub(
    field: UnlockedVault,
    hub: UnlockedVault,
    stick: Path,
    kept: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A large bundle's revisions are read a second time for the merge instead of being kept.
    reads = _count_record_reads(monkeypatch)
    if not kept:
        monkeypatch.setattr(reading, "KEEP_PARSED_BYTES", 0)
    _trust(hub, field)
    bundle = _export(field, stick)
    before = _blob_files(hub)
    summary = verify_bundle(hub, bundle)
    assert (summary.revisions, summary.records, summary.attachments) == (4, 3, 1)
    assert summary.author_name == "Test Monitor" and summary.signer_verified
    assert _blob_files(hub) == before  # verifying stages nothing that stays

    progress: list[tuple[int, int | None]] = []
    result = import_bundle(hub, bundle, progress=lambda d, t: progress.append((d, t)))
    assert result.status == "imported"
    assert (result.records_added, result.revisions_added, result.attachments_added) == (3, 4, 1)
    assert (result.conflicts, result.missing) == (0, ())
    assert progress and progress[-1][0] == progress[-1][1] == bundle.stat().st_size

    for summary_row in field.records.list():
        mine = field.records.get(summary_row.record_id, reveal_sensitive=True)
        theirs = hub.records.get(summary_row.record_id, reveal_sensitive=True)
        # The same signed revision, content and hash; written by the field, as the hub's
        # own contact list names it, and brought by the same verified contact.
        assert (theirs.fields, theirs.sensitive) == (mine.fields, mine.sensitive)
        assert theirs.revision_hash == mine.revision_hash
        assert mine.author is not None and mine.author.status == "own"
        assert theirs.author is not None and theirs.brought_by is not None
        assert (theirs.author.status, theirs.author.name) == ("verified", "Test Monitor")
        assert theirs.brought_by.fingerprint == field.identity.fingerprint
        assert [
            (h.hash, h.parent, h.changed_fields) for h in hub.records.history(mine.record_id)
        ] == [(h.hash, h.parent, h.changed_fields) for h in field.records.history(mine.record_id)]
    person = field.records.list("person")[0].record_id
    assert hub.records.get(person, reveal_sensitive=True).sensitive == {"real_name": REAL_NAME}
    incident = field.records.list("incident")[0].record_id
    (attachment,) = hub.attachments.list(incident)
    assert attachment.original_name == "photo.png"
    assert hub.attachments.read_bytes(attachment.attachment_id) == ATTACHMENT
    assert [h.record_id for h in hub.records.search("уточнено")] == [incident]
    assert not hub.records.search(REAL_NAME)  # sensitive fields are never indexed
    assert _blob_files(hub) == _referenced_blobs(hub)  # the staged records blob is gone
    assert "bundle_imported" in _audit_actions(hub)
    assert audit.verify(hub.conn).ok
    # Verifying reads the records once; the import once more when it keeps nothing parsed.
    assert reads == ([1, 1] if kept else [1, 2])


def _count_record_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times each bundle opening read its records, one entry per opening."""
    reads: list[int] = []
    original = reading.Staging._read_revisions
    opened = reading.Staging.check_revisions

    def check_revisions(self: reading.Staging, cancel: CancelToken | None = None) -> None:
        reads.append(0)
        opened(self, cancel)

    def read_revisions(self: reading.Staging, cancel: CancelToken | None) -> Any:
        reads[-1] += 1
        yield from original(self, cancel)

    monkeypatch.setattr(reading.Staging, "check_revisions", check_revisions)
    monkeypatch.setattr(reading.Staging, "_read_revisions", read_revisions)
    return reads


def test_the_same_bundle_twice_changes_nothing(
    field: UnlockedVault, hub: UnlockedVault, stick: Path
) -> None:
    _trust(hub, field)
    bundle = _export(field, stick)
    assert import_bundle(hub, bundle).status == "imported"
    counts, blobs = _counts(hub), _blob_files(hub)
    again = import_bundle(hub, bundle)
    assert again.status == "already_imported"
    assert (again.records_added, again.revisions_added, again.attachments_added) == (0, 0, 0)
    assert _counts(hub) == counts and _blob_files(hub) == blobs


def test_unverified_signer_is_quarantined_until_verified(
    field: UnlockedVault, hub: UnlockedVault, stick: Path
) -> None:
    bundle = _export(field, stick)
    unknown = import_bundle(hub, bundle)  # the signer is not a contact at all
    assert unknown.status == "quarantined" and not unknown.summary.signer_known
    _trust(hub, field, verified=False)
    result = import_bundle(hub, bundle)
    assert result.status == "quarantined"
    assert result.summary.signer_known and not result.summary.signer_verified
    assert result.summary.author_fingerprint == field.identity.fingerprint
    assert result.summary.author_name == "Test Monitor"
    assert (result.summary.revisions, result.summary.attachments) == (4, 1)
    assert hub.records.count() == 0 and _counts(hub)["bundles_in"] == 0
    assert _blob_files(hub) == set()
    assert _audit_actions(hub).count("bundle_quarantined") == 2

    hub.contacts.verify(field.identity.fingerprint)
    assert import_bundle(hub, bundle).status == "imported"
    assert hub.records.count() == 3


def test_bundles_not_for_this_vault_are_refused(
    field: UnlockedVault, hub: UnlockedVault, stick: Path, tmp_path: Path
) -> None:
    _trust(hub, field)
    other, _ = lifecycle.create_vault(tmp_path / "other", PASSPHRASE, name="Other")
    try:
        other_contact = field.contacts.add(other.identity.card(), verified=True)
    finally:
        other.lock()
    not_ours = _export(field, stick, contacts=[other_contact])
    # Encrypted to the hub as an archive key, but signed for "other" only: a forwarded bundle.
    hub_age = str(age.X25519Identity(hub.identity.keys().encryption_private).recipient)
    forwarded = _export(field, stick, contacts=[other_contact], archive_recipients=[hub_age])

    counts = _counts(hub)
    with pytest.raises(MonitorError) as caught:
        import_bundle(hub, not_ours)
    assert caught.value.code == "bundle_not_for_this_vault"
    assert _counts(hub) == counts
    with pytest.raises(MonitorError) as caught:
        import_bundle(hub, forwarded)
    assert caught.value.code == "bundle_not_addressed"
    assert hub.records.count() == 0 and _blob_files(hub) == set()
    assert _audit_actions(hub)[-1] == "bundle_refused"
    details = hub.conn.execute("SELECT details FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
    assert json.loads(details[0]) == {
        "reason": "bundle_not_addressed",
        "detail": "forwarded_or_misdirected",
        "bundle_id": caught.value.params["bundle_id"],
        "author_fingerprint": field.identity.fingerprint,
    }
    assert audit.verify(hub.conn).ok


def test_own_bundle_is_refused(field: UnlockedVault, stick: Path) -> None:
    own_age = str(age.X25519Identity(field.identity.keys().encryption_private).recipient)
    bundle = _export(field, stick, archive_recipients=[own_age])
    with pytest.raises(MonitorError) as caught:
        import_bundle(field, bundle)
    assert caught.value.code == "bundle_from_self"


@pytest.mark.parametrize("where", [0.5, 0.02, 0.9999999])
def test_a_tampered_byte_is_refused_and_changes_nothing(
    field: UnlockedVault, hub: UnlockedVault, stick: Path, where: float
) -> None:
    _trust(hub, field)
    bundle = _export(field, stick)
    data = bytearray(bundle.read_bytes())
    data[int(len(data) * where)] ^= 0x01
    bundle.write_bytes(bytes(data))
    before = _state(hub)
    with pytest.raises(MonitorError) as caught:
        import_bundle(hub, bundle)
    assert caught.value.code == "bundle_damaged"
    with pytest.raises(MonitorError):
        verify_bundle(hub, bundle)
    assert _state(hub) == before  # no staged blob left, no row, no audit entry


def _reencrypt(hub: UnlockedVault, bundle: Path, work: Path, edit: bytes | None = None) -> Path:
    plain = work / "bundle.tar"
    identity = _identity_file(hub, work)
    subprocess.run(["age", "-d", "-i", str(identity), "-o", str(plain), str(bundle)], check=True)
    if edit is not None:
        data = plain.read_bytes()
        at = data.index(edit)
        plain.write_bytes(data[:at] + edit.upper() + data[at + len(edit) :])
    recipient = age.X25519Identity(hub.identity.keys().encryption_private).recipient
    out = work / "again.age"
    subprocess.run(["age", "-r", str(recipient), "-o", str(out), str(plain)], check=True)
    plain.unlink()
    return out


def test_a_bundle_reencrypted_by_the_age_cli_imports(
    field: UnlockedVault, hub: UnlockedVault, stick: Path, tmp_path: Path
) -> None:
    _trust(hub, field)
    again = _reencrypt(hub, _export(field, stick), tmp_path)
    result = import_bundle(hub, again)
    assert result.status == "imported" and result.records_added == 3


def test_altered_content_under_a_valid_encryption_is_refused(
    field: UnlockedVault, hub: UnlockedVault, stick: Path, tmp_path: Path
) -> None:
    _trust(hub, field)
    altered = _reencrypt(hub, _export(field, stick), tmp_path, edit=b"police_station")
    before = _state(hub)
    with pytest.raises(MonitorError) as caught:
        import_bundle(hub, altered)
    assert caught.value.code == "bundle_malformed"
    assert _state(hub) == before


def test_a_sequence_gap_is_reported_and_older_never_replaces_newer(
    field: UnlockedVault, hub: UnlockedVault, stick: Path
) -> None:
    _trust(hub, field)
    first = _export(field, stick)
    place = field.records.list("place")[0].record_id
    field.records.edit(place, {"region": "Чуй"})
    second = _export(field, stick)

    result = import_bundle(hub, second)
    assert result.status == "imported" and result.missing == (1,)
    assert result.summary.sequence == 2 and result.summary.follows == 1
    edited = field.records.get(place).revision_hash
    assert hub.records.get(place).revision_hash == edited

    result = import_bundle(hub, first)
    assert result.missing == ()
    assert result.revisions_added == 4 and result.records_updated == 0
    current = hub.records.get(place)
    assert current.revision_hash == edited and current.fields["region"] == "Чуй"
    history = hub.records.history(place)
    # Stored here in the order they came; the chain is the field's, and nothing conflicts.
    assert [(r.hash, r.conflict) for r in history] == [(edited, None), (history[1].hash, None)]
    assert history[0].parent == history[1].hash and history[1].parent is None
    assert [h.record_id for h in hub.records.search("Чуй")] == [place]


def test_a_conflicting_revision_is_kept_and_flagged(
    field: UnlockedVault, hub: UnlockedVault, stick: Path
) -> None:
    _trust(hub, field)
    import_bundle(hub, _export(field, stick))
    place = field.records.list("place")[0].record_id
    hub.records.edit(place, {"region": "Ош"})  # revision 2 at the hub
    field.records.edit(place, {"region": "Чуй"})  # another revision 2 in the field
    result = import_bundle(hub, _export(field, stick))
    assert result.status == "imported" and result.conflicts == 1
    assert result.revisions_added == 1  # kept, beside the hub's own: a fork of revision 1
    current = hub.records.get(place)
    assert current.fields["region"] == "Ош" and current.conflicts == 1  # never overwritten
    rows = hub.conn.execute("SELECT record_id, hash, bundle_id, reason FROM conflicts").fetchall()
    forked = field.records.get(place).revision_hash
    assert rows == [(place, forked, result.summary.bundle_id, "fork")]
    history = hub.records.history(place)
    assert [(h.revision, h.conflict, h.current) for h in history] == [
        (1, None, False),
        (2, None, True),
        (3, "fork", False),
    ]
    assert history[1].parent == history[2].parent == history[0].hash
    assert hub.records.get(place, revision=3).fields["region"] == "Чуй"


def test_cancel_leaves_nothing_staged(
    field: UnlockedVault, hub: UnlockedVault, stick: Path
) -> None:
    _trust(hub, field)
    bundle = _export(field, stick)
    token = CancelToken()
    before = _state(hub)
    with pytest.raises(Cancelled):
        import_bundle(hub, bundle, progress=lambda done, total: token.cancel(), cancel=token)
    assert _state(hub) == before


@pytest.mark.parametrize(
    ("manifest", "code", "reason"),
    [
        (b'{"format":"monitor_app-bundle","version":2,"new":1}', "bundle_too_new", None),
        (b'{"format":"monitor_app-bundle","format":"x"}', "bundle_malformed", "duplicate_key"),
        (b'{"format":"monitor_app-bundle","version":1}', "bundle_malformed", "manifest_keys"),
        (b'{"format":"monitor_app-bundle","version":true}', "bundle_malformed", None),
        (b"[1, NaN]", "bundle_malformed", "json"),
    ],
)
def test_the_manifest_is_parsed_strictly(manifest: bytes, code: str, reason: str | None) -> None:
    with pytest.raises(MonitorError) as caught:
        parse_manifest(manifest)
    assert caught.value.code == code
    if reason is not None:
        assert caught.value.params["reason"] == reason


def test_one_content_for_two_attachments_gives_each_its_own_blob(
    field: UnlockedVault, hub: UnlockedVault, stick: Path
) -> None:
    _trust(hub, field)
    incident = field.records.list("incident")[0].record_id
    field.attachments.add_stream(incident, io.BytesIO(ATTACHMENT), original_name="copy.png")
    result = import_bundle(hub, _export(field, stick))
    assert result.attachments_added == 2
    attachments = hub.attachments.list(incident)
    assert sorted(a.original_name for a in attachments) == ["copy.png", "photo.png"]
    for attachment in attachments:
        assert hub.attachments.read_bytes(attachment.attachment_id) == ATTACHMENT
    assert _blob_files(hub) == _referenced_blobs(hub) and len(_blob_files(hub)) == 2
