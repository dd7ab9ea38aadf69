"""age v1 (X25519, binary): bech32, keys, round trips, strict parsing, testkit cases, CLI interop.

The interop tests run the real ``age`` and ``age-keygen`` (Debian package ``age``, installed by
dev.sh); they fail, never skip, when the tools are missing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import os
import random
import shutil
import subprocess
import sys
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO, cast

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from monitor_app.crypto import bech32
from monitor_app.crypto.age import (
    MAX_HEADER_SIZE,
    MAX_LINE_SIZE,
    AgeError,
    X25519Identity,
    X25519Recipient,
    decrypt,
    decrypt_payload,
    encrypt,
    parse_identity_lines,
    read_header,
    unwrap_file_key,
)
from monitor_app.crypto.stream import CHUNK_SIZE, TAG_SIZE, StreamError, encrypted_size
from monitor_app.errors import CODES, Cancelled, MonitorError
from monitor_app.jobs import CancelToken
from monitor_app.messages import MESSAGES

ROOT = Path(__file__).resolve().parents[1]
KIB = 1024
MIB = 1 << 20
BOUNDARY_SIZES = [0, 1, 64 * KIB - 1, 64 * KIB, 64 * KIB + 1, 128 * KIB]


def data(size: int, seed: int = 0) -> bytes:
    return random.Random(seed).randbytes(size)


def encrypt_bytes(plaintext: bytes, recipients: list[X25519Recipient]) -> bytes:
    sink = io.BytesIO()
    assert encrypt(recipients, io.BytesIO(plaintext), sink) == len(plaintext)
    return sink.getvalue()


def decrypt_bytes(ciphertext: bytes, identities: list[X25519Identity]) -> bytes:
    sink = io.BytesIO()
    n = decrypt(identities, io.BytesIO(ciphertext), sink)
    assert n == len(sink.getvalue())
    return sink.getvalue()


def refusal(ciphertext: bytes, identities: list[X25519Identity]) -> MonitorError:
    with pytest.raises(MonitorError) as info:
        decrypt_bytes(ciphertext, identities)
    return info.value


def b64(raw: bytes) -> bytes:
    return base64.b64encode(raw).rstrip(b"=")


def not_canonical(encoded: bytes) -> bytes:
    """The next character in the alphabet sets a spare low bit: same value, not canonical."""
    alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    index = alphabet.index(encoded[-1:])
    return encoded[:-1] + alphabet[index + 1 : index + 2]


@pytest.fixture(scope="module")
def identity() -> X25519Identity:
    return X25519Identity.generate()


@pytest.fixture(scope="module")
def others() -> list[X25519Identity]:
    return [X25519Identity.generate() for _ in range(3)]


# --- bech32 ------------------------------------------------------------------------------

BIP173_VALID = [
    "A12UEL5L",
    "a12uel5l",
    "an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs",
    "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
    "11" + "q" * 82 + "c8247j",
    "split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w",
    "?1ezyfcl",
]

BIP173_INVALID = [
    "\x201nwldj5",  # HRP character out of range
    "\x7f1axkwrx",
    "\x801eym55h",
    "pzry9x0s0muk",  # no separator
    "1pzry9x0s0muk",  # empty HRP
    "x1b4n0q5v",  # invalid data character
    "li1dgmt3",  # checksum too short
    "de1lg7wt\xff",  # invalid character in checksum
    "A1G7SGD8",  # checksum computed with an uppercase HRP
    "10a06t8",  # empty HRP
    "1qzzfhee",
    "A12uEL5L",  # mixed case
    "a12uel5m",  # wrong checksum
]


@pytest.mark.parametrize("text", BIP173_VALID)
def test_bech32_valid_vectors_round_trip(text: str) -> None:
    hrp, payload = bech32.decode(text)
    assert hrp == text[: text.rfind("1")]
    assert bech32.encode(hrp, payload) == text


@pytest.mark.parametrize("text", BIP173_INVALID)
def test_bech32_invalid_vectors_refused(text: str) -> None:
    with pytest.raises(bech32.Bech32Error) as info:
        bech32.decode(text)
    assert text not in str(info.value)


def test_bech32_has_no_length_limit_but_checks_padding() -> None:
    long = bech32.encode("age", bytes(range(256)))
    assert len(long) > 90
    assert bech32.decode(long) == ("age", bytes(range(256)))
    # 'l' (31) as the single data group leaves five bits: more padding than allowed.
    with pytest.raises(bech32.Bech32Error):
        bech32.decode(_bech32_raw("a", [31]))
    # Two groups leave two bits over one byte; they must be zero.
    with pytest.raises(bech32.Bech32Error) as info:
        bech32.decode(_bech32_raw("a", [0, 1]))
    assert info.value.reason == "non_zero_padding"
    with pytest.raises(bech32.Bech32Error):
        bech32.encode("Age", b"x")


def _bech32_raw(hrp: str, groups: list[int]) -> str:
    """A string with a valid checksum over arbitrary 5-bit groups."""
    from monitor_app.crypto.bech32 import _CHARSET, _hrp_expand, _polymod

    polymod = _polymod([*_hrp_expand(hrp), *groups, 0, 0, 0, 0, 0, 0]) ^ 1
    checksum = [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(_CHARSET[g] for g in groups + checksum)


# --- keys --------------------------------------------------------------------------------

SPEC_IDENTITY = "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX"
SPEC_RECIPIENT = "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj"


def test_spec_example_keys() -> None:
    key = X25519Identity.parse(SPEC_IDENTITY)
    assert key.encode() == SPEC_IDENTITY
    assert key.recipient.encode() == SPEC_RECIPIENT
    assert X25519Recipient.parse(SPEC_RECIPIENT) == key.recipient
    assert str(key.recipient) == SPEC_RECIPIENT
    assert SPEC_IDENTITY not in repr(key) and SPEC_RECIPIENT in repr(key)


def test_generated_identities_differ_and_round_trip() -> None:
    a, b = X25519Identity.generate(), X25519Identity.generate()
    assert a.encode() != b.encode()
    assert a.encode().startswith("AGE-SECRET-KEY-1") and a.encode().isupper()
    assert X25519Identity.parse(a.encode()).recipient == a.recipient
    assert a.recipient.encode().startswith("age1")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (SPEC_IDENTITY.lower(), "not_an_age_secret_key"),
        (SPEC_IDENTITY[:20] + SPEC_IDENTITY[20:].lower(), "mixed_case"),
        (SPEC_IDENTITY[:-1] + ("Y" if SPEC_IDENTITY[-1] != "Y" else "Z"), "bad_checksum"),
        (SPEC_RECIPIENT, "not_an_age_secret_key"),
        (bech32.encode("AGE-SECRET-KEY-", bytes(31)), "wrong_length"),
        ("", "missing_separator"),
    ],
)
def test_bad_identities_refused_without_echo(text: str, reason: str) -> None:
    with pytest.raises(AgeError) as info:
        X25519Identity.parse(text)
    assert info.value.code == "age_identity_invalid"
    assert info.value.params["reason"] == reason
    assert text == "" or text not in str(info.value)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (SPEC_RECIPIENT.upper(), "not_an_age_recipient"),
        (SPEC_RECIPIENT[:-1] + ("q" if SPEC_RECIPIENT[-1] != "q" else "p"), "bad_checksum"),
        (SPEC_IDENTITY, "not_an_age_recipient"),
        (bech32.encode("age", bytes(33)), "wrong_length"),
        ("age1", "too_short"),
    ],
)
def test_bad_recipients_refused(text: str, reason: str) -> None:
    with pytest.raises(AgeError) as info:
        X25519Recipient.parse(text)
    assert info.value.code == "age_recipient_invalid"
    assert info.value.params["reason"] == reason


def test_low_order_recipient_refused_when_wrapping() -> None:
    with pytest.raises(AgeError) as info:
        encrypt_bytes(b"x", [X25519Recipient(bytes(32))])
    assert info.value.code == "age_recipient_invalid"


def test_identity_file_lines() -> None:
    lines = [
        "# created: 2024-01-01T00:00:00Z\n",
        f"# public key: {SPEC_RECIPIENT}\n",
        f"{SPEC_IDENTITY}\r\n",
        "\n",
        X25519Identity.generate().encode(),
    ]
    keys = parse_identity_lines(lines)
    assert len(keys) == 2 and keys[0].recipient.encode() == SPEC_RECIPIENT
    assert parse_identity_lines(["# only a comment\n"]) == []
    with pytest.raises(AgeError) as info:
        parse_identity_lines(["# comment\n", f" {SPEC_IDENTITY}\n"])
    assert info.value.params["line"] == 2


# --- round trips and format -------------------------------------------------------------


@pytest.mark.parametrize("size", BOUNDARY_SIZES)
def test_round_trip_sizes(size: int, identity: X25519Identity) -> None:
    plaintext = data(size, seed=size)
    ciphertext = encrypt_bytes(plaintext, [identity.recipient])
    header = read_header(io.BytesIO(ciphertext))
    assert len(ciphertext) == len(header.encode()) + 16 + encrypted_size(size)
    assert decrypt_bytes(ciphertext, [identity]) == plaintext


def test_several_recipients_each_decrypt(
    identity: X25519Identity, others: list[X25519Identity]
) -> None:
    plaintext = data(200_000, seed=7)
    everyone = [identity, *others]
    ciphertext = encrypt_bytes(plaintext, [k.recipient for k in everyone])
    header = read_header(io.BytesIO(ciphertext))
    assert [s.type for s in header.stanzas] == ["X25519"] * 4
    for key in everyone:
        assert decrypt_bytes(ciphertext, [key]) == plaintext
    stranger = X25519Identity.generate()
    assert decrypt_bytes(ciphertext, [stranger, others[2]]) == plaintext
    assert refusal(ciphertext, [stranger]).code == "age_no_identity"


def test_header_layout_and_fresh_randomness(identity: X25519Identity) -> None:
    first = encrypt_bytes(b"same", [identity.recipient])
    second = encrypt_bytes(b"same", [identity.recipient])
    assert first != second
    lines = first.split(b"\n")
    assert lines[0] == b"age-encryption.org/v1"
    assert lines[1].startswith(b"-> X25519 ") and len(lines[1]) == len(b"-> X25519 ") + 43
    assert len(lines[2]) == 43  # 32-byte body, one short line
    assert lines[3].startswith(b"--- ") and len(lines[3]) == 47


def test_header_api(identity: X25519Identity) -> None:
    plaintext = data(70_000, seed=3)
    source = io.BytesIO(encrypt_bytes(plaintext, [identity.recipient]))
    header = read_header(source)
    position = source.tell()
    assert source.getvalue()[:position] == header.encode()
    file_key = unwrap_file_key(header, [identity])
    assert len(file_key) == 16
    sink = io.BytesIO()
    assert decrypt([identity], source, sink, header=header) == len(plaintext)
    assert sink.getvalue() == plaintext
    source.seek(position)
    again = io.BytesIO()
    decrypt_payload(file_key, source, again)
    assert again.getvalue() == plaintext


def test_progress_and_cancel(identity: X25519Identity) -> None:
    calls: list[tuple[int, int | None]] = []
    plaintext = data(3 * MIB + 5)
    sink = io.BytesIO()
    encrypt(
        [identity.recipient],
        io.BytesIO(plaintext),
        sink,
        size=len(plaintext),
        progress=lambda done, total: calls.append((done, total)),
    )
    assert calls[-1] == (len(plaintext), len(plaintext)) and len(calls) >= 3
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        encrypt([identity.recipient], io.BytesIO(plaintext), io.BytesIO(), cancel=token)
    with pytest.raises(Cancelled):
        decrypt([identity], io.BytesIO(sink.getvalue()), io.BytesIO(), cancel=token)


def test_unbuffered_file_source(tmp_path: Path, identity: X25519Identity) -> None:
    plaintext = data(100_000, seed=9)
    path = tmp_path / "f.age"
    path.write_bytes(encrypt_bytes(plaintext, [identity.recipient]))
    sink = io.BytesIO()
    with open(path, "rb", buffering=0) as raw:
        decrypt([identity], raw, sink)
    assert sink.getvalue() == plaintext


# --- hand-made malformed files ----------------------------------------------------------


def _mac_for(file_key: bytes, mac_input: bytes) -> bytes:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"header").derive(file_key)
    return hmac.new(key, mac_input, hashlib.sha256).digest()


def _x25519_stanza(file_key: bytes, recipient: bytes, share_secret: bytes) -> tuple[bytes, bytes]:
    ephemeral = X25519PrivateKey.from_private_bytes(share_secret)
    share = ephemeral.public_key().public_bytes_raw()
    secret = ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient))
    key = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=share + recipient,
        info=b"age-encryption.org/v1/X25519",
    ).derive(secret)
    return share, ChaCha20Poly1305(key).encrypt(bytes(12), file_key, None)


def _assemble(file_key: bytes, stanza_lines: bytes, payload: bytes = b"hello") -> bytes:
    """A file with the given stanza lines, a correct MAC and a correct payload."""
    mac_input = b"age-encryption.org/v1\n" + stanza_lines + b"---"
    nonce = bytes(range(16))
    out = io.BytesIO()
    out.write(mac_input + b" " + b64(_mac_for(file_key, mac_input)) + b"\n" + nonce)
    from monitor_app.crypto.stream import derive_age_payload_key, encrypt_stream

    encrypt_stream(derive_age_payload_key(file_key, nonce), io.BytesIO(payload), out)
    return out.getvalue()


FILE_KEY = bytes(range(100, 116))


def _good_stanza(identity: X25519Identity) -> bytes:
    share, body = _x25519_stanza(FILE_KEY, identity.recipient.public_key, bytes([7]) * 32)
    return b"-> X25519 " + b64(share) + b"\n" + b64(body) + b"\n"


def test_hand_made_file_decrypts(identity: X25519Identity) -> None:
    assert decrypt_bytes(_assemble(FILE_KEY, _good_stanza(identity)), [identity]) == b"hello"


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        # A full line needs a final line: here the MAC line is taken for it, and refused.
        (b"-> other\n" + b"A" * 64 + b"\n", "invalid_base64"),
        (b"-> other\n" + b"A" * 64 + b"\n" + b"A" * 65 + b"\n", "body_line_too_long"),
        (b"-> other\nAAAA\nAAAA\n", "unexpected_line"),  # a short line ends the stanza
        (b"-> other\nAA==\n", "invalid_base64"),
        (b"-> other\nAB\n", "non_canonical_base64"),
        (b"-> other\nA\n", "invalid_base64"),
        (b"-> other\nAAAA\r\n", "invalid_base64"),
        (b"-> other  x\n\n", "invalid_stanza_argument"),
        (b"-> other \x7f\n\n", "invalid_stanza_argument"),
        ("-> other é\n\n".encode(), "invalid_stanza_argument"),
        (b"-> \n\n", "invalid_stanza_argument"),
        (b"->\n\n", "unexpected_line"),
        (b"->other\n\n", "unexpected_line"),
        (b"-> scrypt c2FsdHNhbHRzYWx0c2FsdA 10\n" + b64(bytes(32)) + b"\n", "scrypt_not_alone"),
    ],
)
def test_malformed_stanzas_refused(extra: bytes, reason: str, identity: X25519Identity) -> None:
    # After a good stanza, so a lenient parser could have found the key first.
    stanzas = _good_stanza(identity) + extra
    error = refusal(_assemble(FILE_KEY, stanzas), [identity])
    assert error.code == "age_header_invalid"
    assert error.params["reason"] == reason


def test_full_body_line_with_empty_final_line_accepted(identity: X25519Identity) -> None:
    stanzas = _good_stanza(identity) + b"-> other\n" + b"A" * 64 + b"\n\n"
    assert decrypt_bytes(_assemble(FILE_KEY, stanzas), [identity]) == b"hello"
    # The MAC line directly after a full body line is taken as a body line and refused.
    no_final = _good_stanza(identity) + b"-> other\n" + b"A" * 64 + b"\n"
    assert refusal(_assemble(FILE_KEY, no_final), [identity]).code == "age_header_invalid"


@pytest.mark.parametrize(
    "mutate",
    [
        "extra_argument",
        "missing_share",
        "short_share",
        "long_share",
        "padded_share",
        "non_canonical_share",
        "short_body",
        "long_body",
        "zero_share",
    ],
)
def test_malformed_x25519_stanzas_refused(mutate: str, identity: X25519Identity) -> None:
    share, body = _x25519_stanza(FILE_KEY, identity.recipient.public_key, bytes([9]) * 32)
    share_text = b64(share)
    body_text = b64(body)
    if mutate == "extra_argument":
        share_text += b" extra"
    elif mutate == "missing_share":
        share_text = b""
    elif mutate == "short_share":
        share_text = b64(share[:31])
    elif mutate == "long_share":
        share_text = b64(share + b"\x00")
    elif mutate == "padded_share":
        share_text += b"="
    elif mutate == "non_canonical_share":
        share_text = not_canonical(share_text)
    elif mutate == "short_body":
        body_text = b64(body[:31])
    elif mutate == "long_body":
        body_text = b64(body + b"\x00")
    elif mutate == "zero_share":
        share_text = b64(bytes(32))
    args = b"-> X25519 " + share_text if share_text else b"-> X25519"
    stanza = args + b"\n" + body_text + b"\n"
    # Syntax is checked before any unwrapping, so a malformed stanza is refused even after a
    # valid one. The all-zero shared secret is found while unwrapping: it aborts rather than
    # being skipped, even when a later stanza would match.
    orders = [stanza, stanza + _good_stanza(identity)]
    if mutate != "zero_share":
        orders.append(_good_stanza(identity) + stanza)
    for stanzas in orders:
        error = refusal(_assemble(FILE_KEY, stanzas), [identity])
        assert error.code == "age_header_invalid", mutate


def test_low_order_share_refused(identity: X25519Identity) -> None:
    low_order = bytes.fromhex("5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f11d7")
    stanza = b"-> X25519 " + b64(low_order) + b"\n" + b64(bytes(32)) + b"\n"
    error = refusal(_assemble(FILE_KEY, stanza), [identity])
    assert error.params["reason"] == "x25519_low_order_share"


def test_wrong_identity_and_bad_mac(identity: X25519Identity) -> None:
    good = _assemble(FILE_KEY, _good_stanza(identity))
    assert refusal(good, [X25519Identity.generate()]).code == "age_no_identity"
    assert refusal(good, []).code == "age_no_identity"
    start = good.index(b"\n---") + 1
    end = good.index(b"\n", start) + 1
    mac = base64.b64decode(good[start + 4 : end - 1] + b"=")
    for position in (0, 31):
        altered = bytearray(mac)
        altered[position] ^= 0x80
        bad = good[:start] + b"--- " + b64(bytes(altered)) + b"\n" + good[end:]
        assert refusal(bad, [identity]).code == "age_mac_invalid"
    # An added stanza (here an extra recipient-like line) changes what the MAC covers.
    extra = good[:start] + b"-> grease\n\n" + good[start:]
    assert refusal(extra, [identity]).code == "age_mac_invalid"


@pytest.mark.parametrize(
    ("line", "code"),
    [
        (b"age-encryption.org/v2\n", "age_version_unsupported"),
        (b"age-encryption.org/\n", "age_header_invalid"),
        (b"age-encryption.org/v1\r\n", "age_header_invalid"),
        (b"age-encryption.org/v1 \n", "age_header_invalid"),
        (b"-----BEGIN AGE ENCRYPTED FILE-----\n", "age_header_invalid"),
        (b"", "age_header_invalid"),
    ],
)
def test_version_line(line: bytes, code: str, identity: X25519Identity) -> None:
    good = _assemble(FILE_KEY, _good_stanza(identity))
    first_end = good.index(b"\n") + 1
    assert refusal(line + good[first_end:], [identity]).code == code


@pytest.mark.parametrize(
    "mac_line",
    [
        b"---\n",
        b"--- \n",
        b"---  {mac}\n",
        b"---{mac}\n",
        b"--- {mac} \n",
        b"--- {mac}AAA\n",
        b"--- {short}\n",
        b"--- {mac}=\n",
        b"--- {noncanonical}\n",
        b"--- {mac}\r\n",
        b"---- {mac}\n",
    ],
)
def test_mac_line_syntax(mac_line: bytes, identity: X25519Identity) -> None:
    good = _assemble(FILE_KEY, _good_stanza(identity))
    start = good.index(b"\n---") + 1
    end = good.index(b"\n", start) + 1
    mac = good[start + 4 : end - 1]
    line = (
        mac_line.replace(b"{mac}", mac)
        .replace(b"{short}", mac[:-1])
        .replace(b"{noncanonical}", not_canonical(mac))
    )
    error = refusal(good[:start] + line + good[end:], [identity])
    assert error.code == "age_header_invalid"


def test_no_stanzas_refused(identity: X25519Identity) -> None:
    error = refusal(_assemble(FILE_KEY, b""), [identity])
    assert error.params["reason"] == "no_stanzas"


def test_truncated_header_at_every_byte(identity: X25519Identity) -> None:
    good = _assemble(FILE_KEY, _good_stanza(identity) + b"-> other\n" + b"A" * 64 + b"\n\n")
    header_size = good.index(b"\n---") + 1
    header_size = good.index(b"\n", header_size) + 1
    for cut in range(header_size):
        assert refusal(good[:cut], [identity]).code == "age_header_invalid", cut
    # Cut inside the nonce, or right after it: the payload is truncated.
    for cut in (header_size, header_size + 15, header_size + 16, header_size + 17):
        error = refusal(good[:cut], [identity])
        assert isinstance(error, StreamError) and error.code == "stream_damaged", cut


def test_line_and_header_limits(identity: X25519Identity) -> None:
    long_arg = b"-> other " + b"x" * MAX_LINE_SIZE + b"\n\n"
    error = refusal(_assemble(FILE_KEY, _good_stanza(identity) + long_arg), [identity])
    assert error.params["reason"] == "line_too_long"
    fits = b"-> other " + b"x" * (MAX_LINE_SIZE - 10) + b"\n\n"
    assert decrypt_bytes(_assemble(FILE_KEY, _good_stanza(identity) + fits), [identity])
    many = (b"-> other\n" + b"A" * 64 + b"\n" * 2) * (MAX_HEADER_SIZE // 70)
    error = refusal(_assemble(FILE_KEY, _good_stanza(identity) + many), [identity])
    assert error.params["reason"] == "header_too_large"
    # Without line feeds at all, nothing past the limit is read.
    endless = io.BytesIO(b"age-encryption.org/v1\n" + b"x" * (2 * MAX_LINE_SIZE))
    with pytest.raises(AgeError):
        read_header(endless)
    assert endless.tell() <= len(b"age-encryption.org/v1\n") + MAX_LINE_SIZE


@pytest.mark.parametrize("size", [0, 5, CHUNK_SIZE, 2 * CHUNK_SIZE + 3])
def test_payload_truncation_extension_and_tampering(size: int, identity: X25519Identity) -> None:
    plaintext = data(size, seed=size + 1)
    good = encrypt_bytes(plaintext, [identity.recipient])
    header = len(read_header(io.BytesIO(good)).encode())
    payload_start = header + 16
    cuts = {payload_start, len(good) - 1, len(good) - TAG_SIZE}
    cuts |= {payload_start + k * (CHUNK_SIZE + TAG_SIZE) for k in range(1, size // CHUNK_SIZE + 1)}
    for cut in sorted(c for c in cuts if c < len(good)):
        assert refusal(good[:cut], [identity]).code == "stream_damaged", cut
    for tail in (b"\x00", bytes(TAG_SIZE), good[payload_start:]):
        assert refusal(good + tail, [identity]).code == "stream_damaged"
    for position in (header, header + 15, payload_start, len(good) - 1):
        damaged = bytearray(good)
        damaged[position] ^= 0x40
        assert refusal(bytes(damaged), [identity]).code == "stream_damaged", position


def test_errors_hold_no_key_material(identity: X25519Identity) -> None:
    secret = identity.encode()
    good = _assemble(FILE_KEY, _good_stanza(identity))
    errors = [
        refusal(good, [X25519Identity.generate()]),
        refusal(good[:-1], [identity]),
        refusal(good.replace(b"---", b"--x", 1), [identity]),
    ]
    with pytest.raises(AgeError) as info:
        X25519Identity.parse(secret[:-1] + ("Q" if secret[-1] != "Q" else "P"))
    errors.append(info.value)
    for error in errors:
        text = str(error) + json.dumps(error.to_json())
        assert secret not in text and secret.lower() not in text
        assert FILE_KEY.hex() not in text
        assert error.__cause__ is None


def test_every_age_code_has_a_sentence() -> None:
    age_codes = {code for code in CODES if code.startswith("age_")}
    assert len(age_codes) >= 9
    for code in age_codes | {"stream_damaged"}:
        assert code in MESSAGES


def test_memory_stays_bounded(tmp_path: Path, identity: X25519Identity) -> None:
    size = 100 * MIB + 12345
    encrypted = tmp_path / "big.age"
    expected = hashlib.sha256()
    tracemalloc.start()
    try:
        with open(encrypted, "wb") as sink:
            source = cast(BinaryIO, _Pattern(size, expected))
            encrypt([identity.recipient], source, sink, size=size)
        _, encrypt_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        got = _HashSink()
        with open(encrypted, "rb") as encrypted_file:
            assert decrypt([identity], encrypted_file, cast(BinaryIO, got)) == size
        _, decrypt_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert got.digest.hexdigest() == expected.hexdigest()
    assert encrypt_peak < 4 * MIB and decrypt_peak < 4 * MIB, (encrypt_peak, decrypt_peak)


class _Pattern(io.RawIOBase):
    """``size`` bytes of a repeating random block, hashed as they are produced."""

    def __init__(self, size: int, digest: Any) -> None:
        self._left = size
        self._block = data(65537, seed=11)
        self._pos = 0
        self._digest = digest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        n = min(len(view), self._left, len(self._block) - self._pos)
        piece = self._block[self._pos : self._pos + n]
        view[:n] = piece
        self._digest.update(piece)
        self._pos = (self._pos + n) % len(self._block)
        self._left -= n
        return n


class _HashSink(io.RawIOBase):
    def __init__(self) -> None:
        self.digest = hashlib.sha256()

    def writable(self) -> bool:
        return True

    def write(self, buffer: Any) -> int:
        self.digest.update(buffer)
        return len(memoryview(buffer))


# --- C2SP/CCTV age testkit cases ----------------------------------------------------------
#
# Ported from the generators in github.com/C2SP/CCTV (age/internal/tests), X25519 and
# format cases only (no armor, no scrypt or hybrid identities). Same test identity, file key
# and deterministic randomness as the testkit.

TESTKIT_IDENTITY = "AGE-SECRET-KEY-1EGTZVFFV20835NWYV6270LXYVK2VKNX2MMDKWYKLMGR48UAWX40Q2P2LM0"
TESTKIT_FILE_KEY = b"YELLOW SUBMARINE"
LARGE_FILE_KEY = bytes.fromhex("7aa5bdac0e6afeed3dd0a7eccb42af44")
LARGE_NONCE = bytes.fromhex("c82f71eb82029b77136399e485e879f4")
_BASEPOINT = (9).to_bytes(32, "little")


def _x25519(scalar: bytes, point: bytes) -> bytes:
    try:
        return X25519PrivateKey.from_private_bytes(scalar).exchange(
            X25519PublicKey.from_public_bytes(point)
        )
    except ValueError:
        return bytes(32)  # low-order point


def _x25519_base(scalar: bytes) -> bytes:
    return X25519PrivateKey.from_private_bytes(scalar).public_key().public_bytes_raw()


class VectorFile:
    """A Python port of the testkit's VectorFile builder."""

    def __init__(self) -> None:
        self.buf = bytearray()
        self.file_key = TESTKIT_FILE_KEY
        self.identities: list[str] = []
        self.expect = "success"
        self.payload = bytearray()
        self._stream_key = b""
        self._counter = 0
        self._rand = Cipher(
            algorithms.ChaCha20(b"TEST RANDOMNESS TEST RANDOMNESS!", bytes(16)), mode=None
        ).encryptor()

    def rand(self, n: int) -> bytes:
        return self._rand.update(bytes(n))

    def text_line(self, line: bytes) -> None:
        self.buf += line + b"\n"

    def unread_line(self) -> bytes:
        text = bytes(self.buf).removesuffix(b"\n")
        start = text.rfind(b"\n") + 1
        del self.buf[start:]
        return text[start:]

    def version_line(self, version: bytes = b"v1") -> None:
        self.text_line(b"age-encryption.org/" + version)

    def args_line(self, *args: bytes) -> None:
        self.text_line(b" ".join([b"->", *args]))

    def body(self, body: bytes) -> None:
        while True:
            line, body = body[:48], body[48:]
            self.text_line(b64(line))
            if len(line) < 48:
                break

    def aead_body(self, key: bytes, body: bytes) -> None:
        self.body(ChaCha20Poly1305(key).encrypt(bytes(12), body, None))

    def x25519(self, identity: bytes) -> None:
        self.x25519_record_identity(identity)
        self.x25519_stanza(_x25519_base(self.rand(32)), identity)

    def x25519_record_identity(self, identity: bytes) -> None:
        self.identities.append(bech32.encode("AGE-SECRET-KEY-", identity))

    def x25519_stanza(self, share: bytes, identity: bytes) -> None:
        recipient = _x25519_base(identity)
        self.args_line(b"X25519", b64(share))
        secret = _x25519(identity, share)
        key = HKDF(
            algorithm=hashes.SHA256(),
            length=32,
            salt=share + recipient,
            info=b"age-encryption.org/v1/X25519",
        ).derive(secret)
        self.aead_body(key, self.file_key)

    def scrypt(self, passphrase: bytes, work_factor: int) -> None:
        salt = self.rand(16)
        self.args_line(b"scrypt", b64(salt), str(work_factor).encode())
        key = hashlib.scrypt(
            passphrase,
            salt=b"age-encryption.org/v1/scrypt" + salt,
            n=1 << work_factor,
            r=8,
            p=1,
            dklen=32,
        )
        self.aead_body(key, self.file_key)

    def hmac_line(self, mac: bytes) -> None:
        self.text_line(b"--- " + b64(mac))

    def hmac(self) -> None:
        self.hmac_line(_mac_for(self.file_key, bytes(self.buf) + b"---"))

    def nonce(self, nonce: bytes | None = None) -> None:
        nonce = self.rand(16) if nonce is None else nonce
        self._stream_key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=nonce, info=b"payload"
        ).derive(self.file_key)
        self.buf += nonce

    def chunk(self, plaintext: bytes, final: bool = False) -> None:
        self.payload += plaintext
        nonce = self._counter.to_bytes(11, "big") + (b"\x01" if final else b"\x00")
        self.buf += ChaCha20Poly1305(self._stream_key).encrypt(nonce, plaintext, None)
        self._counter += 1

    def payload_text(self, text: bytes) -> None:
        self.nonce()
        self.chunk(text, final=True)

    def expect_partial(self, good: int) -> None:
        self.expect = "payload failure"
        del self.payload[good:]


TESTKIT_KEY = bech32.decode(TESTKIT_IDENTITY)[1]
_CASES: dict[str, Callable[[], VectorFile]] = {}


def case(function: Callable[[VectorFile], None]) -> Callable[[VectorFile], None]:
    def build() -> VectorFile:
        f = VectorFile()
        function(f)
        return f

    _CASES[function.__name__.removeprefix("tk_")] = build
    return function


def _standard(f: VectorFile, *, body: Callable[[VectorFile], None] | None = None) -> None:
    f.version_line()
    f.x25519(TESTKIT_KEY)
    if body is not None:
        body(f)
    f.hmac()
    f.payload_text(b"age")


@case
def tk_x25519(f: VectorFile) -> None:
    _standard(f)


@case
def tk_x25519_multiple_recipients(f: VectorFile) -> None:
    f.version_line()
    f.x25519_record_identity(f.rand(32))
    f.x25519(TESTKIT_KEY)
    f.x25519(f.rand(32))
    f.hmac()
    f.payload_text(b"age")


@case
def tk_x25519_grease(f: VectorFile) -> None:
    f.version_line()
    f.args_line(b"grease")
    f.body(b"")
    f.x25519(TESTKIT_KEY)
    f.args_line(b"grease")
    f.body(b"")
    f.hmac()
    f.payload_text(b"age")


@case
def tk_x25519_no_match(f: VectorFile) -> None:
    f.version_line()
    f.x25519_record_identity(f.rand(32))
    f.x25519_stanza(_x25519_base(f.rand(32)), TESTKIT_KEY)
    f.hmac()
    f.payload_text(b"age")
    f.expect = "no match"


@case
def tk_x25519_bad_tag(f: VectorFile) -> None:
    f.version_line()
    f.x25519(TESTKIT_KEY)
    body = base64.b64decode(f.unread_line() + b"=")
    f.body(body[:-1] + bytes([body[-1] ^ 1]))
    f.hmac()
    f.payload_text(b"age")
    f.expect = "no match"


@case
def tk_x25519_lowercase(f: VectorFile) -> None:
    f.version_line()
    f.x25519(TESTKIT_KEY)
    body = f.unread_line()
    share = f.unread_line().split(b" ")[2]
    f.args_line(b"x25519", share)
    f.text_line(body)
    f.hmac()
    f.payload_text(b"age")
    f.expect = "no match"


def _rewrite_x25519(f: VectorFile, share: Callable[[bytes], bytes], extra: bytes = b"") -> None:
    f.version_line()
    f.x25519(TESTKIT_KEY)
    body = f.unread_line()
    old = f.unread_line().split(b" ")[2]
    f.args_line(b"X25519", share(old), *([extra] if extra else []))
    f.text_line(body)
    f.hmac()
    f.payload_text(b"age")
    f.expect = "header failure"


@case
def tk_x25519_extra_argument(f: VectorFile) -> None:
    _rewrite_x25519(f, lambda s: s, b"1QRWh1Q")


@case
def tk_x25519_short_share(f: VectorFile) -> None:
    _rewrite_x25519(f, lambda s: b64(base64.b64decode(s + b"=")[:31]))


@case
def tk_x25519_long_share(f: VectorFile) -> None:
    _rewrite_x25519(f, lambda s: b64(base64.b64decode(s + b"=") + b"\x00"))


@case
def tk_x25519_not_canonical_share(f: VectorFile) -> None:
    _rewrite_x25519(f, not_canonical)


@case
def tk_x25519_not_canonical_body(f: VectorFile) -> None:
    f.version_line()
    f.x25519(TESTKIT_KEY)
    f.text_line(not_canonical(f.unread_line()))
    f.hmac()
    f.payload_text(b"age")
    f.expect = "header failure"


@case
def tk_x25519_low_order(f: VectorFile) -> None:
    f.version_line()
    f.x25519_record_identity(TESTKIT_KEY)
    share = bytes.fromhex("5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f11d7")
    f.x25519_stanza(share, TESTKIT_KEY)
    f.hmac()
    f.payload_text(b"age")
    f.expect = "header failure"


@case
def tk_x25519_identity(f: VectorFile) -> None:
    f.version_line()
    f.x25519_record_identity(TESTKIT_KEY)
    f.x25519_stanza(bytes(32), TESTKIT_KEY)
    f.hmac()
    f.payload_text(b"age")
    f.expect = "header failure"


@case
def tk_x25519_long_file_key(f: VectorFile) -> None:
    f.file_key = b"A LONGER YELLOW SUBMARINE"
    f.version_line()
    f.x25519(TESTKIT_KEY)
    f.hmac()
    f.nonce()
    f.expect = "header failure"


@case
def tk_scrypt_and_x25519(f: VectorFile) -> None:
    f.version_line()
    f.x25519_record_identity(f.rand(32))
    f.x25519_stanza(_x25519_base(f.rand(32)), TESTKIT_KEY)
    f.scrypt(b"password", 10)
    f.hmac()
    f.payload_text(b"age")
    f.expect = "header failure"


@case
def tk_scrypt_only(f: VectorFile) -> None:
    f.version_line()
    f.x25519_record_identity(TESTKIT_KEY)
    f.scrypt(b"password", 10)
    f.hmac()
    f.payload_text(b"age")
    f.expect = "no match"


@case
def tk_stanza_valid_characters(f: VectorFile) -> None:
    f.version_line()
    f.args_line(b"!\"#$%&'", b"()*+,-./", b"01234567", b"89:;<=>?", b"@ABCDEFG", b"HIJKLMNO")
    f.body(b"")
    f.args_line(b"PQRSTUVW", b"XYZ[\\]^_", b"`abcdefg", b"hijklmno", b"pqrstuvw", b"xyz{|}~")
    f.body(b"")
    f.x25519(TESTKIT_KEY)
    f.hmac()
    f.payload_text(b"age")


def _other_stanza(f: VectorFile, lines: list[bytes], expect: str = "header failure") -> None:
    f.version_line()
    f.x25519(TESTKIT_KEY)
    f.args_line(b"stanza")
    for line in lines:
        f.text_line(line)
    f.hmac()
    f.payload_text(b"age")
    f.expect = expect


@case
def tk_stanza_empty_body(f: VectorFile) -> None:
    _other_stanza(f, [b""], "success")


@case
def tk_stanza_empty_last_line(f: VectorFile) -> None:
    _other_stanza(f, [b"Q" * 64, b"Q" * 64, b""], "success")


@case
def tk_stanza_missing_body(f: VectorFile) -> None:
    _other_stanza(f, [])


@case
def tk_stanza_missing_final_line(f: VectorFile) -> None:
    _other_stanza(f, [b"A" * 64])


@case
def tk_stanza_multiple_short_lines(f: VectorFile) -> None:
    _other_stanza(f, [b"A" * 32, b"A" * 32])


@case
def tk_stanza_long_line(f: VectorFile) -> None:
    _other_stanza(f, [b"A" * 68, b""])


@case
def tk_stanza_base64_padding(f: VectorFile) -> None:
    _other_stanza(f, [b64(b"age") + b64(b"ag") + b"=="])


@case
def tk_stanza_not_canonical(f: VectorFile) -> None:
    _other_stanza(f, [not_canonical(b64(b"age!!"))])


@case
def tk_stanza_spurious_cr(f: VectorFile) -> None:
    _other_stanza(f, [b64(b"age") + b"\r"])


@case
def tk_stanza_invalid_character(f: VectorFile) -> None:
    f.version_line()
    f.x25519(TESTKIT_KEY)
    f.args_line(b"\x7f")
    f.body(b"")
    f.hmac()
    f.payload_text(b"age")
    f.expect = "header failure"


@case
def tk_stanza_empty_argument(f: VectorFile) -> None:
    f.version_line()
    f.x25519(TESTKIT_KEY)
    f.args_line(b"empty", b"", b"argument")
    f.body(b"")
    f.hmac()
    f.payload_text(b"age")
    f.expect = "header failure"


@case
def tk_stanza_no_arguments(f: VectorFile) -> None:
    f.version_line()
    f.x25519(TESTKIT_KEY)
    f.args_line()
    f.body(b"")
    f.hmac()
    f.payload_text(b"age")
    f.expect = "header failure"


@case
def tk_stanza_bad_start(f: VectorFile) -> None:
    f.version_line()
    f.x25519(TESTKIT_KEY)
    f.text_line(b"->stanza")
    f.body(b"")
    f.hmac()
    f.payload_text(b"age")
    f.expect = "header failure"


@case
def tk_header_crlf(f: VectorFile) -> None:
    f.version_line(b"v1\r")
    f.x25519(TESTKIT_KEY)
    f.hmac()
    f.payload_text(b"age")
    f.expect = "header failure"


@case
def tk_version_unsupported(f: VectorFile) -> None:
    f.version_line(b"v1234")
    f.x25519(TESTKIT_KEY)
    f.hmac()
    f.payload_text(b"age")
    f.expect = "unsupported version"


@case
def tk_empty(f: VectorFile) -> None:
    f.expect = "header failure"


def _hmac_case(f: VectorFile, rewrite: Callable[[bytes], bytes], expect: str) -> None:
    f.version_line()
    f.x25519(TESTKIT_KEY)
    f.hmac()
    f.text_line(rewrite(f.unread_line()))
    f.payload_text(b"age")
    f.expect = expect


@case
def tk_hmac_bad(f: VectorFile) -> None:
    _hmac_case(f, lambda line: b"--- " + b64(bytes(32)), "HMAC failure")


@case
def tk_hmac_extra_space(f: VectorFile) -> None:
    _hmac_case(f, lambda line: b"--- " + line[3:], "header failure")


@case
def tk_hmac_garbage(f: VectorFile) -> None:
    _hmac_case(f, lambda line: line + b"AAA", "header failure")


@case
def tk_hmac_missing(f: VectorFile) -> None:
    _hmac_case(f, lambda line: b"---", "header failure")


@case
def tk_hmac_no_space(f: VectorFile) -> None:
    _hmac_case(f, lambda line: b"---" + line[4:], "header failure")


@case
def tk_hmac_not_canonical(f: VectorFile) -> None:
    _hmac_case(f, not_canonical, "header failure")


@case
def tk_hmac_trailing_space(f: VectorFile) -> None:
    _hmac_case(f, lambda line: line + b" ", "header failure")


@case
def tk_hmac_truncated(f: VectorFile) -> None:
    _hmac_case(f, lambda line: line[:-1], "header failure")


def _large(f: VectorFile) -> None:
    f.file_key = LARGE_FILE_KEY
    f.version_line()
    f.x25519(TESTKIT_KEY)
    f.hmac()
    f.nonce(LARGE_NONCE)


FIRST, SECOND, THIRD = (bytes([n]) * CHUNK_SIZE for n in range(3))


@case
def tk_stream_empty_payload(f: VectorFile) -> None:
    _large(f)
    f.chunk(b"", final=True)


@case
def tk_stream_no_chunks(f: VectorFile) -> None:
    _large(f)
    f.expect = "payload failure"


@case
def tk_stream_short_nonce(f: VectorFile) -> None:
    f.version_line()
    f.x25519(TESTKIT_KEY)
    f.hmac()
    f.buf += f.rand(12)
    # The testkit calls this a header failure (Go reads the nonce with the header); here it
    # is the payload that is cut short.
    f.expect = "payload failure"


@case
def tk_stream_last_chunk_full(f: VectorFile) -> None:
    _large(f)
    f.chunk(FIRST, final=True)


@case
def tk_stream_last_chunk_full_second(f: VectorFile) -> None:
    _large(f)
    f.chunk(FIRST)
    f.chunk(SECOND, final=True)


@case
def tk_stream_two_chunks(f: VectorFile) -> None:
    _large(f)
    f.chunk(FIRST)
    f.chunk(b"age", final=True)


@case
def tk_stream_three_chunks(f: VectorFile) -> None:
    _large(f)
    f.chunk(FIRST)
    f.chunk(SECOND)
    f.chunk(THIRD[:100], final=True)


@case
def tk_stream_last_chunk_empty(f: VectorFile) -> None:
    _large(f)
    f.chunk(FIRST)
    f.chunk(b"", final=True)
    f.expect_partial(CHUNK_SIZE)


@case
def tk_stream_no_final(f: VectorFile) -> None:
    _large(f)
    f.chunk(FIRST)
    f.expect_partial(0)


@case
def tk_stream_no_final_two_chunks(f: VectorFile) -> None:
    _large(f)
    f.chunk(FIRST)
    f.chunk(SECOND)
    f.expect_partial(CHUNK_SIZE)


@case
def tk_stream_two_final_chunks(f: VectorFile) -> None:
    _large(f)
    f.chunk(FIRST, final=True)
    f.chunk(SECOND, final=True)
    f.expect_partial(0)


@case
def tk_stream_trailing_garbage_short(f: VectorFile) -> None:
    _large(f)
    f.chunk(FIRST, final=True)
    f.buf += f.rand(10)
    f.expect_partial(0)


@case
def tk_stream_trailing_garbage_long(f: VectorFile) -> None:
    _large(f)
    f.chunk(FIRST, final=True)
    f.buf += f.rand(20)
    f.expect_partial(CHUNK_SIZE)


@case
def tk_stream_bad_tag(f: VectorFile) -> None:
    _large(f)
    f.chunk(b"age", final=True)
    f.buf[-1] ^= 0x01
    f.expect_partial(0)


@case
def tk_stream_bad_tag_second_chunk(f: VectorFile) -> None:
    _large(f)
    f.chunk(FIRST)
    f.chunk(b"age", final=True)
    f.buf[-1] ^= 0x01
    f.expect_partial(CHUNK_SIZE)


@case
def tk_stream_missing_tag(f: VectorFile) -> None:
    _large(f)
    f.chunk(b"age", final=True)
    del f.buf[-TAG_SIZE:]
    f.expect_partial(0)


EXPECTED_CODES = {
    "header failure": "age_header_invalid",
    "unsupported version": "age_version_unsupported",
    "HMAC failure": "age_mac_invalid",
    "no match": "age_no_identity",
    "payload failure": "stream_damaged",
}


@pytest.mark.parametrize("name", sorted(_CASES))
def test_testkit_case(name: str) -> None:
    f = _CASES[name]()
    identities = [X25519Identity.parse(text) for text in f.identities]
    sink = io.BytesIO()
    if f.expect == "success":
        decrypt(identities, io.BytesIO(bytes(f.buf)), sink)
        assert sink.getvalue() == bytes(f.payload)
        return
    with pytest.raises(MonitorError) as info:
        decrypt(identities, io.BytesIO(bytes(f.buf)), sink)
    assert info.value.code == EXPECTED_CODES[f.expect]
    # Nothing beyond the authenticated chunks was released.
    assert bytes(f.payload).startswith(sink.getvalue())


# --- interop with the age command line ---------------------------------------------------


def need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} is not installed (apt-get install age; dev.sh installs it)")
    return path


def monitorctl(
    *args: str | Path, stdin: bytes = b"", check: bool = True
) -> subprocess.CompletedProcess[bytes]:
    result = subprocess.run(
        [sys.executable, "-m", "monitor_app.cli.main", *map(str, args)],
        input=stdin,
        capture_output=True,
        cwd=ROOT,
        timeout=120,
    )
    if check and result.returncode != 0:
        raise AssertionError(result.stderr.decode())
    return result


def age_cli(*args: str | Path, stdin: bytes = b"") -> bytes:
    result = subprocess.run(
        [need("age"), *map(str, args)], input=stdin, capture_output=True, timeout=120
    )
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout


def json_error(result: subprocess.CompletedProcess[bytes]) -> dict[str, Any]:
    assert result.returncode == 1, result.stderr.decode()
    body = json.loads(result.stdout)
    assert body["ok"] is False and body["error"]["message"]
    error: dict[str, Any] = body["error"]
    return error


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Path, str]]:
    """Three identity files written by age-keygen, with their public keys."""
    keygen = need("age-keygen")
    folder = tmp_path_factory.mktemp("keys")
    out = []
    for n in range(3):
        path = folder / f"key{n}.txt"
        subprocess.run([keygen, "-o", str(path)], check=True, capture_output=True, timeout=60)
        public = subprocess.run(
            [keygen, "-y", str(path)], check=True, capture_output=True, timeout=60
        )
        out.append((path, public.stdout.decode().strip()))
    return out


INTEROP_SIZES = [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1]
INTEROP_SIZES += [2 * CHUNK_SIZE - 1, 2 * CHUNK_SIZE, 2 * CHUNK_SIZE + 1, 3 * CHUNK_SIZE]


def test_keygen_keys_parse_like_age(keys: list[tuple[Path, str]]) -> None:
    for path, public in keys:
        identities = parse_identity_lines(path.read_text().splitlines(keepends=True))
        assert len(identities) == 1 and identities[0].recipient.encode() == public
    # And age reads a key this module generated.
    ours = X25519Identity.generate()
    folder = keys[0][0].parent
    (folder / "ours.txt").write_text(f"# ours\n{ours.encode()}\n")
    derived = subprocess.run(
        [need("age-keygen"), "-y", str(folder / "ours.txt")], capture_output=True, check=True
    )
    assert derived.stdout.decode().strip() == ours.recipient.encode()


@pytest.mark.parametrize("size", INTEROP_SIZES)
def test_monitorctl_decrypts_age_output(
    size: int, tmp_path: Path, keys: list[tuple[Path, str]]
) -> None:
    plaintext = data(size, seed=size + 5)
    (tmp_path / "in").write_bytes(plaintext)
    age_cli("-r", keys[0][1], "-o", tmp_path / "in.age", tmp_path / "in")
    monitorctl("age", "decrypt", "-i", keys[0][0], "-o", tmp_path / "out", tmp_path / "in.age")
    assert (tmp_path / "out").read_bytes() == plaintext
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "in.age", "out"]


@pytest.mark.parametrize("size", INTEROP_SIZES)
def test_age_decrypts_monitorctl_output(
    size: int, tmp_path: Path, keys: list[tuple[Path, str]]
) -> None:
    plaintext = data(size, seed=size + 6)
    (tmp_path / "in").write_bytes(plaintext)
    monitorctl("age", "encrypt", "-r", keys[1][1], "-o", tmp_path / "in.age", tmp_path / "in")
    assert age_cli("-d", "-i", keys[1][0], tmp_path / "in.age") == plaintext


def test_several_recipients_both_ways(tmp_path: Path, keys: list[tuple[Path, str]]) -> None:
    plaintext = data(150_000, seed=12)
    recipients = [arg for _, public in keys[:2] for arg in ("-r", public)]
    by_age = age_cli(*recipients, stdin=plaintext)
    (tmp_path / "a.age").write_bytes(by_age)
    for key, _ in keys[:2]:
        out = monitorctl("age", "decrypt", "-i", key, tmp_path / "a.age").stdout
        assert out == plaintext
    # Several -i: the first file does not match, the second does.
    both = monitorctl("age", "decrypt", "-i", keys[2][0], "-i", keys[1][0], stdin=by_age)
    assert both.stdout == plaintext
    ours = monitorctl("age", "encrypt", *recipients, stdin=plaintext).stdout
    (tmp_path / "m.age").write_bytes(ours)
    for key, _ in keys[:2]:
        assert age_cli("-d", "-i", key, tmp_path / "m.age") == plaintext
    refused = monitorctl(
        "--json",
        "age",
        "decrypt",
        "-i",
        keys[2][0],
        "-o",
        tmp_path / "x",
        tmp_path / "m.age",
        check=False,
    )
    assert json_error(refused)["code"] == "age_no_identity"
    assert not (tmp_path / "x").exists()


@pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="needs Linux's /proc")
@pytest.mark.parametrize("action", ["encrypt", "decrypt"])
def test_an_input_that_fails_to_read_is_named(
    tmp_path: Path, keys: list[tuple[Path, str]], action: str
) -> None:
    """A read error (EIO: the start of /proc/self/mem is never mapped; on a stick, one
    pulled out) is a storage error naming the input, and no output is left."""
    key = ["-r", keys[0][1]] if action == "encrypt" else ["-i", keys[0][0]]
    result = monitorctl(
        "--json", "age", action, *key, "-o", tmp_path / "out", "/proc/self/mem", check=False
    )
    error = json_error(result)
    assert (error["code"], error["params"]["path"]) == ("storage_failed", "/proc/self/mem")
    assert list(tmp_path.iterdir()) == []


def test_identity_from_stdin_and_json_result(tmp_path: Path, keys: list[tuple[Path, str]]) -> None:
    (tmp_path / "f.age").write_bytes(age_cli("-r", keys[0][1], stdin=b"secret text"))
    result = monitorctl(
        "age",
        "decrypt",
        "-i",
        "-",
        "-o",
        tmp_path / "out",
        "--json",
        tmp_path / "f.age",
        stdin=keys[0][0].read_bytes(),
    )
    assert json.loads(result.stdout) == {
        "ok": True,
        "result": {"bytes": 11, "output": str(tmp_path / "out")},
    }
    assert (tmp_path / "out").read_bytes() == b"secret text"
    assert (tmp_path / "out").stat().st_mode & 0o077 == 0
    conflict = monitorctl("--json", "age", "decrypt", "-i", "-", "-o", tmp_path / "o2", check=False)
    assert json_error(conflict)["code"] == "age_stdin_conflict"


def _damaged_variants(good: bytes) -> dict[str, bytes]:
    header_end = good.index(b"\n---")
    header_end = good.index(b"\n", header_end + 1) + 1
    flipped = bytearray(good)
    flipped[-5] ^= 1  # in the final chunk: earlier chunks were already decrypted
    bad_mac = bytearray(good)
    bad_mac[header_end - 2] = ord("A") if good[header_end - 2] != ord("A") else ord("Q")
    return {
        "payload_flipped": bytes(flipped),
        "truncated_chunk": good[: header_end + 16 + CHUNK_SIZE + TAG_SIZE],
        "truncated_tail": good[:-1],
        "extended": good + b"\x00" * 17,
        "mac": bytes(bad_mac),
        "garbage": b"not an age file\n",
        "header_only": good[:header_end],
    }


def test_refused_files_leave_no_output(tmp_path: Path, keys: list[tuple[Path, str]]) -> None:
    plaintext = data(3 * CHUNK_SIZE + 10, seed=13)
    good = age_cli("-r", keys[0][1], stdin=plaintext)
    expected_codes = {
        "payload_flipped": "stream_damaged",
        "truncated_chunk": "stream_damaged",
        "truncated_tail": "stream_damaged",
        "extended": "stream_damaged",
        "mac": "age_mac_invalid",
        "garbage": "age_header_invalid",
        "header_only": "stream_damaged",
    }
    work = tmp_path / "work"
    work.mkdir()
    for name, damaged in _damaged_variants(good).items():
        source = tmp_path / f"{name}.age"
        source.write_bytes(damaged)
        out = work / "plain.bin"
        result = monitorctl(
            "--json", "age", "decrypt", "-i", keys[0][0], "-o", out, source, check=False
        )
        assert json_error(result)["code"] == expected_codes[name], name
        assert list(work.iterdir()) == [], name
        plain = monitorctl("age", "decrypt", "-i", keys[0][0], "-o", out, source, check=False)
        assert plain.returncode == 1 and plain.stderr.startswith(b"monitorctl: ")
        assert plain.stdout == b"" and list(work.iterdir()) == []
    # An existing output file is left as it was.
    keep = work / "keep"
    keep.write_bytes(b"previous")
    (tmp_path / "bad.age").write_bytes(_damaged_variants(good)["payload_flipped"])
    result = monitorctl(
        "age", "decrypt", "-i", keys[0][0], "-o", keep, tmp_path / "bad.age", check=False
    )
    assert result.returncode == 1 and keep.read_bytes() == b"previous"
    assert sorted(p.name for p in work.iterdir()) == ["keep"]


def test_cli_errors_and_exit_codes(tmp_path: Path, keys: list[tuple[Path, str]]) -> None:
    assert monitorctl("age", "encrypt", check=False).returncode == 2  # -r is required
    assert monitorctl("age", "decrypt", check=False).returncode == 2  # -i is required
    assert monitorctl("age", check=False).returncode == 2
    bad = monitorctl(
        "--json", "age", "encrypt", "-r", "age1notakey", "-o", tmp_path / "x", check=False
    )
    assert json_error(bad)["code"] == "age_recipient_invalid"
    missing = monitorctl(
        "--json",
        "age",
        "encrypt",
        "-r",
        keys[0][1],
        "-o",
        tmp_path / "x",
        tmp_path / "nope",
        check=False,
    )
    assert json_error(missing)["code"] == "file_unreadable"
    no_out = monitorctl("--json", "age", "encrypt", "-r", keys[0][1], check=False)
    assert json_error(no_out)["code"] == "age_output_required"
    assert not (tmp_path / "x").exists()

    good = age_cli("-r", keys[0][1], stdin=b"x")
    (tmp_path / "f.age").write_bytes(good)
    garbage_key = tmp_path / "garbage.txt"
    garbage_key.write_text("# comment\n\nAGE-SECRET-KEY-1NOTAKEY\n")
    result = monitorctl(
        "--json",
        "age",
        "decrypt",
        "-i",
        garbage_key,
        "-o",
        tmp_path / "x",
        tmp_path / "f.age",
        check=False,
    )
    error = json_error(result)
    assert error["code"] == "age_identity_invalid" and error["params"]["line"] == 3
    assert "AGE-SECRET-KEY-1NOTAKEY" not in result.stdout.decode() + result.stderr.decode()
    empty_key = tmp_path / "empty.txt"
    empty_key.write_text("# nothing here\n")
    result = monitorctl(
        "--json",
        "age",
        "decrypt",
        "-i",
        empty_key,
        "-o",
        tmp_path / "x",
        tmp_path / "f.age",
        check=False,
    )
    assert json_error(result)["code"] == "age_identity_missing"
    result = monitorctl(
        "--json",
        "age",
        "decrypt",
        "-i",
        tmp_path / "nokey",
        "-o",
        tmp_path / "x",
        tmp_path / "f.age",
        check=False,
    )
    assert json_error(result)["code"] == "file_unreadable"
    assert not (tmp_path / "x").exists()
    ok = monitorctl("age", "decrypt", "-i", keys[0][0], tmp_path / "f.age")
    assert ok.stdout == b"x" and ok.stderr == b""


def test_cli_needs_no_vault(tmp_path: Path, keys: list[tuple[Path, str]]) -> None:
    vault = tmp_path / "no-vault-here"
    encrypted = monitorctl("--vault", vault, "age", "encrypt", "-r", keys[0][1], stdin=b"hi")
    assert age_cli("-d", "-i", keys[0][0], stdin=encrypted.stdout) == b"hi"
    assert not vault.exists()
    assert os.listdir(tmp_path) == []
