"""Where a USB stick is likely mounted, so the export wizard can offer it first.

Deliberately simple: the folders desktops mount removable media under (Linux: the user's
folder in /media and /run/media, /media itself, /mnt; macOS: /Volumes), and on Windows the
drive letters the system calls removable. No device inspection: a folder listed here is only
offered, the person still chooses, and any folder can be chosen instead. Everything takes a
fake root (and, for Windows, a fake drive-type function) so tests never depend on the machine.
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


def _linux(root: Path, user: str) -> Iterator[Drive]:
    user_folders = [root / "media" / user, root / "run" / "media" / user] if user else []
    for folder in user_folders:
        for entry in _subfolders(folder):
            yield Drive(entry, entry.name)
    # Older or server setups mount straight into /media/LABEL or /mnt/LABEL.
    skip = set(user_folders)
    for folder in (root / "media", root / "mnt"):
        for entry in _subfolders(folder):
            if entry not in skip:
                yield Drive(entry, entry.name)


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
