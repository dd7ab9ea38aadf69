"""Export: write a signed, encrypted bundle of what the chosen recipients do not have yet.

The bundle is built as a stream (see docs/bundle-format.md): two passes over the records (one
to hash and size them for the signed checksums, one to write them), attachments decrypted
from the vault chunk by chunk straight into the age encryption. Memory stays bounded and no
plaintext touches the disk.

The file is written under a temporary name in the destination folder, flushed, fsynced and
renamed, then read back from the device and compared with what was written (USB sticks lie).
Only then is the handoff recorded in the vault, in one transaction with its audit entry. On
cancel or failure nothing is left at the destination that could pass for a bundle, and the
vault is unchanged; where the device itself went away, so that the unfinished file could not
be deleted, the next export into that folder deletes it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import secrets
import uuid
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from monitor_app.background import BackgroundWriter
from monitor_app.bundles import canonical, image_metadata, layout, selection, sums
from monitor_app.bundles.errors import BundleError
from monitor_app.bundles.manifest import AttachmentEntry
from monitor_app.bundles.read_back import MacSink, ReadBack, ReadBackFailed
from monitor_app.bundles.tarstream import OutMember, TarReader, tar_chunks
from monitor_app.clock import now_iso
from monitor_app.crypto import age, minisign, stream
from monitor_app.errors import MonitorError
from monitor_app.fsutil import atomic_writer, remove_unfinished_files, storage_error
from monitor_app.identity.contacts import Contact
from monitor_app.jobs import CancelToken, Progress, check
from monitor_app.records import audit

if TYPE_CHECKING:
    from monitor_app.vault.database import Connection
    from monitor_app.vault.session import UnlockedVault

STANZA_MULTIPLE = 4  # the header always holds a multiple of this many recipient stanzas
_ZERO_CHUNK = bytes(1 << 16)


@dataclass(frozen=True)
class ExportResult:
    bundle_id: str
    path: Path
    size: int
    sequence: int
    revisions: int
    attachments: int
    redacted_people: int
    images_without_metadata: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "bundle_id": self.bundle_id,
            "path": str(self.path),
            "size": self.size,
            "sequence": self.sequence,
            "revisions": self.revisions,
            "attachments": self.attachments,
            "redacted_people": self.redacted_people,
            "images_without_metadata": self.images_without_metadata,
        }


def neutral_name() -> str:
    """A random file name that says nothing about author, recipients or content."""
    return secrets.token_hex(8) + ".bin"


def _recipients_for(
    contacts: Sequence[Contact], archive: Sequence[str]
) -> list[age.X25519Recipient]:
    recipients = [age.X25519Recipient(c.encryption_public_key) for c in contacts]
    recipients += [age.X25519Recipient.parse(text) for text in archive]
    # Stanzas for throwaway keys, so the header does not tell how many recipients there are.
    while len(recipients) % STANZA_MULTIPLE:
        recipients.append(age.X25519Identity.generate().recipient)
    secrets.SystemRandom().shuffle(recipients)
    return recipients


def _check_contacts(contacts: Sequence[Contact], archive: Sequence[str]) -> None:
    if not contacts and not archive:
        raise MonitorError("export_no_recipients")
    for contact in contacts:
        if not contact.verified:
            raise MonitorError("contact_not_verified", fingerprint=contact.fingerprint)
    for text in archive:
        age.X25519Recipient.parse(text)  # raises age_recipient_invalid


class _Lines:
    """records.jsonl, producible twice from the same read of the vault."""

    def __init__(self, vault: UnlockedVault, chosen: selection.Selection) -> None:
        self._vault = vault
        self._chosen = chosen

    def __iter__(self) -> Iterator[tuple[str, bytes]]:
        """Each revision's hash and its line."""
        with self._vault.reading() as conn:
            for revision_hash, line in selection.record_lines(
                conn, self._chosen.revisions, self._chosen.redacted_people
            ):
                yield revision_hash, canonical.dumps(line)


def _zeros(size: int) -> Iterator[bytes]:
    while size > 0:
        piece = min(size, len(_ZERO_CHUNK))
        yield _ZERO_CHUNK[:piece]
        size -= piece


def _sha256_of(chunks: Iterable[bytes]) -> str:
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()


class _AttachmentSource:
    """An attachment's plaintext, decrypted from its blob as the tar reaches it.

    Its SHA-256 is not taken again: the blob is a STREAM under a key of its own, so
    decryption authenticates every chunk and the end, and the plaintext is exactly what
    intake hashed in the same pass as it encrypted it. A damaged or swapped blob fails here;
    a second hash would cost a SHA-256 pass over every byte of the bundle and prove nothing
    more.
    """

    def __init__(
        self, vault: UnlockedVault, ref: AttachmentEntry, cancel: CancelToken | None
    ) -> None:
        self._vault, self._ref, self._cancel = vault, ref, cancel

    def __call__(self) -> Generator[memoryview, None, None]:
        with self._vault.reading() as conn:
            row = conn.execute(
                "SELECT blob_name, blob_key FROM attachments WHERE id = ?",
                (self._ref.attachment_id,),
            ).fetchone()
        blob_name, key = str(row[0]), bytes(row[1])
        size = 0
        try:
            # Unbuffered, in pieces of 1 MiB decrypted in place; each piece is a view that
            # the next step reuses, and the tar reader copies it out before asking again.
            with open(self._vault.blobs.path_of(blob_name), "rb", buffering=0) as source:
                for piece in stream.iter_decrypted_batches(key, source, cancel=self._cancel):
                    size += len(piece)
                    if size > self._ref.size:
                        break
                    yield piece
        except FileNotFoundError:
            raise MonitorError("attachment_damaged", reason="blob_missing") from None
        except stream.StreamError as exc:
            raise MonitorError("attachment_damaged", reason=exc.params.get("reason")) from None
        if size != self._ref.size:
            raise MonitorError("attachment_damaged", reason="size_mismatch")


_Chunks = Callable[[], Iterable[bytes | memoryview]]


def _outgoing_attachment(
    vault: UnlockedVault, ref: AttachmentEntry, strip: bool, cancel: CancelToken | None
) -> tuple[AttachmentEntry, _Chunks, bool]:
    """The attachment as it goes out: its manifest entry, its content, and whether its
    metadata was removed. With ``strip``, a JPEG or PNG photo goes out without its metadata
    (the original stays in the vault) and any other image stops the export; the cleaned
    copy is made twice, once here for its size and SHA-256, once as the bundle is written."""
    original = _AttachmentSource(vault, ref, cancel)
    if not strip or not _is_image(original, ref):
        return ref, original, False

    def cleaned() -> Iterator[bytes]:
        return image_metadata.without_metadata(original(), ref.attachment_id)

    digest, size = hashlib.sha256(), 0
    for piece in cleaned():
        digest.update(piece)
        size += len(piece)
    return replace(ref, sha256=digest.hexdigest(), size=size), cleaned, True


def _is_image(source: _AttachmentSource, ref: AttachmentEntry) -> bool:
    """A photo to clean: JPEG or PNG by its first bytes, or anything stored as an image
    (which ``without_metadata`` then refuses, rather than send it with its metadata)."""
    if ref.media_type.lower().startswith("image/"):
        return True
    with contextlib.closing(source()) as pieces:  # one piece is enough: close the blob
        first = next(pieces, b"")
        return image_metadata.is_removable(bytes(first[:8]))


@dataclass(frozen=True)
class _Plan:
    bundle_id: str
    sequence: int
    members: list[OutMember]
    sums_bytes: bytes
    tar_size: int
    kind: str = "records"
    without_metadata: frozenset[str] = frozenset()  # attachment ids of photos sent cleaned


def _plan(
    vault: UnlockedVault,
    chosen: selection.Selection,
    contacts: Sequence[Contact],
    archive: Sequence[str],
    cancel: CancelToken | None,
    kind: str = "records",
    receipt: dict[str, Any] | None = None,
    strip_image_metadata: bool = False,
) -> _Plan:
    identity = vault.identity.keys()
    bundle_id = str(uuid.uuid4())
    lines = _Lines(vault, chosen)
    entries: list[dict[str, Any]] = []
    records_hash = hashlib.sha256()
    records_size = 0
    for ref, (revision_hash, line) in zip(chosen.revisions, lines, strict=True):
        check(cancel)
        records_hash.update(line + b"\n")
        records_size += len(line) + 1
        entries.append(
            {
                "record_id": ref.record_id,
                "hash": revision_hash,
                "size": len(line),
                "sha256": hashlib.sha256(line).hexdigest(),
            }
        )
    with vault.reading() as conn:
        sequence = (
            int(conn.execute("SELECT coalesce(max(sequence), 0) FROM bundles_out").fetchone()[0])
            + 1
        )
        follows = {
            c.fingerprint: conn.execute(
                "SELECT max(b.sequence) FROM bundles_out b JOIN bundle_recipients r"
                " ON r.bundle_id = b.bundle_id WHERE r.recipient = ?",
                (c.fingerprint,),
            ).fetchone()[0]
            for c in contacts
        }
    outgoing = [
        _outgoing_attachment(vault, a, strip_image_metadata, cancel) for a in chosen.attachments
    ]
    manifest = canonical.dumps(
        {
            "format": canonical.FORMAT,
            "version": canonical.VERSION,
            "bundle_id": bundle_id,
            "kind": kind,
            "created_at": now_iso(),
            "author": {
                "fingerprint": identity.fingerprint,
                "card": vault.identity.card().hex(),
            },
            "recipients": sorted(c.fingerprint for c in contacts),
            "archive_recipients": sorted(archive),
            "sequence": sequence,
            "follows": follows,
            "records": entries,
            "attachments": [
                {
                    "id": a.attachment_id,
                    "record_id": a.record_id,
                    "sha256": a.sha256,
                    "size": a.size,
                    "original_name": a.original_name,
                    "media_type": a.media_type,
                    "caption": a.caption,
                    "added_at": a.added_at,
                    "metadata_removed": cleaned,
                }
                for a, _, cleaned in outgoing
            ],
            "receipt": receipt,
        }
    )
    contents: dict[str, tuple[int, Callable[[], Iterable[bytes | memoryview]]]] = {
        layout.MANIFEST: (len(manifest), lambda: [manifest]),
        layout.RECORDS: (records_size, lambda: (line + b"\n" for _, line in lines)),
    }
    digests = {
        layout.MANIFEST: hashlib.sha256(manifest).hexdigest(),
        layout.RECORDS: records_hash.hexdigest(),
    }
    for entry, chunks, _ in sorted(
        {a.sha256: (a, c, x) for a, c, x in outgoing}.values(), key=lambda o: o[0].sha256
    ):
        name = layout.attachment_member(entry.sha256)
        contents[name] = (entry.size, chunks)
        digests[name] = entry.sha256
    # Every line of SHA256SUMS has a fixed length, so the padding can be sized before its
    # hash is known; the signature's size is fixed by the format.
    trusted = canonical.trusted_comment(bundle_id, kind)
    names = [*contents, layout.PADDING]
    sums_size = len(sums.format_sums((name, "0" * 64) for name in names))
    signer = canonical.signer_comment(
        minisign.public_key_base64(identity.signing_private.public_key())
    )
    signature_size = len(minisign.sign(identity.signing_private, b"", trusted, signer))
    unpadded = sum(layout.member_span(size) for size, _ in contents.values())
    unpadded += layout.member_span(sums_size) + layout.member_span(signature_size)
    padding = layout.padding_size(unpadded)
    digests[layout.PADDING] = _sha256_of(_zeros(padding))
    sums_bytes = sums.format_sums((name, digests[name]) for name in names)
    signature_bytes = minisign.sign(identity.signing_private, sums_bytes, trusted, signer)
    members = [
        OutMember(layout.SUMS, len(sums_bytes), lambda: [sums_bytes]),
        OutMember(layout.SIGNATURE, len(signature_bytes), lambda: [signature_bytes]),
        *(OutMember(name, size, chunks) for name, (size, chunks) in contents.items()),
        OutMember(layout.PADDING, padding, lambda: _zeros(padding)),
    ]
    tar_size = sum(layout.member_span(m.size) for m in members) + layout.TAR_END
    tar_size += -tar_size % layout.TAR_RECORD
    without_metadata = frozenset(a.attachment_id for a, _, cleaned in outgoing if cleaned)
    return _Plan(bundle_id, sequence, members, sums_bytes, tar_size, kind, without_metadata)


def export_bundle(
    vault: UnlockedVault,
    destination: Path,
    *,
    contacts: Sequence[Contact] = (),
    archive_recipients: Sequence[str] = (),
    record_ids: Sequence[str] | None = None,
    file_name: str | None = None,
    strip_image_metadata: bool = False,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> ExportResult:
    """Write a bundle into the folder ``destination`` and record the handoff.

    With ``strip_image_metadata``, photos go out without their metadata (EXIF with GPS,
    XMP, IPTC, comments: see image_metadata); the originals stay in the vault, and a purge
    keeps them unless asked to include what went out withheld."""
    _check_contacts(contacts, archive_recipients)
    if not destination.is_dir():
        raise MonitorError("export_destination_missing", path=str(destination))
    target = destination / (file_name or neutral_name())
    if target.exists():
        raise MonitorError("export_target_exists", path=str(target))
    # Archive keys are tracked like contacts, so "not yet handed over" holds for them too.
    fingerprints = [c.fingerprint for c in contacts] + ["age:" + a for a in archive_recipients]
    with vault.reading() as conn:
        chosen = selection.select(conn, fingerprints, record_ids)
    if chosen.empty:
        raise MonitorError("export_nothing_new")
    plan = _plan(
        vault,
        chosen,
        contacts,
        archive_recipients,
        cancel,
        strip_image_metadata=strip_image_metadata,
    )
    size = _write_and_record(
        target,
        plan,
        contacts,
        archive_recipients,
        lambda file_sha256, size: _record_handoff(
            vault, plan, fingerprints, archive_recipients, chosen, file_sha256, size
        ),
        progress,
        cancel,
    )
    return ExportResult(
        plan.bundle_id,
        target,
        size,
        plan.sequence,
        len(chosen.revisions),
        len(chosen.attachments),
        len(chosen.redacted_people),
        len(plan.without_metadata),
    )


def _write_and_record(
    target: Path,
    plan: _Plan,
    contacts: Sequence[Contact],
    archive: Sequence[str],
    record: Callable[[str, int], None],
    progress: Progress | None,
    cancel: CancelToken | None,
) -> int:
    """Encrypt ``plan`` to ``target``, read it back, then ``record(file_sha256, size)`` the
    handoff; on any failure after writing, the file is removed. Returns the file's size."""
    recipients = _recipients_for(contacts, archive)
    # A stick pulled out during an earlier export keeps that export's hidden, unfinished
    # file (it could not be deleted then). It is ciphertext, but it shows that a bundle was
    # being written: it goes now that the stick is back.
    remove_unfinished_files(target.parent, age.VERSION_LINE)
    with contextlib.ExitStack() as cleanup:
        with atomic_writer(target) as handle:
            read_back = ReadBack(handle.fileno())
            cleanup.callback(read_back.abandon)
            # Writes run on a second thread, beside the encryption, past the page cache
            # where the stick's file system allows; the reader checks each segment on the
            # device as soon as it is synced.
            writer = BackgroundWriter(handle, after_write=read_back.written, direct=True)
            try:
                sink = MacSink(writer, read_back.key)
                age.encrypt(
                    recipients,
                    TarReader(tar_chunks(plan.members)),  # type: ignore[arg-type]
                    sink,  # type: ignore[arg-type]
                    size=plan.tar_size,
                    progress=progress,
                    cancel=cancel,
                )
                writer.finish()
            finally:
                writer.abandon()
        read_back.complete(sink.size)
        try:
            try:
                file_sha256 = read_back.verify(sink.tag(), sink.size)
            except OSError as exc:
                raise storage_error(exc, target) from None
            except ReadBackFailed:
                raise MonitorError("export_read_back_failed", path=str(target)) from None
            record(file_sha256, sink.size)
        except BaseException:
            with contextlib.suppress(OSError):
                target.unlink()
            raise
    return sink.size


def _insert_bundle_out(
    conn: Connection,
    plan: _Plan,
    fingerprints: Sequence[str],
    archive: Sequence[str],
    file_sha256: str,
    size: int,
) -> None:
    """The bundles_out row and its recipients; refuses a sequence taken meanwhile."""
    taken = conn.execute(
        "SELECT 1 FROM bundles_out WHERE sequence = ?", (plan.sequence,)
    ).fetchone()
    if taken:  # another export finished meanwhile; this file's sequence is now wrong
        raise BundleError("export_conflict")
    conn.execute(
        "INSERT INTO bundles_out (bundle_id, sequence, kind, created_at, archive_recipients,"
        " sums_sha256, file_sha256, size) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            plan.bundle_id,
            plan.sequence,
            plan.kind,
            now_iso(),
            json.dumps(sorted(archive)),
            hashlib.sha256(plan.sums_bytes).hexdigest(),
            file_sha256,
            size,
        ),
    )
    conn.executemany(
        "INSERT INTO bundle_recipients (bundle_id, recipient) VALUES (?, ?)",
        [(plan.bundle_id, f) for f in fingerprints],
    )


def _record_handoff(
    vault: UnlockedVault,
    plan: _Plan,
    fingerprints: Sequence[str],
    archive: Sequence[str],
    chosen: selection.Selection,
    file_sha256: str,
    size: int,
) -> None:
    cleaned = plan.without_metadata
    with vault.transaction() as conn:
        _insert_bundle_out(conn, plan, fingerprints, archive, file_sha256, size)
        withheld = selection.withheld_revisions(conn, chosen)
        conn.executemany(
            "INSERT INTO bundle_items (bundle_id, item, item_id, revision, redacted)"
            " VALUES (?, ?, ?, ?, ?)",
            [
                (plan.bundle_id, "revision", r.record_id, r.revision, int(r in withheld))
                for r in chosen.revisions
            ]
            + [
                # A photo sent without its metadata went out withheld: the original, with
                # it, exists only here (purge keeps it unless asked).
                (plan.bundle_id, "attachment", a.attachment_id, 0, int(a.attachment_id in cleaned))
                for a in chosen.attachments
            ],
        )
        audit.append(
            conn,
            vault.author.author_id,
            "bundle_exported",
            details={
                "bundle_id": plan.bundle_id,
                "sequence": plan.sequence,
                "recipients": sorted(fingerprints),
                "revisions": len(chosen.revisions),
                "attachments": len(chosen.attachments),
                "redacted_people": len(chosen.redacted_people),
                "images_without_metadata": len(cleaned),
            },
        )
