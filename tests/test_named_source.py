"""fsutil.NamedSource: a read error names the file; closing never raises."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from monitor_app.errors import StorageError
from monitor_app.fsutil import NamedSource

# The start of /proc/self/mem is never mapped: reading it fails with EIO, as a pulled-out
# stick does, without needing one.
UNREADABLE = Path("/proc/self/mem")

READS: dict[str, Callable[[NamedSource], object]] = {
    "readinto": lambda source: source.readinto(bytearray(16)),
    "read": lambda source: source.read(16),
    "readall": lambda source: source.readall(),
}


@pytest.mark.skipif(not UNREADABLE.exists(), reason="needs Linux's /proc")
@pytest.mark.parametrize("how", sorted(READS))
def test_a_read_error_names_the_file(how: str) -> None:
    with NamedSource(UNREADABLE) as source, pytest.raises(StorageError) as caught:
        READS[how](source)
    assert caught.value.code == "storage_failed"
    assert caught.value.params == {"path": str(UNREADABLE), "errno": 5}


def test_reads_as_a_file_does(tmp_path: Path) -> None:
    path = tmp_path / "photo.jpg"
    path.write_bytes(b"0123456789")
    with NamedSource(path) as source:
        buffer = bytearray(4)
        assert source.readinto(buffer) == 4 and buffer == b"0123"
        assert source.read(3) == b"456"
        assert source.readall() == b"789"
    assert source.closed
    source.close()  # again: never raises
