"""Hashing and writing moved to a second core, so they overlap the encryption beside them.

Bundles hash every byte they carry (the signed SHA256SUMS) and write it, while also
encrypting it, and all three cost CPU on the thread that does them. hashlib and the ``write``
system call release the GIL on large buffers (so does pyca/cryptography's AEAD), so on a
machine with a second core the hash or the kernel's copy into the page cache of one buffer
runs while the next one is encrypted. For an import or an export of 1 GiB this takes about a
third off the time.

``BackgroundSha256`` is a drop-in for ``hashlib.sha256()`` where only ``update``,
``digest`` and ``hexdigest`` are used; ``BackgroundWriter`` wraps a writable file. Both hand
the data they are given over in batches of about 1 MiB (``bytes`` by reference, anything
else copied: callers reuse their buffers as soon as the call returns) and let at most
``_QUEUE_DEPTH`` batches wait, so memory stays bounded whatever the size. Small inputs never
start a thread: until the first batch fills, nothing happens but the copy. An error on the
worker (a full disk, a pulled USB stick) is raised on the caller's thread, as the exception
it was, by the next call. Whoever stops early calls ``close`` or ``abandon`` so the worker
ends; workers are daemon threads, so a forgotten one cannot keep the process alive either.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import queue
import threading
from collections.abc import Callable
from typing import BinaryIO

from monitor_app.direct_io import DirectFile

BATCH_SIZE = 1 << 20
_QUEUE_DEPTH = 4
_IOV_MAX = 1024  # POSIX's minimum for the pieces of one writev
_STOP = None


class _BatchWorker:
    """Gathers pieces of bytes into batches and hands each batch to ``consume`` on a thread of
    its own. A ``bytes`` piece is kept by reference (it cannot change); anything else is
    copied, since callers reuse their buffers as soon as the call returns."""

    __slots__ = ("_consume", "_name", "_pending", "_pending_size", "_queue", "_thread", "failure")

    def __init__(self, consume: Callable[[list[bytes]], None], name: str) -> None:
        self._consume = consume
        self._name = name
        self._pending: list[bytes] = []
        self._pending_size = 0
        self._queue: queue.Queue[list[bytes] | None] | None = None
        self._thread: threading.Thread | None = None
        self.failure: BaseException | None = None

    def add(self, data: bytes | bytearray | memoryview) -> None:
        if self.failure is not None:
            raise self.failure  # again at every call: the result is incomplete
        piece = data if type(data) is bytes else bytes(data)
        self._pending.append(piece)
        self._pending_size += len(piece)
        if self._pending_size >= BATCH_SIZE:
            self._submit()

    def _take(self) -> list[bytes]:
        batch, self._pending, self._pending_size = self._pending, [], 0
        return batch

    def _submit(self) -> None:
        if self._queue is None:
            self._queue = queue.Queue(maxsize=_QUEUE_DEPTH)
            self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
            self._thread.start()
        self._queue.put(self._take())

    def _run(self) -> None:
        assert self._queue is not None
        while True:
            batch = self._queue.get()
            try:
                if batch is _STOP:
                    return
                if self.failure is None:
                    self._consume(batch)
            except BaseException as exc:  # raised again on the caller's thread
                self.failure = exc
            finally:
                self._queue.task_done()

    def drain(self) -> None:
        """Everything added so far has been consumed (small inputs: on this thread)."""
        if self._pending:
            if self._queue is None:
                self._consume(self._take())
            else:
                self._submit()
        if self._queue is not None:
            self._queue.join()
        if self.failure is not None:
            raise self.failure

    def stop(self, *, drop: bool) -> None:
        """End the worker; with ``drop``, what is still pending is never consumed."""
        if drop:
            self._take()
            if self.failure is None:
                self.failure = ValueError("abandoned")
        if self._queue is not None and self._thread is not None:
            self._queue.put(_STOP)
            self._thread.join()
            self._queue = self._thread = None


class BackgroundSha256:
    __slots__ = ("_digest", "_hash", "_worker")

    def __init__(self) -> None:
        self._hash = hashlib.sha256()
        self._worker = _BatchWorker(self._hash_all, "sha256")
        self._digest: bytes | None = None

    def _hash_all(self, batch: list[bytes]) -> None:
        for piece in batch:
            self._hash.update(piece)

    def update(self, data: bytes | bytearray | memoryview, /) -> None:
        if self._digest is not None:
            raise ValueError("update after the digest was taken")
        self._worker.add(data)

    def digest(self) -> bytes:
        if self._digest is None:
            try:
                self._worker.drain()
            finally:
                self._worker.stop(drop=False)
            self._digest = self._hash.digest()
        return self._digest

    def hexdigest(self) -> str:
        return self.digest().hex()

    def close(self) -> None:
        """Stop hashing without a result (the data is abandoned); idempotent."""
        if self._digest is None:
            self._worker.stop(drop=True)


class BackgroundWriter:
    """A write-only file over ``sink``; ``finish`` before syncing, ``abandon`` on failure.

    With ``direct``, the file is written past the page cache where the file system allows
    (``direct_io``; ``self.direct`` tells whether it does): for files synced at once and
    not read again soon, such as staged blobs and bundles.
    """

    __slots__ = ("_direct", "_fd", "_sink", "_worker", "after_write")

    def __init__(
        self,
        sink: BinaryIO,
        after_write: Callable[[int], None] | None = None,
        *,
        direct: bool = False,
    ) -> None:
        """``after_write(count)`` runs on the worker each time ``count`` more bytes are in
        the file (with ``direct``, some may still wait in the aligned buffer until then)."""
        self._sink = sink
        self.after_write = after_write
        self._worker = _BatchWorker(self._write_all, "writer")
        # A batch goes to the file in one writev(2), past the sink's own buffer (empty: all
        # writes come through here); a sink without a descriptor takes one write per piece.
        fd: int | None = None
        with contextlib.suppress(OSError, ValueError, io.UnsupportedOperation):
            sink.flush()
            fd = sink.fileno()
        self._direct: DirectFile | None = None
        if direct and fd is not None:
            candidate = DirectFile(fd, BATCH_SIZE)
            self._direct = candidate if candidate.direct else None
        self._fd = fd if hasattr(os, "writev") else None

    @property
    def direct(self) -> bool:
        return self._direct is not None and self._direct.direct

    def write(self, data: bytes | bytearray | memoryview, /) -> int:
        self._worker.add(data)
        return len(data)

    def _write_all(self, batch: list[bytes]) -> None:
        if self._direct is not None:
            size = self._direct.write(batch)
            if size and self.after_write is not None:
                self.after_write(size)
            return
        size = sum(len(piece) for piece in batch)
        if self._fd is not None:
            batch = self._writev(batch)
        for piece in batch:
            view = memoryview(piece)
            while view:
                written = self._sink.write(view)
                if written is None or written >= len(view):
                    break
                if written == 0:
                    raise OSError("short write")
                view = view[written:]
        if self.after_write is not None:
            self._sink.flush()  # a buffered sink: the batch must be in the file by now
            self.after_write(size)

    def _writev(self, batch: list[bytes]) -> list[bytes]:
        """Write ``batch`` with writev; returns what a short write left over."""
        assert self._fd is not None
        while batch:
            pieces = batch[:_IOV_MAX]
            written = os.writev(self._fd, pieces)
            if written == 0:
                raise OSError("short write")
            consumed = 0
            for piece in pieces:
                if written < len(piece):
                    break
                written -= len(piece)
                consumed += 1
            batch = batch[consumed:]
            if written:  # a piece written in part: the rest, the slow way
                return [batch[0][written:], *batch[1:]]
        return batch

    def flush(self) -> None:
        """Everything written so far is in the file (not yet synced: ``os.fsync`` that).
        With ``direct``, what follows is written plainly: the file's end need not be
        aligned."""
        self._worker.drain()
        if self._direct is not None:
            tail = self._direct.finish()
            if tail and self.after_write is not None:
                self.after_write(tail)
        self._sink.flush()

    def finish(self) -> None:
        """``flush``, then end the worker."""
        try:
            self.flush()
        finally:
            self._worker.stop(drop=False)

    def abandon(self) -> None:
        """End the worker, dropping what was not written yet; idempotent, never raises."""
        self._worker.stop(drop=True)
        if self._direct is not None:
            self._direct.close()


class PeriodicSync:
    """An ``after_write`` hook that syncs the file every ``every`` bytes, on the writer's
    thread: the device then writes while the next data is encrypted, instead of all at once
    in the final fsync, which finds little left to do. ``after_sync(total)`` runs after each
    sync with the number of bytes written so far, all of them now durable."""

    __slots__ = ("_after_sync", "_every", "_fd", "_unsynced", "written")

    def __init__(
        self,
        fd: int,
        every: int = 32 << 20,
        after_sync: Callable[[int], None] | None = None,
    ) -> None:
        self._fd = fd
        self._every = every
        self._after_sync = after_sync
        self._unsynced = 0
        self.written = 0

    def __call__(self, count: int) -> None:
        self.written += count
        self._unsynced += count
        if self._unsynced >= self._every:
            getattr(os, "fdatasync", os.fsync)(self._fd)
            self._unsynced = 0
            if self._after_sync is not None:
                self._after_sync(self.written)


def durable_writer(sink: BinaryIO) -> BackgroundWriter:
    """A ``BackgroundWriter`` for a file that is synced once complete and not read again
    soon (a staged or stored blob): past the page cache where the file system allows, else
    plain writes synced every 32 MiB, so that the device works while the CPU encrypts."""
    writer = BackgroundWriter(sink, direct=True)
    if not writer.direct:
        with contextlib.suppress(OSError, ValueError, io.UnsupportedOperation):
            writer.after_write = PeriodicSync(sink.fileno())
    return writer
