"""Writes past the page cache (O_DIRECT) give the same file as plain writes, and fall back to
plain writes wherever direct I/O is refused, at the start or halfway."""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor_app import direct_io
from monitor_app.background import BATCH_SIZE, BackgroundWriter
from monitor_app.direct_io import ALIGN

SIZES = [0, 1, ALIGN - 1, ALIGN, ALIGN + 1, BATCH_SIZE - 1, BATCH_SIZE, 3 * BATCH_SIZE + 4321]


def _direct_supported(folder: Path) -> bool:
    fd = os.open(folder / "probe", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        return direct_io.set_direct(fd, True)
    finally:
        os.close(fd)
        (folder / "probe").unlink()


def _write(path: Path, data: bytes, piece: int = 65552) -> tuple[BackgroundWriter, list[int]]:
    """Write ``data`` through a direct BackgroundWriter; returns it and what after_write saw."""
    seen: list[int] = []
    with path.open("wb") as handle:
        writer = BackgroundWriter(handle, after_write=seen.append, direct=True)
        buffer = bytearray(piece)
        for start in range(0, len(data), piece):
            part = data[start : start + piece]
            buffer[: len(part)] = part
            writer.write(memoryview(buffer)[: len(part)])
            buffer[:] = bytes(piece)  # reused at once: the writer must have copied it
        writer.finish()
    return writer, seen


def _write_and_compare(path: Path, size: int) -> BackgroundWriter:
    """Write ``size`` random bytes through a direct writer: the file must hold them all."""
    data = os.urandom(size)
    writer, seen = _write(path, data)
    assert path.read_bytes() == data
    assert sum(seen) == size  # after_write saw every byte, once
    return writer


@pytest.mark.parametrize("size", SIZES)
def test_a_direct_write_gives_the_same_file(tmp_path: Path, size: int) -> None:
    writer = _write_and_compare(tmp_path / "out", size)
    assert writer.direct == _direct_supported(tmp_path)
    assert not [t for t in threading.enumerate() if t.name == "writer"]


@pytest.fixture
def direct_folder(tmp_path: Path) -> Iterator[Path]:
    """A folder on a file system that takes O_DIRECT: the temporary one, or (where that is
    a tmpfs) one inside the project."""
    for parent in (tmp_path, Path(__file__).resolve().parent):
        folder = Path(tempfile.mkdtemp(dir=parent))
        if _direct_supported(folder):
            yield folder
            shutil.rmtree(folder)
            return
        shutil.rmtree(folder)
    pytest.fail("no file system here takes O_DIRECT: the direct path cannot be tested")


def test_the_file_is_written_with_o_direct_until_its_last_partial_block(
    direct_folder: Path,
) -> None:
    flags: list[bool] = []
    path = direct_folder / "out"
    data = os.urandom(2 * BATCH_SIZE + 100)
    with path.open("wb") as handle:
        writer = BackgroundWriter(handle, direct=True)

        def after_write(count: int) -> None:
            flags.append(bool(fcntl.fcntl(handle.fileno(), fcntl.F_GETFL) & os.O_DIRECT))

        writer.after_write = after_write
        for start in range(0, len(data), 65536):
            writer.write(data[start : start + 65536])
        writer.finish()
        assert not fcntl.fcntl(handle.fileno(), fcntl.F_GETFL) & os.O_DIRECT
    assert flags == [True, True, False]  # two whole batches directly, then the tail plainly
    assert path.read_bytes() == data


def test_where_o_direct_is_refused_the_writes_are_plain(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(direct_io, "set_direct", lambda fd, on: False)
    assert not _write_and_compare(tmp_path / "out", 2 * BATCH_SIZE + 7).direct


def test_a_direct_write_refused_halfway_goes_on_plainly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_write = os.write
    calls = {"n": 0}

    def refuse_the_second(fd: int, data: memoryview) -> int:
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError(errno.EINVAL, "Invalid argument")
        return real_write(fd, data)

    monkeypatch.setattr(direct_io.os, "write", refuse_the_second)
    monkeypatch.setattr(direct_io, "set_direct", lambda fd, on: True)
    assert not _write_and_compare(tmp_path / "out", 4 * BATCH_SIZE + 99).direct
    assert calls["n"] > 2  # the rest went plainly


def test_a_full_disk_under_direct_writes_is_raised_on_the_callers_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(fd: int, data: memoryview) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(direct_io.os, "write", full)
    monkeypatch.setattr(direct_io, "set_direct", lambda fd, on: True)
    with (tmp_path / "out").open("wb") as handle:
        writer = BackgroundWriter(handle, direct=True)
        with pytest.raises(OSError) as raised:
            for _ in range(10):
                writer.write(bytes(BATCH_SIZE))
            writer.finish()
        assert raised.value.errno == errno.ENOSPC
        writer.abandon()
    assert not [t for t in threading.enumerate() if t.name == "writer"]


def test_an_abandoned_direct_writer_writes_no_more(tmp_path: Path) -> None:
    with (tmp_path / "out").open("wb") as handle:
        writer = BackgroundWriter(handle, direct=True)
        writer.write(bytes(3 * BATCH_SIZE))
        writer.write(b"tail that is never written")
        writer.abandon()
        writer.abandon()  # idempotent
    assert b"tail" not in (tmp_path / "out").read_bytes()
    assert not [t for t in threading.enumerate() if t.name == "writer"]
