"""Private, durable file handling: 0700 directories, 0600 files, atomic replacement.

Every write of a file that must survive a crash goes: temporary name in the same directory,
write, flush, fsync, rename over the target, fsync the directory.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from monitor_app.errors import StorageError

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

DIR_MODE = 0o700
FILE_MODE = 0o600
TEMP_PREFIX = ".tmp-"


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
    return directory / f"{TEMP_PREFIX}{secrets.token_hex(8)}"


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
        return os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL, FILE_MODE), tmp
    except OSError as exc:
        raise storage_error(exc, target) from None


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


def remove_stale_temp_files(directory: Path) -> int:
    """Delete temporary files a crash left behind; they are never referenced."""
    removed = 0
    if not directory.is_dir():
        return 0
    for entry in directory.iterdir():
        if entry.name.startswith(TEMP_PREFIX) and entry.is_file():
            _unlink_quietly(entry)
            removed += 1
    return removed
