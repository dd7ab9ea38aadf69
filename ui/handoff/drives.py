"""The removable drives (USB sticks, memory cards) mounted now, so the export wizard can offer
them first.

Linux: a mounted file system is offered only when the system reports its disk as removable:
the mount table (/proc/self/mounts) gives the device, /sys/block/<disk>/removable says what it
is. A folder under /mnt or /media is never offered for where it is: a system disk mounted
there is no stick. (udisks2 over D-Bus would say the same through a service; the kernel's
flag needs none and is what udisks2 itself reads, so it is the one implementation.) macOS:
the volumes in /Volumes; Windows: the drive letters the system calls removable. A folder
listed here is only offered, the person still chooses, and any folder can be chosen instead.
Everything takes a fake root (and, for Windows, a fake drive-type function) so tests never
depend on the machine.
"""

from __future__ import annotations

import getpass
import os
import string
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

DRIVE_REMOVABLE = 2  # GetDriveTypeW: DRIVE_REMOVABLE


@dataclass(frozen=True)
class Drive:
    path: Path
    label: str  # the mount folder's name, or the drive letter


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers) and no USER variable
        return ""


def _subfolders(folder: Path) -> Iterator[Path]:
    try:
        entries = sorted(folder.iterdir(), key=lambda p: p.name.casefold())
    except OSError:  # missing, not a folder, or not ours to list
        return
    for entry in entries:
        # Hidden entries are bookkeeping (.hal-mtab, .DS_Store); symlinks on macOS point at
        # the boot volume ("Macintosh HD" -> /), which is no stick.
        if entry.name.startswith(".") or entry.is_symlink():
            continue
        try:
            if entry.is_dir():
                yield entry
        except OSError:
            continue


def _unescape_mount_field(text: str) -> str:
    """The mount table writes space, tab, newline and backslash as three octal digits."""
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and text[i + 1 : i + 4].isdigit():
            out.append(chr(int(text[i + 1 : i + 4], 8)))
            i += 4
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _mounts(root: Path) -> Iterator[tuple[str, str]]:
    """(device, mount point) of every mounted block device, in the table's order."""
    try:
        table = (root / "proc" / "self" / "mounts").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return
    for line in table.splitlines():
        fields = line.split()
        if len(fields) >= 2 and fields[0].startswith("/dev/"):
            yield _unescape_mount_field(fields[0]), _unescape_mount_field(fields[1])


def _removable_disk(sys_block: Path, device_name: str) -> bool:
    """Whether the disk holding ``device_name`` (a disk, or one of its partitions, which
    /sys lists inside their disk's folder) has the kernel's removable flag set."""
    try:
        disks = list(sys_block.iterdir())
    except OSError:
        return False
    for disk in disks:
        if disk.name == device_name or (disk / device_name).is_dir():
            try:
                return (disk / "removable").read_text().strip() == "1"
            except OSError:
                return False
    return False


def _linux(root: Path, user: str) -> Iterator[Drive]:
    user_folders = ["/media/" + user + "/", "/run/media/" + user + "/"] if user else []
    sys_block = root / "sys" / "block"
    found: list[tuple[bool, str, Drive]] = []
    for device, mount_point in _mounts(root):
        if not _removable_disk(sys_block, Path(device).name):
            continue
        path = root / mount_point.lstrip("/")
        try:
            if not path.is_dir():
                continue
        except OSError:
            continue
        theirs = any(mount_point.startswith(folder) for folder in user_folders)
        found.append((not theirs, path.name.casefold(), Drive(path, path.name)))
    # The user's own mounts (where a desktop puts a stick they plugged in) first.
    for _not_theirs, _name, drive in sorted(found, key=lambda item: item[:2]):
        yield drive


def _macos(root: Path) -> Iterator[Drive]:
    for entry in _subfolders(root / "Volumes"):
        yield Drive(entry, entry.name)


def _windows_drive_type(letter_root: str) -> int:
    import ctypes

    windll = getattr(ctypes, "windll", None)
    if windll is None:
        return 0
    return int(windll.kernel32.GetDriveTypeW(letter_root))


def _windows(drive_type: Callable[[str], int], letters: str) -> Iterator[Drive]:
    for letter in letters:
        letter_root = f"{letter}:\\"
        try:
            removable = drive_type(letter_root) == DRIVE_REMOVABLE
        except OSError:
            continue
        if removable:
            yield Drive(Path(letter_root), f"{letter}:")


def removable_drives(
    *,
    platform: str | None = None,
    root: Path | None = None,
    user: str | None = None,
    drive_type: Callable[[str], int] | None = None,
    letters: str = string.ascii_uppercase,
) -> list[Drive]:
    """Folders where removable drives are mounted, each once, in a stable order.

    Touches the file system (a stale network mount under /mnt can make that slow): call it
    off the GUI thread."""
    platform = platform or sys.platform
    if platform.startswith("win"):
        found = _windows(drive_type or _windows_drive_type, letters)
    elif platform == "darwin":
        found = _macos(root or Path("/"))
    else:
        found = _linux(root or Path("/"), _user() if user is None else user)
    unique: dict[str, Drive] = {}
    for drive in found:
        unique.setdefault(os.path.normcase(str(drive.path)), drive)
    return list(unique.values())
