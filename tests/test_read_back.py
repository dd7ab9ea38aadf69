"""An export is read back from the device as it is written, and a lying device is caught."""

from __future__ import annotations

import errno
import hashlib
import os
from pathlib import Path

import pytest

from monitor_app.background import BATCH_SIZE, BackgroundWriter
from monitor_app.bundles import read_back
from monitor_app.bundles.export import export_bundle
from monitor_app.bundles.read_back import MacSink, ReadBack, ReadBackFailed
from monitor_app.errors import MonitorError, StorageError
from monitor_app.vault.session import UnlockedVault
from tests.bundle_tools import add_sample_case
from tests.vault_checks import snapshot

ATTACHMENT = os.urandom(3 * BATCH_SIZE + 12345)  # several segments at a 1 MiB segment size


@pytest.fixture
def small_segments(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(read_back, "SEGMENT", BATCH_SIZE)


@pytest.fixture
def field(vault: UnlockedVault, hub: UnlockedVault) -> UnlockedVault:
    vault.contacts.add(hub.identity.card(), verified=True)
    add_sample_case(vault, real_name="Someone", share_consent="refused", attachment=ATTACHMENT)
    return vault


def _write_through_read_back(
    path: Path, data: bytes, *, direct: bool = False
) -> tuple[ReadBack, MacSink]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        checker = ReadBack(handle.fileno())
        writer = BackgroundWriter(handle, after_write=checker.written, direct=direct)
        sink = MacSink(writer, checker.key)
        for start in range(0, len(data), 100_000):
            sink.write(data[start : start + 100_000])
        writer.finish()
        handle.flush()
        os.fsync(handle.fileno())
    checker.complete(sink.size)
    return checker, sink


@pytest.mark.parametrize("direct", [False, True])
@pytest.mark.usefixtures("small_segments")
def test_segments_are_read_back_while_the_file_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, direct: bool
) -> None:
    reads: list[tuple[int, bool]] = []  # (offset, whether the file was complete by then)
    real = ReadBack._read_range

    def spy(self: ReadBack, end: int, view: memoryview) -> None:
        reads.append((self._read, self._complete))
        real(self, end, view)

    monkeypatch.setattr(ReadBack, "_read_range", spy)
    data = os.urandom(5 * BATCH_SIZE + 777)
    checker, sink = _write_through_read_back(tmp_path / "out", data, direct=direct)
    assert checker.verify(sink.tag(), sink.size) == hashlib.sha256(data).hexdigest()
    assert any(not complete for _offset, complete in reads), "nothing read before the end"


@pytest.mark.parametrize("direct", [False, True])
@pytest.mark.parametrize("size", [0, 1, BATCH_SIZE - 1, 3 * BATCH_SIZE, 3 * BATCH_SIZE + 5])
@pytest.mark.usefixtures("small_segments")
def test_read_back_accepts_a_faithful_device(tmp_path: Path, size: int, direct: bool) -> None:
    """Direct writes leave the file with O_DIRECT set until its tail: reads see it too."""
    data = os.urandom(size)
    checker, sink = _write_through_read_back(tmp_path / "out", data, direct=direct)
    assert checker.verify(sink.tag(), sink.size) == hashlib.sha256(data).hexdigest()


def _lying_reads(monkeypatch: pytest.MonkeyPatch, at: int) -> None:
    """The device returns one bit flipped at file offset ``at`` (positional or not)."""
    real_preadv, real_read, real_lseek = os.preadv, os.read, os.lseek
    position = {"at": 0}

    def preadv(fd: int, buffers: list[memoryview], offset: int) -> int:
        count = real_preadv(fd, buffers, offset)
        if offset <= at < offset + count:
            buffers[0][at - offset] ^= 1
        return count

    def lseek(fd: int, offset: int, how: int) -> int:
        position["at"] = offset
        return real_lseek(fd, offset, how)

    def read(fd: int, size: int) -> bytes:
        data = bytearray(real_read(fd, size))
        offset = position["at"]
        if offset <= at < offset + len(data):
            data[at - offset] ^= 1
        position["at"] = offset + len(data)
        return bytes(data)

    monkeypatch.setattr(read_back.os, "preadv", preadv)
    monkeypatch.setattr(read_back.os, "lseek", lseek)
    monkeypatch.setattr(read_back.os, "read", read)


@pytest.mark.parametrize("at", [0, BATCH_SIZE + 5, 3 * BATCH_SIZE - 1])
@pytest.mark.usefixtures("small_segments")
def test_one_flipped_bit_from_the_device_is_caught(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, at: int
) -> None:
    _lying_reads(monkeypatch, at)
    checker, sink = _write_through_read_back(
        tmp_path / "out", os.urandom(3 * BATCH_SIZE), direct=True
    )
    with pytest.raises(ReadBackFailed):
        checker.verify(sink.tag(), sink.size)


@pytest.mark.usefixtures("small_segments")
def test_a_device_that_returns_less_than_was_written_is_caught(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checker, sink = _write_through_read_back(tmp_path / "out", os.urandom(2 * BATCH_SIZE))
    with pytest.raises(ReadBackFailed):
        checker.verify(sink.tag(), sink.size + 1)


@pytest.mark.parametrize("lie_at", [100, len(ATTACHMENT) + 50_000])
@pytest.mark.usefixtures("small_segments")
def test_export_to_a_lying_stick_fails_and_leaves_nothing(
    field: UnlockedVault, stick: Path, monkeypatch: pytest.MonkeyPatch, lie_at: int
) -> None:
    before = snapshot(stick)
    _lying_reads(monkeypatch, lie_at)
    with pytest.raises(MonitorError) as caught:
        export_bundle(field, stick, contacts=[field.contacts.get("Hub")])
    assert caught.value.code == "export_read_back_failed"
    assert snapshot(stick) == before  # no bundle, no temporary file
    assert field.conn.execute("SELECT count(*) FROM bundles_out").fetchone()[0] == 0


@pytest.mark.usefixtures("small_segments")
def test_export_to_a_stick_that_cannot_be_read_fails_with_a_storage_error(
    field: UnlockedVault, stick: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreadable(fd: int, buffers: list[memoryview], offset: int) -> int:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(read_back.os, "preadv", unreadable)
    monkeypatch.setattr(read_back, "_WHILE_WRITING", True)
    with pytest.raises(StorageError) as caught:
        export_bundle(field, stick, contacts=[field.contacts.get("Hub")])
    assert caught.value.code == "storage_failed"
    assert list(stick.iterdir()) == []
    assert field.conn.execute("SELECT count(*) FROM bundles_out").fetchone()[0] == 0


@pytest.mark.usefixtures("small_segments")
def test_export_reads_back_after_the_end_where_positional_reads_are_missing(
    field: UnlockedVault, stick: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fallback for systems without preadv: one pass after the final fsync."""
    monkeypatch.setattr(read_back, "_WHILE_WRITING", False)
    result = export_bundle(field, stick, contacts=[field.contacts.get("Hub")])
    recorded = field.conn.execute("SELECT file_sha256 FROM bundles_out").fetchone()[0]
    assert recorded == hashlib.sha256(result.path.read_bytes()).hexdigest()
