"""minisign signatures: round trips, exact format, every refusal, interop with the real CLI."""

from __future__ import annotations

import base64
import hashlib
import io
import random
import shutil
import subprocess
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, cast

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from monitor_app.crypto.minisign import (
    DEFAULT_UNTRUSTED_COMMENT,
    TRUSTED_COMMENT_MAX_BYTES,
    UNTRUSTED_COMMENT_MAX_BYTES,
    PublicKey,
    SignatureError,
    VerifiedSignature,
    key_id_for,
    key_id_hex,
    parse_public_key,
    public_key_base64,
    public_key_text,
    sign,
    verify,
)
from monitor_app.errors import CODES, Cancelled
from monitor_app.jobs import CancelToken
from monitor_app.messages import MESSAGES, describe

MIB = 1 << 20
DATA = "Протокол посещения ИВС — 酷刑 — détenu\n".encode() * 100
COMMENT = "bundle:2024-03-15\tfrom:Aida K. — ИВС 酷刑"
SIGNATURE_CODES = {
    "signature_malformed",
    "signature_algorithm_unsupported",
    "signature_key_mismatch",
    "signature_invalid",
    "signature_comment_invalid",
    "public_key_malformed",
}


# --- helpers -----------------------------------------------------------------------------


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(bytes(range(32)))


@pytest.fixture
def other_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))


@pytest.fixture
def minisign_bin() -> str:
    """The minisign CLI. Its absence is a failure, never a skip."""
    path = shutil.which("minisign")
    assert path is not None, "the minisign CLI is required (apt-get install minisign)"
    return path


def run(*args: str | Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [str(a) for a in args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=300,
        check=False,
    )


def lines_of(signature: bytes) -> list[bytes]:
    assert signature.endswith(b"\n")
    return signature[:-1].split(b"\n")


def join(lines: list[bytes]) -> bytes:
    return b"".join(line + b"\n" for line in lines)


def craft(
    private_key: Ed25519PrivateKey,
    message: bytes,
    trusted: bytes,
    *,
    algorithm: bytes = b"ED",
    key_id: bytes | None = None,
    untrusted: bytes = b"untrusted comment: crafted",
) -> bytes:
    """A signature file built by hand, with valid signatures over arbitrary comment bytes."""
    if key_id is None:
        key_id = key_id_for(private_key.public_key())
    signed = hashlib.blake2b(message).digest() if algorithm == b"ED" else message
    signature = private_key.sign(signed)
    global_signature = private_key.sign(signature + trusted)
    return join(
        [
            untrusted,
            base64.b64encode(algorithm + key_id + signature),
            b"trusted comment: " + trusted,
            base64.b64encode(global_signature),
        ]
    )


def refused(code: str, call: Callable[[], object], **params: object) -> SignatureError:
    with pytest.raises(SignatureError) as info:
        call()
    assert info.value.code == code, info.value
    for name, value in params.items():
        assert info.value.params.get(name) == value, info.value
    assert code in CODES
    return info.value


def raw_public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


class Generated(io.RawIOBase):
    """``size`` bytes of a repeating 1 MiB random block, produced on demand."""

    def __init__(self, size: int, block: bytes) -> None:
        self.remaining = size
        self.block = block
        self.offset = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        n = min(len(buffer), self.remaining, len(self.block) - self.offset)
        buffer[:n] = self.block[self.offset : self.offset + n]
        self.offset = (self.offset + n) % len(self.block)
        self.remaining -= n
        return n


class ReadOnly:
    """A stream with only ``read`` (no ``readinto``), returning short reads."""

    def __init__(self, data: bytes) -> None:
        self.data = io.BytesIO(data)

    def read(self, n: int = -1) -> bytes:
        return self.data.read(min(n, 1000) if n >= 0 else n)


def read_only(data: bytes) -> BinaryIO:
    return cast(BinaryIO, ReadOnly(data))


def generated(size: int, block: bytes) -> BinaryIO:
    return cast(BinaryIO, Generated(size, block))


# --- keys --------------------------------------------------------------------------------


def test_key_id_is_blake2b_256_prefix_of_the_public_key(key: Ed25519PrivateKey) -> None:
    expected = hashlib.blake2b(raw_public(key), digest_size=32).digest()[:8]
    assert key_id_for(key.public_key()) == expected
    assert key_id_for(Ed25519PrivateKey.generate().public_key()) != expected


def test_key_id_hex_is_minisigns_little_endian_unpadded_form() -> None:
    assert key_id_hex(bytes.fromhex("2f295d9e9eeaf195")) == "95F1EA9E9E5D292F"
    assert key_id_hex(bytes.fromhex("0102030405060700")) == "7060504030201"
    with pytest.raises(ValueError):
        key_id_hex(b"short")


def test_public_key_text_layout_and_round_trip(key: Ed25519PrivateKey) -> None:
    kid = key_id_for(key.public_key())
    text = public_key_text(key.public_key())
    comment, encoded, end = text.split("\n")
    assert end == ""
    assert comment == f"untrusted comment: minisign public key {key_id_hex(kid)}"
    raw = base64.b64decode(encoded, validate=True)
    assert raw == b"Ed" + kid + raw_public(key)
    assert encoded == public_key_base64(key.public_key())
    for form in (text, text.rstrip("\n"), encoded, encoded + "\n", text.encode()):
        parsed = parse_public_key(form)
        assert isinstance(parsed, PublicKey)
        assert parsed.key_id == kid
        assert parsed.key.public_bytes(Encoding.Raw, PublicFormat.Raw) == raw_public(key)
        # The result unpacks as (key_id, Ed25519PublicKey).
        key_id, public = parsed
        assert key_id == kid and isinstance(public, Ed25519PublicKey)


def test_public_key_text_with_explicit_key_id(key: Ed25519PrivateKey) -> None:
    kid = bytes.fromhex("00000000000000ff")
    text = public_key_text(key.public_key(), kid)
    assert text.startswith("untrusted comment: minisign public key FF00000000000000\n")
    assert parse_public_key(text).key_id == kid
    with pytest.raises(ValueError):
        public_key_text(key.public_key(), b"1234567")


def test_public_key_comment_may_zero_pad_the_key_id(key: Ed25519PrivateKey) -> None:
    kid = bytes.fromhex("0102030405060700")
    b64 = public_key_base64(key.public_key(), kid)
    text = f"untrusted comment: minisign public key 0007060504030201\n{b64}\n"
    assert parse_public_key(text).key_id == kid
    # Any other untrusted comment is allowed: it is not part of the key.
    assert parse_public_key(f"untrusted comment: Aida's key\n{b64}\n").key_id == kid


def _key_variants(key: Ed25519PrivateKey) -> list[tuple[str | bytes, str]]:
    text = public_key_text(key.public_key())
    comment, b64, _ = text.split("\n")
    raw = base64.b64decode(b64)
    wrong_alg = base64.b64encode(b"ED" + raw[2:]).decode()
    other_id = public_key_base64(key.public_key(), b"\x01" * 8)
    return [
        ("", "encoding"),
        ("\n", "encoding"),
        (text.replace("\n", "\r\n"), "comment"),
        (text + "\n", "line_structure"),
        (text + "extra\n", "line_structure"),
        (comment + "\n\n" + b64 + "\n", "line_structure"),
        (" " + b64, "encoding"),
        (b64 + " ", "encoding"),
        (b64 + "\n\n", "line_structure"),
        ("untrusted comment " + b64[:0] + "\n" + b64, "line_structure"),
        ("comment: x\n" + b64, "line_structure"),
        (comment + "\n" + b64[:-4], "encoding"),
        (comment + "\n" + b64 + "AAAA", "encoding"),
        (comment + "\n" + base64.b64encode(raw[:-1]).decode(), "encoding"),
        (comment + "\n" + b64.replace(b64[5], "!", 1), "encoding"),
        (comment + "\n" + base64.urlsafe_b64encode(b"\xfb" * 42).decode(), "encoding"),
        (comment + "\n" + wrong_alg, "algorithm"),
        (comment + "\n" + other_id, "comment_key_id_mismatch"),
        ("untrusted comment: bell\x07\n" + b64, "comment"),
        ("untrusted comment: " + "x" * (UNTRUSTED_COMMENT_MAX_BYTES + 1) + "\n" + b64, "comment"),
        (b"untrusted comment: \xff\n" + b64.encode(), "comment"),
        ("untrusted comment: x\n" * 200 + b64, "line_structure"),
        # 42 bytes are exactly 56 characters: no padding and no unused bits.
        (comment + "\n" + b64 + "=", "encoding"),
        (comment + "\n" + b64 + "==", "encoding"),
    ]


def test_parse_public_key_refuses_anything_not_strictly_a_key(key: Ed25519PrivateKey) -> None:
    for text, reason in _key_variants(key):
        refused("public_key_malformed", lambda t=text: parse_public_key(t), reason=reason)


# --- round trips and layout ----------------------------------------------------------------


def test_sign_layout_is_exactly_minisigns(key: Ed25519PrivateKey) -> None:
    signature = sign(key, DATA, COMMENT, "signature from Aida")
    lines = lines_of(signature)
    assert len(lines) == 4
    assert lines[0] == b"untrusted comment: signature from Aida"
    assert lines[2] == b"trusted comment: " + COMMENT.encode()
    sig = base64.b64decode(lines[1], validate=True)
    assert base64.b64encode(sig) == lines[1] and len(lines[1]) == 100
    assert sig[:2] == b"ED" and sig[2:10] == key_id_for(key.public_key())
    # The signature is Ed25519 over BLAKE2b-512 of the file, the global signature Ed25519
    # over signature || trusted comment: checked here with the primitive directly.
    key.public_key().verify(sig[10:], hashlib.blake2b(DATA, digest_size=64).digest())
    global_sig = base64.b64decode(lines[3], validate=True)
    assert len(global_sig) == 64 and len(lines[3]) == 88
    key.public_key().verify(global_sig, sig[10:] + COMMENT.encode())
    assert lines_of(sign(key, DATA, "x"))[0] == b"untrusted comment: " + (
        DEFAULT_UNTRUSTED_COMMENT.encode()
    )


def test_round_trip_bytes_streams_and_key_forms(key: Ed25519PrivateKey) -> None:
    signature = sign(key, io.BytesIO(DATA), COMMENT)
    assert signature == sign(key, DATA, COMMENT) == sign(key, read_only(DATA), COMMENT)
    kid = key_id_for(key.public_key())
    expected = VerifiedSignature(trusted_comment=COMMENT, key_id=kid)
    forms: list[Ed25519PublicKey | PublicKey | str | bytes] = [
        key.public_key(),
        parse_public_key(public_key_text(key.public_key())),
        public_key_text(key.public_key()),
        public_key_text(key.public_key()).encode(),
        public_key_base64(key.public_key()),
    ]
    for public in forms:
        assert verify(public, DATA, signature) == expected
        assert verify(public, io.BytesIO(DATA), signature) == expected
        assert verify(public, read_only(DATA), signature) == expected
        assert verify(public, memoryview(DATA), signature) == expected


@pytest.mark.parametrize("size", [0, 1, 65535, 65536, 65537, 3 * 65536 + 5])
def test_round_trip_sizes(key: Ed25519PrivateKey, size: int) -> None:
    data = random.Random(size).randbytes(size)
    signature = sign(key, io.BytesIO(data), "size test")
    assert verify(key.public_key(), io.BytesIO(data), signature).trusted_comment == "size test"
    direct = hashlib.blake2b(data).digest()
    sig = base64.b64decode(lines_of(signature)[1])[10:]
    key.public_key().verify(sig, direct)


def test_comments_at_the_limits_and_with_tabs(key: Ed25519PrivateKey) -> None:
    longest = "щ" * (TRUSTED_COMMENT_MAX_BYTES // 2)
    signature = sign(key, DATA, longest, "ü" * (UNTRUSTED_COMMENT_MAX_BYTES // 2))
    assert verify(key.public_key(), DATA, signature).trusted_comment == longest
    for text in ("", "\t", "a\tb\t", " leading and trailing spaces "):
        assert verify(key.public_key(), DATA, sign(key, DATA, text)).trusted_comment == text


def test_sign_with_explicit_key_id(key: Ed25519PrivateKey) -> None:
    kid = b"\x07" * 8
    signature = sign(key, DATA, COMMENT, key_id=kid)
    assert verify(PublicKey(kid, key.public_key()), DATA, signature).key_id == kid
    assert verify(public_key_text(key.public_key(), kid), DATA, signature).key_id == kid
    with pytest.raises(ValueError):
        sign(key, DATA, COMMENT, key_id=b"\x07" * 9)


def test_cancel(key: Ed25519PrivateKey) -> None:
    token = CancelToken()
    token.cancel()
    signature = sign(key, DATA, COMMENT)
    with pytest.raises(Cancelled):
        sign(key, io.BytesIO(DATA), COMMENT, cancel=token)
    with pytest.raises(Cancelled):
        verify(key.public_key(), io.BytesIO(DATA), signature, cancel=token)


# --- refusals when signing -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("two\nlines", "line_break"),
        ("carriage\rreturn", "line_break"),
        ("trailing newline\n", "line_break"),
        ("nel\x85", "line_break"),
        ("line\u2028separator", "line_break"),
        ("para\u2029separator", "line_break"),
        ("vertical\x0btab", "line_break"),
        ("nul\x00", "control_characters"),
        ("escape\x1b[31m", "control_characters"),
        ("delete\x7f", "control_characters"),
        ("c1\x9b", "control_characters"),
        ("lone surrogate \udc80", "not_text"),
    ],
)
def test_sign_refuses_comments_that_are_not_one_line_of_text(
    key: Ed25519PrivateKey, text: str, reason: str
) -> None:
    refused(
        "signature_comment_invalid",
        lambda: sign(key, DATA, text),
        comment="trusted",
        reason=reason,
    )
    refused(
        "signature_comment_invalid",
        lambda: sign(key, DATA, "ok", text),
        comment="untrusted",
        reason=reason,
    )


def test_sign_refuses_comments_that_are_too_long(key: Ed25519PrivateKey) -> None:
    refused(
        "signature_comment_invalid",
        lambda: sign(key, DATA, "x" * (TRUSTED_COMMENT_MAX_BYTES + 1)),
        comment="trusted",
        reason="too_long",
        maximum=TRUSTED_COMMENT_MAX_BYTES,
    )
    # The limit counts UTF-8 bytes, not characters.
    refused(
        "signature_comment_invalid",
        lambda: sign(key, DATA, "ok", "щ" * (UNTRUSTED_COMMENT_MAX_BYTES // 2 + 1)),
        comment="untrusted",
        reason="too_long",
    )


# --- refusals when verifying ---------------------------------------------------------------


def test_legacy_non_prehashed_signature_is_refused(key: Ed25519PrivateKey) -> None:
    legacy = craft(key, DATA, b"legacy", algorithm=b"Ed")
    # It is a valid legacy signature: Ed25519 over the whole file.
    raw = base64.b64decode(lines_of(legacy)[1])
    key.public_key().verify(raw[10:], DATA)
    refused(
        "signature_algorithm_unsupported",
        lambda: verify(key.public_key(), DATA, legacy),
        algorithm="legacy",
    )


@pytest.mark.parametrize("algorithm", [b"EE", b"ed", b"\x00\x00", b"RW"])
def test_unknown_algorithm_is_refused(key: Ed25519PrivateKey, algorithm: bytes) -> None:
    crafted = craft(key, DATA, b"x", algorithm=algorithm)
    refused(
        "signature_algorithm_unsupported",
        lambda: verify(key.public_key(), DATA, crafted),
        algorithm="unknown",
    )


def test_key_id_mismatch(key: Ed25519PrivateKey, other_key: Ed25519PrivateKey) -> None:
    signature = sign(key, DATA, COMMENT)
    error = refused(
        "signature_key_mismatch",
        lambda: verify(other_key.public_key(), DATA, signature),
        expected=key_id_hex(key_id_for(other_key.public_key())),
        found=key_id_hex(key_id_for(key.public_key())),
    )
    assert "signed with another key" in describe(error)
    # The same key under another key id is refused too: the id is part of the signature.
    refused(
        "signature_key_mismatch",
        lambda: verify(PublicKey(b"\x01" * 8, key.public_key()), DATA, signature),
    )


def test_wrong_key_with_matching_key_id_is_a_bad_signature(
    key: Ed25519PrivateKey, other_key: Ed25519PrivateKey
) -> None:
    signature = sign(key, DATA, COMMENT)
    impostor = PublicKey(key_id_for(key.public_key()), other_key.public_key())
    refused(
        "signature_invalid",
        lambda: verify(impostor, DATA, signature),
        reason="comment_signature",
    )


def test_tampered_file_is_refused(key: Ed25519PrivateKey) -> None:
    signature = sign(key, DATA, COMMENT)
    for changed in (DATA + b"\n", DATA[:-1], b"X" + DATA[1:], b""):
        refused(
            "signature_invalid",
            lambda c=changed: verify(key.public_key(), io.BytesIO(c), signature),
            reason="file_signature",
        )


def test_tampered_trusted_comment_is_refused(key: Ed25519PrivateKey) -> None:
    lines = lines_of(sign(key, DATA, COMMENT))
    for comment in (b"bundle:2024-03-16", COMMENT.encode() + b" ", b"", COMMENT[:-1].encode()):
        tampered = join([lines[0], lines[1], b"trusted comment: " + comment, lines[3]])
        error = refused(
            "signature_invalid",
            lambda t=tampered: verify(key.public_key(), DATA, t),
            reason="comment_signature",
        )
        assert "Do not trust it" in describe(error)
    # Cutting a multi-byte character in half leaves text that is not UTF-8 at all.
    cut = join([lines[0], lines[1], b"trusted comment: " + COMMENT.encode()[:-1], lines[3]])
    refused(
        "signature_malformed",
        lambda: verify(key.public_key(), DATA, cut),
        reason="trusted_comment",
    )


def test_untrusted_comment_is_not_signed(key: Ed25519PrivateKey) -> None:
    lines = lines_of(sign(key, DATA, COMMENT))
    changed = join([b"untrusted comment: anything", *lines[1:]])
    assert verify(key.public_key(), DATA, changed).trusted_comment == COMMENT


def test_tampered_signatures_are_refused(key: Ed25519PrivateKey) -> None:
    lines = lines_of(sign(key, DATA, COMMENT))
    sig = bytearray(base64.b64decode(lines[1]))
    sig[20] ^= 1
    with_bad_sig = join([lines[0], base64.b64encode(sig), lines[2], lines[3]])
    refused(
        "signature_invalid",
        lambda: verify(key.public_key(), DATA, with_bad_sig),
        reason="comment_signature",
    )
    # Even with a global signature re-made over the altered signature, the file check fails.
    regloballed = join(
        [
            lines[0],
            base64.b64encode(sig),
            lines[2],
            base64.b64encode(key.sign(bytes(sig[10:]) + COMMENT.encode())),
        ]
    )
    refused(
        "signature_invalid",
        lambda: verify(key.public_key(), DATA, regloballed),
        reason="file_signature",
    )
    global_sig = bytearray(base64.b64decode(lines[3]))
    global_sig[0] ^= 0x80
    with_bad_global = join([*lines[:3], base64.b64encode(global_sig)])
    refused(
        "signature_invalid",
        lambda: verify(key.public_key(), DATA, with_bad_global),
        reason="comment_signature",
    )


def _non_canonical(encoded: bytes) -> bytes:
    """Change only the unused low bits before the padding: decodes to the same bytes."""
    alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    stripped = encoded.rstrip(b"=")
    index = alphabet.index(stripped[-1:])
    tweaked = stripped[:-1] + alphabet[index ^ 1 : (index ^ 1) + 1] + encoded[len(stripped) :]
    assert tweaked != encoded
    assert base64.b64decode(tweaked) == base64.b64decode(encoded)
    return tweaked


def test_malformed_base64_is_refused(key: Ed25519PrivateKey) -> None:
    u, s, t, g = lines_of(sign(key, DATA, COMMENT))
    bad_signature_lines = [
        (_non_canonical(s), "signature_encoding"),
        (s.rstrip(b"="), "signature_encoding"),
        (s[:-4], "signature_encoding"),
        (s[:10] + b"!" + s[11:], "signature_encoding"),
        (s[:10] + b" " + s[11:], "signature_encoding"),
        (s[:50] + b"=" + s[51:], "signature_encoding"),
        (base64.urlsafe_b64encode(b"ED" + b"\xff" * 72), "signature_encoding"),
        (base64.b64encode(base64.b64decode(s)[:-1]), "signature_encoding"),
        (b"", "signature_encoding"),
        # 75 bytes also take 100 characters
        (base64.b64encode(base64.b64decode(s) + b"\x00"), "signature_encoding"),
        # longer than any 74-byte signature can be
        (s + b"=", "line_too_long"),
        (base64.b64encode(base64.b64decode(s) + b"\x00\x00"), "line_too_long"),
    ]
    for bad, reason in bad_signature_lines:
        refused(
            "signature_malformed",
            lambda b=bad: verify(key.public_key(), DATA, join([u, b, t, g])),
            reason=reason,
        )
    bad_global_lines = [_non_canonical(g), g.rstrip(b"="), g[:-4], g[:5] + b"*" + g[6:], b""]
    for bad in bad_global_lines:
        refused(
            "signature_malformed",
            lambda b=bad: verify(key.public_key(), DATA, join([u, s, t, b])),
            reason="global_signature_encoding",
        )


def test_wrong_line_structure_is_refused(key: Ed25519PrivateKey) -> None:
    signature = sign(key, DATA, COMMENT)
    u, s, t, g = lines_of(signature)
    variants = [
        b"",
        b"\n",
        signature[:-1],  # no final newline
        signature + b"\n",  # a blank fifth line
        signature.replace(b"\n", b"\r\n"),
        join([u, s, t]),
        join([u, s, t, g, g]),
        join([s, t, g]),
        join([u, b"", s, t, g]),
        join([t, s, u, g]),
        join([u, s, b"trusted  comment: x", g]),
        join([u, s, b"Trusted comment: " + t[17:], g]),
        join([b"untrusted comment:" + u[19:], s, t, g]),
        join([b" " + u, s, t, g]),
        join([u, s, t + b"\r", g]),
        # a newline inside the trusted comment makes a fifth line
        join([u, s, b"trusted comment: two", b"lines", g]),
    ]
    for bad in variants:
        refused(
            "signature_malformed",
            lambda b=bad: verify(key.public_key(), DATA, b),
            reason="line_structure",
        )


@pytest.mark.parametrize(
    "trusted",
    [
        b"nul\x00",
        b"escape\x1b[2J",
        b"bell\x07",
        b"del\x7f",
        "nel\x85".encode(),
        "ls\u2028".encode(),
    ],
)
def test_trusted_comment_with_control_characters_is_refused(
    key: Ed25519PrivateKey, trusted: bytes
) -> None:
    crafted = craft(key, DATA, trusted)  # validly signed, but not one line of text
    refused(
        "signature_malformed",
        lambda: verify(key.public_key(), DATA, crafted),
        reason="trusted_comment",
    )


@pytest.mark.parametrize("trusted", [b"\xff", b"caf\xc3", b"\xed\xa0\x80", b"\xc0\xaf"])
def test_trusted_comment_that_is_not_utf8_is_refused(
    key: Ed25519PrivateKey, trusted: bytes
) -> None:
    crafted = craft(key, DATA, trusted)
    refused(
        "signature_malformed",
        lambda: verify(key.public_key(), DATA, crafted),
        reason="trusted_comment",
    )


def test_untrusted_comment_must_be_text_too(key: Ed25519PrivateKey) -> None:
    for untrusted in (b"untrusted comment: \xff", b"untrusted comment: \x1b[1m"):
        crafted = craft(key, DATA, b"ok", untrusted=untrusted)
        refused(
            "signature_malformed",
            lambda c=crafted: verify(key.public_key(), DATA, c),
            reason="untrusted_comment",
        )


def test_oversized_lines_and_files_are_refused(key: Ed25519PrivateKey) -> None:
    u, s, t, g = lines_of(sign(key, DATA, COMMENT))
    long_untrusted = b"untrusted comment: " + b"x" * (UNTRUSTED_COMMENT_MAX_BYTES + 1)
    long_trusted = b"x" * (TRUSTED_COMMENT_MAX_BYTES + 1)
    cases = [
        (join([long_untrusted, s, t, g]), 1),
        (join([u, s + b"A" * 4, t, g]), 2),
        (craft(key, DATA, long_trusted), 3),
        (join([u, s, t, g + b"A" * 4]), 4),
    ]
    for bad, line in cases:
        refused(
            "signature_malformed",
            lambda b=bad: verify(key.public_key(), DATA, b),
            reason="line_too_long",
            line=line,
        )
    huge = join([u, s, t, g]) + b"x" * (1 << 20)
    refused("signature_malformed", lambda: verify(key.public_key(), DATA, huge), reason="too_large")


def test_malformed_public_key_given_to_verify(key: Ed25519PrivateKey) -> None:
    signature = sign(key, DATA, COMMENT)
    refused("public_key_malformed", lambda: verify("not a key", DATA, signature))


def test_codes_have_sentences(key: Ed25519PrivateKey) -> None:
    assert SIGNATURE_CODES <= CODES
    assert MESSAGES.keys() >= SIGNATURE_CODES
    examples = [
        SignatureError("signature_malformed", reason="line_structure"),
        SignatureError("signature_algorithm_unsupported", algorithm="legacy"),
        SignatureError("signature_key_mismatch", expected="AB", found="CD"),
        SignatureError("signature_invalid", reason="file_signature"),
        SignatureError("signature_comment_invalid", comment="trusted", reason="x", maximum=1),
        SignatureError("public_key_malformed", reason="encoding"),
    ]
    for error in examples:
        text = describe(error)
        assert "?" not in text and "{" not in text, text
        assert error.to_json()["code"] == error.code
    assert SignatureError().code == "signature_invalid"


# --- interop with the minisign CLI ---------------------------------------------------------


def _ok(result: subprocess.CompletedProcess[bytes]) -> bytes:
    assert result.returncode == 0, (result.stdout, result.stderr)
    return result.stdout


def test_cli_verifies_our_signatures(
    tmp_path: Path, key: Ed25519PrivateKey, minisign_bin: str
) -> None:
    message = tmp_path / "bundle.bin"
    message.write_bytes(DATA)
    sig_file = tmp_path / "bundle.bin.minisig"
    sig_file.write_bytes(sign(key, message.read_bytes(), COMMENT))
    pub_file = tmp_path / "monitor.pub"
    pub_file.write_text(public_key_text(key.public_key()), encoding="utf-8")
    b64 = public_key_base64(key.public_key())

    out = _ok(run(minisign_bin, "-Vm", message, "-P", b64))
    assert b"Signature and comment signature verified" in out
    assert f"Trusted comment: {COMMENT}\n".encode() in out
    out = _ok(run(minisign_bin, "-Vm", message, "-p", pub_file, "-x", sig_file))
    assert f"Trusted comment: {COMMENT}\n".encode() in out
    # -H: minisign itself requires a prehashed signature, and ours is one.
    _ok(run(minisign_bin, "-H", "-Vm", message, "-p", pub_file))
    assert _ok(run(minisign_bin, "-Q", "-Vm", message, "-P", b64)) == (COMMENT + "\n").encode()


def test_cli_verifies_our_signature_with_an_explicit_key_id(
    tmp_path: Path, key: Ed25519PrivateKey, minisign_bin: str
) -> None:
    kid = bytes.fromhex("0102030405060700")  # prints with fewer than 16 digits
    message = tmp_path / "m"
    message.write_bytes(b"")
    (tmp_path / "m.minisig").write_bytes(sign(key, b"", "empty file", key_id=kid))
    (tmp_path / "k.pub").write_text(public_key_text(key.public_key(), kid), encoding="utf-8")
    out = _ok(run(minisign_bin, "-Vm", message, "-p", tmp_path / "k.pub"))
    assert b"Trusted comment: empty file\n" in out


def test_cli_rejects_tampering_with_our_signatures(
    tmp_path: Path, key: Ed25519PrivateKey, minisign_bin: str
) -> None:
    message = tmp_path / "bundle.bin"
    message.write_bytes(DATA)
    signature = sign(key, DATA, COMMENT)
    sig_file = tmp_path / "bundle.bin.minisig"
    b64 = public_key_base64(key.public_key())

    sig_file.write_bytes(signature)
    _ok(run(minisign_bin, "-Vm", message, "-P", b64))

    message.write_bytes(DATA + b"!")
    result = run(minisign_bin, "-Vm", message, "-P", b64)
    assert result.returncode != 0
    assert b"verified" not in result.stdout

    message.write_bytes(DATA)
    u, s, _, g = lines_of(signature)
    sig_file.write_bytes(join([u, s, b"trusted comment: bundle:forged", g]))
    result = run(minisign_bin, "-Vm", message, "-P", b64)
    assert result.returncode != 0
    assert b"forged" not in result.stdout

    other = Ed25519PrivateKey.generate()
    sig_file.write_bytes(signature)
    result = run(minisign_bin, "-Vm", message, "-P", public_key_base64(other.public_key()))
    assert result.returncode != 0


@pytest.fixture
def cli_keys(tmp_path: Path, minisign_bin: str) -> tuple[Path, Path]:
    pub, sec = tmp_path / "cli.pub", tmp_path / "cli.key"
    _ok(run(minisign_bin, "-G", "-W", "-p", pub, "-s", sec))
    assert pub.is_file() and sec.is_file()
    return pub, sec


def test_we_verify_cli_signatures(
    tmp_path: Path, cli_keys: tuple[Path, Path], minisign_bin: str, key: Ed25519PrivateKey
) -> None:
    pub, sec = cli_keys
    pub_text = pub.read_text(encoding="utf-8")
    message = tmp_path / "report.txt"
    message.write_bytes(DATA)
    _ok(run(minisign_bin, "-S", "-m", message, "-s", sec, "-t", COMMENT))
    signature = (tmp_path / "report.txt.minisig").read_bytes()

    parsed = parse_public_key(pub_text)
    assert pub_text.splitlines()[0] == (
        f"untrusted comment: minisign public key {key_id_hex(parsed.key_id)}"
    )
    for public in (pub_text, pub.read_bytes(), pub_text.splitlines()[1], parsed):
        result = verify(public, message.open("rb"), signature)
        assert result == VerifiedSignature(trusted_comment=COMMENT, key_id=parsed.key_id)

    # minisign's default trusted comment (timestamp and file name, tab-separated)
    _ok(run(minisign_bin, "-S", "-m", message, "-s", sec, "-x", tmp_path / "default.sig"))
    default = verify(pub_text, DATA, (tmp_path / "default.sig").read_bytes())
    assert default.trusted_comment.startswith("timestamp:")
    assert "\tfile:report.txt" in default.trusted_comment

    # The CLI key has its own random id: the bare Ed25519 key derives another one.
    refused("signature_key_mismatch", lambda: verify(parsed.key, DATA, signature))
    refused("signature_key_mismatch", lambda: verify(key.public_key(), DATA, signature))
    refused(
        "signature_invalid",
        lambda: verify(pub_text, DATA + b"x", signature),
        reason="file_signature",
    )
    u, s, _, g = lines_of(signature)
    forged = join([u, s, b"trusted comment: forged", g])
    refused(
        "signature_invalid",
        lambda: verify(pub_text, DATA, forged),
        reason="comment_signature",
    )


def test_cli_legacy_signature_is_refused(
    tmp_path: Path, cli_keys: tuple[Path, Path], minisign_bin: str
) -> None:
    pub, sec = cli_keys
    message = tmp_path / "old.txt"
    message.write_bytes(DATA)
    legacy_file = tmp_path / "old.legacy"
    _ok(run(minisign_bin, "-S", "-l", "-m", message, "-s", sec, "-x", legacy_file, "-t", "old"))
    # The CLI itself still accepts it without -H, so it is a genuine legacy signature.
    _ok(run(minisign_bin, "-Vm", message, "-p", pub, "-x", legacy_file))
    assert base64.b64decode(lines_of(legacy_file.read_bytes())[1])[:2] == b"Ed"
    refused(
        "signature_algorithm_unsupported",
        lambda: verify(pub.read_text(encoding="utf-8"), DATA, legacy_file.read_bytes()),
        algorithm="legacy",
    )


# --- large inputs in bounded memory ---------------------------------------------------------


def test_large_stream_in_bounded_memory(key: Ed25519PrivateKey) -> None:
    size = 64 * MIB + 12345
    block = random.Random(7).randbytes(MIB)
    reference = hashlib.blake2b()
    source = generated(size, block)
    while chunk := source.read(MIB):
        reference.update(chunk)
    signature_of_reference = key.sign(reference.digest())

    tracemalloc.start()
    try:
        signature = sign(key, generated(size, block), "large")
        result = verify(key.public_key(), generated(size, block), signature)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.trusted_comment == "large"
    assert peak < 2 * MIB, peak
    assert base64.b64decode(lines_of(signature)[1])[10:] == signature_of_reference
    refused(
        "signature_invalid",
        lambda: verify(key.public_key(), generated(size - 1, block), signature),
        reason="file_signature",
    )


def test_large_file_in_bounded_memory_verified_by_cli(
    tmp_path: Path, key: Ed25519PrivateKey, minisign_bin: str
) -> None:
    message = tmp_path / "large.bin"
    block = random.Random(8).randbytes(MIB)
    with message.open("wb") as sink:
        for _ in range(65):
            sink.write(block)
    tracemalloc.start()
    try:
        with message.open("rb") as source:
            signature = sign(key, source, "large file")
        with message.open("rb") as source:
            assert verify(key.public_key(), source, signature).trusted_comment == "large file"
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2 * MIB, peak
    (tmp_path / "large.bin.minisig").write_bytes(signature)
    out = _ok(run(minisign_bin, "-Vm", message, "-P", public_key_base64(key.public_key())))
    assert b"Trusted comment: large file\n" in out
