"""Writing and reading large files past the page cache (``O_DIRECT``), where the OS allows.

An import stages a bundle's attachments in the blob store and an export writes the bundle to
a stick, and both are synced to the device at once: keeping those bytes in the page cache
only costs the copy into it and a gigabyte of memory the kernel must find and later reclaim
(measured here: most of the CPU time an import spends writing). With ``O_DIRECT`` the device
takes the data straight from a page-aligned buffer, and a read-back reads the device itself,
never a cached copy.

Direct I/O wants buffers, offsets and lengths aligned to the device's logical block. Data is
gathered in page-aligned buffers (anonymous ``mmap``) and written in whole multiples of
``ALIGN``; like GNU dd, the final partial block is written after ``O_DIRECT`` is turned off
again. Where the file system refuses ``O_DIRECT`` (tmpfs, some FUSE file systems) or the OS
has none (macOS, Windows), or a direct write is refused later, the same calls fall back to
ordinary writes: slower, never wrong.
"""

from __future__ import annotations

import contextlib
import errno
import mmap
import os
from collections.abc import Iterable

ALIGN = 4096  # a multiple of every common logical block size (512, 4096)
_O_DIRECT: int = getattr(os, "O_DIRECT", 0)

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


def set_direct(fd: int, on: bool) -> bool:
    """Turn ``O_DIRECT`` on or off for ``fd``'s open file; False where that is refused."""
    if fcntl is None or not _O_DIRECT:
        return False
    try:
        flags = fcntl.fcntl(fd, fcntl.F_GETFL)
        fcntl.fcntl(fd, fcntl.F_SETFL, flags | _O_DIRECT if on else flags & ~_O_DIRECT)
    except OSError:
        return False
    return True


def aligned_buffer(size: int) -> mmap.mmap:
    """``size`` bytes (rounded up to ``ALIGN``) of page-aligned anonymous memory."""
    return mmap.mmap(-1, -(-size // ALIGN) * ALIGN)


def release(buffer: mmap.mmap) -> None:
    """Unmap ``buffer`` now, or, while some view of it is still alive, when it is collected."""
    with contextlib.suppress(BufferError):
        buffer.close()


class DirectFile:
    """Sequential writes to ``fd`` from an aligned buffer of ``capacity`` bytes.

    ``write`` gathers pieces and writes each full buffer; ``finish`` writes what is left.
    ``direct`` says whether ``O_DIRECT`` is in use; it turns False, for good, as soon as the
    file system refuses a direct write. Not thread-safe: one thread writes.
    """

    def __init__(self, fd: int, capacity: int) -> None:
        self._fd = fd
        self.direct = set_direct(fd, True)
        self._buffer = aligned_buffer(capacity) if self.direct else None
        self._view = memoryview(self._buffer) if self._buffer is not None else None
        self._filled = 0

    def write(self, pieces: Iterable[bytes]) -> int:
        """Take ``pieces``; returns how many bytes reached the file during this call (the
        rest waits in the buffer)."""
        written = 0
        for piece in pieces:
            data = memoryview(piece)
            while data:
                if self._view is None:  # no direct I/O here, or no longer
                    _write_all(self._fd, data)
                    written += len(data)
                    break
                size = len(self._view)
                take = min(size - self._filled, len(data))
                self._view[self._filled : self._filled + take] = data[:take]
                self._filled += take
                data = data[take:]
                if self._filled == size:
                    self._write_buffer(size)
                    written += size
        return written

    def _write_buffer(self, count: int) -> None:
        """Write the first ``count`` bytes (a multiple of ALIGN) of the buffer."""
        assert self._view is not None
        data = self._view[:count]
        try:
            while data:
                written = os.write(self._fd, data)
                if written <= 0:
                    raise OSError(errno.EIO, "short write")
                data = data[written:]
                if data and written % ALIGN:  # cannot go on directly from there
                    raise OSError(errno.EINVAL, "unaligned")
        except OSError as exc:
            if exc.errno != errno.EINVAL:
                raise
            self._fall_back(data)
            return
        self._filled = 0

    def _fall_back(self, rest: memoryview) -> None:
        """The file system refused a direct write: the rest of the file goes plainly."""
        set_direct(self._fd, False)
        self.direct = False
        _write_all(self._fd, rest)
        self._release()

    def finish(self) -> int:
        """Write what is buffered: whole blocks directly, the final partial block plainly
        (and whatever follows, too). Returns how many bytes that wrote."""
        if self._view is None:
            return 0
        count = self._filled
        whole = count - count % ALIGN
        tail = bytes(self._view[whole:count])
        if whole:
            self._write_buffer(whole)
        if self._view is not None:
            set_direct(self._fd, False)
            self._release()
        if tail:
            _write_all(self._fd, memoryview(tail))
        return count

    def close(self) -> None:
        """Let the buffer go without writing it (after a failure); idempotent."""
        self._release()

    def _release(self) -> None:
        if self._view is not None:
            self._view.release()
            self._view = None
        if self._buffer is not None:
            release(self._buffer)
            self._buffer = None
        self._filled = 0


def _write_all(fd: int, data: memoryview) -> None:
    while data:
        written = os.write(fd, data)
        if written <= 0:
            raise OSError(errno.EIO, "short write")
        data = data[written:]
