"""The signed manifest of a bundle, parsed strictly (docs/bundle-format.md)."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from monitor_app.bundles import canonical
from monitor_app.bundles.errors import BundleError
from monitor_app.errors import ContactError, ValidationError
from monitor_app.identity.card import ContactCard, parse_card
from monitor_app.records.attachments import NAME_MAX, clean_name
from monitor_app.records.validation import _text

MAX_RECORD_LINE = 16 << 20
MAX_ENTRIES = 1_000_000
MAX_ATTACHMENT = 1 << 44  # 16 TiB: only a sanity bound, the manifest gives the real size
_HEX64 = re.compile(r"[0-9a-f]{64}\Z")
_FINGERPRINT = re.compile(r"[0-9]{32}\Z")
_HEX = re.compile(r"(?:[0-9a-f]{2})+\Z")
AUTHOR_MAX = 200

_MANIFEST_KEYS = frozenset(
    {
        "format",
        "version",
        "bundle_id",
        "kind",
        "created_at",
        "author",
        "recipients",
        "archive_recipients",
        "sequence",
        "follows",
        "records",
        "attachments",
        "receipt",
    }
)
_RECORD_ENTRY_KEYS = frozenset({"record_id", "hash", "size", "sha256"})
NOT_KEPT_REASONS = frozenset({"purged_here", "held_without_sensitive", "not_held"})
_ATTACHMENT_ENTRY_KEYS = frozenset(
    {
        "id",
        "record_id",
        "sha256",
        "size",
        "original_name",
        "media_type",
        "caption",
        "added_at",
        "metadata_removed",
    }
)


# --- the manifest -------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordEntry:
    record_id: str
    hash: str  # the revision's hash (records/provenance.py)
    size: int  # of its line in records.jsonl, without the newline
    sha256: str  # of that line


@dataclass(frozen=True)
class AttachmentEntry:
    attachment_id: str
    record_id: str
    sha256: str
    size: int
    original_name: str
    media_type: str
    added_at: str
    caption: str | None = None  # what the photo shows, as the monitor described it
    metadata_removed: bool = False  # a photo sent without its EXIF, XMP, IPTC and comments


@dataclass(frozen=True)
class ReceiptRef:
    """What a receipt confirms: a bundle, by id and the SHA-256 of its SHA256SUMS, and item
    by item what its writer now holds of it, and what not and why."""

    bundle_id: str
    sums_sha256: str
    kept_revisions: tuple[str, ...] = ()  # revision hashes
    kept_attachments: tuple[str, ...] = ()  # attachment ids
    not_kept: tuple[tuple[str, str, str], ...] = ()  # (item, hash or id, reason)

    def to_json(self) -> dict[str, Any]:
        return {
            "bundle_id": self.bundle_id,
            "sums_sha256": self.sums_sha256,
            "kept": {
                "revisions": list(self.kept_revisions),
                "attachments": list(self.kept_attachments),
            },
            "not_kept": [
                {"item": item, "key": key, "reason": reason} for item, key, reason in self.not_kept
            ],
        }


@dataclass(frozen=True)
class Manifest:
    bundle_id: str
    kind: str
    created_at: str
    author_fingerprint: str
    author_card: ContactCard
    recipients: tuple[str, ...]
    archive_recipients: tuple[str, ...]
    sequence: int
    follows: dict[str, int | None]
    records: tuple[RecordEntry, ...]
    attachments: tuple[AttachmentEntry, ...]
    receipt: ReceiptRef | None = None  # for kind "receipt": the bundle it confirms


def bad(reason: str, **params: Any) -> BundleError:
    return BundleError(reason=reason, **params)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise bad("duplicate_key")
        result[key] = value
    return result


def _refuse_constant(name: str) -> Any:
    raise bad("json")


def strict_json(data: bytes) -> Any:
    """UTF-8 JSON with duplicate keys, NaN and Infinity refused."""
    try:
        text = data.decode("utf-8")
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise bad("json") from None


def is_int(value: Any) -> bool:
    return type(value) is int


def _uuid(value: Any, reason: str) -> str:
    if not isinstance(value, str) or len(value) != 36:
        raise bad(reason)
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        raise bad(reason) from None
    if str(parsed) != value:
        raise bad(reason)
    return value


def timestamp(value: Any, reason: str) -> str:
    if not isinstance(value, str) or len(value) > 64:
        raise bad(reason)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise bad(reason) from None
    if parsed.tzinfo is None:
        raise bad(reason)
    return value


def _exact_keys(obj: Any, keys: frozenset[str], reason: str) -> dict[str, Any]:
    if not isinstance(obj, dict) or set(obj) != keys:
        raise bad(reason)
    return obj


def parse_manifest(data: bytes) -> Manifest:
    """The manifest, strictly: exact keys, checked types. Raises BundleError."""
    obj = strict_json(data)
    if not isinstance(obj, dict) or obj.get("format") != canonical.FORMAT:
        raise bad("manifest_format")
    version = obj.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise bad("manifest_version")
    if version > canonical.VERSION:
        raise BundleError("bundle_too_new", found=version, supported=canonical.VERSION)
    if version != canonical.VERSION:
        raise bad("manifest_version")
    _exact_keys(obj, _MANIFEST_KEYS, "manifest_keys")
    bundle_id = _uuid(obj["bundle_id"], "manifest_bundle_id")
    kind = obj["kind"]
    receipt: ReceiptRef | None = None
    if kind == "receipt":
        receipt = _receipt(obj["receipt"])
        if obj["records"] != [] or obj["attachments"] != []:
            raise bad("manifest_kind")
    elif kind != "records" or obj["receipt"] is not None:
        raise bad("manifest_kind")
    created_at = timestamp(obj["created_at"], "manifest_created_at")
    author = _exact_keys(obj["author"], frozenset({"fingerprint", "card"}), "manifest_author")
    fingerprint = author["fingerprint"]
    if not isinstance(fingerprint, str) or not _FINGERPRINT.match(fingerprint):
        raise bad("manifest_author")
    card_hex = author["card"]
    if not isinstance(card_hex, str) or not _HEX.match(card_hex) or len(card_hex) > 1 << 16:
        raise bad("manifest_author")
    try:
        card = parse_card(bytes.fromhex(card_hex))
    except ContactError:
        raise bad("author_card") from None
    if card.fingerprint != fingerprint:
        raise bad("author_fingerprint")
    recipients = obj["recipients"]
    if (
        not isinstance(recipients, list)
        or not all(isinstance(r, str) and _FINGERPRINT.match(r) for r in recipients)
        or len(set(recipients)) != len(recipients)
    ):
        raise bad("manifest_recipients")
    archive = obj["archive_recipients"]
    if not isinstance(archive, list) or not all(
        isinstance(a, str) and a.startswith("age1") and len(a) < 200 for a in archive
    ):
        raise bad("manifest_archive_recipients")
    sequence = obj["sequence"]
    if not is_int(sequence) or sequence < 1:
        raise bad("manifest_sequence")
    follows = obj["follows"]
    if not isinstance(follows, dict) or not all(
        _FINGERPRINT.match(k) and (v is None or (is_int(v) and 1 <= v < sequence))
        for k, v in follows.items()
    ):
        raise bad("manifest_follows")
    records = _record_entries(obj["records"])
    attachments = _attachment_entries(obj["attachments"])
    return Manifest(
        bundle_id=bundle_id,
        kind=kind,
        created_at=created_at,
        author_fingerprint=fingerprint,
        author_card=card,
        recipients=tuple(recipients),
        archive_recipients=tuple(archive),
        sequence=sequence,
        follows=dict(follows),
        records=records,
        attachments=attachments,
        receipt=receipt,
    )


def _sorted_unique(value: Any, check: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or len(value) > MAX_ENTRIES:
        raise bad("manifest_receipt")
    if not all(isinstance(v, str) and check(v) for v in value) or value != sorted(set(value)):
        raise bad("manifest_receipt")
    return tuple(value)


def _is_uuid(value: str) -> bool:
    try:
        return _uuid(value, "manifest_receipt") == value
    except BundleError:
        return False


def _receipt(value: Any) -> ReceiptRef:
    obj = _exact_keys(
        value, frozenset({"bundle_id", "sums_sha256", "kept", "not_kept"}), "manifest_receipt"
    )
    digest = obj["sums_sha256"]
    if not isinstance(digest, str) or not _HEX64.match(digest):
        raise bad("manifest_receipt")
    kept = _exact_keys(obj["kept"], frozenset({"revisions", "attachments"}), "manifest_receipt")
    revisions = _sorted_unique(kept["revisions"], _HEX64.match)
    attachments = _sorted_unique(kept["attachments"], _is_uuid)
    not_kept = obj["not_kept"]
    if not isinstance(not_kept, list) or len(not_kept) > MAX_ENTRIES:
        raise bad("manifest_receipt")
    refused: list[tuple[str, str, str]] = []
    for entry in not_kept:
        item = _exact_keys(entry, frozenset({"item", "key", "reason"}), "manifest_receipt")
        kind, key, reason = item["item"], item["key"], item["reason"]
        if reason not in NOT_KEPT_REASONS or not isinstance(key, str):
            raise bad("manifest_receipt")
        if not (kind == "revision" and _HEX64.match(key)) and not (
            kind == "attachment" and _is_uuid(key)
        ):
            raise bad("manifest_receipt")
        refused.append((kind, key, reason))
    keys = [key for _, key, _ in refused]
    if len(set(keys)) != len(keys) or set(keys) & (set(revisions) | set(attachments)):
        raise bad("manifest_receipt")
    return ReceiptRef(
        _uuid(obj["bundle_id"], "manifest_receipt"),
        digest,
        revisions,
        attachments,
        tuple(sorted(refused)),
    )


def _record_entries(value: Any) -> tuple[RecordEntry, ...]:
    if not isinstance(value, list) or len(value) > MAX_ENTRIES:
        raise bad("manifest_records")
    entries = []
    seen: set[str] = set()
    for item in value:
        obj = _exact_keys(item, _RECORD_ENTRY_KEYS, "manifest_records")
        record_id = _uuid(obj["record_id"], "manifest_records")
        revision, size, digest = obj["hash"], obj["size"], obj["sha256"]
        if not isinstance(revision, str) or not _HEX64.match(revision):
            raise bad("manifest_records")
        if not is_int(size) or not 2 <= size <= MAX_RECORD_LINE:
            raise bad("manifest_records")
        if not isinstance(digest, str) or not _HEX64.match(digest):
            raise bad("manifest_records")
        if revision in seen:
            raise bad("manifest_records")
        seen.add(revision)
        entries.append(RecordEntry(record_id, revision, size, digest))
    return tuple(entries)


def _attachment_entries(value: Any) -> tuple[AttachmentEntry, ...]:
    if not isinstance(value, list) or len(value) > MAX_ENTRIES:
        raise bad("manifest_attachments")
    entries = []
    sizes: dict[str, int] = {}
    for item in value:
        obj = _exact_keys(item, _ATTACHMENT_ENTRY_KEYS, "manifest_attachments")
        digest, size = obj["sha256"], obj["size"]
        if not isinstance(digest, str) or not _HEX64.match(digest):
            raise bad("manifest_attachments")
        if not is_int(size) or not 0 <= size <= MAX_ATTACHMENT:
            raise bad("manifest_attachments")
        if sizes.setdefault(digest, size) != size:
            raise bad("manifest_attachments")
        name, media_type = obj["original_name"], obj["media_type"]
        if not isinstance(obj["metadata_removed"], bool):
            raise bad("manifest_attachments")
        try:
            if not isinstance(name, str) or clean_name(name) != name:
                raise bad("manifest_attachments")
            if not isinstance(media_type, str) or len(media_type) > NAME_MAX:
                raise bad("manifest_attachments")
            _text(media_type, "media_type", multiline=False)
            caption = obj["caption"]
            if caption is not None:
                caption = _text(caption, "caption", multiline=True)
        except ValidationError:
            raise bad("manifest_attachments") from None
        entries.append(
            AttachmentEntry(
                attachment_id=_uuid(obj["id"], "manifest_attachments"),
                record_id=_uuid(obj["record_id"], "manifest_attachments"),
                sha256=digest,
                size=size,
                original_name=name,
                media_type=media_type,
                added_at=timestamp(obj["added_at"], "manifest_attachments"),
                caption=caption,
                metadata_removed=obj["metadata_removed"],
            )
        )
    if len({e.attachment_id for e in entries}) != len(entries):
        raise bad("manifest_attachments")
    return tuple(entries)
