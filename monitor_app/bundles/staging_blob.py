"""A push-style writer of an encrypted staging blob (the STREAM format of the blob store)."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from monitor_app.background import BackgroundSha256, BackgroundWriter, durable_writer
from monitor_app.crypto import stream
from monitor_app.fsutil import FILE_MODE, fsync_dir, storage_error, temp_name

# --- staging blobs ------------------------------------------------------------------------


class BlobWriter:
    """Push-style STREAM encryptor into a new blob of the vault's blob store.

    Same format as ``BlobStore.store`` (age STREAM payload under a fresh 32-byte key, see
    crypto/stream.py), so ``BlobStore.retrieve`` and ``stream.iter_decrypted_chunks`` read it.
    Written under a temporary name, fsynced and renamed by ``close``; ``abort`` removes
    whatever exists. The plaintext is hashed in the same pass.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.key = secrets.token_bytes(stream.KEY_SIZE)
        self.name = secrets.token_hex(16)
        self.size = 0
        self.digest = BackgroundSha256()  # overlaps the encryption on a second core
        self._aead = ChaCha20Poly1305(self.key)
        # The chunk being filled is reused; each sealed chunk is new bytes, which the
        # writer's thread takes over without a copy.
        self._chunk = memoryview(bytearray(stream.CHUNK_SIZE))
        self._filled = 0
        self._index = 0
        self._tmp = temp_name(root)
        try:
            fd = os.open(self._tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
            # Writes on a second thread, overlapping the encryption, past the page cache
            # where the file system allows: the blob is synced at once and read much later.
            self._raw = os.fdopen(fd, "wb", 0)
            self._file: BackgroundWriter | None = durable_writer(self._raw)
        except OSError as exc:
            raise storage_error(exc, self.root) from None

    def _seal(self, plain: memoryview, last: bool) -> None:
        assert self._file is not None
        # New bytes per chunk: the writer's thread keeps them, no copy is made.
        sealed = stream.sealed_chunk_bytes(self._aead, self._index, plain, last=last)
        try:
            self._file.write(sealed)
        except OSError as exc:
            raise storage_error(exc, self.root) from None
        self._index += 1

    def write(self, data: bytes | bytearray | memoryview) -> int:
        self.digest.update(data)
        view = memoryview(data).cast("B")
        count = len(view)
        self.size += count
        chunk = self._chunk
        while view:
            # A full chunk is sealed only once more data follows: the final chunk may be full.
            if self._filled == stream.CHUNK_SIZE:
                self._seal(chunk, last=False)
                self._filled = 0
            if not self._filled and len(view) > stream.CHUNK_SIZE:
                # A whole chunk with more after it: sealed where it lies, without a copy.
                self._seal(view[: stream.CHUNK_SIZE], last=False)
                view = view[stream.CHUNK_SIZE :]
                continue
            take = min(stream.CHUNK_SIZE - self._filled, len(view))
            chunk[self._filled : self._filled + take] = view[:take]
            self._filled += take
            view = view[take:]
        return count

    def _release(self) -> None:
        # A staging keeps every writer until the import ends (one per attachment): let the
        # buffers go with the file, so memory does not grow with the number of attachments.
        self._chunk = memoryview(bytearray())
        self._filled = 0

    def close(self) -> None:
        self._seal(self._chunk[: self._filled], last=True)
        self._release()
        assert self._file is not None
        try:
            self._file.finish()
            self._file = None
            os.fsync(self._raw.fileno())
            self._raw.close()
            os.replace(self._tmp, self.root / self.name)
            fsync_dir(self.root)
        except OSError as exc:
            raise storage_error(exc, self.root) from None
        self.digest.digest()  # the hashing thread finishes while the file is synced

    def abort(self) -> None:
        self.digest.close()
        if self._file is not None:
            self._file.abandon()
            self._file = None
        with contextlib.suppress(OSError):
            self._raw.close()  # idempotent: also after a close that failed
        self._release()
        with contextlib.suppress(OSError):
            self._tmp.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            (self.root / self.name).unlink(missing_ok=True)
