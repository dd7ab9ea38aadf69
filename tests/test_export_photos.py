"""Exporting photos without their metadata: the bundle carries cleaned copies (checked with
the standard tools), the vault keeps the originals, the hub receives the cleaned copy, and a
purge keeps the originals unless asked, as it keeps other withheld data."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pytest

from monitor_app.bundles import layout, purge
from monitor_app.bundles.export import export_bundle
from monitor_app.bundles.image_metadata import without_metadata
from monitor_app.bundles.importing import import_bundle
from monitor_app.bundles.receipts import export_receipt
from monitor_app.crypto import age
from monitor_app.errors import MonitorError
from monitor_app.records.attachments import AttachmentInfo
from monitor_app.vault.session import UnlockedVault
from tests.bundle_tools import age_identity_file, check_signed_sums, unpack_with_standard_tools
from tests.cli_tools import invoke
from tests.conftest import PASSPHRASE
from tests.test_image_metadata import CANARY, _jpeg_with_metadata

NOTES = b"Notes of the visit, not an image: " + CANARY


@pytest.fixture
def field(vault: UnlockedVault, hub: UnlockedVault) -> UnlockedVault:
    vault.contacts.add(hub.identity.card(), verified=True)
    vault.contacts.set_custodian(hub.identity.fingerprint, True)  # the hub keeps the records
    hub.contacts.add(vault.identity.card(), verified=True)
    return vault


def _record_with(
    vault: UnlockedVault, *files: tuple[str, bytes, str | None]
) -> list[AttachmentInfo]:
    place = vault.records.add(
        "place", {"name": "СИЗО №1", "place_type": "pretrial_detention_centre"}
    )
    return [
        vault.attachments.add_stream(
            place.record_id, io.BytesIO(data), original_name=name, media_type=media_type
        )
        for name, data, media_type in files
    ]


def _photo_and_notes(vault: UnlockedVault) -> tuple[AttachmentInfo, AttachmentInfo]:
    photo, notes = _record_with(
        vault,
        ("cell.jpg", _jpeg_with_metadata()[0], None),
        ("notes.txt", NOTES, None),
    )
    return photo, notes


def _cleaned(data: bytes) -> bytes:
    return b"".join(without_metadata([data], "x"))


def test_photos_go_out_cleaned_and_the_originals_stay(
    field: UnlockedVault, hub: UnlockedVault, stick: Path, tmp_path: Path
) -> None:
    photo, notes = _photo_and_notes(field)
    original = field.attachments.read_bytes(photo.attachment_id)
    result = export_bundle(
        field, stick, contacts=[field.contacts.get("Hub")], strip_image_metadata=True
    )
    assert result.images_without_metadata == 1

    out = unpack_with_standard_tools(result.path, age_identity_file(hub, tmp_path), tmp_path)
    check_signed_sums(out, field, result.bundle_id, "records")
    manifest = json.loads((out / layout.MANIFEST).read_text())
    entries = {e["id"]: e for e in manifest["attachments"]}
    cleaned = _cleaned(original)
    sent_photo = entries[photo.attachment_id]
    assert sent_photo["metadata_removed"] is True
    assert sent_photo["sha256"] == hashlib.sha256(cleaned).hexdigest()
    assert sent_photo["size"] == len(cleaned)
    assert (out / layout.attachment_member(sent_photo["sha256"])).read_bytes() == cleaned
    assert entries[notes.attachment_id]["metadata_removed"] is False  # not a photo: as it is
    assert entries[notes.attachment_id]["sha256"] == notes.sha256
    members = [p for p in out.rglob("*") if p.is_file()]
    with_canary = [str(p.relative_to(out)) for p in members if CANARY in p.read_bytes()]
    assert with_canary == [layout.attachment_member(notes.sha256)]  # the photo's went
    assert field.attachments.read_bytes(photo.attachment_id) == original
    assert field.attachments.info(photo.attachment_id).sha256 == photo.sha256


def test_the_hub_receives_the_cleaned_copy_and_purge_keeps_the_original(
    field: UnlockedVault, hub: UnlockedVault, stick: Path
) -> None:
    photo, _ = _photo_and_notes(field)
    original = field.attachments.read_bytes(photo.attachment_id)
    bundle = export_bundle(
        field, stick, contacts=[field.contacts.get("Hub")], strip_image_metadata=True
    )
    assert import_bundle(hub, bundle.path).status == "imported"
    received = hub.attachments.read_bytes(photo.attachment_id)
    assert received == _cleaned(original) and CANARY not in received
    receipt = export_receipt(hub, bundle.bundle_id, stick)
    assert import_bundle(field, receipt.path).status == "imported"

    kept = purge.purge_handed_off(field)
    assert kept.kept_withheld == (photo.record_id,)  # its metadata exists only here
    assert field.attachments.read_bytes(photo.attachment_id) == original
    assert purge.purge_handed_off(field, include_withheld=True).purged == (photo.record_id,)


def test_a_photo_stored_under_another_type_is_cleaned_too(
    field: UnlockedVault, hub: UnlockedVault, stick: Path
) -> None:
    dirty = _jpeg_with_metadata()[0]
    (photo,) = _record_with(field, ("evidence.bin", dirty, "application/octet-stream"))
    result = export_bundle(
        field, stick, contacts=[field.contacts.get("Hub")], strip_image_metadata=True
    )
    assert result.images_without_metadata == 1
    import_bundle(hub, result.path)
    assert hub.attachments.read_bytes(photo.attachment_id) == _cleaned(dirty)


def test_without_the_option_photos_go_out_as_they_are(
    field: UnlockedVault, hub: UnlockedVault, stick: Path
) -> None:
    photo, _ = _photo_and_notes(field)
    result = export_bundle(field, stick, contacts=[field.contacts.get("Hub")])
    assert result.images_without_metadata == 0
    import_bundle(hub, result.path)
    assert hub.attachments.read_bytes(photo.attachment_id) == _jpeg_with_metadata()[0]


@pytest.mark.parametrize(
    ("name", "data", "media_type"),
    [
        ("IMG_0001.HEIC", b"\x00\x00\x00\x18ftypheic" + CANARY, "image/heic"),
        ("broken.jpg", _jpeg_with_metadata()[1][:-2], None),
    ],
)
def test_a_photo_that_cannot_be_cleaned_stops_the_export(
    field: UnlockedVault, stick: Path, name: str, data: bytes, media_type: str | None
) -> None:
    (image,) = _record_with(field, (name, data, media_type))
    with pytest.raises(MonitorError) as caught:
        export_bundle(field, stick, contacts=[field.contacts.get("Hub")], strip_image_metadata=True)
    assert caught.value.code == "image_metadata_not_removable"
    assert caught.value.params["attachment"] == image.attachment_id
    assert list(stick.iterdir()) == []
    assert field.conn.execute("SELECT count(*) FROM bundles_out").fetchone()[0] == 0


def test_monitorctl_export_strips_on_request(
    field: UnlockedVault, stick: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _photo_and_notes(field)
    vault_dir = field.path
    field.lock()
    passphrase = tmp_path / "passphrase"
    passphrase.write_text(PASSPHRASE)
    base = ["--vault", str(vault_dir), "--passphrase-file", str(passphrase)]
    out = str(stick / "b.bin")
    args = ["export", "--to", "Hub", "--strip-image-metadata", "--out", out]
    assert invoke(capsys, [*base, "--json", *args]).json["result"]["images_without_metadata"] == 1
    archive = age.X25519Identity.generate().recipient.encode()  # new to it: all goes again
    text = invoke(capsys, [*base, *args[:-1], str(stick / "c.bin"), "--to-age", archive]).out
    assert "Photos sent without their metadata (the originals stay here): 1." in text
