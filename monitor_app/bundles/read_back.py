"""Checking an export against the device while it is still being written (USB sticks lie).

What is written is summed with a one-time Poly1305 MAC under a fresh random key; the file is
then read back from the device, not from the page cache, and summed again: the two tags must
agree. The device never sees the key or the tags, so it cannot hand back other bytes with
the same sum; and the MAC runs at memory speed, where a SHA-256 of what is written would cost
a second hash pass. The SHA-256 the ledger keeps is taken once, over the bytes read back.

Reading back only after the whole file is written would add the device's read time to every
export (on the machines measured, a second or more per GiB). So the file is checked in
segments as the export goes: every ``SEGMENT`` bytes, the writer's thread makes what it wrote
durable (``fdatasync``), and a reader thread drops those pages from the cache
(``POSIX_FADV_DONTNEED``, which only drops clean pages: that is why the sync comes first)
and reads them from the device with positional reads, while the next segment is encrypted
and written. After the final fsync the reader reads the rest. The file descriptor is a
duplicate of the writer's (the temporary file is opened read-write), so nothing depends on
the file's name. Where the writer uses ``O_DIRECT`` (``direct_io``) the duplicate shares it:
its reads then come from the device itself, into a page-aligned buffer, and there is
nothing cached to drop.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import threading
from typing import Protocol

from cryptography.hazmat.primitives.poly1305 import Poly1305

from monitor_app.background import PeriodicSync
from monitor_app.direct_io import aligned_buffer, release

SEGMENT = 32 << 20
READ_CHUNK = 4 << 20  # large reads: fewer system calls, the device streams
# Reading while writing needs positional reads (they leave the writer's file offset alone),
# which Linux and the BSDs have; elsewhere the file is read back after it is complete.
_WHILE_WRITING = hasattr(os, "preadv") and hasattr(os, "fdatasync")


class _Writable(Protocol):
    def write(self, data: bytes | bytearray | memoryview, /) -> int: ...


class ReadBackFailed(Exception):
    """The device returned other bytes than were written, or fewer."""


class MacSink:
    """Passes writes through to ``sink`` and sums them for ``ReadBack``."""

    def __init__(self, sink: _Writable, key: bytes) -> None:
        self.sink = sink
        self._mac = Poly1305(key)
        self.size = 0

    def write(self, data: bytes | bytearray | memoryview) -> int:
        self.sink.write(data)
        self._mac.update(data)
        self.size += len(data)
        return len(data)

    def tag(self) -> bytes:
        return self._mac.finalize()


class ReadBack:
    """Reads the file behind ``fd`` back from the device as ``written`` reports progress.

    ``written`` runs on the writer's thread after each write; ``complete`` after the final
    fsync; ``verify`` then compares and returns the file's SHA-256. ``abandon`` on failure.
    """

    def __init__(self, fd: int) -> None:
        self.key = secrets.token_bytes(32)
        self._fd = os.dup(fd)
        self._mac = Poly1305(self.key)
        self._digest = hashlib.sha256()
        # Syncs every SEGMENT on the writer's thread, then lets the reader have the segment.
        self._sync = PeriodicSync(self._fd, SEGMENT, after_sync=self._synced)
        self._durable = 0  # bytes synced to the device, ready to read back
        self._read = 0  # bytes read back (reader's thread)
        self._complete = False
        self._stopped = False
        self._failure: OSError | None = None
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None
        if hasattr(os, "posix_fadvise"):
            with contextlib.suppress(OSError):  # a larger read-ahead where the OS has one
                os.posix_fadvise(self._fd, 0, 0, os.POSIX_FADV_SEQUENTIAL)

    def written(self, count: int) -> None:
        if _WHILE_WRITING:
            self._sync(count)

    def _synced(self, total: int) -> None:
        with self._changed:
            self._durable = total
            self._changed.notify()
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="read-back", daemon=True)
            self._thread.start()

    def complete(self, size: int) -> None:
        """The file is whole (``size`` bytes) and synced."""
        with self._changed:
            self._durable = size
            self._complete = True
            self._changed.notify()

    def verify(self, expected_tag: bytes, expected_size: int) -> str:
        """Wait for the reader, compare; returns the SHA-256 of the file as read back.

        Raises OSError if the device could not be read, ReadBackFailed if it returned other
        bytes than were written."""
        try:
            if self._thread is None:
                self._run()  # a small file: read on this thread
            else:
                self._thread.join()
            if self._failure is not None:
                raise self._failure
            tag = self._mac.finalize()
            if self._read != expected_size or not hmac.compare_digest(tag, expected_tag):
                raise ReadBackFailed
            return self._digest.hexdigest()
        finally:
            self._close()

    def abandon(self) -> None:
        """Stop reading; idempotent, never raises."""
        with self._changed:
            self._stopped = True
            self._changed.notify()
        if self._thread is not None:
            self._thread.join()
        self._close()

    def _close(self) -> None:
        if self._fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = -1

    def _run(self) -> None:
        # One buffer for the whole file, no copy per read; page-aligned, as a direct read
        # wants (the writer may have set O_DIRECT on the file, which this descriptor shares).
        buffer = aligned_buffer(READ_CHUNK)
        try:
            view = memoryview(buffer)
            while True:
                with self._changed:
                    while not (self._stopped or self._complete or self._durable > self._read):
                        self._changed.wait()
                    if self._stopped:
                        return
                    end, last = self._durable, self._complete
                self._read_range(end, view)
                if last and self._read >= end:
                    return
        except OSError as exc:
            self._failure = exc.with_traceback(None)  # its frames would hold the buffer
        finally:
            release(buffer)

    def _read_range(self, end: int, view: memoryview) -> None:
        start = self._read
        if hasattr(os, "posix_fadvise"):
            with contextlib.suppress(OSError):
                os.posix_fadvise(self._fd, start, end - start, os.POSIX_FADV_DONTNEED)
        while self._read < end and not self._stopped:
            count = self._read_at(self._read, view[: min(READ_CHUNK, end - self._read)])
            if count == 0:
                return  # shorter than written: verify() reports it
            self._mac.update(view[:count])
            self._digest.update(view[:count])
            self._read += count

    def _read_at(self, offset: int, view: memoryview) -> int:
        if _WHILE_WRITING:
            return os.preadv(self._fd, [view], offset)
        # Only once the file is complete (see ``written``): moving the offset is harmless.
        os.lseek(self._fd, offset, os.SEEK_SET)
        data = os.read(self._fd, len(view))
        view[: len(data)] = data
        return len(data)
