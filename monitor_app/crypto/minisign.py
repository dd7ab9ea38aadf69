"""minisign signatures (prehashed Ed25519), made and checked with pyca/cryptography.

Format (https://jedisct1.github.io/minisign/), as written by the minisign tool:

Public key: ``base64("Ed" || key_id[8] || ed25519_public_key[32])``, in a file::

    untrusted comment: minisign public key <KEY ID>
    <base64>

where ``<KEY ID>`` is the key id read as a little-endian 64-bit number and printed in upper
case hexadecimal without leading zeros (``%PRIX64``), exactly as minisign prints it.

Signature file (``.minisig``), four lines, each ending in ``\\n``::

    untrusted comment: <text>
    base64("ED" || key_id[8] || Ed25519(BLAKE2b-512(file)))
    trusted comment: <text>
    base64(Ed25519(signature[64] || trusted comment bytes))

The second signature (the "global signature") covers the first signature and the trusted
comment, so the trusted comment cannot be changed without detection. The untrusted comment is
covered by nothing and is never returned to callers.

Decisions:

- **Key id.** minisign gives each key pair a random 8-byte id, stored in its secret key file.
  Our signing keys live inside the encrypted vault as bare Ed25519 keys, and a verifier may be
  handed only the raw public key, so the id is derived from the public key instead:
  the first 8 bytes of BLAKE2b-256 of the 32 raw public key bytes (``key_id_for``). It is then
  the same wherever and whenever it is computed, needs no extra storage, and two different
  keys collide only with probability about 2**-64. The key id is only a label that lets a
  verifier notice that it holds the wrong key; security rests on the Ed25519 signatures,
  which are always checked against the actual public key. Keys made by minisign keep their
  own random id: pass their public key text (or a parsed ``PublicKey``) to ``verify``.
- **Prehashed only.** ``sign`` writes only ``ED`` (prehashed) signatures, which let a file of
  any size be signed in bounded memory. ``verify`` refuses legacy ``Ed`` signatures (minisign
  ``-l``, Ed25519 over the whole file) with ``signature_algorithm_unsupported``: they would
  need the whole file in memory, and the bundle format requires ``ED``. minisign itself,
  with ``-H``, makes the same choice.
- **Strict parsing.** Lines end in ``\\n`` only (no ``\\r``), there are exactly four lines and
  the file ends with a newline; base64 must be canonical (standard alphabet, padding present,
  unused bits zero) and decode to exactly the expected length; comments must be UTF-8, on one
  line, with no control characters other than tab, and fit in minisign's own line buffers
  (at most ``UNTRUSTED_COMMENT_MAX_BYTES`` and ``TRUSTED_COMMENT_MAX_BYTES``). Anything else
  is ``signature_malformed``. A public key comment of the form ``minisign public key <HEX>``
  must name the key id actually in the key.
- **Check order.** Structure, algorithm and key id are checked before any hashing; then the
  global signature (cheap, no file access); then the file. So a changed trusted comment is
  reported as ``reason="comment_signature"`` without reading the file, and a changed file as
  ``reason="file_signature"``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from typing import BinaryIO, NamedTuple

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from monitor_app.errors import MonitorError, StorageError
from monitor_app.jobs import CancelToken, check

__all__ = [
    "DEFAULT_UNTRUSTED_COMMENT",
    "KEY_ID_SIZE",
    "MAX_SIGNATURE_FILE_BYTES",
    "TRUSTED_COMMENT_MAX_BYTES",
    "UNTRUSTED_COMMENT_MAX_BYTES",
    "PublicKey",
    "SignatureError",
    "VerifiedSignature",
    "key_id_for",
    "key_id_hex",
    "parse_public_key",
    "public_key_base64",
    "public_key_text",
    "sign",
    "verify",
]

KEY_ID_SIZE = 8
DEFAULT_UNTRUSTED_COMMENT = "signature from monitor_app"

# minisign reads the untrusted comment line with fgets into 1024 bytes and the trusted comment
# line into 8192 bytes (both counting prefix, newline and the terminating NUL); longer lines
# would be split by it. These limits keep every line we write or accept inside those buffers.
UNTRUSTED_COMMENT_MAX_BYTES = 1000
TRUSTED_COMMENT_MAX_BYTES = 8000

_PUBKEY_ALG = b"Ed"
_SIG_ALG_PREHASHED = b"ED"
_SIG_ALG_LEGACY = b"Ed"
_ED25519_PUBLIC_SIZE = 32
_ED25519_SIGNATURE_SIZE = 64
_PUBKEY_SIZE = 2 + KEY_ID_SIZE + _ED25519_PUBLIC_SIZE  # 42
_SIG_SIZE = 2 + KEY_ID_SIZE + _ED25519_SIGNATURE_SIZE  # 74

_UNTRUSTED_PREFIX = b"untrusted comment: "
_TRUSTED_PREFIX = b"trusted comment: "
_PUBKEY_COMMENT = re.compile(r"minisign public key ([0-9A-F]{1,16})")

_CHUNK_SIZE = 65536


def _b64_size(raw_size: int) -> int:
    return 4 * ((raw_size + 2) // 3)


_MAX_LINE = {
    0: len(_UNTRUSTED_PREFIX) + UNTRUSTED_COMMENT_MAX_BYTES,
    1: _b64_size(_SIG_SIZE),
    2: len(_TRUSTED_PREFIX) + TRUSTED_COMMENT_MAX_BYTES,
    3: _b64_size(_ED25519_SIGNATURE_SIZE),
}
MAX_SIGNATURE_FILE_BYTES = sum(_MAX_LINE.values()) + len(_MAX_LINE)
_MAX_PUBLIC_KEY_TEXT = (
    len(_UNTRUSTED_PREFIX) + UNTRUSTED_COMMENT_MAX_BYTES + 1 + _b64_size(_PUBKEY_SIZE) + 1
)


class SignatureError(MonitorError):
    """A signature or public key was refused, or a comment cannot be signed.

    Codes and their ``params``:

    - ``signature_malformed``: ``reason`` (``too_large``, ``line_structure``,
      ``line_too_long`` with ``line``, ``untrusted_comment``, ``trusted_comment``,
      ``signature_encoding``, ``global_signature_encoding``); the file is not a well-formed
      minisign signature.
    - ``signature_algorithm_unsupported``: ``algorithm`` (``legacy`` for minisign ``-l``
      signatures, ``unknown`` otherwise).
    - ``signature_key_mismatch``: ``expected`` and ``found`` key ids (public, in minisign's
      hexadecimal form).
    - ``signature_invalid``: ``reason`` is ``comment_signature`` (the trusted comment or
      the signature line was altered) or ``file_signature`` (the file is not the one signed).
    - ``signature_comment_invalid``: ``comment`` (``trusted``/``untrusted``), ``reason``
      (``line_break``, ``control_characters``, ``not_text``, ``too_long``), ``maximum``.
    - ``public_key_malformed``: ``reason`` (``line_structure``, ``encoding``,
      ``algorithm``, ``comment``, ``comment_key_id_mismatch``, ``invalid_key``).
    """

    code = "signature_invalid"


class PublicKey(NamedTuple):
    """A minisign public key: its 8-byte key id and the Ed25519 key."""

    key_id: bytes
    key: Ed25519PublicKey


@dataclass(frozen=True, slots=True)
class VerifiedSignature:
    """What a valid signature vouches for: the signed comment and the signing key's id."""

    trusted_comment: str
    key_id: bytes


# --- keys ---------------------------------------------------------------------------------


def _raw_public(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id_for(public_key: Ed25519PublicKey) -> bytes:
    """The key id we give ``public_key``: the first 8 bytes of BLAKE2b-256 of its raw bytes."""
    return hashlib.blake2b(_raw_public(public_key), digest_size=32).digest()[:KEY_ID_SIZE]


def key_id_hex(key_id: bytes) -> str:
    """A key id as minisign prints it: little-endian 64-bit, upper-case hex, no zero padding."""
    _check_key_id(key_id)
    return f"{int.from_bytes(key_id, 'little'):X}"


def _check_key_id(key_id: bytes) -> None:
    if not isinstance(key_id, bytes) or len(key_id) != KEY_ID_SIZE:
        raise ValueError("a minisign key id is exactly 8 bytes")


def public_key_base64(public_key: Ed25519PublicKey, key_id: bytes | None = None) -> str:
    """The base64 form of the public key, as given to ``minisign -P``."""
    if key_id is None:
        key_id = key_id_for(public_key)
    _check_key_id(key_id)
    return base64.b64encode(_PUBKEY_ALG + key_id + _raw_public(public_key)).decode("ascii")


def public_key_text(public_key: Ed25519PublicKey, key_id: bytes | None = None) -> str:
    """The public key file (``minisign.pub``) for ``public_key``; key id derived if omitted."""
    if key_id is None:
        key_id = key_id_for(public_key)
    encoded = public_key_base64(public_key, key_id)
    return f"untrusted comment: minisign public key {key_id_hex(key_id)}\n{encoded}\n"


def _malformed_key(reason: str) -> SignatureError:
    return SignatureError("public_key_malformed", reason=reason)


def parse_public_key(text: str | bytes) -> PublicKey:
    """Parse a minisign public key strictly: the two-line file, or the bare base64 line.

    Accepted forms, each with or without one final ``\\n``: ``<base64>`` and
    ``untrusted comment: <text>\\n<base64>``. No other whitespace, blank lines or ``\\r``.
    """
    if isinstance(text, bytes | bytearray | memoryview):
        raw_text = bytes(text)
        if len(raw_text) > _MAX_PUBLIC_KEY_TEXT:
            raise _malformed_key("line_structure")
        try:
            text = raw_text.decode("utf-8")
        except UnicodeDecodeError:
            raise _malformed_key("comment") from None
    if not isinstance(text, str):
        raise TypeError("a public key is given as text")
    if len(text.encode("utf-8", "surrogatepass")) > _MAX_PUBLIC_KEY_TEXT:
        raise _malformed_key("line_structure")
    body = text[:-1] if text.endswith("\n") else text
    lines = body.split("\n")
    if len(lines) == 1:
        comment, encoded = None, lines[0]
    elif len(lines) == 2:
        comment, encoded = lines
    else:
        raise _malformed_key("line_structure")
    if comment is not None:
        if not comment.startswith(_UNTRUSTED_PREFIX.decode("ascii")):
            raise _malformed_key("line_structure")
        comment_text = comment[len(_UNTRUSTED_PREFIX) :]
        if _comment_problem(comment_text, UNTRUSTED_COMMENT_MAX_BYTES) is not None:
            raise _malformed_key("comment")
    raw = _b64decode_strict(encoded, _PUBKEY_SIZE)
    if raw is None:
        raise _malformed_key("encoding")
    if raw[:2] != _PUBKEY_ALG:
        raise _malformed_key("algorithm")
    key_id = raw[2 : 2 + KEY_ID_SIZE]
    if comment is not None:
        named = _PUBKEY_COMMENT.fullmatch(comment[len(_UNTRUSTED_PREFIX) :])
        # Compared as numbers: other tools may zero-pad the hexadecimal id.
        if named is not None and int(named.group(1), 16) != int.from_bytes(key_id, "little"):
            raise _malformed_key("comment_key_id_mismatch")
    try:
        key = Ed25519PublicKey.from_public_bytes(raw[2 + KEY_ID_SIZE :])
    except ValueError:
        raise _malformed_key("invalid_key") from None
    return PublicKey(key_id, key)


# --- helpers ------------------------------------------------------------------------------


def _b64decode_strict(encoded: str | bytes, size: int) -> bytes | None:
    """Decode canonical standard base64 of exactly ``size`` bytes, or return None."""
    if isinstance(encoded, str):
        if not encoded.isascii():
            return None
        encoded = encoded.encode("ascii")
    if len(encoded) != _b64_size(size):
        return None
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return None
    # Re-encoding catches non-zero unused bits and misplaced padding.
    if len(raw) != size or base64.b64encode(raw) != encoded:
        return None
    return raw


def _comment_problem(text: str, maximum: int) -> str | None:
    """Why ``text`` cannot be a one-line comment, or None if it can."""
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError:
        return "not_text"
    for char in text:
        if char in "\n\r\x85\u2028\u2029\x0b\x0c":
            return "line_break"
        if char != "\t" and unicodedata.category(char) == "Cc":
            return "control_characters"
    if size > maximum:
        return "too_long"
    return None


def _checked_comment(text: str, which: str, maximum: int) -> bytes:
    if not isinstance(text, str):
        raise TypeError("a comment is text")
    problem = _comment_problem(text, maximum)
    if problem is not None:
        raise SignatureError(
            "signature_comment_invalid", comment=which, reason=problem, maximum=maximum
        )
    return text.encode("utf-8")


Source = BinaryIO | bytes | bytearray | memoryview


def _prehash(source: Source, cancel: CancelToken | None) -> bytes:
    """BLAKE2b-512 of the whole source, reading a stream 64 KiB at a time."""
    digest = hashlib.blake2b(digest_size=64)
    check(cancel)
    if isinstance(source, bytes | bytearray | memoryview):
        digest.update(source)
        return digest.digest()
    buffer = bytearray(_CHUNK_SIZE)
    view = memoryview(buffer)
    readinto = getattr(source, "readinto", None)
    while True:
        if readinto is not None:
            got = readinto(view)
            if got is None:
                raise StorageError(reason="source_would_block")
            n = int(got)
            if n == 0:
                break
            digest.update(view[:n])
        else:
            data = source.read(_CHUNK_SIZE)
            if data is None:
                raise StorageError(reason="source_would_block")
            if not data:
                break
            digest.update(data)
        check(cancel)
    view.release()
    return digest.digest()


# --- signing ------------------------------------------------------------------------------


def sign(
    private_key: Ed25519PrivateKey,
    source: Source,
    trusted_comment: str,
    untrusted_comment: str = DEFAULT_UNTRUSTED_COMMENT,
    *,
    key_id: bytes | None = None,
    cancel: CancelToken | None = None,
) -> bytes:
    """Sign ``source`` (a binary stream read to its end, or bytes); return the .minisig file.

    The signature is prehashed (``ED``): the file is streamed through BLAKE2b-512 in 64 KiB
    chunks, so memory stays bounded whatever its size. ``key_id`` defaults to
    ``key_id_for(private_key.public_key())``. Comments must be one line of UTF-8 text without
    control characters other than tab (``signature_comment_invalid`` otherwise). ``cancel``
    is checked between chunks.
    """
    trusted = _checked_comment(trusted_comment, "trusted", TRUSTED_COMMENT_MAX_BYTES)
    untrusted = _checked_comment(untrusted_comment, "untrusted", UNTRUSTED_COMMENT_MAX_BYTES)
    if key_id is None:
        key_id = key_id_for(private_key.public_key())
    _check_key_id(key_id)
    signature = private_key.sign(_prehash(source, cancel))
    global_signature = private_key.sign(signature + trusted)
    return b"".join(
        (
            _UNTRUSTED_PREFIX,
            untrusted,
            b"\n",
            base64.b64encode(_SIG_ALG_PREHASHED + key_id + signature),
            b"\n",
            _TRUSTED_PREFIX,
            trusted,
            b"\n",
            base64.b64encode(global_signature),
            b"\n",
        )
    )


# --- verification -------------------------------------------------------------------------


class _ParsedSignature(NamedTuple):
    algorithm: bytes
    key_id: bytes
    signature: bytes
    trusted_comment: str
    trusted_comment_bytes: bytes
    global_signature: bytes


def _malformed(reason: str, **params: object) -> SignatureError:
    return SignatureError("signature_malformed", reason=reason, **params)


def _parse_signature(signature_file: bytes) -> _ParsedSignature:
    if not isinstance(signature_file, bytes | bytearray | memoryview):
        raise TypeError("the signature file is given as bytes")
    data = bytes(signature_file)
    if len(data) > MAX_SIGNATURE_FILE_BYTES:
        raise _malformed("too_large", maximum=MAX_SIGNATURE_FILE_BYTES)
    if not data.endswith(b"\n") or b"\r" in data:
        raise _malformed("line_structure")
    lines = data[:-1].split(b"\n")
    if len(lines) != len(_MAX_LINE):
        raise _malformed("line_structure")
    for number, line in enumerate(lines):
        if len(line) > _MAX_LINE[number]:
            raise _malformed("line_too_long", line=number + 1)
    untrusted_line, sig_line, trusted_line, global_line = lines

    if not untrusted_line.startswith(_UNTRUSTED_PREFIX) or not trusted_line.startswith(
        _TRUSTED_PREFIX
    ):
        raise _malformed("line_structure")
    try:
        untrusted = untrusted_line[len(_UNTRUSTED_PREFIX) :].decode("utf-8")
    except UnicodeDecodeError:
        raise _malformed("untrusted_comment") from None
    if _comment_problem(untrusted, UNTRUSTED_COMMENT_MAX_BYTES) is not None:
        raise _malformed("untrusted_comment")
    trusted_bytes = trusted_line[len(_TRUSTED_PREFIX) :]
    try:
        trusted = trusted_bytes.decode("utf-8")
    except UnicodeDecodeError:
        raise _malformed("trusted_comment") from None
    if _comment_problem(trusted, TRUSTED_COMMENT_MAX_BYTES) is not None:
        raise _malformed("trusted_comment")

    sig_raw = _b64decode_strict(sig_line, _SIG_SIZE)
    if sig_raw is None:
        raise _malformed("signature_encoding")
    global_raw = _b64decode_strict(global_line, _ED25519_SIGNATURE_SIZE)
    if global_raw is None:
        raise _malformed("global_signature_encoding")
    return _ParsedSignature(
        algorithm=sig_raw[:2],
        key_id=sig_raw[2 : 2 + KEY_ID_SIZE],
        signature=sig_raw[2 + KEY_ID_SIZE :],
        trusted_comment=trusted,
        trusted_comment_bytes=trusted_bytes,
        global_signature=global_raw,
    )


def untrusted_comment(signature_file: bytes) -> str:
    """The untrusted comment of a signature file (checked for shape, not authenticated)."""
    data = bytes(signature_file)
    _parse_signature(data)
    first = data.split(b"\n", 1)[0]
    return first[len(_UNTRUSTED_PREFIX) :].decode("utf-8")


def _as_public_key(public_key: Ed25519PublicKey | PublicKey | str | bytes) -> PublicKey:
    if isinstance(public_key, PublicKey):
        _check_key_id(public_key.key_id)
        return public_key
    if isinstance(public_key, Ed25519PublicKey):
        return PublicKey(key_id_for(public_key), public_key)
    if isinstance(public_key, str | bytes):
        return parse_public_key(public_key)
    raise TypeError("expected an Ed25519PublicKey, a PublicKey or minisign public key text")


def verify(
    public_key: Ed25519PublicKey | PublicKey | str | bytes,
    source: Source,
    signature_file: bytes,
    *,
    cancel: CancelToken | None = None,
) -> VerifiedSignature:
    """Check the .minisig ``signature_file`` for ``source`` against ``public_key``.

    ``public_key`` is a bare Ed25519 key (its key id is then ``key_id_for`` of it), a parsed
    ``PublicKey``, or minisign public key text (file or base64 line). ``source`` is read to
    its end in bounded memory. Returns the trusted comment and key id only if both the file
    signature and the global signature are valid; raises ``SignatureError`` otherwise (see
    its codes) and ``Cancelled`` if ``cancel`` is set.
    """
    expected = _as_public_key(public_key)
    parsed = _parse_signature(signature_file)
    if parsed.algorithm == _SIG_ALG_LEGACY:
        raise SignatureError("signature_algorithm_unsupported", algorithm="legacy")
    if parsed.algorithm != _SIG_ALG_PREHASHED:
        raise SignatureError("signature_algorithm_unsupported", algorithm="unknown")
    if parsed.key_id != expected.key_id:
        raise SignatureError(
            "signature_key_mismatch",
            expected=key_id_hex(expected.key_id),
            found=key_id_hex(parsed.key_id),
        )
    try:
        expected.key.verify(
            parsed.global_signature, parsed.signature + parsed.trusted_comment_bytes
        )
    except InvalidSignature:
        raise SignatureError("signature_invalid", reason="comment_signature") from None
    try:
        expected.key.verify(parsed.signature, _prehash(source, cancel))
    except InvalidSignature:
        raise SignatureError("signature_invalid", reason="file_signature") from None
    return VerifiedSignature(trusted_comment=parsed.trusted_comment, key_id=parsed.key_id)
