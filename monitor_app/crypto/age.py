"""The age v1 file format (C2SP age) with X25519 recipients, binary (not armored).

An age file is a text header that wraps a random 16-byte file key for each recipient,
followed by a 16-byte nonce and the STREAM payload of ``monitor_app.crypto.stream``::

    age-encryption.org/v1
    -> X25519 <ephemeral share, base64>
    <wrapped file key, base64>
    --- <header MAC, base64>
    <nonce><payload>

Reading is strict, as the specification requires: canonical unpadded base64 only, stanza
bodies wrapped at exactly 64 columns and ended by a shorter (possibly empty) line, LF line
ends, a header MAC checked in constant time, well-formed X25519 stanzas (two arguments, a
32-byte share, a 32-byte body), no all-zero shared secret, and a payload that ends with a
valid final chunk. Stanzas of other types are checked for syntax and otherwise ignored,
except that an scrypt stanza must be alone in its header.

Streaming keeps memory bounded: the header is limited to ``MAX_HEADER_SIZE`` bytes and lines
to ``MAX_LINE_SIZE``; the payload is processed one chunk at a time.

As with ``decrypt_stream``, damage to the payload is noticed only when its chunk is reached:
a caller writing plaintext to a file must write it under a temporary name and keep it only if
``decrypt`` returns normally.

Errors are ``AgeError`` (``age_*`` codes) and ``StreamError`` (``stream_damaged``). Their
parameters are short reason codes, never key material or file content.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from monitor_app.crypto import bech32
from monitor_app.crypto.stream import (
    AGE_FILE_KEY_SIZE,
    AGE_PAYLOAD_NONCE_SIZE,
    StreamError,
    decrypt_stream,
    derive_age_payload_key,
    encrypt_stream,
)
from monitor_app.errors import MonitorError, StorageError
from monitor_app.jobs import CancelToken, Progress, check

__all__ = [
    "MAX_HEADER_SIZE",
    "MAX_LINE_SIZE",
    "AgeError",
    "Header",
    "Stanza",
    "X25519Identity",
    "X25519Recipient",
    "decrypt",
    "decrypt_payload",
    "encrypt",
    "parse_identity_lines",
    "read_header",
    "unwrap_file_key",
]

VERSION_LINE = b"age-encryption.org/v1\n"
_INTRO = b"age-encryption.org/"
_STANZA_PREFIX = b"-> "
_MAC_PREFIX = b"---"
_COLUMNS = 64
_MAC_SIZE = 32
_MAC_B64_LENGTH = 43
_X25519_TYPE = "X25519"
_X25519_INFO = b"age-encryption.org/v1/X25519"
_X25519_KEY_SIZE = 32
_WRAPPED_KEY_SIZE = AGE_FILE_KEY_SIZE + 16
_ZERO_NONCE = bytes(12)
_RECIPIENT_HRP = "age"
_IDENTITY_HRP = "AGE-SECRET-KEY-"

# Limits that keep a hostile header from using unbounded memory. The longest line of any
# stanza type the specification defines is under 2 KiB.
MAX_LINE_SIZE = 16 * 1024
MAX_HEADER_SIZE = 1024 * 1024

_B64_CHARS = re.compile(rb"[A-Za-z0-9+/]*")


class AgeError(MonitorError):
    """An age file, recipient or identity was refused.

    Codes: ``age_header_invalid`` (``params['reason']`` says what is wrong),
    ``age_version_unsupported``, ``age_mac_invalid``, ``age_no_identity``,
    ``age_recipient_invalid`` and ``age_identity_invalid`` (with a ``reason``).
    """

    code = "age_header_invalid"


def _header_error(reason: str) -> AgeError:
    return AgeError("age_header_invalid", reason=reason)


# --- base64 -----------------------------------------------------------------------------


def _b64encode(data: bytes) -> bytes:
    return base64.b64encode(data).rstrip(b"=")


def _b64decode(text: bytes) -> bytes:
    """Decode canonical unpadded base64; raise AgeError on anything else."""
    if _B64_CHARS.fullmatch(text) is None or len(text) % 4 == 1:
        raise _header_error("invalid_base64")
    try:
        data = base64.b64decode(text + b"=" * (-len(text) % 4), validate=True)
    except binascii.Error:
        raise _header_error("invalid_base64") from None
    # Unused low bits of the last character must be zero: re-encoding gives it back.
    if _b64encode(data) != text:
        raise _header_error("non_canonical_base64")
    return data


# --- keys -------------------------------------------------------------------------------


def _hkdf(ikm: bytes, salt: bytes | None, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(ikm)


def _new_private_key() -> X25519PrivateKey:
    return X25519PrivateKey.from_private_bytes(secrets.token_bytes(_X25519_KEY_SIZE))


def _decode_key(text: str, hrp: str, code: str, wrong_kind: str) -> bytes:
    """The 32 key bytes of a bech32 ``age1...`` or ``AGE-SECRET-KEY-1...`` string."""
    try:
        found, data = bech32.decode(text)
    except bech32.Bech32Error as exc:
        raise AgeError(code, reason=exc.reason) from None
    if found != hrp:
        raise AgeError(code, reason=wrong_kind)
    if len(data) != _X25519_KEY_SIZE:
        raise AgeError(code, reason="wrong_length")
    return data


@dataclass(frozen=True)
class Stanza:
    """One recipient stanza: its arguments (the type first) and its decoded body."""

    args: tuple[str, ...]
    body: bytes

    @property
    def type(self) -> str:
        return self.args[0]


@dataclass(frozen=True)
class X25519Recipient:
    """An age X25519 public key (``age1...``)."""

    public_key: bytes

    def __post_init__(self) -> None:
        if len(self.public_key) != _X25519_KEY_SIZE:
            raise ValueError("an X25519 public key is 32 bytes")

    @classmethod
    def parse(cls, text: str) -> X25519Recipient:
        """Parse ``age1...``; raises AgeError ``age_recipient_invalid``."""
        return cls(
            _decode_key(text, _RECIPIENT_HRP, "age_recipient_invalid", "not_an_age_recipient")
        )

    def encode(self) -> str:
        return bech32.encode(_RECIPIENT_HRP, self.public_key)

    def __str__(self) -> str:
        return self.encode()

    def wrap(self, file_key: bytes) -> Stanza:
        """The X25519 stanza that gives ``file_key`` to this recipient."""
        ephemeral = _new_private_key()
        share = ephemeral.public_key().public_bytes_raw()
        try:
            shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(self.public_key))
        except ValueError:
            # A low-order point: the shared secret would be all zeroes.
            raise AgeError("age_recipient_invalid", reason="low_order_point") from None
        wrap_key = _hkdf(shared, share + self.public_key, _X25519_INFO)
        body = ChaCha20Poly1305(wrap_key).encrypt(_ZERO_NONCE, file_key, None)
        return Stanza((_X25519_TYPE, _b64encode(share).decode("ascii")), body)


class X25519Identity:
    """An age X25519 secret key (``AGE-SECRET-KEY-1...``). Its repr shows only the public key."""

    __slots__ = ("_private", "_public")

    def __init__(self, private_key: X25519PrivateKey) -> None:
        self._private = private_key
        self._public = private_key.public_key().public_bytes_raw()

    @classmethod
    def generate(cls) -> X25519Identity:
        return cls(_new_private_key())

    @classmethod
    def parse(cls, text: str) -> X25519Identity:
        """Parse ``AGE-SECRET-KEY-1...`` (uppercase); raises ``age_identity_invalid``."""
        data = _decode_key(text, _IDENTITY_HRP, "age_identity_invalid", "not_an_age_secret_key")
        return cls(X25519PrivateKey.from_private_bytes(data))

    def encode(self) -> str:
        """The secret key as age-keygen writes it. Handle the result as a secret."""
        return bech32.encode(_IDENTITY_HRP, self._private.private_bytes_raw())

    @property
    def recipient(self) -> X25519Recipient:
        return X25519Recipient(self._public)

    def __repr__(self) -> str:
        return f"X25519Identity(recipient={self.recipient.encode()!r})"

    def unwrap(self, stanzas: Sequence[Stanza]) -> bytes | None:
        """The file key from the first X25519 stanza addressed to this identity, or None.

        Stanzas must have been checked with ``_check_x25519_stanza``. Raises AgeError if a
        share gives the all-zero shared secret.
        """
        for stanza in stanzas:
            if stanza.type != _X25519_TYPE:
                continue
            share = _b64decode(stanza.args[1].encode("ascii"))
            try:
                shared = self._private.exchange(X25519PublicKey.from_public_bytes(share))
            except ValueError:
                raise _header_error("x25519_low_order_share") from None
            wrap_key = _hkdf(shared, share + self._public, _X25519_INFO)
            try:
                return ChaCha20Poly1305(wrap_key).decrypt(_ZERO_NONCE, stanza.body, None)
            except InvalidTag:
                continue
        return None


def _check_x25519_stanza(stanza: Stanza) -> None:
    if len(stanza.args) != 2:
        raise _header_error("x25519_stanza_malformed")
    share = _b64decode(stanza.args[1].encode("ascii"))
    if len(share) != _X25519_KEY_SIZE or len(stanza.body) != _WRAPPED_KEY_SIZE:
        raise _header_error("x25519_stanza_malformed")


def parse_identity_lines(lines: Iterable[str]) -> list[X25519Identity]:
    """Identities from the lines of an identity file as age-keygen writes it.

    Empty lines and lines starting with ``#`` are ignored; a trailing CR is tolerated. A bad
    line raises AgeError ``age_identity_invalid`` with its 1-based ``line`` number.
    """
    identities: list[X25519Identity] = []
    for number, raw in enumerate(lines, start=1):
        line = raw.removesuffix("\n").removesuffix("\r")
        if not line or line.startswith("#"):
            continue
        try:
            identities.append(X25519Identity.parse(line))
        except AgeError as exc:
            exc.params["line"] = number
            raise
    return identities


# --- header -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Header:
    """A parsed age v1 header: its stanzas and MAC, not yet authenticated."""

    stanzas: tuple[Stanza, ...]
    mac: bytes
    mac_input: bytes  # the header bytes up to and including "---", as the MAC covers them

    def encode(self) -> bytes:
        return self.mac_input + b" " + _b64encode(self.mac) + b"\n"


def _encode_stanza(stanza: Stanza) -> bytes:
    out = [_STANZA_PREFIX + " ".join(stanza.args).encode("ascii") + b"\n"]
    body = _b64encode(stanza.body)
    # Full 64-column lines, then a shorter final line, empty if the body fills the last one.
    for start in range(0, len(body) + 1, _COLUMNS):
        out.append(body[start : start + _COLUMNS] + b"\n")
    return b"".join(out)


def _header_mac(file_key: bytes, mac_input: bytes) -> bytes:
    key = _hkdf(file_key, None, b"header")
    return hmac.new(key, mac_input, hashlib.sha256).digest()


class _LineReader:
    """Reads header lines without reading past the header, within the size limits."""

    def __init__(self, source: BinaryIO) -> None:
        self._source = source
        self.consumed = 0
        self.last = b""  # the last line read, complete or not

    def line(self) -> bytes:
        limit = min(MAX_LINE_SIZE, MAX_HEADER_SIZE - self.consumed)
        if limit <= 0:
            raise _header_error("header_too_large")
        data = self.last = self._source.readline(limit)
        self.consumed += len(data)
        if not data.endswith(b"\n"):
            if len(data) < limit:
                raise _header_error("truncated")
            raise _header_error("line_too_long" if limit == MAX_LINE_SIZE else "header_too_large")
        return data


def _is_vchars(data: bytes) -> bool:
    return bool(data) and all(33 <= b <= 126 for b in data)


def read_header(source: BinaryIO) -> Header:
    """Parse the header at the start of ``source``, leaving it positioned at the nonce.

    Only syntax is checked here; ``unwrap_file_key`` finds the file key and checks the MAC.
    Raises AgeError ``age_header_invalid`` or ``age_version_unsupported``.
    """
    reader = _LineReader(source)
    try:
        first = reader.line()
    except AgeError as exc:
        # A file that ends inside the version line (an empty one too) is an age file cut
        # short, typically by an interrupted copy, rather than some other kind of file.
        if exc.params.get("reason") == "truncated" and VERSION_LINE.startswith(reader.last):
            raise
        raise _header_error("not_an_age_file") from None
    if first != VERSION_LINE:
        if first.startswith(_INTRO) and _is_vchars(first[len(_INTRO) : -1]):
            raise AgeError("age_version_unsupported")
        raise _header_error("not_an_age_file")
    raw = [first]
    stanzas: list[Stanza] = []
    while True:
        line = reader.line()
        if line.startswith(_MAC_PREFIX):
            break
        if not line.startswith(_STANZA_PREFIX):
            raise _header_error("unexpected_line")
        raw.append(line)
        args = line[len(_STANZA_PREFIX) : -1].split(b" ")
        if not all(_is_vchars(arg) for arg in args):
            raise _header_error("invalid_stanza_argument")
        body: list[bytes] = []
        while True:
            body_line = reader.line()
            raw.append(body_line)
            text = body_line[:-1]
            if len(text) > _COLUMNS:
                raise _header_error("body_line_too_long")
            body.append(_b64decode(text))
            if len(text) < _COLUMNS:
                break
        stanzas.append(Stanza(tuple(arg.decode("ascii") for arg in args), b"".join(body)))
    if not stanzas:
        raise _header_error("no_stanzas")
    if line[len(_MAC_PREFIX) : len(_MAC_PREFIX) + 1] != b" ":
        raise _header_error("invalid_mac_line")
    encoded_mac = line[len(_MAC_PREFIX) + 1 : -1]
    if len(encoded_mac) != _MAC_B64_LENGTH:
        raise _header_error("invalid_mac_line")
    mac = _b64decode(encoded_mac)
    raw.append(_MAC_PREFIX)
    return Header(tuple(stanzas), mac, b"".join(raw))


def unwrap_file_key(header: Header, identities: Iterable[X25519Identity]) -> bytes:
    """The file key of ``header`` for the first identity that can unwrap it; MAC checked.

    Raises AgeError: ``age_header_invalid`` for a malformed X25519 stanza, an all-zero shared
    secret or an scrypt stanza that is not alone, ``age_no_identity`` if no identity
    unwraps the file key, ``age_mac_invalid`` if the header was altered.
    """
    for stanza in header.stanzas:
        if stanza.type == _X25519_TYPE:
            _check_x25519_stanza(stanza)
        elif stanza.type == "scrypt" and len(header.stanzas) != 1:
            raise _header_error("scrypt_not_alone")
    file_key: bytes | None = None
    for identity in identities:
        file_key = identity.unwrap(header.stanzas)
        if file_key is not None:
            break
    if file_key is None:
        raise AgeError("age_no_identity")
    expected = _header_mac(file_key, header.mac_input)
    if not hmac.compare_digest(expected, header.mac):
        raise AgeError("age_mac_invalid")
    return file_key


# --- files ------------------------------------------------------------------------------


def _write_all(sink: BinaryIO, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = sink.write(view)
        if written is None or written >= len(view):
            return
        if written == 0:
            raise StorageError(reason="short_write")
        view = view[written:]


def _read_exact(source: BinaryIO, size: int) -> bytes:
    data = b""
    while len(data) < size:
        more = source.read(size - len(data))
        if more is None:
            raise StorageError(reason="source_would_block")
        if not more:
            break
        data += more
    return data


def encrypt(
    recipients: Iterable[X25519Recipient],
    source: BinaryIO,
    sink: BinaryIO,
    *,
    size: int | None = None,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> int:
    """Encrypt ``source`` (read to EOF) to every recipient, writing an age file to ``sink``.

    Returns the number of plaintext bytes. ``size`` is only passed to ``progress``, which is
    called with (plaintext bytes done, size) about once per MiB. ``cancel`` raises
    ``Cancelled`` between chunks, leaving an incomplete file that will not decrypt.
    """
    targets = list(recipients)
    if not targets:
        raise ValueError("at least one recipient is needed")
    check(cancel)
    file_key = secrets.token_bytes(AGE_FILE_KEY_SIZE)
    stanzas = [recipient.wrap(file_key) for recipient in targets]
    mac_input = VERSION_LINE + b"".join(_encode_stanza(s) for s in stanzas) + _MAC_PREFIX
    header = Header(tuple(stanzas), _header_mac(file_key, mac_input), mac_input)
    nonce = secrets.token_bytes(AGE_PAYLOAD_NONCE_SIZE)
    _write_all(sink, header.encode() + nonce)
    return encrypt_stream(
        derive_age_payload_key(file_key, nonce),
        source,
        sink,
        total=size,
        progress=progress,
        cancel=cancel,
    )


def decrypt_payload(
    file_key: bytes,
    source: BinaryIO,
    sink: BinaryIO,
    *,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> int:
    """Decrypt the payload (nonce and STREAM) that follows a header, given its file key.

    Returns the number of plaintext bytes. Raises StreamError (``stream_damaged``) if the
    payload is truncated, extended or altered; ``sink`` may by then hold earlier chunks.
    """
    nonce = _read_exact(source, AGE_PAYLOAD_NONCE_SIZE)
    if len(nonce) != AGE_PAYLOAD_NONCE_SIZE:
        raise StreamError(reason="truncated", chunk=0)
    key = derive_age_payload_key(file_key, nonce)
    return decrypt_stream(key, source, sink, progress=progress, cancel=cancel)


def decrypt(
    identities: Iterable[X25519Identity],
    source: BinaryIO,
    sink: BinaryIO,
    *,
    header: Header | None = None,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> int:
    """Decrypt the age file in ``source`` with the first identity that matches.

    If ``header`` is given, it was already read from ``source`` with ``read_header``. Returns
    the number of plaintext bytes. The plaintext written to ``sink`` is valid only if this
    returns normally: the header is fully checked before anything is written, but payload
    damage is found only when its chunk is reached.
    """
    check(cancel)
    if header is None:
        header = read_header(source)
    file_key = unwrap_file_key(header, identities)
    return decrypt_payload(file_key, source, sink, progress=progress, cancel=cancel)
