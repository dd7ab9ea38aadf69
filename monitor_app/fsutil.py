"""Private, durable file handling: 0700 directories, 0600 files, atomic replacement.

Every write of a file that must survive a crash goes: temporary name in the same directory,
write, flush, fsync, rename over the target, fsync the directory.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import re
import secrets
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from monitor_app.errors import StorageError

if sys.platform != "win32":
    import fcntl

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

DIR_MODE = 0o700
FILE_MODE = 0o600
TEMP_PREFIX = ".tmp-"
_TEMP_NAME = re.compile(re.escape(TEMP_PREFIX) + "[0-9a-f]{16}")


def restrict_umask() -> int:
    """Make every file this process creates private to its user; returns the old umask."""
    return os.umask(0o077)


def make_private_dir(path: Path) -> None:
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    path.chmod(DIR_MODE)


def fsync_dir(path: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def temp_name(directory: Path) -> Path:
    return directory / f"{TEMP_PREFIX}{secrets.token_hex(8)}"  # matches _TEMP_NAME


def storage_error(exc: OSError, path: Path | None = None) -> StorageError:
    """Translate an OSError into a typed error without leaking file content."""
    code = "disk_full" if exc.errno in (errno.ENOSPC, errno.EDQUOT) else "storage_failed"
    return StorageError(code, path=str(path) if path else None, errno=exc.errno)


class NamedSource(io.FileIO):
    """A file the user chose, opened for reading, unbuffered (raises as ``open`` does).

    A read error becomes a ``StorageError`` that names this file, so the message says which
    drive to check (the photo's stick, not the vault's disk). Closing never raises: the
    file was only read, and on a stick pulled out the close fails too, which must not hide
    the error that stopped the reading.
    """

    def __init__(self, path: Path) -> None:
        super().__init__(path, "rb")
        self.path = path

    def readinto(self, buffer: WriteableBuffer, /) -> int:
        try:
            return super().readinto(buffer)
        except OSError as exc:
            raise storage_error(exc, self.path) from None

    def read(self, size: int | None = -1, /) -> bytes:
        try:
            return super().read(size)
        except OSError as exc:
            raise storage_error(exc, self.path) from None

    def readall(self) -> bytes:
        try:
            return super().readall()
        except OSError as exc:
            raise storage_error(exc, self.path) from None

    def close(self) -> None:
        with contextlib.suppress(OSError):
            super().close()


def _private_temp(target: Path) -> tuple[int, Path]:
    """A new private temporary file beside ``target``: its descriptor and its path.

    Opened for reading too, so that an export can read it back while it is written."""
    tmp = temp_name(target.parent)
    try:
        fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except OSError as exc:
        raise storage_error(exc, target) from None
    # Locked while it is written, so remove_unfinished_files does not take it for the
    # leftover of an interrupted write; the lock goes with the descriptor.
    _lock(fd)
    return fd, tmp


@contextlib.contextmanager
def _synced(fd: int) -> Iterator[BinaryIO]:
    with os.fdopen(fd, "wb") as handle:
        yield handle
        handle.flush()
        os.fsync(handle.fileno())


@contextlib.contextmanager
def atomic_writer(target: Path) -> Iterator[BinaryIO]:
    """Yield a private temporary file that replaces ``target`` only if the block succeeds."""
    fd, tmp = _private_temp(target)
    try:
        with _synced(fd) as handle:
            yield handle
        os.replace(tmp, target)
        fsync_dir(target.parent)
    except OSError as exc:
        _unlink_quietly(tmp)
        raise storage_error(exc, target) from None
    except BaseException:
        _unlink_quietly(tmp)
        raise


def atomic_write_bytes(target: Path, data: bytes) -> None:
    with atomic_writer(target) as handle:
        handle.write(data)


# errno values of file systems without hard links (FAT, exFAT) or across devices.
_NO_HARD_LINKS = frozenset(
    {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EXDEV, errno.EMLINK, errno.ENOSYS}
)


def write_new_file(target: Path, data: bytes) -> None:
    """Write ``data`` to a new file ``target`` (0600); an existing file is never replaced.

    The data goes to a temporary file in the same directory, is synced, and is then hard-linked
    to ``target``: the link fails if ``target`` exists, so nothing is overwritten, and
    ``target`` never exists incomplete. Where the file system has no hard links (FAT, exFAT),
    ``target`` is created exclusively and written directly, and removed again on failure.
    """
    fd, tmp = _private_temp(target)
    try:
        with _synced(fd) as handle:
            handle.write(data)
        try:
            target.hardlink_to(tmp)
        except FileExistsError:
            raise StorageError("output_exists", path=str(target)) from None
        except OSError as exc:
            if exc.errno not in _NO_HARD_LINKS:
                raise
            _write_exclusive(target, data)
        fsync_dir(target.parent)
    except OSError as exc:
        raise storage_error(exc, target) from None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def _write_exclusive(target: Path, data: bytes) -> None:
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        raise StorageError("output_exists", path=str(target)) from None
    try:
        with _synced(fd) as handle:
            handle.write(data)
    except BaseException:
        with contextlib.suppress(OSError):
            target.unlink()
        raise


def _unlink_quietly(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


def remove_unfinished_files(directory: Path, starts_with: bytes) -> int:
    """Delete what interrupted writes of ours left in ``directory``; returns how many.

    A file qualifies only if it is named as ``temp_name`` names files, is a regular file
    (not a link), starts with ``starts_with``, and is not locked: a write still under way
    holds its temporary file locked (``_private_temp``), so a second export into the same
    folder leaves it alone. This is tidying: a file that cannot be read or removed is skipped.
    """
    removed = 0
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return 0
    for entry in entries:
        if _TEMP_NAME.fullmatch(entry.name) and _remove_if_unfinished(entry.path, starts_with):
            removed += 1
    return removed


def _remove_if_unfinished(path: str, starts_with: bytes) -> bool:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return False
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode) or not _lock(fd):
            return False
        if os.read(fd, len(starts_with)) != starts_with:
            return False
        Path(path).unlink()
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def _lock(fd: int) -> bool:
    """Take an exclusive lock on ``fd`` without waiting; False if another holds one.

    Where there are no such locks (Windows), True: there a file open for writing cannot be
    deleted, which protects a write under way just as well."""
    if sys.platform == "win32":
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError:
        return True  # a file system without flock: nothing to respect
    return True
