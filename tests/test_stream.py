"""STREAM chunked encryption (age v1 payload): round trips, format, tampering, limits."""

from __future__ import annotations

import hashlib
import hmac
import io
import itertools
import random
import tracemalloc
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from monitor_app.crypto import stream as stream_module
from monitor_app.crypto.stream import (
    CHUNK_SIZE,
    TAG_SIZE,
    StreamError,
    decrypt_stream,
    derive_age_payload_key,
    encrypt_stream,
    encrypted_size,
    iter_decrypted_batches,
    iter_decrypted_chunks,
)
from monitor_app.errors import Cancelled, MonitorError
from monitor_app.jobs import CancelToken

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
CT_CHUNK = CHUNK_SIZE + TAG_SIZE
MIB = 1 << 20


# --- helpers -----------------------------------------------------------------------------


def data(size: int, seed: int = 0) -> bytes:
    return random.Random(seed).randbytes(size)


def encrypt(plaintext: bytes, key: bytes = KEY) -> bytes:
    sink = io.BytesIO()
    assert encrypt_stream(key, io.BytesIO(plaintext), sink) == len(plaintext)
    return sink.getvalue()


def decrypt(ciphertext: bytes, key: bytes = KEY) -> bytes:
    sink = io.BytesIO()
    n = decrypt_stream(key, io.BytesIO(ciphertext), sink)
    out = sink.getvalue()
    assert n == len(out)
    return out


def raw_chunk(index: int, last: bool, plaintext: bytes, key: bytes = KEY) -> bytes:
    """One chunk sealed with the primitive directly, with the nonce laid out by hand."""
    nonce = index.to_bytes(11, "big") + (b"\x01" if last else b"\x00")
    assert len(nonce) == 12
    return ChaCha20Poly1305(key).encrypt(nonce, plaintext, None)


def split_chunks(ciphertext: bytes) -> list[bytes]:
    return [ciphertext[i : i + CT_CHUNK] for i in range(0, len(ciphertext), CT_CHUNK)]


def damaged(ciphertext: bytes, key: bytes = KEY) -> tuple[StreamError, bytes]:
    """Decrypt expecting StreamError; return it and what reached the sink before it."""
    sink = io.BytesIO()
    with pytest.raises(StreamError) as info:
        decrypt_stream(key, io.BytesIO(ciphertext), sink)
    err = info.value
    assert err.code == "stream_damaged"
    assert isinstance(err, MonitorError)
    return err, sink.getvalue()


class ShortReads:
    """A pipe-like source: readinto returns at most ``step`` bytes per call."""

    def __init__(self, payload: bytes, step: int = 1000) -> None:
        self._buf = io.BytesIO(payload)
        self._step = step

    def readinto(self, view: memoryview) -> int:
        return self._buf.readinto(view[: self._step])

    def read(self, n: int = -1) -> bytes:
        raise AssertionError("readinto should be used")


class ReadOnly:
    """A source with read() only, returning short reads."""

    def __init__(self, payload: bytes, step: int = 777) -> None:
        self._buf = io.BytesIO(payload)
        self._step = step

    def read(self, n: int = -1) -> bytes:
        return self._buf.read(min(n, self._step))


class ShortWrites:
    """A raw-file-like sink that accepts at most ``step`` bytes per write."""

    def __init__(self, step: int = 1000) -> None:
        self.buf = bytearray()
        self._step = step

    def write(self, view: bytes) -> int:
        part = bytes(view[: self._step])
        self.buf += part
        return len(part)


class Generated:
    """A long deterministic source that never holds the stream in memory (short reads too)."""

    def __init__(self, size: int, pattern: bytes) -> None:
        self._left = size
        self._pattern = memoryview(pattern)
        self._pos = 0

    def readinto(self, view: memoryview) -> int:
        n = min(len(view), self._left, len(self._pattern) - self._pos)
        view[:n] = self._pattern[self._pos : self._pos + n]
        self._pos = (self._pos + n) % len(self._pattern)
        self._left -= n
        return n


class HashSink:
    def __init__(self) -> None:
        self.hash = hashlib.sha256()
        self.size = 0

    def write(self, view: bytes) -> int:
        self.hash.update(view)
        self.size += len(view)
        return len(view)


# --- format and round trips --------------------------------------------------------------

BOUNDARY_SIZES = [
    0,
    1,
    CHUNK_SIZE - 1,
    CHUNK_SIZE,
    CHUNK_SIZE + 1,
    2 * CHUNK_SIZE - 1,
    2 * CHUNK_SIZE,
    2 * CHUNK_SIZE + 1,
]
RANDOM_SIZES = random.Random(2024).sample(range(3 * CHUNK_SIZE + 5), 5)


@pytest.mark.parametrize("size", BOUNDARY_SIZES + RANDOM_SIZES)
def test_round_trip(size: int) -> None:
    plaintext = data(size, seed=size)
    ciphertext = encrypt(plaintext)
    assert len(ciphertext) == encrypted_size(size)
    assert decrypt(ciphertext) == plaintext
    chunks = list(iter_decrypted_chunks(KEY, io.BytesIO(ciphertext)))
    assert b"".join(chunks) == plaintext
    assert all(len(c) == CHUNK_SIZE for c in chunks[:-1])
    assert len(chunks) == max(1, -(-size // CHUNK_SIZE))


def test_encrypted_size() -> None:
    assert encrypted_size(0) == TAG_SIZE
    assert encrypted_size(1) == 1 + TAG_SIZE
    assert encrypted_size(CHUNK_SIZE) == CHUNK_SIZE + TAG_SIZE
    assert encrypted_size(CHUNK_SIZE + 1) == CHUNK_SIZE + 1 + 2 * TAG_SIZE
    assert encrypted_size(2 * CHUNK_SIZE) == 2 * CT_CHUNK
    with pytest.raises(ValueError):
        encrypted_size(-1)


def test_full_final_chunk_is_one_chunk_with_last_flag() -> None:
    plaintext = data(CHUNK_SIZE)
    ciphertext = encrypt(plaintext)
    assert len(ciphertext) == CHUNK_SIZE + TAG_SIZE
    assert ciphertext == raw_chunk(0, True, plaintext)


def test_two_full_chunks_end_with_full_final_chunk() -> None:
    plaintext = data(2 * CHUNK_SIZE)
    ciphertext = encrypt(plaintext)
    assert ciphertext == raw_chunk(0, False, plaintext[:CHUNK_SIZE]) + raw_chunk(
        1, True, plaintext[CHUNK_SIZE:]
    )


def test_empty_plaintext_is_one_empty_final_chunk() -> None:
    ciphertext = encrypt(b"")
    assert ciphertext == raw_chunk(0, True, b"")
    assert len(ciphertext) == TAG_SIZE
    assert decrypt(ciphertext) == b""


def test_known_answer_small() -> None:
    key = bytes.fromhex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
    plaintext = b"visit report: cell 4, 12 detainees"
    nonce = bytes(11) + b"\x01"
    expected = ChaCha20Poly1305(key).encrypt(nonce, plaintext, None)
    assert encrypt(plaintext, key) == expected
    assert decrypt(expected, key) == plaintext


def test_known_answer_three_chunks() -> None:
    plaintext = bytes(range(256)) * 700  # 179200 bytes: two full chunks and a short one
    aead = ChaCha20Poly1305(KEY)
    expected = b"".join(
        aead.encrypt(i.to_bytes(11, "big") + bytes([last]), plaintext[a:b], None)
        for i, last, a, b in [
            (0, 0, 0, CHUNK_SIZE),
            (1, 0, CHUNK_SIZE, 2 * CHUNK_SIZE),
            (2, 1, 2 * CHUNK_SIZE, len(plaintext)),
        ]
    )
    assert encrypt(plaintext) == expected


def test_short_reads_and_read_only_sources() -> None:
    plaintext = data(2 * CHUNK_SIZE + 3000, seed=7)
    ciphertext = encrypt(plaintext)
    for source in (ShortReads(plaintext), ReadOnly(plaintext)):
        sink = io.BytesIO()
        assert encrypt_stream(KEY, source, sink) == len(plaintext)
        assert sink.getvalue() == ciphertext
    for source in (ShortReads(ciphertext), ReadOnly(ciphertext)):
        sink = io.BytesIO()
        assert decrypt_stream(KEY, source, sink) == len(plaintext)
        assert sink.getvalue() == plaintext


def test_short_writes_are_completed() -> None:
    plaintext = data(CHUNK_SIZE + 5000, seed=8)
    sink = ShortWrites()
    encrypt_stream(KEY, io.BytesIO(plaintext), sink)
    assert bytes(sink.buf) == encrypt(plaintext)
    out = ShortWrites()
    decrypt_stream(KEY, io.BytesIO(bytes(sink.buf)), out)
    assert bytes(out.buf) == plaintext


def test_key_must_be_32_bytes() -> None:
    with pytest.raises(ValueError):
        encrypt_stream(bytes(16), io.BytesIO(b"x"), io.BytesIO())
    with pytest.raises(ValueError):
        decrypt_stream(bytes(31), io.BytesIO(bytes(17)), io.BytesIO())


# --- tampering -----------------------------------------------------------------------------

THREE_CHUNKS = data(2 * CHUNK_SIZE + 100, seed=3)


@pytest.mark.parametrize("chunk", [0, 1, 2])
@pytest.mark.parametrize("where", ["body", "tag"])
def test_bit_flip_in_each_chunk(chunk: int, where: str) -> None:
    ciphertext = bytearray(encrypt(THREE_CHUNKS))
    start = chunk * CT_CHUNK
    end = min(start + CT_CHUNK, len(ciphertext))
    ciphertext[start + 5 if where == "body" else end - 3] ^= 0x10
    err, written = damaged(bytes(ciphertext))
    assert err.params == {"reason": "authentication_failed", "chunk": chunk}
    # Only chunks before the damaged one were released, never unauthenticated plaintext.
    assert written == THREE_CHUNKS[: chunk * CHUNK_SIZE]


def test_swapped_chunks() -> None:
    c0, c1, c2 = split_chunks(encrypt(THREE_CHUNKS))
    err, written = damaged(c1 + c0 + c2)
    assert err.params == {"reason": "authentication_failed", "chunk": 0}
    assert written == b""


def test_truncated_at_chunk_boundary() -> None:
    ciphertext = encrypt(THREE_CHUNKS)
    err, written = damaged(ciphertext[:CT_CHUNK])
    assert err.params == {"reason": "truncated", "chunk": 0}
    assert written == b""
    err, written = damaged(ciphertext[: 2 * CT_CHUNK])
    assert err.params == {"reason": "truncated", "chunk": 1}
    assert written == THREE_CHUNKS[:CHUNK_SIZE]


def test_truncated_mid_chunk() -> None:
    ciphertext = encrypt(THREE_CHUNKS)
    for cut in (CT_CHUNK + 1000, len(ciphertext) - 1, 2 * CT_CHUNK + TAG_SIZE - 1):
        err, _ = damaged(ciphertext[:cut])
        assert err.params["reason"] in {"authentication_failed", "truncated"}
    # A final piece shorter than one tag.
    err, _ = damaged(ciphertext[: CT_CHUNK + 5])
    assert err.params == {"reason": "truncated", "chunk": 1}


@pytest.mark.parametrize("ciphertext", [b"", bytes(1), bytes(TAG_SIZE - 1)])
def test_shorter_than_one_tag(ciphertext: bytes) -> None:
    err, written = damaged(ciphertext)
    assert err.params == {"reason": "truncated", "chunk": 0}
    assert written == b""


def test_appended_byte() -> None:
    # After a full final chunk, the appended byte is recognised as trailing data.
    full = data(CHUNK_SIZE)
    err, written = damaged(encrypt(full) + b"\x00")
    assert err.params == {"reason": "trailing_data", "chunk": 0}
    assert written == b""
    # After a short final chunk it merges into that chunk and breaks its tag.
    for plaintext in (b"abc", THREE_CHUNKS):
        err, _ = damaged(encrypt(plaintext) + b"\x00")
        assert err.params["reason"] == "authentication_failed"


def test_appended_valid_final_chunk() -> None:
    full = data(CHUNK_SIZE)
    extra = raw_chunk(1, True, b"forged tail")
    err, written = damaged(encrypt(full) + extra)
    assert err.params == {"reason": "trailing_data", "chunk": 0}
    assert written == b""
    two_full = data(2 * CHUNK_SIZE)
    err, written = damaged(encrypt(two_full) + raw_chunk(2, True, b"x"))
    assert err.params == {"reason": "trailing_data", "chunk": 1}
    assert written == two_full[:CHUNK_SIZE]
    # After a short final chunk the extra chunk cannot even be framed apart.
    err, _ = damaged(encrypt(b"short") + raw_chunk(1, True, b"x"))
    assert err.params["reason"] == "authentication_failed"


def test_empty_final_chunk_after_full_chunk_is_refused() -> None:
    plaintext = data(CHUNK_SIZE)
    ciphertext = raw_chunk(0, False, plaintext) + raw_chunk(1, True, b"")
    err, _ = damaged(ciphertext)
    assert err.params == {"reason": "empty_final_chunk", "chunk": 1}
    with pytest.raises(StreamError):
        list(iter_decrypted_chunks(KEY, io.BytesIO(ciphertext)))


def test_missing_final_flag_with_short_chunk() -> None:
    # A short chunk that is not marked final (no valid writer produces this).
    err, _ = damaged(raw_chunk(0, False, b"hello"))
    assert err.params["reason"] == "authentication_failed"


def test_wrong_key() -> None:
    for plaintext in (b"", b"x", THREE_CHUNKS):
        err, written = damaged(encrypt(plaintext), key=OTHER_KEY)
        assert err.params == {"reason": "authentication_failed", "chunk": 0}
        assert written == b""


def test_iterator_yields_chunks_then_raises_at_damage() -> None:
    ciphertext = bytearray(encrypt(THREE_CHUNKS))
    ciphertext[-1] ^= 1
    got: list[bytes] = []
    with pytest.raises(StreamError) as info:
        for chunk in iter_decrypted_chunks(KEY, io.BytesIO(bytes(ciphertext))):
            got.append(chunk)
    assert info.value.params == {"reason": "authentication_failed", "chunk": 2}
    assert b"".join(got) == THREE_CHUNKS[: 2 * CHUNK_SIZE]


@pytest.mark.parametrize("into", [True, False])
@pytest.mark.parametrize(
    "size", [0, 1, CHUNK_SIZE, 4 * CHUNK_SIZE - 1, 4 * CHUNK_SIZE, 9 * CHUNK_SIZE + 5]
)
def test_batches_give_the_plaintext_in_whole_chunks(
    size: int, into: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pieces of up to 4 chunks, all full but the last, with or without decrypt_into; each
    is copied at once, since the next step reuses the buffer."""
    monkeypatch.setattr(stream_module, "_HAS_INTO", into)
    plaintext = data(size, seed=5)
    pieces = [
        bytes(piece)
        for piece in iter_decrypted_batches(KEY, io.BytesIO(encrypt(plaintext)), chunks=4)
    ]
    assert b"".join(pieces) == plaintext
    assert all(len(piece) == 4 * CHUNK_SIZE for piece in pieces[:-1])
    assert all(0 < len(piece) <= 4 * CHUNK_SIZE for piece in pieces)


def test_batches_hold_back_a_piece_whose_chunk_is_damaged() -> None:
    plaintext = data(9 * CHUNK_SIZE, seed=6)
    ciphertext = bytearray(encrypt(plaintext))
    ciphertext[6 * CT_CHUNK + 3] ^= 1  # the seventh chunk, in the second piece of four
    got: list[bytes] = []
    with pytest.raises(StreamError) as info:
        for piece in iter_decrypted_batches(KEY, io.BytesIO(bytes(ciphertext)), chunks=4):
            got.append(bytes(piece))
    assert info.value.params == {"reason": "authentication_failed", "chunk": 6}
    assert b"".join(got) == plaintext[: 4 * CHUNK_SIZE]  # nothing of the damaged piece


# --- progress, cancel, digest --------------------------------------------------------------


def check_progress(calls: list[tuple[int, int | None]], size: int) -> None:
    assert calls, "progress must be reported at least at the end"
    assert calls[-1] == (size, size)
    dones = [done for done, _ in calls]
    assert dones == sorted(dones)
    assert len(set(dones)) == len(dones)
    # About once per MiB: steps of at least 1 MiB, except the final report.
    assert all(b - a >= MIB for a, b in itertools.pairwise([0, *dones[:-1]]))
    assert len(calls) <= size // MIB + 2


def test_progress_encrypt_and_decrypt() -> None:
    size = 5 * MIB + 123
    plaintext = data(size, seed=5)
    calls: list[tuple[int, int | None]] = []
    sink = io.BytesIO()
    encrypt_stream(
        KEY, io.BytesIO(plaintext), sink, total=size, progress=lambda d, t: calls.append((d, t))
    )
    check_progress(calls, size)
    calls.clear()
    decrypt_stream(
        KEY,
        io.BytesIO(sink.getvalue()),
        io.BytesIO(),
        total=size,
        progress=lambda d, t: calls.append((d, t)),
    )
    check_progress(calls, size)


def test_progress_empty_and_unknown_total() -> None:
    calls: list[tuple[int, int | None]] = []
    encrypt_stream(KEY, io.BytesIO(b""), io.BytesIO(), progress=lambda d, t: calls.append((d, t)))
    assert calls == [(0, None)]


def test_cancel_before_start() -> None:
    token = CancelToken()
    token.cancel()
    sink = io.BytesIO()
    with pytest.raises(Cancelled):
        encrypt_stream(KEY, io.BytesIO(b"abc"), sink, cancel=token)
    assert sink.getvalue() == b""
    with pytest.raises(Cancelled):
        decrypt_stream(KEY, io.BytesIO(encrypt(b"abc")), sink, cancel=token)
    assert sink.getvalue() == b""
    with pytest.raises(Cancelled):
        list(iter_decrypted_chunks(KEY, io.BytesIO(encrypt(b"abc")), cancel=token))


def test_cancel_during_work() -> None:
    size = 4 * MIB
    plaintext = data(size, seed=9)
    token = CancelToken()
    sink = io.BytesIO()
    with pytest.raises(Cancelled):
        encrypt_stream(
            KEY, io.BytesIO(plaintext), sink, progress=lambda d, t: token.cancel(), cancel=token
        )
    assert 0 < len(sink.getvalue()) < encrypted_size(size)

    token = CancelToken()
    out = io.BytesIO()
    with pytest.raises(Cancelled):
        decrypt_stream(
            KEY,
            io.BytesIO(encrypt(plaintext)),
            out,
            progress=lambda d, t: token.cancel(),
            cancel=token,
        )
    assert 0 < len(out.getvalue()) < size

    token = CancelToken()
    chunks = iter_decrypted_chunks(KEY, io.BytesIO(encrypt(plaintext)), cancel=token)
    assert next(chunks) == plaintext[:CHUNK_SIZE]
    token.cancel()
    with pytest.raises(Cancelled):
        next(chunks)


@pytest.mark.parametrize("size", [0, 1, CHUNK_SIZE, 3 * CHUNK_SIZE + 17])
def test_digest_matches_sha256(size: int) -> None:
    plaintext = data(size, seed=11)
    digest = hashlib.sha256()
    sink = io.BytesIO()
    encrypt_stream(KEY, io.BytesIO(plaintext), sink, digest=digest)
    assert digest.digest() == hashlib.sha256(plaintext).digest()
    digest = hashlib.sha256()
    decrypt_stream(KEY, io.BytesIO(sink.getvalue()), io.BytesIO(), digest=digest)
    assert digest.digest() == hashlib.sha256(plaintext).digest()


def test_digest_not_fed_unauthenticated_plaintext() -> None:
    ciphertext = bytearray(encrypt(THREE_CHUNKS))
    ciphertext[CT_CHUNK + 1] ^= 1
    digest = hashlib.sha256()
    with pytest.raises(StreamError):
        decrypt_stream(KEY, io.BytesIO(bytes(ciphertext)), io.BytesIO(), digest=digest)
    assert digest.digest() == hashlib.sha256(THREE_CHUNKS[:CHUNK_SIZE]).digest()


# --- age payload key -----------------------------------------------------------------------


def test_derive_age_payload_key_matches_rfc5869() -> None:
    file_key = bytes.fromhex("59454c4c4f57205355424d4152494e45")
    nonce = bytes(range(16, 32))
    # HKDF-SHA-256 written out from RFC 5869, independently of the library's HKDF.
    prk = hmac.new(nonce, file_key, hashlib.sha256).digest()
    okm = hmac.new(prk, b"payload" + b"\x01", hashlib.sha256).digest()
    key = derive_age_payload_key(file_key, nonce)
    assert key == okm
    assert len(key) == 32
    assert derive_age_payload_key(file_key, bytes(16)) != key
    with pytest.raises(ValueError):
        derive_age_payload_key(file_key, bytes(12))
    with pytest.raises(ValueError):
        derive_age_payload_key(bytes(32), nonce)


# --- bounded memory ------------------------------------------------------------------------


def test_64_mib_stream_in_bounded_memory(tmp_path: Path) -> None:
    size = 64 * MIB + 12345
    pattern = data(MIB + 7, seed=13)  # prime-ish length so chunks differ from one another
    expected = hashlib.sha256()
    gen = Generated(size, pattern)
    scratch = bytearray(CHUNK_SIZE)
    while n := gen.readinto(memoryview(scratch)):
        expected.update(memoryview(scratch)[:n])
    del scratch
    path = tmp_path / "big.stream"

    tracemalloc.start()
    try:
        digest = hashlib.sha256()
        with open(path, "wb") as sink:
            assert encrypt_stream(KEY, Generated(size, pattern), sink, digest=digest) == size
        out = HashSink()
        with open(path, "rb") as source:
            assert decrypt_stream(KEY, source, out) == size
        iterated = hashlib.sha256()
        with open(path, "rb") as source:
            for chunk in iter_decrypted_chunks(KEY, source):
                iterated.update(chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert peak < 4 * MIB, f"peak traced memory {peak} bytes"
    assert path.stat().st_size == encrypted_size(size)
    assert digest.digest() == expected.digest()
    assert out.size == size
    assert out.hash.digest() == expected.digest()
    assert iterated.digest() == expected.digest()


# --- older pyca/cryptography without encrypt_into / decrypt_into ---------------------------


def test_fallback_without_into_api(monkeypatch: pytest.MonkeyPatch) -> None:
    from monitor_app.crypto import stream

    with_into = {size: encrypt(data(size)) for size in (0, 1, CHUNK_SIZE, 2 * CHUNK_SIZE + 9)}
    monkeypatch.setattr(stream, "_HAS_INTO", False)
    for size, ciphertext in with_into.items():
        plaintext = data(size)
        assert encrypt(plaintext) == ciphertext
        assert decrypt(ciphertext) == plaintext
    ciphertext = encrypt(THREE_CHUNKS)
    err, _ = damaged(ciphertext[:CT_CHUNK])
    assert err.params == {"reason": "truncated", "chunk": 0}
    err, _ = damaged(encrypt(data(CHUNK_SIZE)) + raw_chunk(1, True, b"x"))
    assert err.params == {"reason": "trailing_data", "chunk": 0}
    flipped = bytearray(ciphertext)
    flipped[CT_CHUNK] ^= 1
    err, written = damaged(bytes(flipped))
    assert err.params == {"reason": "authentication_failed", "chunk": 1}
    assert written == THREE_CHUNKS[:CHUNK_SIZE]
