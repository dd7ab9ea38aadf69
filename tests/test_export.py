"""Export: a bundle that the standard tools (age, tar, minisign, sha256sum) check without this
app, redacted by consent, sized into buckets, and recorded only once it read back whole."""

from __future__ import annotations

import fcntl
import hashlib
import json
from pathlib import Path

import pytest

from monitor_app.bundles import layout
from monitor_app.bundles.export import export_bundle
from monitor_app.crypto import age
from monitor_app.errors import Cancelled, MonitorError
from monitor_app.fsutil import atomic_writer, remove_unfinished_files
from monitor_app.jobs import CancelToken
from monitor_app.records import audit
from monitor_app.vault import lifecycle
from monitor_app.vault.session import UnlockedVault
from tests.bundle_tools import (
    add_sample_case,
    age_identity_file,
    check_signed_sums,
    unpack_with_standard_tools,
)
from tests.conftest import PASSPHRASE
from tests.vault_checks import snapshot

REAL_NAME = "Канарейка Реальное Имя 金丝雀"
ATTACHMENT = b"\x89PNG fake photo " * 5000


@pytest.fixture
def field(vault: UnlockedVault, hub: UnlockedVault) -> UnlockedVault:
    """A field vault that knows and has verified the hub, holding a few records."""
    contact = vault.contacts.add(hub.identity.card(), verified=True)
    assert contact.verified
    add_sample_case(vault, real_name=REAL_NAME, share_consent="refused", attachment=ATTACHMENT)
    return vault


def test_standard_tools_check_the_bundle(
    field: UnlockedVault, hub: UnlockedVault, tmp_path: Path
) -> None:
    stick = tmp_path / "stick"
    stick.mkdir()
    hub_contact = field.contacts.get("Hub")
    result = export_bundle(field, stick, contacts=[hub_contact])
    assert [p.name for p in stick.iterdir()] == [result.path.name]
    assert result.path.name.endswith(".bin") and len(result.path.name) == 20
    assert (result.revisions, result.attachments, result.redacted_people) == (4, 1, 1)

    out = unpack_with_standard_tools(result.path, age_identity_file(hub, tmp_path), tmp_path)
    names = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    digest = hashlib.sha256(ATTACHMENT).hexdigest()
    assert names == sorted(
        [
            "SHA256SUMS",
            "SHA256SUMS.minisig",
            "manifest.json",
            "records.jsonl",
            f"attachments/{digest}",
            "padding",
        ]
    )
    check_signed_sums(out, field, result.bundle_id, "records")

    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["bundle_id"] == result.bundle_id
    assert manifest["author"]["fingerprint"] == field.identity.fingerprint
    assert manifest["recipients"] == [hub.identity.fingerprint]
    assert manifest["sequence"] == 1
    assert manifest["follows"] == {hub.identity.fingerprint: None}
    assert len(manifest["records"]) == 4
    assert manifest["attachments"][0]["original_name"] == "photo.png"
    lines = (out / "records.jsonl").read_bytes().split(b"\n")
    assert lines[-1] == b""
    for entry, line in zip(manifest["records"], lines[:-1], strict=True):
        assert hashlib.sha256(line).hexdigest() == entry["sha256"]
        body = json.loads(json.loads(line)["signed"])
        assert body["record_id"] == entry["record_id"]
    assert (out / f"attachments/{digest}").read_bytes() == ATTACHMENT
    # The person refused sharing: the real name never left the vault.
    for path in out.rglob("*"):
        if path.is_file():
            assert REAL_NAME.encode() not in path.read_bytes()
    # Nothing outside the encryption names author, recipients or content. Every needle is long
    # enough (9 bytes or more) that 1 MiB of ciphertext cannot hold it by chance: a 3-byte
    # name such as "Hub" turns up in random bytes of that size about one time in sixteen.
    raw = result.path.read_bytes()
    needles = [
        b"Test Monitor",
        b"Test Org",
        b"photo.png",
        field.identity.fingerprint.encode(),
        hub.identity.fingerprint.encode(),
        hub.identity.encryption_public_key,
        field.identity.signing_public_key,
    ]
    for needle in needles:
        assert len(needle) >= 8
        assert needle not in raw
    assert len(raw) >= layout.MIN_BUNDLE_SIZE


def test_consent_given_sends_identifying_fields(
    field: UnlockedVault, hub: UnlockedVault, tmp_path: Path
) -> None:
    person = field.records.list("person")[0].record_id
    field.records.edit(person, {"consent": {"share_with_coalition": "given"}})
    result = export_bundle(field, tmp_path, contacts=[field.contacts.get("Hub")])
    assert result.redacted_people == 0
    out = unpack_with_standard_tools(result.path, age_identity_file(hub, tmp_path), tmp_path)
    assert REAL_NAME.encode() in (out / "records.jsonl").read_bytes()


def test_withdrawn_consent_covers_earlier_revisions(
    field: UnlockedVault, hub: UnlockedVault, tmp_path: Path
) -> None:
    person = field.records.list("person")[0].record_id
    field.records.edit(person, {"consent": {"share_with_coalition": "given"}})
    field.records.edit(person, {"consent": {"share_with_coalition": "withdrawn"}})
    result = export_bundle(field, tmp_path, contacts=[field.contacts.get("Hub")])
    out = unpack_with_standard_tools(result.path, age_identity_file(hub, tmp_path), tmp_path)
    assert REAL_NAME.encode() not in (out / "records.jsonl").read_bytes()


def test_second_export_sends_only_what_is_new(field: UnlockedVault, tmp_path: Path) -> None:
    hub = field.contacts.get("Hub")
    first = export_bundle(field, tmp_path, contacts=[hub])
    with pytest.raises(MonitorError) as caught:
        export_bundle(field, tmp_path, contacts=[hub])
    assert caught.value.code == "export_nothing_new"
    place = field.records.list("place")[0].record_id
    field.records.edit(place, {"region": "Чуй"})
    second = export_bundle(field, tmp_path, contacts=[hub])
    assert (second.sequence, second.revisions, second.attachments) == (2, 1, 0)
    assert first.size == second.size  # small bundles all fall in the same bucket
    rows = field.conn.execute("SELECT count(*) FROM audit WHERE action = 'bundle_exported'")
    assert rows.fetchone()[0] == 2
    assert audit.verify(field.conn).ok


def test_archive_key_alone_and_selection(field: UnlockedVault, tmp_path: Path) -> None:
    archive = age.X25519Identity.generate()
    place = field.records.list("place")[0].record_id
    result = export_bundle(
        field, tmp_path, archive_recipients=[str(archive.recipient)], record_ids=[place]
    )
    assert (result.revisions, result.attachments) == (1, 0)
    identity = tmp_path / "archive.txt"
    identity.write_text(archive.encode() + "\n")
    (tmp_path / "w").mkdir()
    out = unpack_with_standard_tools(result.path, identity, tmp_path / "w")
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["archive_recipients"] == [str(archive.recipient)]
    assert [r["record_id"] for r in manifest["records"]] == [place]


def test_header_hides_the_number_of_recipients(field: UnlockedVault, tmp_path: Path) -> None:
    result = export_bundle(field, tmp_path, contacts=[field.contacts.get("Hub")])
    with result.path.open("rb") as handle:
        header = age.read_header(handle)
    assert len(header.stanzas) == 4


def test_refusals_leave_destination_and_vault_untouched(
    field: UnlockedVault, tmp_path: Path
) -> None:
    stick = tmp_path / "stick"
    stick.mkdir()
    other, _ = lifecycle.create_vault(tmp_path / "other", PASSPHRASE, name="Stranger")
    stranger = field.contacts.add(other.identity.card())
    other.lock()
    before = snapshot(stick)
    for kwargs, code in [
        ({}, "export_no_recipients"),
        ({"contacts": [stranger]}, "contact_not_verified"),
        ({"archive_recipients": ["age1notakey"]}, "age_recipient_invalid"),
    ]:
        with pytest.raises(MonitorError) as caught:
            export_bundle(field, stick, **kwargs)  # type: ignore[arg-type]
        assert caught.value.code == code
    with pytest.raises(MonitorError) as caught:
        export_bundle(field, tmp_path / "unplugged", contacts=[field.contacts.get("Hub")])
    assert caught.value.code == "export_destination_missing"
    assert snapshot(stick) == before
    assert field.conn.execute("SELECT count(*) FROM bundles_out").fetchone()[0] == 0


def test_cancel_leaves_nothing_that_could_pass_for_a_bundle(
    field: UnlockedVault, tmp_path: Path
) -> None:
    token = CancelToken()
    calls = []

    def progress(done: int, total: int | None) -> None:
        calls.append(done)
        token.cancel()

    with pytest.raises(Cancelled):
        export_bundle(
            field, tmp_path, contacts=[field.contacts.get("Hub")], progress=progress, cancel=token
        )
    assert calls
    assert [p.name for p in tmp_path.iterdir() if p.is_file()] == []
    assert field.conn.execute("SELECT count(*) FROM bundles_out").fetchone()[0] == 0


def test_a_damaged_attachment_aborts_the_export(field: UnlockedVault, tmp_path: Path) -> None:
    stick = tmp_path / "stick"
    stick.mkdir()
    (blob_name,) = [row[0] for row in field.conn.execute("SELECT blob_name FROM attachments")]
    blob = field.blobs.path_of(blob_name)
    data = bytearray(blob.read_bytes())
    data[len(data) // 2] ^= 1
    blob.write_bytes(bytes(data))
    with pytest.raises(MonitorError) as caught:
        export_bundle(field, stick, contacts=[field.contacts.get("Hub")])
    assert caught.value.code == "attachment_damaged"
    assert list(stick.iterdir()) == []
    assert field.conn.execute("SELECT count(*) FROM bundles_out").fetchone()[0] == 0


def test_an_unfinished_bundle_left_on_a_stick_goes_with_the_next_export(
    field: UnlockedVault, tmp_path: Path
) -> None:
    stick = tmp_path / "stick"
    stick.mkdir()
    unfinished = stick / ".tmp-0123456789abcdef"  # a pulled stick kept it
    unfinished.write_bytes(age.VERSION_LINE + b"-> X25519 partial")
    kept = {
        ".tmp-fedcba9876543210": b"another program's temporary file",
        ".tmp-notours": age.VERSION_LINE,
        "bundle.age": age.VERSION_LINE,
    }
    for name, data in kept.items():
        (stick / name).write_bytes(data)
    elsewhere = tmp_path / "elsewhere.age"
    elsewhere.write_bytes(age.VERSION_LINE)
    (stick / ".tmp-aaaaaaaaaaaaaaaa").symlink_to(elsewhere)
    being_written = stick / ".tmp-bbbbbbbbbbbbbbbb"
    being_written.write_bytes(age.VERSION_LINE)
    with being_written.open("rb") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)  # as an export under way holds it
        result = export_bundle(field, stick, contacts=[field.contacts.get("Hub")])
    names = {p.name for p in stick.iterdir()}
    assert names == {*kept, ".tmp-aaaaaaaaaaaaaaaa", being_written.name, result.path.name}
    assert elsewhere.read_bytes() == age.VERSION_LINE
    assert all((stick / name).read_bytes() == data for name, data in kept.items())


def test_a_file_being_written_is_not_taken_for_an_unfinished_one(tmp_path: Path) -> None:
    target = tmp_path / "bundle.age"
    with atomic_writer(target) as handle:
        handle.write(age.VERSION_LINE)
        handle.flush()
        assert remove_unfinished_files(tmp_path, age.VERSION_LINE) == 0
    assert target.read_bytes() == age.VERSION_LINE
    leftover = tmp_path / ".tmp-0123456789abcdef"
    leftover.write_bytes(age.VERSION_LINE)
    assert remove_unfinished_files(tmp_path, age.VERSION_LINE) == 1
    assert [p.name for p in tmp_path.iterdir()] == [target.name]
