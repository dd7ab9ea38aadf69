"""Bundles and attachments on the file systems USB sticks come with, through FUSE drivers.

Sticks are formatted exFAT, FAT32 or NTFS, and on Linux the last two are often (NTFS almost
always) driven by FUSE, which handles direct I/O, syncs and cache hints its own way: the
export writes with ``O_DIRECT`` where it is taken, syncs every segment and reads it back
while writing. These tests make a small exFAT and NTFS volume, mount it with
``exfat-fuse`` and ``ntfs-3g`` (installed by ``dev.sh test`` as root), and check that a
bundle written there imports whole, that a cancelled export leaves nothing there, and that
a new file (a contact card, an age identity) is never written over an existing one, with
hard links (NTFS) or without (exFAT); and that an export onto a stick too full for it
stops with disk_full and leaves the stick as it was. Killing the FUSE driver halfway is
what pulling the stick out looks like to the app (every access then fails with ENOTCONN):
the export or import, or the intake of a photo from the stick, must stop with a storage
error that names the file on the stick, leave the vault as it was and not hang.

Mounting needs root, ``/dev/fuse`` and, for exFAT, a loop device: without them the tests
are skipped with the reason. (fusefat, a FUSE FAT driver with experimental writing, is left
out: it fails writes made while the same file is being read back, with EPERM, and the
export then stops with a storage error and removes its file.)
"""

from __future__ import annotations

import errno
import hashlib
import os
import select
import shutil
import signal
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from monitor_app.background import BATCH_SIZE
from monitor_app.bundles import read_back
from monitor_app.bundles.export import export_bundle
from monitor_app.bundles.importing import import_bundle
from monitor_app.errors import Cancelled, MonitorError, StorageError
from monitor_app.fsutil import write_new_file
from monitor_app.jobs import CancelToken
from monitor_app.vault.session import UnlockedVault
from tests.bundle_tools import add_sample_case, vault_files, vault_rows
from tests.mount_tools import fill, only_attachment, run_or_skip

# Several segments (made 1 MiB below), and a tail that is not a whole block.
ATTACHMENT = os.urandom(3 * BATCH_SIZE + 12_345)
VOLUME_SIZE = 64 << 20

# The tools each kind needs: its mkfs, its FUSE driver (and for exFAT a loop device).
DRIVERS = {
    "exfat": ("mkfs.exfat", "mount.exfat-fuse", "losetup"),
    "ntfs": ("mkfs.ntfs", "ntfs-3g"),
}


@pytest.fixture(params=sorted(DRIVERS))
def fuse_stick(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Path]:
    """A freshly formatted volume of the parameter's kind, mounted through FUSE."""
    kind = str(request.param)
    if os.geteuid() != 0 or not os.path.exists("/dev/fuse"):
        pytest.skip("mounting a FUSE file system needs root and /dev/fuse")
    missing = [tool for tool in DRIVERS[kind] if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"not installed: {', '.join(missing)}")
    image = tmp_path / f"{kind}.img"
    with open(image, "wb") as f:
        f.truncate(VOLUME_SIZE)
    mountpoint = tmp_path / f"{kind}-stick"
    mountpoint.mkdir()
    loop = None
    if kind == "exfat":
        run_or_skip("mkfs.exfat", str(image))
        loop = run_or_skip("losetup", "--find", "--show", str(image))  # exfat-fuse wants a device
        try:
            run_or_skip("mount.exfat-fuse", loop, str(mountpoint))
        except BaseException:
            subprocess.run(["losetup", "-d", loop], check=False)
            raise
    else:
        run_or_skip("mkfs.ntfs", "--fast", "--force", str(image))
        run_or_skip("ntfs-3g", str(image), str(mountpoint))
    try:
        yield mountpoint
    finally:
        if subprocess.run(["umount", str(mountpoint)], capture_output=True).returncode:
            subprocess.run(["umount", "--lazy", str(mountpoint)], capture_output=True)
        if loop is not None:
            subprocess.run(["losetup", "-d", loop], capture_output=True, check=False)


@pytest.fixture
def field(
    vault: UnlockedVault, hub: UnlockedVault, monkeypatch: pytest.MonkeyPatch
) -> UnlockedVault:
    monkeypatch.setattr(read_back, "SEGMENT", BATCH_SIZE)  # read back while writing
    vault.contacts.add(hub.identity.card(), verified=True)
    hub.contacts.add(vault.identity.card(), verified=True)
    add_sample_case(vault, real_name="Someone", share_consent="refused", attachment=ATTACHMENT)
    return vault


def test_a_bundle_on_the_stick_imports_whole(
    field: UnlockedVault, hub: UnlockedVault, fuse_stick: Path
) -> None:
    result = export_bundle(field, fuse_stick, contacts=[field.contacts.get("Hub")])
    assert sorted(p.name for p in fuse_stick.iterdir() if p.is_file()) == [result.path.name]
    assert result.path.stat().st_size == result.size

    outcome = import_bundle(hub, result.path)
    assert (outcome.status, outcome.attachments_added) == ("imported", 1)
    assert hashlib.sha256(only_attachment(hub)).digest() == hashlib.sha256(ATTACHMENT).digest()


def test_a_cancelled_export_leaves_the_stick_empty(field: UnlockedVault, fuse_stick: Path) -> None:
    before = sorted(p.name for p in fuse_stick.iterdir())
    token = CancelToken()

    def progress(done: int, total: int | None) -> None:
        if done >= 2 * BATCH_SIZE:  # well into the attachment, segments already read back
            token.cancel()

    with pytest.raises(Cancelled):
        export_bundle(
            field,
            fuse_stick,
            contacts=[field.contacts.get("Hub")],
            progress=progress,
            cancel=token,
        )
    assert sorted(p.name for p in fuse_stick.iterdir()) == before
    assert field.conn.execute("SELECT count(*) FROM bundles_out").fetchone()[0] == 0


def test_a_new_file_never_replaces_one_on_the_stick(fuse_stick: Path) -> None:
    card = fuse_stick / "monitor.card"
    write_new_file(card, b"first card")
    with pytest.raises(StorageError) as caught:
        write_new_file(card, b"second card")
    assert caught.value.code == "output_exists"
    assert card.read_bytes() == b"first card"
    assert [p.name for p in fuse_stick.iterdir() if p.is_file()] == ["monitor.card"]


def _pull_out_after(mountpoint: Path, size: int) -> Callable[[int, int | None], None]:
    """A progress callback that pulls the stick out once ``size`` bytes are done."""
    pulled: list[bool] = []

    def progress(done: int, total: int | None) -> None:
        if done >= size and not pulled:
            pulled.append(True)
            _pull_out(mountpoint)

    return progress


def _pull_out(mountpoint: Path) -> None:
    """Kill the FUSE driver serving ``mountpoint``: to the app, the stick is gone."""
    # Pages the kernel holds of the stick's files would still be read without the driver,
    # and the test would then depend on what it cached: drop them, so the next read needs
    # the stick.
    for file in mountpoint.iterdir():
        if file.is_file():
            fd = os.open(file, os.O_RDONLY)
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)
    drivers = [pid for pid in _processes_naming(mountpoint) if pid != os.getpid()]
    assert drivers, f"no FUSE driver found for {mountpoint}"
    for pid in drivers:
        # Wait until it is gone: until then it may still answer a read or two.
        driver = os.pidfd_open(pid)
        try:
            signal.pidfd_send_signal(driver, signal.SIGKILL)
            ended, _, _ = select.select([driver], [], [], 30)
            assert ended, "the FUSE driver did not end"
        finally:
            os.close(driver)
    with pytest.raises(OSError) as gone:
        os.stat(mountpoint / "anything")
    assert gone.value.errno == errno.ENOTCONN, "the stick still answers without its driver"


def _processes_naming(mountpoint: Path) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            arguments = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if os.fsencode(str(mountpoint)) in arguments:
            found.append(int(entry.name))
    return found


def test_a_stick_pulled_out_during_export(field: UnlockedVault, fuse_stick: Path) -> None:
    rows = vault_rows(field)

    with pytest.raises(MonitorError) as caught:
        export_bundle(
            field,
            fuse_stick,
            contacts=[field.contacts.get("Hub")],
            progress=_pull_out_after(fuse_stick, 2 * BATCH_SIZE),
        )
    assert caught.value.code == "storage_failed"
    assert Path(caught.value.params["path"]).parent == fuse_stick
    assert vault_rows(field) == rows  # no handoff recorded


def test_a_stick_pulled_out_during_import(
    field: UnlockedVault, hub: UnlockedVault, fuse_stick: Path
) -> None:
    bundle = export_bundle(field, fuse_stick, contacts=[field.contacts.get("Hub")]).path
    rows, files = vault_rows(hub), vault_files(hub)

    with pytest.raises(MonitorError) as caught:
        import_bundle(hub, bundle, progress=_pull_out_after(fuse_stick, BATCH_SIZE))
    assert (caught.value.code, caught.value.params["path"]) == ("storage_failed", str(bundle))
    assert (vault_rows(hub), vault_files(hub)) == (rows, files)  # nothing staged is left


def test_a_stick_pulled_out_while_a_file_is_attached(
    vault: UnlockedVault, fuse_stick: Path
) -> None:
    photo = fuse_stick / "photo.jpg"
    photo.write_bytes(ATTACHMENT)
    record = vault.records.add("place", {"name": "ИВС №1", "place_type": "police_station"})
    rows, files = vault_rows(vault), vault_files(vault)

    with pytest.raises(MonitorError) as caught:
        vault.attachments.add_file(
            record.record_id, photo, progress=_pull_out_after(fuse_stick, BATCH_SIZE)
        )
    assert caught.value.code == "storage_failed"
    assert caught.value.params["path"] == str(photo)  # the stick's file, not the vault
    assert (vault_rows(vault), vault_files(vault)) == (rows, files)


def test_a_stick_too_full_for_the_bundle(field: UnlockedVault, fuse_stick: Path) -> None:
    # A MiB left, less than the bundle needs.
    filler = fill(fuse_stick, leave=BATCH_SIZE, name="holiday photos.zip")
    rows = vault_rows(field)
    with pytest.raises(MonitorError) as caught:
        export_bundle(field, fuse_stick, contacts=[field.contacts.get("Hub")])
    assert caught.value.code == "disk_full"
    assert [p.name for p in fuse_stick.iterdir() if p.is_file()] == [filler.name]
    assert vault_rows(field) == rows
