"""A vault whose disk fills up halfway: the import or the intake stops with disk_full and
leaves the vault as it was; once there is room again, the same import works.

The vault lives on a small file system of its own: ext4 on a loop device (where staged and
stored blobs are written with O_DIRECT) and tmpfs (where they are written plainly). Mounting
needs root: without it, or without loop devices, the tests are skipped with the reason.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor_app.bundles.export import export_bundle
from monitor_app.bundles.importing import import_bundle
from monitor_app.errors import StorageError
from monitor_app.vault import lifecycle
from monitor_app.vault.session import UnlockedVault
from tests.bundle_tools import add_sample_case, vault_files, vault_rows
from tests.conftest import PASSPHRASE
from tests.mount_tools import MIB, fill, only_attachment, run_or_skip

DISK_SIZE = 48 * MIB
ATTACHMENT = os.urandom(12 * MIB + 4321)  # more than the room left below


@pytest.fixture(params=["ext4", "tmpfs"])
def small_disk(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.skip("mounting a small file system needs root")
    mountpoint = tmp_path / "disk"
    mountpoint.mkdir()
    if request.param == "ext4":
        image = tmp_path / "disk.img"
        with open(image, "wb") as f:
            f.truncate(DISK_SIZE)
        run_or_skip("mkfs.ext4", "-q", "-F", str(image))
        run_or_skip("mount", "-o", "loop", str(image), str(mountpoint))
    else:
        run_or_skip("mount", "-t", "tmpfs", "-o", f"size={DISK_SIZE}", "tmpfs", str(mountpoint))
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", str(mountpoint)], capture_output=True, check=False)


def test_an_import_that_fills_the_disk(
    vault: UnlockedVault, small_disk: Path, tmp_path: Path
) -> None:
    hub, _ = lifecycle.create_vault(small_disk / "hub", PASSPHRASE, name="Hub", organisation="C")
    try:
        vault.contacts.add(hub.identity.card(), verified=True)
        hub.contacts.add(vault.identity.card(), verified=True)
        add_sample_case(vault, real_name="Someone", share_consent="refused", attachment=ATTACHMENT)
        stick = tmp_path / "stick"
        stick.mkdir()
        bundle = export_bundle(vault, stick, contacts=[vault.contacts.get("Hub")]).path
        filler = fill(small_disk, leave=4 * MIB)
        rows, files = vault_rows(hub), vault_files(hub)

        with pytest.raises(StorageError) as caught:
            import_bundle(hub, bundle)
        assert caught.value.code == "disk_full"
        assert (vault_rows(hub), vault_files(hub)) == (rows, files)

        filler.unlink()  # room again: the same bundle imports whole
        assert import_bundle(hub, bundle).attachments_added == 1
        assert hashlib.sha256(only_attachment(hub)).digest() == hashlib.sha256(ATTACHMENT).digest()
    finally:
        hub.lock()


def test_attaching_a_file_that_fills_the_disk(small_disk: Path, tmp_path: Path) -> None:
    vault, _ = lifecycle.create_vault(small_disk / "vault", PASSPHRASE, name="Field")
    try:
        record = vault.records.add("place", {"name": "ИВС №1", "place_type": "police_station"})
        photo = tmp_path / "photo.jpg"
        photo.write_bytes(ATTACHMENT)
        filler = fill(small_disk, leave=4 * MIB)
        rows, files = vault_rows(vault), vault_files(vault)

        with pytest.raises(StorageError) as caught:
            vault.attachments.add_file(record.record_id, photo)
        assert caught.value.code == "disk_full"
        assert (vault_rows(vault), vault_files(vault)) == (rows, files)

        filler.unlink()
        vault.attachments.add_file(record.record_id, photo)
        assert only_attachment(vault) == ATTACHMENT
    finally:
        vault.lock()
