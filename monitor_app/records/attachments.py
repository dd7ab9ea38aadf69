"""Attachments: any file, of any size, streamed into the encrypted blob store.

Intake reads the original once, in bounded memory: the same pass encrypts it under a fresh
per-attachment key and computes its SHA-256 (chain of custody). The original name and media
type are kept only inside the encrypted database. Retrieval streams back to memory or to a
file the user chose, which is written under a temporary name and renamed only when complete
and authenticated.
"""

from __future__ import annotations

import contextlib
import io
import mimetypes
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from monitor_app.clock import now_iso
from monitor_app.errors import MonitorError, NotFoundError, ValidationError
from monitor_app.fsutil import FILE_MODE, NamedSource, fsync_dir, storage_error, temp_name
from monitor_app.jobs import CancelToken, Progress
from monitor_app.records import audit
from monitor_app.records.validation import _text

if TYPE_CHECKING:
    from monitor_app.vault.session import UnlockedVault

NAME_MAX = 255


@dataclass(frozen=True)
class AttachmentInfo:
    attachment_id: str
    record_id: str
    size: int
    sha256: str
    original_name: str
    media_type: str
    caption: str | None
    added_at: str
    added_by: str

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.attachment_id,
            "record_id": self.record_id,
            "size": self.size,
            "sha256": self.sha256,
            "original_name": self.original_name,
            "media_type": self.media_type,
            "caption": self.caption,
            "added_at": self.added_at,
            "added_by": self.added_by,
        }


def clean_name(name_untrusted: str) -> str:
    """Keep only the last path component; refuse control characters."""
    base = name_untrusted.replace("\\", "/").rsplit("/", 1)[-1].strip() or "attachment"
    return _text(base[:NAME_MAX], "original_name", multiline=False)


class AttachmentStore:
    def __init__(self, vault: UnlockedVault) -> None:
        self.vault = vault

    def add_file(
        self,
        record_id: str,
        path: Path,
        *,
        caption: str | None = None,
        media_type: str | None = None,
        progress: Progress | None = None,
        cancel: CancelToken | None = None,
    ) -> AttachmentInfo:
        try:
            source = NamedSource(path)
        except OSError:
            raise MonitorError("file_unreadable", path=str(path)) from None
        with source:
            try:
                total = os.fstat(source.fileno()).st_size
            except OSError:
                raise MonitorError("file_unreadable", path=str(path)) from None
            return self.add_stream(
                record_id,
                source,
                original_name=path.name,
                caption=caption,
                media_type=media_type,
                total=total,
                progress=progress,
                cancel=cancel,
            )

    def add_stream(
        self,
        record_id: str,
        source: BinaryIO,
        *,
        original_name: str,
        caption: str | None = None,
        media_type: str | None = None,
        total: int | None = None,
        progress: Progress | None = None,
        cancel: CancelToken | None = None,
    ) -> AttachmentInfo:
        name = clean_name(original_name)
        if caption is not None:
            caption = _text(caption, "caption", multiline=True)
        kind = media_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
        kind = _text(kind[:NAME_MAX], "media_type", multiline=False)
        self._check_record(record_id)
        intake = self.vault.blobs.store(source, total=total, progress=progress, cancel=cancel)
        attachment_id = str(uuid.uuid4())
        stamp = now_iso()
        author = self.vault.author.author_id
        try:
            with self.vault.transaction() as conn:
                conn.execute(
                    "INSERT INTO attachments (id, record_id, blob_name, blob_key, size, sha256,"
                    " original_name, media_type, caption, added_at, added_by)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        attachment_id,
                        record_id,
                        intake.blob_name,
                        intake.key,
                        intake.size,
                        intake.sha256,
                        name,
                        kind,
                        caption,
                        stamp,
                        author,
                    ),
                )
                audit.append(
                    conn,
                    author,
                    "attachment_added",
                    record_id,
                    {"attachment_id": attachment_id, "size": intake.size, "sha256": intake.sha256},
                )
        except BaseException:
            with contextlib.suppress(MonitorError):
                self.vault.blobs.remove(intake.blob_name)
            raise
        return AttachmentInfo(
            attachment_id, record_id, intake.size, intake.sha256, name, kind, caption, stamp, author
        )

    def list(self, record_id: str) -> list[AttachmentInfo]:
        with self.vault.reading() as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM attachments WHERE record_id = ? AND deleted_at IS NULL"
                " ORDER BY added_at, id",
                (record_id,),
            ).fetchall()
        return [AttachmentInfo(*r) for r in rows]

    def info(self, attachment_id: str) -> AttachmentInfo:
        return self._lookup(attachment_id)[0]

    def write_to(
        self,
        attachment_id: str,
        sink: BinaryIO,
        *,
        progress: Progress | None = None,
        cancel: CancelToken | None = None,
    ) -> AttachmentInfo:
        info, blob_name, key = self._lookup(attachment_id)
        digest = self.vault.blobs.retrieve(
            blob_name, key, sink, total=info.size, progress=progress, cancel=cancel
        )
        if digest != info.sha256:
            raise MonitorError("attachment_damaged", reason="hash_mismatch")
        return info

    def read_bytes(self, attachment_id: str, *, cancel: CancelToken | None = None) -> bytes:
        """The whole attachment in memory (for previews); never touches the disk."""
        buffer = io.BytesIO()
        self.write_to(attachment_id, buffer, cancel=cancel)
        return buffer.getvalue()

    def save_to_file(
        self,
        attachment_id: str,
        destination: Path,
        *,
        overwrite: bool = False,
        progress: Progress | None = None,
        cancel: CancelToken | None = None,
    ) -> AttachmentInfo:
        """Write a plaintext copy where the user explicitly asked for one."""
        if destination.exists() and not overwrite:
            raise MonitorError("output_exists", path=str(destination))
        directory = destination.parent
        tmp = temp_name(directory)
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        except OSError as exc:
            raise storage_error(exc, destination) from None
        try:
            with os.fdopen(fd, "wb") as sink:
                info = self.write_to(attachment_id, sink, progress=progress, cancel=cancel)
                sink.flush()
                os.fsync(sink.fileno())
            os.replace(tmp, destination)
            fsync_dir(directory)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise storage_error(exc, destination) from None
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        with self.vault.transaction() as conn:
            audit.append(
                conn,
                self.vault.author.author_id,
                "attachment_saved_out",
                info.record_id,
                {"attachment_id": attachment_id},
            )
        return info

    def _check_record(self, record_id: str) -> None:
        with self.vault.reading() as conn:
            row = conn.execute(
                "SELECT deleted_at FROM records WHERE id = ?", (record_id,)
            ).fetchone()
        if row is None:
            raise NotFoundError(record_id=record_id)
        if row[0]:
            raise ValidationError(field="record_id", reason="record_deleted")

    def _lookup(self, attachment_id: str) -> tuple[AttachmentInfo, str, bytes]:
        with self.vault.reading() as conn:
            row = conn.execute(
                f"SELECT {_COLUMNS}, blob_name, blob_key FROM attachments"
                " WHERE id = ? AND deleted_at IS NULL",
                (attachment_id,),
            ).fetchone()
        if row is None:
            raise NotFoundError("attachment_not_found", attachment_id=attachment_id)
        return AttachmentInfo(*row[:9]), row[9], bytes(row[10])


_COLUMNS = "id, record_id, size, sha256, original_name, media_type, caption, added_at, added_by"
