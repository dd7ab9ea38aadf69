"""Signed revisions: who wrote a revision, and that nobody changed it since.

Every revision is signed by the vault that wrote it, with its Ed25519 identity key, over a
canonical body (docs/bundle-format.md, "Signed revisions")::

    {"author_key": "<hex of the author's Ed25519 public key>" | null,
     "created_at": "<ISO 8601 with offset, the author's clock: informational>",
     "fields": {<the record's non-sensitive fields>},
     "format": "monitor_app-revision", "parent": "<hash of the parent revision>" | null,
     "record_id": "<uuid>",
     "sensitive": {"digest": "<hex>" | null, "fields": [<names of the sensitive fields>]},
     "type": "<record type>", "version": 1}

written as canonical JSON (monitor_app.canonical). The revision's hash is SHA-256 of
``CONTEXT + body``, and its signature is Ed25519 over the same bytes. The sensitive fields are
covered by a salted digest, SHA-256 of ``salt (32 bytes) + canonical JSON of the sensitive
fields``: a revision sent without them (the person did not consent) keeps its signature, and
a receiver learns which fields were withheld but cannot guess their values from the digest.

A revision names its parent by hash, so a record's history is a chain; two revisions with the
same parent are a fork, kept as a conflict. No number and no clock decides between them.
``author_key`` is null only for revisions received before signatures existed (a vault from
an earlier version): those are never sent on, and never shown as verified.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from monitor_app import canonical
from monitor_app.errors import MonitorError
from monitor_app.identity.keys import Identity

CONTEXT = b"monitor_app-revision v1\0"
FORMAT = "monitor_app-revision"
VERSION = 1
SALT_SIZE = 32
KEY_SIZE = 32
SIGNATURE_SIZE = 64
MAX_BODY = 16 << 20
_BODY_KEYS = frozenset(
    {"author_key", "created_at", "fields", "format", "parent", "record_id", "sensitive", "type"}
    | {"version"}
)
_HEX64 = re.compile(r"[0-9a-f]{64}\Z")
_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}\Z")


class RevisionError(MonitorError):
    """A revision that is not what it claims: its signature, hash or shape is wrong."""

    code = "revision_invalid"


@dataclass(frozen=True)
class Revision:
    """One revision as signed, with its sensitive fields when this copy carries them."""

    body: bytes
    hash: str
    signature: bytes | None  # None: received before signatures existed
    record_id: str
    type: str
    parent: str | None
    created_at: str
    author_key: bytes | None
    fields: dict[str, Any]
    sensitive_digest: str | None
    sensitive_names: tuple[str, ...]
    sensitive: dict[str, Any] | None = None  # the values, when this copy has them
    salt: bytes | None = None

    @property
    def withheld(self) -> bool:
        """The author wrote sensitive fields that this copy does not carry."""
        return bool(self.sensitive_names) and self.sensitive is None

    def without_sensitive(self) -> Revision:
        return Revision(
            self.body,
            self.hash,
            self.signature,
            self.record_id,
            self.type,
            self.parent,
            self.created_at,
            self.author_key,
            self.fields,
            self.sensitive_digest,
            self.sensitive_names,
        )


def sensitive_digest(salt: bytes, sensitive: dict[str, Any]) -> str:
    return hashlib.sha256(salt + canonical.dumps(sensitive)).hexdigest()


def hash_of(body: bytes) -> str:
    return hashlib.sha256(CONTEXT + body).hexdigest()


def body_of(
    *,
    record_id: str,
    type_name: str,
    parent: str | None,
    created_at: str,
    author_key: bytes | None,
    fields: dict[str, Any],
    digest: str | None,
    names: tuple[str, ...],
) -> bytes:
    return canonical.dumps(
        {
            "author_key": None if author_key is None else author_key.hex(),
            "created_at": created_at,
            "fields": fields,
            "format": FORMAT,
            "parent": parent,
            "record_id": record_id,
            "sensitive": {"digest": digest, "fields": sorted(names)},
            "type": type_name,
            "version": VERSION,
        }
    )


def write(
    identity: Identity | None,
    *,
    record_id: str,
    type_name: str,
    parent: str | None,
    created_at: str,
    fields: dict[str, Any],
    sensitive: dict[str, Any],
    salt: bytes | None = None,
) -> Revision:
    """A new revision, signed by ``identity`` (None: an unsigned one, for the migration of
    revisions received before signatures existed). A fresh salt unless one is given."""
    names = tuple(sorted(sensitive))
    if sensitive and salt is None:
        salt = secrets.token_bytes(SALT_SIZE)
    digest = sensitive_digest(salt, sensitive) if sensitive and salt is not None else None
    author_key = None if identity is None else identity.signing_public
    body = body_of(
        record_id=record_id,
        type_name=type_name,
        parent=parent,
        created_at=created_at,
        author_key=author_key,
        fields=fields,
        digest=digest,
        names=names,
    )
    signature = None if identity is None else identity.sign(CONTEXT + body)
    return Revision(
        body,
        hash_of(body),
        signature,
        record_id,
        type_name,
        parent,
        created_at,
        author_key,
        fields,
        digest,
        names,
        dict(sensitive) if sensitive else None,
        salt if sensitive else None,
    )


def _refuse_constant(name: str) -> Any:
    raise ValueError(name)  # NaN and Infinity are not JSON


def _bad(reason: str) -> RevisionError:
    return RevisionError("revision_malformed", reason=reason)


def parse(
    body: bytes,
    signature: bytes | None,
    *,
    sensitive: dict[str, Any] | None = None,
    salt: bytes | None = None,
) -> Revision:
    """A revision from its signed body, strictly: canonical, exact keys, checked types, the
    sensitive values (if given) matching the signed digest. The signature is not checked
    here: ``verify`` does that, in the record store's one way in."""
    if len(body) > MAX_BODY:
        raise _bad("too_large")
    try:
        obj = json.loads(body.decode("utf-8"), parse_constant=_refuse_constant)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise _bad("json") from None
    if not isinstance(obj, dict) or set(obj) != _BODY_KEYS:
        raise _bad("keys")
    if obj["format"] != FORMAT or obj["version"] != VERSION:
        raise _bad("format")
    try:
        if canonical.dumps(obj) != body:
            raise _bad("not_canonical")
    except UnicodeEncodeError:
        raise _bad("not_canonical") from None
    record_id = obj["record_id"]
    if not isinstance(record_id, str) or len(record_id) != 36:
        raise _bad("record_id")
    try:
        if str(uuid.UUID(record_id)) != record_id:
            raise _bad("record_id")
    except ValueError:
        raise _bad("record_id") from None
    type_name, created_at, fields = obj["type"], obj["created_at"], obj["fields"]
    if not isinstance(type_name, str) or not _NAME.match(type_name):
        raise _bad("type")
    if not isinstance(created_at, str) or len(created_at) > 64:
        raise _bad("created_at")
    try:
        if datetime.fromisoformat(created_at).tzinfo is None:
            raise _bad("created_at")
    except ValueError:
        raise _bad("created_at") from None
    if not isinstance(fields, dict):
        raise _bad("fields")
    parent = obj["parent"]
    if parent is not None and (not isinstance(parent, str) or not _HEX64.match(parent)):
        raise _bad("parent")
    key_hex = obj["author_key"]
    author_key: bytes | None = None
    if key_hex is not None:
        if not isinstance(key_hex, str) or not _HEX64.match(key_hex):
            raise _bad("author_key")
        author_key = bytes.fromhex(key_hex)
    part = obj["sensitive"]
    if not isinstance(part, dict) or set(part) != {"digest", "fields"}:
        raise _bad("sensitive")
    digest, names = part["digest"], part["fields"]
    if (
        not isinstance(names, list)
        or not all(isinstance(n, str) and _NAME.match(n) for n in names)
        or names != sorted(set(names))
    ):
        raise _bad("sensitive")
    if (digest is None) != (not names) or (
        digest is not None and (not isinstance(digest, str) or not _HEX64.match(digest))
    ):
        raise _bad("sensitive")
    if set(names) & set(fields):
        raise _bad("sensitive")
    if sensitive is not None:
        if salt is None or len(salt) != SALT_SIZE or sorted(sensitive) != names:
            raise RevisionError("revision_sensitive_mismatch", record_id=record_id)
        if not secrets.compare_digest(sensitive_digest(salt, sensitive), digest or ""):
            raise RevisionError("revision_sensitive_mismatch", record_id=record_id)
    if signature is not None and len(signature) != SIGNATURE_SIZE:
        raise _bad("signature")
    return Revision(
        body,
        hash_of(body),
        signature,
        record_id,
        type_name,
        parent,
        created_at,
        author_key,
        fields,
        digest,
        tuple(names),
        sensitive,
        salt if sensitive is not None else None,
    )


def verify(revision: Revision) -> None:
    """Raise unless ``revision`` is signed by the key it names (``revision_unsigned`` for a
    revision without a signature, ``revision_signature_invalid`` for a wrong one)."""
    if revision.signature is None or revision.author_key is None:
        raise RevisionError("revision_unsigned", record_id=revision.record_id)
    try:
        key = Ed25519PublicKey.from_public_bytes(revision.author_key)
        key.verify(revision.signature, CONTEXT + revision.body)
    except (InvalidSignature, ValueError):
        raise RevisionError("revision_signature_invalid", record_id=revision.record_id) from None
