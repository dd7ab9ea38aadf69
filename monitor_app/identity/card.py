"""Contact cards: a vault's public keys and who holds them, signed by its own signing key.

A card is one JSON object, written canonically (keys sorted, no spaces, UTF-8, a final line
break)::

    {"created_at": "2024-05-01T10:00:00.000000+06:00",
     "encryption_public_key": "<base64 of 32 bytes, X25519>",
     "format": "monitor_app-contact-card",
     "name": "Aida K.", "organisation": "Coalition member" | null, "role": "hub" | null,
     "signature": "<base64 of 64 bytes>",
     "signing_public_key": "<base64 of 32 bytes, Ed25519>",
     "version": 1}

``signature`` is the Ed25519 signature, by ``signing_public_key``, of
``b"monitor_app-contact-card v1\\0"`` followed by the canonical JSON of every other field
(``json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False)``, UTF-8). The
prefix keeps a card signature from ever being mistaken for a signature of anything else made
with the same key. A self-signature proves only that whoever made the card holds the signing
key; that the key belongs to the named person is established by comparing fingerprints aloud.

Cards arrive from outside, so ``parse_card`` is strict: at most 16 KiB, UTF-8, JSON with no
duplicate keys and no NaN or Infinity, exactly the fields above, text single-line, without
control, format or bidirectional-override characters (zero-width joiner and non-joiner are
allowed), without surrounding spaces, at most 200 characters, keys in canonical base64 of the
right length, a low-order X25519 key refused, and the signature verified. Errors name the field
and a reason, never the refused value.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from monitor_app.clock import now_iso
from monitor_app.errors import ContactError
from monitor_app.identity import fingerprint as fp
from monitor_app.identity.keys import Identity

FORMAT = "monitor_app-contact-card"
VERSION = 1
SIGNATURE_CONTEXT = b"monitor_app-contact-card v1\0"
MAX_CARD_BYTES = 16 * 1024
TEXT_MAX = 200
TIMESTAMP_MAX = 64
KEY_LENGTH = 32
SIGNATURE_LENGTH = 64

BODY_FIELDS = (
    "created_at",
    "encryption_public_key",
    "format",
    "name",
    "organisation",
    "role",
    "signing_public_key",
    "version",
)
CARD_FIELDS = frozenset({*BODY_FIELDS, "signature"})

# Unicode categories refused in card text: controls, format characters (bidirectional
# overrides and isolates, zero-width spaces, byte-order marks, tags), lone surrogates, line and
# paragraph separators. Joiners stay: Persian, Indic and emoji sequences need them.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_ALLOWED_FORMAT = frozenset({"\u200c", "\u200d"})


def _invalid(field: str, reason: str, **params: Any) -> ContactError:
    return ContactError("card_invalid", field=field, reason=reason, **params)


def check_text(value: Any, field: str, *, required: bool) -> str | None:
    """A card text field: one plain line, or None where allowed. Raises card_invalid."""
    if value is None:
        if required:
            raise _invalid(field, "missing")
        return None
    if not isinstance(value, str):
        raise _invalid(field, "wrong_type")
    if not value:
        raise _invalid(field, "empty")
    if len(value) > TEXT_MAX:
        raise _invalid(field, "too_long", maximum=TEXT_MAX)
    for char in value:
        if unicodedata.category(char) in _REFUSED_CATEGORIES and char not in _ALLOWED_FORMAT:
            raise _invalid(field, "control_characters")
    if value != value.strip():
        raise _invalid(field, "surrounding_space")
    return value


def _check_timestamp(value: Any) -> str:
    if not isinstance(value, str):
        raise _invalid("created_at", "wrong_type")
    if len(value) > TIMESTAMP_MAX or not value.isascii():
        raise _invalid("created_at", "invalid_timestamp")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise _invalid("created_at", "invalid_timestamp") from None
    if parsed.tzinfo is None:
        raise _invalid("created_at", "invalid_timestamp")
    return value


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(value: Any, field: str, length: int) -> bytes:
    if not isinstance(value, str):
        raise _invalid(field, "wrong_type")
    if len(value) > 4 * length or not value.isascii():
        raise _invalid(field, "not_base64")
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise _invalid(field, "not_base64") from None
    if len(raw) != length:
        raise _invalid(field, "wrong_length")
    if _b64(raw) != value:  # one encoding per key: no stray padding bits
        raise _invalid(field, "not_base64")
    return raw


def _check_encryption_key(raw: bytes) -> None:
    # A low-order point gives an all-zero shared secret: whatever is encrypted to it is public.
    try:
        X25519PrivateKey.generate().exchange(X25519PublicKey.from_public_bytes(raw))
    except ValueError:
        raise _invalid("encryption_public_key", "invalid_key") from None


def canonical_json(value: dict[str, Any]) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


@dataclass(frozen=True)
class ContactCard:
    name: str
    organisation: str | None
    role: str | None
    signing_public_key: bytes
    encryption_public_key: bytes
    created_at: str
    signature: bytes

    @property
    def fingerprint(self) -> str:
        return fp.compute(self.signing_public_key, self.encryption_public_key)

    def body(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": VERSION,
            "name": self.name,
            "organisation": self.organisation,
            "role": self.role,
            "signing_public_key": _b64(self.signing_public_key),
            "encryption_public_key": _b64(self.encryption_public_key),
            "created_at": self.created_at,
        }

    def signed_message(self) -> bytes:
        return SIGNATURE_CONTEXT + canonical_json(self.body())

    def to_bytes(self) -> bytes:
        """The card file: canonical JSON and a line break."""
        return canonical_json({**self.body(), "signature": _b64(self.signature)}) + b"\n"

    def same_content(self, other: ContactCard) -> bool:
        """Same person details and keys (the time and signature aside)."""
        return (
            self.name == other.name
            and self.organisation == other.organisation
            and self.role == other.role
            and self.signing_public_key == other.signing_public_key
            and self.encryption_public_key == other.encryption_public_key
        )


def _plain(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def make_card(
    identity: Identity,
    *,
    name: str,
    organisation: str | None = None,
    role: str | None = None,
    created_at: str | None = None,
) -> ContactCard:
    """A card for ``identity``, signed by it. Surrounding spaces are dropped, empty is None."""
    clean_name = check_text(_plain(name), "name", required=True)
    assert clean_name is not None
    unsigned = ContactCard(
        name=clean_name,
        organisation=check_text(_plain(organisation), "organisation", required=False),
        role=check_text(_plain(role), "role", required=False),
        signing_public_key=identity.signing_public,
        encryption_public_key=identity.encryption_public,
        created_at=_check_timestamp(created_at or now_iso()),
        signature=b"",
    )
    signature = identity.sign(unsigned.signed_message())
    return dataclasses.replace(unsigned, signature=signature)


def _pairs_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _invalid("card", "duplicate_key")
        result[key] = value
    return result


def _refuse_constant(name: str) -> Any:
    raise _invalid("card", "invalid_json")


def _json_object(data: bytes) -> dict[str, Any]:
    if not isinstance(data, bytes | bytearray | memoryview):
        raise _invalid("card", "wrong_type")
    if len(data) > MAX_CARD_BYTES:
        raise _invalid("card", "too_large", maximum=MAX_CARD_BYTES)
    try:
        text = bytes(data).decode("utf-8")
    except UnicodeDecodeError:
        raise _invalid("card", "not_utf8") from None
    try:
        value = json.loads(
            text,
            object_pairs_hook=_pairs_without_duplicates,
            parse_constant=_refuse_constant,
        )
    except (ValueError, RecursionError):
        raise _invalid("card", "invalid_json") from None
    if not isinstance(value, dict):
        raise _invalid("card", "wrong_type")
    return value


def parse_card(data: bytes) -> ContactCard:
    """Read and check a card from outside; raises card_invalid or card_signature_invalid."""
    obj = _json_object(data)
    if obj.get("format") != FORMAT:
        raise _invalid("format", "wrong_format")
    version = obj.get("version")
    if type(version) is not int or version != VERSION:
        raise _invalid("version", "unsupported_version", supported=VERSION)
    if set(obj) - CARD_FIELDS:
        raise _invalid("card", "unknown_field")
    missing = sorted(CARD_FIELDS - set(obj))
    if missing:
        raise _invalid(missing[0], "missing")
    name = check_text(obj["name"], "name", required=True)
    assert name is not None
    signing_key = _unb64(obj["signing_public_key"], "signing_public_key", KEY_LENGTH)
    encryption_key = _unb64(obj["encryption_public_key"], "encryption_public_key", KEY_LENGTH)
    _check_encryption_key(encryption_key)
    card = ContactCard(
        name=name,
        organisation=check_text(obj["organisation"], "organisation", required=False),
        role=check_text(obj["role"], "role", required=False),
        signing_public_key=signing_key,
        encryption_public_key=encryption_key,
        created_at=_check_timestamp(obj["created_at"]),
        signature=_unb64(obj["signature"], "signature", SIGNATURE_LENGTH),
    )
    try:
        Ed25519PublicKey.from_public_bytes(signing_key).verify(
            card.signature, card.signed_message()
        )
    except (InvalidSignature, ValueError):
        raise ContactError("card_signature_invalid") from None
    return card


def created_at_of(card: ContactCard) -> datetime:
    return datetime.fromisoformat(card.created_at)
