"""The encrypted attachment store: one file per attachment under ``blobs/``.

Each blob is the STREAM ciphertext (ChaCha20-Poly1305, 64 KiB chunks, as in age) of one
attachment under its own random key; the key, size, hash, name and media type live only in the
encrypted database. Blob names are random, never content hashes: a hash on disk would let
whoever seizes the vault confirm that it holds a known photo.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import time
from pathlib import Path
from typing import BinaryIO

from monitor_app.background import BackgroundSha256, BackgroundWriter, durable_writer
from monitor_app.crypto import stream
from monitor_app.errors import MonitorError, StorageError
from monitor_app.fsutil import (
    FILE_MODE,
    TEMP_PREFIX,
    fsync_dir,
    make_private_dir,
    storage_error,
    temp_name,
)
from monitor_app.jobs import CancelToken, Progress

BLOB_DIR = "blobs"
KEY_LENGTH = 32
READ_BUFFER = 1024 * 1024
STALE_AFTER_SECONDS = 600.0


class Intake:
    """What storing one attachment produced; nothing references it until the DB row commits."""

    def __init__(self, blob_name: str, key: bytes, size: int, sha256: str) -> None:
        self.blob_name = blob_name
        self.key = key
        self.size = size
        self.sha256 = sha256


class BlobStore:
    def __init__(self, vault_dir: Path) -> None:
        self.root = vault_dir / BLOB_DIR

    def ensure(self) -> None:
        make_private_dir(self.root)

    def path_of(self, blob_name: str) -> Path:
        if len(blob_name) != 32 or not all(c in "0123456789abcdef" for c in blob_name):
            raise MonitorError("attachment_damaged", reason="blob_name")
        return self.root / blob_name

    def store(
        self,
        source: BinaryIO,
        *,
        total: int | None = None,
        progress: Progress | None = None,
        cancel: CancelToken | None = None,
    ) -> Intake:
        """Encrypt ``source`` into a new blob, hashing the original in the same pass.

        The hash and the writes run on worker threads (``monitor_app.background``) beside
        the encryption, and the blob is written past the page cache where the file system
        allows: it is synced at once and read again only when someone opens or exports it.
        """
        self.ensure()
        key = secrets.token_bytes(KEY_LENGTH)
        blob_name = secrets.token_hex(16)
        target = self.root / blob_name
        tmp = temp_name(self.root)
        digest = BackgroundSha256()
        writer: BackgroundWriter | None = None
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
            with os.fdopen(fd, "wb", buffering=0) as sink:
                writer = durable_writer(sink)
                size = stream.encrypt_stream(
                    key,
                    source,
                    writer,  # type: ignore[arg-type]
                    total=total,
                    progress=progress,
                    cancel=cancel,
                    digest=digest,
                )
                writer.finish()
                os.fsync(sink.fileno())
            os.replace(tmp, target)
            fsync_dir(self.root)
        except BaseException as exc:
            # Stop the worker threads and remove the partial blob, whatever went wrong.
            if writer is not None:
                writer.abandon()
            digest.close()
            tmp.unlink(missing_ok=True)
            if isinstance(exc, OSError):
                raise storage_error(exc, self.root) from None
            raise
        return Intake(blob_name, key, size, digest.hexdigest())

    def retrieve(
        self,
        blob_name: str,
        key: bytes,
        sink: BinaryIO,
        *,
        total: int | None = None,
        progress: Progress | None = None,
        cancel: CancelToken | None = None,
    ) -> str:
        """Decrypt a blob into ``sink``; returns the SHA-256 of what was written."""
        digest = hashlib.sha256()
        try:
            with open(self.path_of(blob_name), "rb", buffering=READ_BUFFER) as source:
                stream.decrypt_stream(
                    key,
                    source,
                    sink,
                    total=total,
                    progress=progress,
                    cancel=cancel,
                    digest=digest,
                )
        except FileNotFoundError:
            raise MonitorError("attachment_damaged", reason="blob_missing") from None
        except stream.StreamError as exc:
            raise MonitorError("attachment_damaged", reason=exc.params.get("reason")) from None
        except OSError as exc:
            raise storage_error(exc, None) from None
        return digest.hexdigest()

    def remove(self, blob_name: str) -> None:
        try:
            self.path_of(blob_name).unlink(missing_ok=True)
            fsync_dir(self.root)
        except OSError as exc:
            raise StorageError("storage_failed", errno=exc.errno) from None

    def sweep(self, referenced: set[str], min_age_seconds: float = STALE_AFTER_SECONDS) -> int:
        """Remove temp files and blobs no row refers to (left by a crash before commit).

        Only files untouched for a while go: another process sharing the vault may be between
        writing a blob and committing its row.
        """
        if not self.root.is_dir():
            return 0
        cutoff = time.time() - min_age_seconds
        removed = 0
        for entry in self.root.iterdir():
            orphan = entry.name.startswith(TEMP_PREFIX) or (
                len(entry.name) == 32 and entry.name not in referenced
            )
            try:
                if orphan and entry.is_file() and entry.stat().st_mtime < cutoff:
                    entry.unlink()
                    removed += 1
            except OSError:
                continue
        return removed
