"""Reading a bundle: decrypt, check and stage it inside the vault, trusting nothing early.

The age payload is decrypted chunk by chunk into the strict tar parser (docs/bundle-format.md,
"Reading rules"). ``SHA256SUMS``, its signature and ``manifest.json`` are small and kept in
memory under fixed caps; ``records.jsonl`` and the attachments are never held whole and never
reach the disk in plaintext: each is encrypted again, as it arrives, into a blob of the vault's
own blob store under a fresh key (the same STREAM format as ``BlobStore``). Every member is
hashed while it is staged, and every size is bounded by the signed manifest before its data is
read.

Nothing staged is used before the STREAM final chunk has been authenticated, the tar has ended
properly and every check passed. On any failure every staged blob is removed, and the vault's
database is never written here: merging is ``importing``'s business.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from monitor_app.bundles import canonical, layout, sums
from monitor_app.bundles.errors import BundleError
from monitor_app.bundles.manifest import (
    Manifest,
    ReceiptRef,
    RecordEntry,
    bad,
    parse_manifest,
    strict_json,
)
from monitor_app.bundles.member_sinks import AttachmentSink, MemorySink, PaddingSink, RecordsSink
from monitor_app.bundles.staging_blob import BlobWriter
from monitor_app.bundles.tarstream import InMember, MemberSink, TarParser
from monitor_app.crypto import age, minisign, stream
from monitor_app.errors import MonitorError, ValidationError
from monitor_app.fsutil import NamedSource, fsync_dir, storage_error
from monitor_app.jobs import CancelToken, Progress, check
from monitor_app.records import provenance
from monitor_app.records.schema import RECORD_TYPES, RecordType
from monitor_app.records.validation import Validated, validate
from monitor_app.records.vocabularies import Vocabularies, default_vocabularies

if TYPE_CHECKING:
    from monitor_app.vault.session import UnlockedVault

_HEX = re.compile(r"[0-9a-f]+\Z")
MAX_SUMS = 16 << 20
MAX_MANIFEST = 64 << 20
# Up to this many bytes of records.jsonl the parsed revisions stay in memory from the check
# to the merge (about 6 times as much as Python objects: some 100 MB at most).
KEEP_PARSED_BYTES = 16 << 20
_LINE_KEYS = frozenset({"signed", "signature"})
_LINE_OPTIONAL = frozenset({"sensitive", "sensitive_salt"})


class BundleRefused(MonitorError):
    """An authentic bundle (decrypted, signature verified) that this vault does not take:
    not addressed to it, written by itself, or carrying a record that does not validate.
    Importing records such a refusal in the audit log."""

    code = "bundle_refused"


# --- the staging --------------------------------------------------------------------------


@dataclass(frozen=True)
class IncomingRevision:
    """One line of records.jsonl, parsed and validated; its signature is verified where it
    is stored (``RecordStore.put``)."""

    record_id: str
    record_type: RecordType
    revision: provenance.Revision
    valid: Validated


@dataclass(frozen=True)
class BundleSummary:
    """What a verified bundle holds and who signed it; never record content."""

    bundle_id: str
    kind: str
    created_at: str
    author_fingerprint: str
    author_name: str
    author_organisation: str | None
    signer_known: bool
    signer_verified: bool
    sequence: int
    follows: int | None  # the author's previous bundle to this vault, by the author's count
    revisions: int
    records: int
    attachments: int
    sums_sha256: str
    receipt: ReceiptRef | None = None  # for kind "receipt": the bundle it confirms

    def to_json(self) -> dict[str, Any]:
        return {
            "bundle_id": self.bundle_id,
            "kind": self.kind,
            "created_at": self.created_at,
            "author_fingerprint": self.author_fingerprint,
            "author_name": self.author_name,
            "author_organisation": self.author_organisation,
            "signer_known": self.signer_known,
            "signer_verified": self.signer_verified,
            "sequence": self.sequence,
            "follows": self.follows,
            "revisions": self.revisions,
            "records": self.records,
            "attachments": self.attachments,
            "sums_sha256": self.sums_sha256,
            "receipt": (
                None
                if self.receipt is None
                else {
                    "bundle_id": self.receipt.bundle_id,
                    "sums_sha256": self.receipt.sums_sha256,
                }
            ),
        }


@dataclass
class Staging:
    """A verified bundle, staged encrypted in the vault's blob store. ``discard`` it."""

    vault: UnlockedVault
    manifest: Manifest | None = None
    summary: BundleSummary | None = None
    sums_sha256: str = ""
    records_blob: BlobWriter | None = None
    # attachment content (SHA-256) -> its staged blob
    content_blobs: dict[str, BlobWriter] = field(default_factory=dict)
    writers: list[BlobWriter] = field(default_factory=list)
    _handed_out: set[str] = field(default_factory=set, init=False, repr=False)
    vocabularies: Vocabularies = field(default_factory=default_vocabularies)
    # The revisions as the check parsed them, for the merge to use again (see ``check``).
    _parsed: list[IncomingRevision] | None = field(default=None, init=False, repr=False)

    def new_writer(self) -> BlobWriter:
        self.vault.blobs.ensure()
        writer = BlobWriter(self.vault.blobs.root)
        self.writers.append(writer)
        return writer

    def discard(self, keep: frozenset[str] = frozenset()) -> None:
        """Remove every staged blob but those in ``keep`` (now referenced by the vault)."""
        for writer in self.writers:
            if writer.name not in keep:
                writer.abort()
        with contextlib.suppress(OSError):
            fsync_dir(self.vault.blobs.root)
        self.writers = [w for w in self.writers if w.name in keep]
        self._parsed = None

    def check_revisions(self, cancel: CancelToken | None = None) -> None:
        """Parse, validate and check every revision once, before anything is shown or
        merged. When the records are small enough (``KEEP_PARSED_BYTES``), the parsed
        revisions are kept for ``revisions`` to hand out again: parsing and validating
        twice was a third of an import's time. A larger bundle is read again, in bounded
        memory."""
        assert self.manifest is not None
        keep = sum(entry.size for entry in self.manifest.records) <= KEEP_PARSED_BYTES
        parsed: list[IncomingRevision] = []
        for incoming in self._read_revisions(cancel):
            check(cancel)
            if keep:
                parsed.append(incoming)
        self._parsed = parsed if keep else None

    def revisions(self, cancel: CancelToken | None = None) -> Iterator[IncomingRevision]:
        """Each revision of the bundle, parsed and validated, in the bundle's order."""
        if self._parsed is not None:
            for incoming in self._parsed:
                check(cancel)
                yield incoming
            return
        yield from self._read_revisions(cancel)

    def blob_for(self, sha256: str, cancel: CancelToken | None = None) -> BlobWriter:
        """A staged blob of this content for one attachment row: the blob staged while
        reading the first time, then a copy under a fresh key each time (blob names and keys
        are one per attachment row)."""
        staged = self.content_blobs[sha256]
        if sha256 not in self._handed_out:
            self._handed_out.add(sha256)
            return staged
        copy = self.new_writer()
        try:
            with open(self.vault.blobs.path_of(staged.name), "rb") as source:
                for chunk in stream.iter_decrypted_chunks(staged.key, source, cancel=cancel):
                    copy.write(chunk)
        except OSError as exc:
            raise storage_error(exc, self.vault.blobs.root) from None
        except stream.StreamError:
            raise bad("staging_damaged") from None
        copy.close()
        if copy.digest.hexdigest() != sha256:
            raise bad("staging_damaged")
        return copy

    def _read_revisions(self, cancel: CancelToken | None) -> Iterator[IncomingRevision]:
        """Each line of the staged records.jsonl, decrypted back, parsed and validated."""
        assert self.manifest is not None and self.records_blob is not None
        entries = self.manifest.records
        index = 0
        buffer = bytearray()
        try:
            with open(self.vault.blobs.path_of(self.records_blob.name), "rb") as source:
                for chunk in stream.iter_decrypted_chunks(
                    self.records_blob.key, source, cancel=cancel
                ):
                    buffer += chunk
                    while index < len(entries) and len(buffer) > entries[index].size:
                        size = entries[index].size
                        line = bytes(buffer[:size])
                        if buffer[size] != 0x0A:
                            raise bad("record_hash", index=index)
                        del buffer[: size + 1]
                        yield self._parse_line(entries[index], line, index)
                        index += 1
        except OSError as exc:
            raise storage_error(exc, self.vault.blobs.root) from None
        except stream.StreamError:
            raise bad("staging_damaged") from None
        if index != len(entries) or buffer:
            raise bad("records_size")

    def _parse_line(self, entry: RecordEntry, line: bytes, index: int) -> IncomingRevision:
        if hashlib.sha256(line).hexdigest() != entry.sha256 or b"\n" in line:
            raise bad("record_hash", index=index)
        obj = strict_json(line)
        if not isinstance(obj, dict) or not _LINE_KEYS <= set(obj) <= _LINE_KEYS | _LINE_OPTIONAL:
            raise bad("record_keys", index=index)
        signed, signature = obj["signed"], obj["signature"]
        sensitive, salt = obj.get("sensitive"), obj.get("sensitive_salt")
        if not isinstance(signed, str) or not _is_hex(signature, provenance.SIGNATURE_SIZE):
            raise bad("record_keys", index=index)
        if (sensitive is None) != (salt is None) or ("sensitive" in obj and sensitive is None):
            raise bad("record_fields", index=index)
        if sensitive is not None and (
            not isinstance(sensitive, dict) or not _is_hex(salt, provenance.SALT_SIZE)
        ):
            raise bad("record_fields", index=index)
        try:
            revision = provenance.parse(
                signed.encode("utf-8"),
                bytes.fromhex(signature),
                sensitive=sensitive,
                salt=None if salt is None else bytes.fromhex(salt),
            )
        except UnicodeEncodeError:  # a lone surrogate: no revision can have been signed so
            raise BundleRefused(
                "bundle_record_invalid", index=index, reason="text_not_encodable"
            ) from None
        except provenance.RevisionError as exc:
            raise BundleRefused(exc.code, index=index, **exc.params) from None
        if revision.record_id != entry.record_id or revision.hash != entry.hash:
            raise bad("record_entry", index=index)
        record_type = RECORD_TYPES.get(revision.type)
        if record_type is None:
            raise bad("record_type", index=index)
        if not all(
            name in record_type.by_name and record_type.by_name[name].sensitive
            for name in revision.sensitive_names
        ):
            raise BundleRefused("bundle_record_invalid", index=index, reason="fields_not_split")
        public = revision.fields
        try:
            valid = validate(record_type, {**public, **(sensitive or {})}, self.vocabularies)
        except ValidationError as exc:
            raise BundleRefused(
                "bundle_record_invalid",
                index=index,
                field=exc.params.get("field"),
                reason=exc.params.get("reason"),
            ) from None
        # Sensitive fields travel only in "sensitive": one sent as public would be indexed.
        if valid.public != public or valid.sensitive != (sensitive or {}):
            raise BundleRefused("bundle_record_invalid", index=index, reason="fields_not_split")
        return IncomingRevision(entry.record_id, record_type, revision, valid)


def _is_hex(value: Any, size: int) -> bool:
    return isinstance(value, str) and len(value) == 2 * size and _HEX.match(value) is not None


class _Reader:
    """The tar members, in the order and sizes the format and the manifest allow."""

    def __init__(self, staging: Staging, own_fingerprint: str) -> None:
        self.staging = staging
        self.own_fingerprint = own_fingerprint
        self.expected: list[str] = [layout.SUMS, layout.SIGNATURE, layout.MANIFEST]
        self.sizes: dict[str, int] = {}
        self.index = 0
        self.current: InMember | None = None
        self.sink: Any = None
        self.sums: dict[str, str] = {}
        self.sums_bytes = b""
        self.signature = b""
        self.signer_key = b""
        self.trusted_comment = ""

    def on_member(self, member: InMember) -> MemberSink:
        self._finish_current()
        name = member.name
        if self.index >= len(self.expected) or name != self.expected[self.index]:
            raise bad(self._misplaced(name), position=self.index)
        self.index += 1
        self.current = member
        if name == layout.SUMS:
            if member.size > MAX_SUMS:
                raise bad("member_size", member=name)
            self.sink = MemorySink(MAX_SUMS)
        elif name == layout.SIGNATURE:
            if member.size > minisign.MAX_SIGNATURE_FILE_BYTES:
                raise bad("member_size", member=name)
            self.sink = MemorySink(minisign.MAX_SIGNATURE_FILE_BYTES)
        elif name == layout.MANIFEST:
            if member.size > MAX_MANIFEST:
                raise bad("member_size", member=name)
            self.sink = MemorySink(MAX_MANIFEST)
        else:
            if member.size != self.sizes[name]:
                raise bad("member_size", member=name)
            self.sink = self._streaming_sink(name)
        return self.sink  # type: ignore[no-any-return]

    def _misplaced(self, name: str) -> str:
        """Why a member that is not the one expected next is refused: each kind of planted
        member gets its own reason, so a refusal says what was found."""
        if name in self.expected[: self.index]:
            return "member_duplicate"
        if _unsafe_path(name):
            return "member_path_unsafe"
        if name in self.expected:
            return "member_order"
        if self.staging.manifest is None and (
            name in layout.LEADING or name == layout.PADDING or layout.is_attachment_member(name)
        ):
            return "member_order"  # a bundle's member, before the manifest that lists it
        return "member_unexpected"

    def _streaming_sink(self, name: str) -> Any:
        staging = self.staging
        manifest = staging.manifest
        assert manifest is not None
        if name == layout.RECORDS:
            staging.records_blob = staging.new_writer()
            return RecordsSink(staging.records_blob, manifest.records)
        if name == layout.PADDING:
            return PaddingSink()
        writer = staging.content_blobs[name[len(layout.ATTACHMENT_PREFIX) :]] = staging.new_writer()
        return AttachmentSink(writer)

    def _finish_current(self) -> None:
        member, sink = self.current, self.sink
        if member is None:
            return
        self.current = self.sink = None
        name = member.name
        if name == layout.SUMS:
            self.sums_bytes = bytes(sink.data)
            self.sums = sums.parse_sums(self.sums_bytes)
        elif name == layout.SIGNATURE:
            self.signature = bytes(sink.data)
            self._verify_signature()
        elif name == layout.MANIFEST:
            data = bytes(sink.data)
            self._check_digest(name, hashlib.sha256(data).hexdigest())
            self._after_manifest(data)
        elif name == layout.RECORDS:
            sink.finish()
            sink.writer.close()
            self._check_digest(name, sink.writer.digest.hexdigest())
        elif name == layout.PADDING:
            self._check_digest(name, sink.digest.hexdigest())
        else:
            got = sink.digest.hexdigest()
            if got != name[len(layout.ATTACHMENT_PREFIX) :]:
                raise bad("attachment_hash")
            self._check_digest(name, got)
            sink.writer.close()

    def _check_digest(self, name: str, digest: str) -> None:
        if self.sums.get(name) != digest:
            raise bad("sums_mismatch", member=name)

    def _verify_signature(self) -> None:
        """SHA256SUMS against the key its signature's untrusted comment names, before any
        member is parsed as JSON: the manifest is read only once its hash is signed. Who
        holds that key is decided later, from this vault's contacts."""
        try:
            comment = minisign.untrusted_comment(self.signature)
            if not comment.startswith(canonical.SIGNER_PREFIX):
                raise BundleError("bundle_signature_invalid", reason="signer_comment")
            key = minisign.parse_public_key(comment[len(canonical.SIGNER_PREFIX) :])
            verified = minisign.verify(key, self.sums_bytes, self.signature)
        except minisign.SignatureError as exc:
            detail = {"detail": exc.params["reason"]} if "reason" in exc.params else {}
            raise BundleError("bundle_signature_invalid", reason=exc.code, **detail) from None
        self.signer_key = key.key.public_bytes_raw()
        self.trusted_comment = verified.trusted_comment

    def _after_manifest(self, data: bytes) -> None:
        manifest = parse_manifest(data)
        if manifest.author_card.signing_public_key != self.signer_key:
            raise BundleError("bundle_signature_invalid", reason="signature_key_mismatch")
        if self.trusted_comment != canonical.trusted_comment(manifest.bundle_id, manifest.kind):
            raise BundleError("bundle_signature_invalid", reason="trusted_comment")
        self.staging.manifest = manifest
        attachment_names = [
            layout.attachment_member(d) for d in sorted({a.sha256 for a in manifest.attachments})
        ]
        rest = [layout.RECORDS, *attachment_names, layout.PADDING]
        if list(self.sums) != [layout.MANIFEST, *rest]:
            raise bad("sums_listing")  # signed, but not the members this manifest implies
        self.sizes[layout.RECORDS] = sum(e.size + 1 for e in manifest.records)
        for entry in manifest.attachments:
            self.sizes[layout.attachment_member(entry.sha256)] = entry.size
        unpadded = sum(
            layout.member_span(size)
            for size in (len(self.sums_bytes), len(self.signature), len(data))
        )
        unpadded += sum(layout.member_span(self.sizes[name]) for name in rest[:-1])
        self.sizes[layout.PADDING] = layout.padding_size(unpadded)
        self.expected += rest

    def finish(self) -> None:
        self._finish_current()
        if self.index != len(self.expected) or self.staging.manifest is None:
            raise bad("member_missing")


def _unsafe_path(name: str) -> bool:
    """A name that would escape the folder a tool extracts into, or that is not a relative
    POSIX path (nothing here writes members to disk, but such a name is an attack)."""
    parts = name.split("/")
    return name.startswith("/") or "\\" in name or ".." in parts or "" in parts[:-1]


def _age_refusal(exc: age.AgeError) -> MonitorError:
    """The bundle error for a refused age header: not for this vault (no stanza opens with
    this vault's key, which a damaged stanza of ours also gives), damaged (the header MAC
    fails, or the file ends inside the header), or not a bundle at all."""
    if exc.code == "age_no_identity":
        return MonitorError("bundle_not_for_this_vault")
    if exc.code == "age_mac_invalid":
        return BundleError("bundle_damaged", reason="age_mac")
    detail = exc.params.get("reason", exc.code)
    if detail == "truncated":
        return BundleError("bundle_damaged", reason="truncated")
    return bad("age_header", detail=detail)


def _decrypt_into(
    vault: UnlockedVault,
    path: Path,
    parser: TarParser,
    progress: Progress | None,
    cancel: CancelToken | None,
) -> None:
    identity = age.X25519Identity(vault.identity.keys().encryption_private)
    try:
        # Unbuffered: each chunk is read straight into the decryption's buffer, no copy.
        # A read error (the stick pulled out) is a storage error naming the bundle.
        source = NamedSource(path)
    except OSError:
        raise MonitorError("file_unreadable", path=str(path)) from None
    with source:
        try:
            _decrypt_from(source, identity, parser, progress, cancel)
        except OSError as exc:  # its size or position
            raise storage_error(exc, path) from None


def _decrypt_from(
    source: BinaryIO,
    identity: age.X25519Identity,
    parser: TarParser,
    progress: Progress | None,
    cancel: CancelToken | None,
) -> None:
    try:
        total = os.fstat(source.fileno()).st_size
        header = age.read_header(source)
        file_key = age.unwrap_file_key(header, [identity])
    except age.AgeError as exc:
        raise _age_refusal(exc) from None
    nonce = source.read(stream.AGE_PAYLOAD_NONCE_SIZE)
    if len(nonce) != stream.AGE_PAYLOAD_NONCE_SIZE:
        raise BundleError("bundle_damaged", reason="truncated")
    key = stream.derive_age_payload_key(file_key, nonce)
    step = 1 << 20
    next_report = step
    try:
        # In pieces of 1 MiB: the parser, the sinks and the hash take one step per MiB.
        for piece in stream.iter_decrypted_batches(key, source, cancel=cancel):
            parser.write(piece)
            if progress is not None:
                done = source.tell()
                if done >= next_report:
                    progress(done, total)
                    next_report = done + step
    except stream.StreamError as exc:
        raise BundleError("bundle_damaged", reason=exc.params.get("reason")) from None
    if progress is not None:
        progress(total, total)


def open_bundle(
    vault: UnlockedVault,
    path: Path,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> Staging:
    """Decrypt, check and stage the bundle at ``path``. The caller must ``discard`` the
    result (keeping only the blobs it committed rows for). On any error nothing is left.

    Raises ``bundle_not_for_this_vault``, ``bundle_damaged``, ``bundle_malformed``,
    ``bundle_too_new``, ``bundle_signature_invalid``, and ``BundleRefused``
    (``bundle_from_self``, ``bundle_not_addressed``, ``bundle_record_invalid``).
    """
    check(cancel)
    own = vault.identity.keys()
    staging = Staging(vault)
    try:
        reader = _Reader(staging, own.fingerprint)
        parser = TarParser(reader.on_member)
        _decrypt_into(vault, path, parser, progress, cancel)
        # Only now, with the STREAM final chunk authenticated, is anything staged used.
        parser.close()
        reader.finish()
        manifest = staging.manifest
        assert manifest is not None
        staging.sums_sha256 = hashlib.sha256(reader.sums_bytes).hexdigest()
        card = manifest.author_card
        if card.signing_public_key == own.signing_public or manifest.author_fingerprint == (
            own.fingerprint
        ):
            raise BundleRefused("bundle_from_self")
        if own.fingerprint not in manifest.recipients:
            raise BundleRefused("bundle_not_addressed", reason="forwarded_or_misdirected")
        staging.check_revisions(cancel)
        contact = vault.contacts.by_signing_key(card.signing_public_key)
        staging.summary = BundleSummary(
            bundle_id=manifest.bundle_id,
            kind=manifest.kind,
            created_at=manifest.created_at,
            author_fingerprint=manifest.author_fingerprint,
            # Who signed, in the words of this vault's own contact list: a card can call
            # itself anything ("Coalition Hub"). Only an unknown signer is named by its card,
            # and shown as unknown.
            author_name=card.name if contact is None else contact.name,
            author_organisation=card.organisation if contact is None else contact.organisation,
            signer_known=contact is not None,
            signer_verified=contact is not None and contact.verified,
            sequence=manifest.sequence,
            follows=manifest.follows.get(own.fingerprint),
            revisions=len(manifest.records),
            records=len({e.record_id for e in manifest.records}),
            attachments=len(manifest.attachments),
            sums_sha256=staging.sums_sha256,
            receipt=manifest.receipt,
        )
    except BundleRefused as exc:
        staging.discard()
        if staging.manifest is not None:  # authentic: say whose bundle was refused
            exc.params.setdefault("bundle_id", staging.manifest.bundle_id)
            exc.params.setdefault("author_fingerprint", staging.manifest.author_fingerprint)
        raise
    except BaseException:
        staging.discard()
        raise
    return staging


def verify_bundle(
    vault: UnlockedVault,
    path: Path,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> BundleSummary:
    """Decrypt and check the bundle at ``path`` without merging it; nothing stays behind."""
    staging = open_bundle(vault, path, progress, cancel)
    try:
        assert staging.summary is not None
        return staging.summary
    finally:
        staging.discard()
