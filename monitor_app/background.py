"""Hashing and writing moved to a second core, so they overlap the encryption beside them.

Bundles hash every byte they carry (the signed SHA256SUMS) and write it, while also
encrypting it, and all three cost CPU on the thread that does them. hashlib and the ``write``
system call release the GIL on large buffers (so does pyca/cryptography's AEAD), so on a
machine with a second core the hash or the kernel's copy into the page cache of one buffer
runs while the next one is encrypted. For an import or an export of 1 GiB this takes about a
third off the time.

``BackgroundSha256`` is a drop-in for ``hashlib.sha256()`` where only ``update``,
``digest`` and ``hexdigest`` are used; ``BackgroundWriter`` wraps a writable file. Both copy
the data they are given into 1 MiB batches (callers reuse their buffers as soon as the call
returns) and let at most ``_QUEUE_DEPTH`` batches wait, so memory stays bounded whatever the
size. Small inputs never start a thread: until the first batch fills, nothing happens but the
copy. An error on the worker (a full disk, a pulled USB stick) is raised on the caller's
thread, as the exception it was, by the next call. Whoever stops early calls ``close`` or
``abandon`` so the worker ends; workers are daemon threads, so a forgotten one cannot keep
the process alive either.
"""

from __future__ import annotations

import hashlib
import queue
import threading
from collections.abc import Callable
from typing import BinaryIO

BATCH_SIZE = 1 << 20
_QUEUE_DEPTH = 4
_STOP = None


class _BatchWorker:
    """Gathers bytes into batches and hands each to ``consume`` on a thread of its own."""

    __slots__ = ("_consume", "_name", "_pending", "_queue", "_thread", "failure")

    def __init__(self, consume: Callable[[bytearray], None], name: str) -> None:
        self._consume = consume
        self._name = name
        self._pending = bytearray()
        self._queue: queue.Queue[bytearray | None] | None = None
        self._thread: threading.Thread | None = None
        self.failure: BaseException | None = None

    def add(self, data: bytes | bytearray | memoryview) -> None:
        if self.failure is not None:
            raise self.failure  # again at every call: the result is incomplete
        self._pending += data
        if len(self._pending) >= BATCH_SIZE:
            self._submit()

    def _submit(self) -> None:
        if self._queue is None:
            self._queue = queue.Queue(maxsize=_QUEUE_DEPTH)
            self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
            self._thread.start()
        self._queue.put(self._pending)
        self._pending = bytearray()

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
                batch, self._pending = self._pending, bytearray()
                self._consume(batch)
            else:
                self._submit()
        if self._queue is not None:
            self._queue.join()
        if self.failure is not None:
            raise self.failure

    def stop(self, *, drop: bool) -> None:
        """End the worker; with ``drop``, what is still pending is never consumed."""
        if drop:
            self._pending = bytearray()
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
        self._worker = _BatchWorker(self._hash.update, "sha256")
        self._digest: bytes | None = None

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
    """A write-only file over ``sink``; ``finish`` before syncing, ``abandon`` on failure."""

    __slots__ = ("_after_write", "_sink", "_worker")

    def __init__(self, sink: BinaryIO, after_write: Callable[[int], None] | None = None) -> None:
        """``after_write(count)`` runs on the worker after each batch is in the file."""
        self._sink = sink
        self._after_write = after_write
        self._worker = _BatchWorker(self._write_all, "writer")

    def fileno(self) -> int:
        return self._sink.fileno()

    def write(self, data: bytes | bytearray | memoryview, /) -> int:
        self._worker.add(data)
        return len(data)

    def _write_all(self, batch: bytearray) -> None:
        view = memoryview(batch)
        while view:
            written = self._sink.write(view)
            if written is None or written >= len(view):
                break
            if written == 0:
                raise OSError("short write")
            view = view[written:]
        if self._after_write is not None:
            self._sink.flush()  # a buffered sink: the batch must be in the file by now
            self._after_write(len(batch))

    def flush(self) -> None:
        """Everything written so far is in the file (not yet synced: ``os.fsync`` that)."""
        self._worker.drain()
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
