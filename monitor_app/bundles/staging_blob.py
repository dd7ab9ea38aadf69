"""A push-style writer of an encrypted staging blob (the STREAM format of the blob store)."""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
from pathlib import Path
from typing import BinaryIO

from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from monitor_app.crypto import stream
from monitor_app.fsutil import FILE_MODE, fsync_dir, storage_error, temp_name

READ_BUFFER = 1 << 20


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
        self.digest = hashlib.sha256()
        self._aead = ChaCha20Poly1305(self.key)
        self._buffer = bytearray()
        self._index = 0
        self._tmp = temp_name(root)
        self._closed = False
        try:
            fd = os.open(self._tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
            self._file: BinaryIO | None = os.fdopen(fd, "wb", buffering=READ_BUFFER)
        except OSError as exc:
            raise storage_error(exc, None) from None

    def _seal(self, plain: bytes | bytearray | memoryview, last: bool) -> None:
        nonce = ((self._index << 8) | int(last)).to_bytes(12, "big")
        assert self._file is not None
        try:
            self._file.write(self._aead.encrypt(nonce, bytes(plain), None))
        except OSError as exc:
            raise storage_error(exc, None) from None
        self._index += 1

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        self.size += len(data)
        self._buffer += data
        # A full chunk is sealed only once more data follows: the final chunk may be full.
        while len(self._buffer) > stream.CHUNK_SIZE:
            self._seal(memoryview(self._buffer)[: stream.CHUNK_SIZE], last=False)
            del self._buffer[: stream.CHUNK_SIZE]
        return len(data)

    def close(self) -> None:
        self._seal(self._buffer, last=True)
        self._buffer = bytearray()
        assert self._file is not None
        try:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            self._file = None
            os.replace(self._tmp, self.root / self.name)
            fsync_dir(self.root)
        except OSError as exc:
            raise storage_error(exc, None) from None
        self._closed = True

    def abort(self) -> None:
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.close()
            self._file = None
        self._buffer = bytearray()
        with contextlib.suppress(OSError):
            self._tmp.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            (self.root / self.name).unlink(missing_ok=True)
