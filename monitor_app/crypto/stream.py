"""STREAM chunked authenticated encryption, exactly as the age v1 payload (C2SP age).

The plaintext is cut into 64 KiB chunks. Chunk ``i`` is sealed with ChaCha20-Poly1305 under
the 32-byte payload key, no associated data, and the 12-byte nonce::

    nonce = i as an 11-byte big-endian integer || 0x01 if it is the final chunk else 0x00

Every chunk but the final one holds exactly 64 KiB of plaintext. The final chunk may be full;
it is empty only when the whole plaintext is empty (then it is the only chunk). Each chunk
carries a 16-byte tag, so a ciphertext is never shorter than 16 bytes. Because the final chunk
is marked in its nonce, truncation at a chunk boundary, appended data, and reordered or
dropped chunks are all detected.

Decryption authenticates each chunk before releasing its plaintext, but a damaged chunk can
only be noticed when it is reached: chunks before it have already been released. A caller
streaming to a file must therefore treat the output as invalid until ``decrypt_stream``
returns normally (write to a temporary name, rename after success, delete on error), and a
consumer of ``iter_decrypted_chunks`` must not act on the data until the iterator is
exhausted without raising.

Memory stays bounded (a few chunk buffers) whatever the size of the stream.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import BinaryIO, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from monitor_app.errors import MonitorError, StorageError
from monitor_app.jobs import CancelToken, Progress, check

__all__ = [
    "CHUNK_SIZE",
    "KEY_SIZE",
    "TAG_SIZE",
    "Digest",
    "StreamError",
    "decrypt_stream",
    "derive_age_payload_key",
    "encrypt_stream",
    "encrypted_size",
    "iter_decrypted_batches",
    "iter_decrypted_chunks",
    "new_sealed_buffer",
    "seal_chunk",
]

CHUNK_SIZE = 65536
TAG_SIZE = 16
KEY_SIZE = 32
AGE_FILE_KEY_SIZE = 16
AGE_PAYLOAD_NONCE_SIZE = 16

_CT_CHUNK_SIZE = CHUNK_SIZE + TAG_SIZE
_PROGRESS_STEP = 1 << 20  # report progress at most about once per MiB
_LAST = 1
_NOT_LAST = 0

# encrypt_into / decrypt_into appeared in recent pyca/cryptography releases; older ones
# (still allowed by the dependency range) only return new bytes objects.
_HAS_INTO = hasattr(ChaCha20Poly1305, "encrypt_into") and hasattr(ChaCha20Poly1305, "decrypt_into")


class StreamError(MonitorError):
    """The encrypted stream is damaged, truncated, extended, or the key is wrong.

    ``params['reason']`` is one of ``"truncated"``, ``"trailing_data"``,
    ``"authentication_failed"`` or ``"empty_final_chunk"``; ``params['chunk']`` is the index
    of the chunk at which the damage was noticed.
    """

    code = "stream_damaged"


class Digest(Protocol):
    """Anything with ``update`` over bytes, such as ``hashlib.sha256()``."""

    def update(self, data: bytes | bytearray | memoryview, /) -> None: ...


def derive_age_payload_key(file_key: bytes, nonce: bytes) -> bytes:
    """The age v1 payload key: HKDF-SHA-256(ikm=file_key, salt=nonce, info="payload").

    ``file_key`` is age's 16-byte file key and ``nonce`` the 16 random bytes that follow the
    header. Returns the 32-byte key for the STREAM functions of this module.
    """
    if len(file_key) != AGE_FILE_KEY_SIZE:
        raise ValueError(f"age file key must be {AGE_FILE_KEY_SIZE} bytes")
    if len(nonce) != AGE_PAYLOAD_NONCE_SIZE:
        raise ValueError(f"age payload nonce must be {AGE_PAYLOAD_NONCE_SIZE} bytes")
    hkdf = HKDF(algorithm=hashes.SHA256(), length=KEY_SIZE, salt=nonce, info=b"payload")
    return hkdf.derive(file_key)


def encrypted_size(plaintext_size: int) -> int:
    """Size of the STREAM ciphertext of ``plaintext_size`` bytes (tags included)."""
    if plaintext_size < 0:
        raise ValueError("plaintext size must not be negative")
    chunks = max(1, -(-plaintext_size // CHUNK_SIZE))
    return plaintext_size + chunks * TAG_SIZE


def _nonce(index: int, last: int) -> bytes:
    # 11-byte big-endian counter then the flag byte; to_bytes raises OverflowError past 2**88
    # chunks, long before a nonce could repeat.
    return ((index << 8) | last).to_bytes(12, "big")


def _aead(key: bytes) -> ChaCha20Poly1305:
    if len(key) != KEY_SIZE:
        raise ValueError(f"payload key must be {KEY_SIZE} bytes")
    return ChaCha20Poly1305(key)


def seal_chunk(
    aead: ChaCha20Poly1305,
    index: int,
    plain: memoryview,
    out: memoryview | None,
    *,
    last: bool,
) -> memoryview:
    """The sealed chunk ``index`` of a STREAM: ``plain`` encrypted and tagged.

    With ``out`` (at least ``len(plain) + TAG_SIZE`` bytes, reused from chunk to chunk) the
    result is a view of it, valid until ``out`` is reused: a large stream then allocates
    nothing per chunk. Without it (pyca/cryptography too old for ``encrypt_into``; see
    ``new_sealed_buffer``) the result is new bytes.
    """
    if out is None:
        return memoryview(sealed_chunk_bytes(aead, index, plain, last=last))
    nonce = _nonce(index, _LAST if last else _NOT_LAST)
    # encrypt_into wants an output buffer of exactly plaintext + tag.
    sealed = out[: len(plain) + TAG_SIZE]
    aead.encrypt_into(nonce, plain, None, sealed)
    return sealed


def sealed_chunk_bytes(
    aead: ChaCha20Poly1305, index: int, plain: memoryview, *, last: bool
) -> bytes:
    """The sealed chunk ``index`` as new bytes: for a consumer that keeps it (a writer on
    another thread), where a reused buffer would have to be copied."""
    return aead.encrypt(_nonce(index, _LAST if last else _NOT_LAST), plain, None)


def new_sealed_buffer() -> memoryview | None:
    """A reusable output buffer for ``seal_chunk``, or None where encrypt_into is missing."""
    return memoryview(bytearray(_CT_CHUNK_SIZE)) if _HAS_INTO else None


_ReadInto = Callable[[memoryview], int]


def _reader(source: BinaryIO) -> _ReadInto:
    """A readinto-like callable for ``source``, using its own readinto when it has one."""
    readinto = getattr(source, "readinto", None)
    if readinto is not None:

        def read_into(view: memoryview) -> int:
            n = readinto(view)
            if n is None:
                raise StorageError(reason="source_would_block")
            return int(n)

        return read_into

    def read_copy(view: memoryview) -> int:
        data = source.read(len(view))
        if data is None:
            raise StorageError(reason="source_would_block")
        n = len(data)
        view[:n] = data
        return n

    return read_copy


def _read_full(read_into: _ReadInto, view: memoryview) -> int:
    """Fill ``view`` unless EOF comes first; short reads (pipes) are retried. Returns bytes."""
    n = read_into(view)
    size = len(view)
    if n == size or n == 0:
        return n
    while n < size:
        got = read_into(view[n:])
        if got == 0:
            break
        n += got
    return n


def _write_all(sink: BinaryIO, view: memoryview) -> None:
    """Write all of ``view``; raw (unbuffered) files may accept only part of a write."""
    written = sink.write(view)
    # Buffered and in-memory files always take everything; only raw files return less.
    if written is None or written >= len(view):
        return
    while written < len(view):
        more = sink.write(view[written:])
        if not more:
            raise StorageError(reason="short_write")
        written += more


class _Reporter:
    """Calls progress at most once per ``_PROGRESS_STEP`` bytes, and once at the end."""

    __slots__ = ("_next", "_progress", "_reported", "_total")

    def __init__(self, progress: Progress | None, total: int | None) -> None:
        self._progress = progress
        self._total = total
        self._next = _PROGRESS_STEP
        self._reported = -1

    def update(self, done: int) -> None:
        if self._progress is not None and done >= self._next:
            self._progress(done, self._total)
            self._reported = done
            self._next = done + _PROGRESS_STEP

    def finish(self, done: int) -> None:
        if self._progress is not None and self._reported != done:
            self._progress(done, self._total)
            self._reported = done


def encrypt_stream(
    key: bytes,
    source: BinaryIO,
    sink: BinaryIO,
    *,
    total: int | None = None,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
    digest: Digest | None = None,
) -> int:
    """Encrypt ``source`` (read to EOF) into ``sink`` as an age STREAM payload.

    Returns the number of plaintext bytes. ``digest``, if given, is updated with every
    plaintext byte, so the hash of the original comes from the same pass. ``progress`` is
    called with (plaintext bytes done, ``total``) about once per MiB and once at the end;
    ``total`` is only passed through to it. ``cancel`` is checked between chunks and raises
    ``Cancelled``; the sink then holds an incomplete stream that will not decrypt.
    """
    aead = _aead(key)
    read_into = _reader(source)
    reporter = _Reporter(progress, total)
    # Two plaintext buffers: the current chunk and the one read ahead to know whether the
    # current chunk is the final one.
    bufs = (memoryview(bytearray(CHUNK_SIZE)), memoryview(bytearray(CHUNK_SIZE)))
    out = new_sealed_buffer()

    check(cancel)
    cur = 0
    n = _read_full(read_into, bufs[cur])
    index = 0
    done = 0
    while True:
        check(cancel)
        # A chunk is the final one if it is short or nothing follows it; an empty plaintext
        # gives a single empty final chunk.
        if n == CHUNK_SIZE:
            following = _read_full(read_into, bufs[1 - cur])
            last = _LAST if following == 0 else _NOT_LAST
        else:
            following = 0
            last = _LAST
        plain = bufs[cur][:n]
        if digest is not None:
            digest.update(plain)
        _write_all(sink, seal_chunk(aead, index, plain, out, last=last == _LAST))
        done += n
        reporter.update(done)
        if last:
            break
        index += 1
        cur = 1 - cur
        n = following
    reporter.finish(done)
    return done


def _decrypt_chunks(
    key: bytes, source: BinaryIO, cancel: CancelToken | None, outs: memoryview | None = None
) -> Iterator[memoryview]:
    """Yield each chunk's plaintext once authenticated.

    A yielded view aliases an internal buffer: it is valid only until the next step. With
    ``outs`` (a multiple of CHUNK_SIZE long), chunk ``i`` is decrypted into its slot
    ``i % slots`` where encrypt_into exists, and stays valid for ``slots`` steps.
    """
    aead = _aead(key)
    read_into = _reader(source)
    bufs = (memoryview(bytearray(_CT_CHUNK_SIZE)), memoryview(bytearray(_CT_CHUNK_SIZE)))
    if not _HAS_INTO:
        outs = None
    elif outs is None:
        outs = memoryview(bytearray(CHUNK_SIZE))
    slots = len(outs) // CHUNK_SIZE if outs is not None else 1
    out = outs

    check(cancel)
    cur = 0
    n = _read_full(read_into, bufs[cur])
    index = 0
    while True:
        check(cancel)
        if n == _CT_CHUNK_SIZE:
            following = _read_full(read_into, bufs[1 - cur])
            last = _LAST if following == 0 else _NOT_LAST
        else:
            following = 0
            last = _LAST
        if n < TAG_SIZE:
            # EOF before any chunk marked final (including an empty ciphertext).
            raise StreamError(reason="truncated", chunk=index)
        sealed = bufs[cur][:n]
        if outs is not None:
            slot = index % slots * CHUNK_SIZE
            out = outs[slot : slot + CHUNK_SIZE]
        plain = _open(aead, index, last, sealed, out)
        if last and index > 0 and len(plain) == 0:
            raise StreamError(reason="empty_final_chunk", chunk=index)
        yield plain
        if last:
            return
        index += 1
        cur = 1 - cur
        n = following


def _open(
    aead: ChaCha20Poly1305,
    index: int,
    last: int,
    sealed: memoryview,
    out: memoryview | None,
) -> memoryview:
    """Authenticate and decrypt one chunk, or raise StreamError saying why it failed."""
    try:
        return _decrypt_one(aead, _nonce(index, last), sealed, out)
    except InvalidTag:
        pass
    # Tell truncation and appended data apart from plain damage: a full chunk that opens with
    # the opposite flag is authentic but sits at the wrong place in the stream.
    reason = "authentication_failed"
    if len(sealed) == _CT_CHUNK_SIZE:
        try:
            _decrypt_one(aead, _nonce(index, _NOT_LAST if last else _LAST), sealed, out)
        except InvalidTag:
            pass
        else:
            reason = "truncated" if last else "trailing_data"
    if out is not None:
        out[:] = bytes(len(out))
    raise StreamError(reason=reason, chunk=index)


def _decrypt_one(
    aead: ChaCha20Poly1305, nonce: bytes, sealed: memoryview, out: memoryview | None
) -> memoryview:
    if out is not None:
        # The output buffer must be exactly ciphertext - tag long.
        plain = out[: len(sealed) - TAG_SIZE]
        aead.decrypt_into(nonce, sealed, None, plain)
        return plain
    return memoryview(aead.decrypt(nonce, sealed, None))


def decrypt_stream(
    key: bytes,
    source: BinaryIO,
    sink: BinaryIO,
    *,
    total: int | None = None,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
    digest: Digest | None = None,
) -> int:
    """Decrypt an age STREAM payload from ``source`` (read to EOF) into ``sink``.

    Returns the number of plaintext bytes. Each chunk is authenticated before its plaintext is
    written or hashed, but damage is only found when its chunk is reached, so the sink may
    already hold the plaintext of earlier chunks when StreamError is raised: treat what was
    written as invalid until this function returns (write to a temporary file and rename it
    into place only afterwards). ``digest``, ``progress``, ``total`` and ``cancel`` are as for
    ``encrypt_stream``, counted in plaintext bytes.

    Raises StreamError (code ``stream_damaged``) on a wrong key or a damaged, truncated or
    extended stream, and ``Cancelled`` if ``cancel`` is set.
    """
    reporter = _Reporter(progress, total)
    done = 0
    for plain in _decrypt_chunks(key, source, cancel):
        if digest is not None:
            digest.update(plain)
        _write_all(sink, plain)
        done += len(plain)
        reporter.update(done)
    reporter.finish(done)
    return done


def iter_decrypted_batches(
    key: bytes, source: BinaryIO, *, chunks: int = 16, cancel: CancelToken | None = None
) -> Iterator[memoryview]:
    """The authenticated plaintext in pieces of up to ``chunks`` whole chunks (1 MiB by
    default), for a consumer that takes it in large pieces: one step per piece instead of
    one per 64 KiB. Same checks as ``decrypt_stream``, and the same caution: the data is
    trustworthy only once the iterator is exhausted without raising.

    Each piece is a view of a buffer that the next step reuses: copy what must be kept.
    """
    buffer = memoryview(bytearray(CHUNK_SIZE * chunks))
    filled = 0
    for plain in _decrypt_chunks(key, source, cancel, buffer):
        size = len(plain)
        if plain.obj is not buffer.obj:  # no decrypt_into: the chunk is not in place yet
            buffer[filled : filled + size] = plain
        filled += size
        # Chunk i sits in slot i % chunks, so a piece always starts at the buffer's start.
        if filled == len(buffer):
            yield buffer
            filled = 0
    if filled:
        yield buffer[:filled]


def iter_decrypted_chunks(
    key: bytes, source: BinaryIO, *, cancel: CancelToken | None = None
) -> Iterator[bytes]:
    """Yield the authenticated plaintext of each chunk of an age STREAM payload in order.

    Same checks as ``decrypt_stream``; the error surfaces when the damaged chunk is reached,
    so the data is trustworthy only once the iterator is exhausted without raising.
    """
    for plain in _decrypt_chunks(key, source, cancel):
        yield bytes(plain)
