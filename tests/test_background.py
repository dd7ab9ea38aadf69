"""The hash and the writes that bundles move to a second core behave like the plain ones."""

from __future__ import annotations

import errno
import hashlib
import io
import os
import threading
from pathlib import Path

import pytest

from monitor_app import background
from monitor_app.background import BATCH_SIZE, BackgroundSha256, BackgroundWriter

HASH_BATCH = WRITE_BATCH = BATCH_SIZE

SIZES = [0, 1, HASH_BATCH - 1, HASH_BATCH, HASH_BATCH + 1, 5 * HASH_BATCH + 3]


def _workers(name: str) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == name]


def _pattern(size: int) -> bytes:
    return bytes((i * 7 + i // 251) % 256 for i in range(min(size, 1 << 16))) * (
        size // (1 << 16) + 1
    )


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("piece", [1000, 65536, 3 << 20])
def test_background_sha256_equals_hashlib(size: int, piece: int) -> None:
    data = _pattern(size)[:size]
    background = BackgroundSha256()
    buffer = bytearray(piece)  # reused after every update, as the bundle code does
    for start in range(0, size, piece):
        part = data[start : start + piece]
        buffer[: len(part)] = part
        background.update(memoryview(buffer)[: len(part)])
        buffer[:] = bytes(piece)  # overwritten at once: the hash must have copied it
    assert background.hexdigest() == hashlib.sha256(data).hexdigest()
    assert background.digest() == hashlib.sha256(data).digest()  # taken again: the same
    assert not _workers("sha256")


def test_small_input_starts_no_thread() -> None:
    before = threading.active_count()
    background = BackgroundSha256()
    background.update(b"x" * (HASH_BATCH - 1))
    assert threading.active_count() == before
    assert background.hexdigest() == hashlib.sha256(b"x" * (HASH_BATCH - 1)).hexdigest()


def test_closed_hash_ends_its_thread_and_gives_no_digest() -> None:
    background = BackgroundSha256()
    background.update(bytes(3 * HASH_BATCH))
    assert _workers("sha256")
    background.close()
    background.close()  # idempotent
    assert not _workers("sha256")
    with pytest.raises(ValueError):
        background.hexdigest()


def test_update_after_digest_is_refused() -> None:
    background = BackgroundSha256()
    background.update(b"abc")
    background.digest()
    with pytest.raises(ValueError):
        background.update(b"d")


@pytest.mark.parametrize("size", [0, 5, WRITE_BATCH, 4 * WRITE_BATCH + 17])
def test_background_writer_writes_everything_in_order(size: int) -> None:
    data = _pattern(size)[:size]
    sink = io.BytesIO()
    writer = BackgroundWriter(sink)
    buffer = bytearray(70000)
    for start in range(0, size, len(buffer)):
        part = data[start : start + len(buffer)]
        buffer[: len(part)] = part
        assert writer.write(memoryview(buffer)[: len(part)]) == len(part)
        buffer[:] = bytes(len(buffer))  # reused at once: the writer must have copied it
    writer.finish()
    assert sink.getvalue() == data
    assert not _workers("writer")


class _FullDisk(io.RawIOBase):
    """A file that takes ``room`` bytes, then fails like a full disk."""

    def __init__(self, room: int) -> None:
        self.room = room
        self.taken = 0

    def writable(self) -> bool:
        return True

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        if self.taken + len(data) > self.room:
            raise OSError(errno.ENOSPC, "No space left on device")
        self.taken += len(data)
        return len(data)


def test_a_full_disk_on_the_worker_is_raised_on_the_callers_thread() -> None:
    writer = BackgroundWriter(_FullDisk(room=2 * WRITE_BATCH))
    with pytest.raises(OSError) as raised:
        for _ in range(20):
            writer.write(bytes(WRITE_BATCH // 2))
        writer.flush()
    assert raised.value.errno == errno.ENOSPC
    with pytest.raises(OSError):
        writer.flush()  # still failing: the file is incomplete
    writer.abandon()
    assert not _workers("writer")


def test_abandoned_writer_ends_its_thread_and_writes_no_more() -> None:
    sink = io.BytesIO()
    writer = BackgroundWriter(sink)
    writer.write(bytes(3 * WRITE_BATCH))
    assert _workers("writer")
    writer.write(b"tail that is never written")
    writer.abandon()
    writer.abandon()  # idempotent
    assert not _workers("writer")
    assert b"tail" not in sink.getvalue()


@pytest.mark.parametrize("short_writes", [False, True])
def test_background_writer_to_a_real_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, short_writes: bool
) -> None:
    """Batches go out with writev; a device that takes only part of one gets the rest."""
    if short_writes:

        def partial_writev(fd: int, pieces: list[bytes]) -> int:
            return os.write(fd, pieces[0][:1000])  # far less than offered, mid-piece

        monkeypatch.setattr(background.os, "writev", partial_writev)
    data = os.urandom(3 * WRITE_BATCH + 4321)
    synced: list[int] = []
    with (tmp_path / "out").open("wb") as handle:
        writer = BackgroundWriter(handle, after_write=synced.append)
        for start in range(0, len(data), 65552):
            writer.write(memoryview(data)[start : start + 65552])
        writer.finish()
    assert (tmp_path / "out").read_bytes() == data
    assert sum(synced) == len(data)  # after_write saw every byte, once


def test_periodic_sync_syncs_every_n_bytes_and_reports_the_total(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[int] = []
    monkeypatch.setattr(background.os, "fdatasync", lambda fd: synced.append(-1))
    totals: list[int] = []
    with (tmp_path / "out").open("wb") as handle:
        hook = background.PeriodicSync(handle.fileno(), every=100, after_sync=totals.append)
        for count in (60, 60, 30, 99, 1, 250):
            hook(count)
    assert totals == [120, 249, 500]  # each time 100 or more were written since the last
    assert len(synced) == 3
    assert hook.written == 500
