"""The uncompressed POSIX (ustar) tar inside a bundle, written and read as a stream.

Headers come from the standard library (``tarfile.TarInfo.tobuf`` and ``frombuf``); only the
streaming around them is here, because a bundle is produced for and consumed from the age
layer chunk by chunk: the tar never exists whole, in memory or on disk.

Writing is pull-based (``TarReader`` is a readable file over the generated archive), so the
age encryptor can read from it. Reading is push-based (``TarParser.write``), so the age
decryptor can write into it. The parser accepts exactly what ``tar_chunks`` writes: regular
files with ustar headers, nothing else (no links, directories, devices, long-name or pax
extensions), and every byte after the two closing zero blocks must be zero.
"""

from __future__ import annotations

import io
import tarfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol

from monitor_app.bundles import layout
from monitor_app.bundles.errors import BundleError

_ZERO_BLOCK = bytes(layout.TAR_BLOCK)

# Member types a bundle never holds, by tar type flag, named in the refusal so that a link or
# device planted in a bundle is reported as such rather than as generic damage.
_MEMBER_TYPES = {
    tarfile.AREGTYPE: "old_regular_file",
    tarfile.LNKTYPE: "hard_link",
    tarfile.SYMTYPE: "symlink",
    tarfile.CHRTYPE: "character_device",
    tarfile.BLKTYPE: "block_device",
    tarfile.DIRTYPE: "directory",
    tarfile.FIFOTYPE: "fifo",
    tarfile.CONTTYPE: "contiguous_file",
    tarfile.XHDTYPE: "pax_header",
    tarfile.XGLTYPE: "pax_global_header",
    tarfile.GNUTYPE_LONGNAME: "gnu_long_name",
    tarfile.GNUTYPE_LONGLINK: "gnu_long_link",
    tarfile.GNUTYPE_SPARSE: "gnu_sparse",
}


@dataclass(frozen=True)
class OutMember:
    name: str
    size: int
    # Called once, when the member is reached. A piece may be a view that the next step
    # reuses: whoever consumes the archive takes each piece before asking for the next.
    chunks: Callable[[], Iterable[bytes | memoryview]]


def _header(name: str, size: int) -> bytes:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = 0o600
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.type = tarfile.REGTYPE
    return info.tobuf(tarfile.USTAR_FORMAT, "ascii", "strict")


def tar_chunks(members: Iterable[OutMember]) -> Iterator[bytes | memoryview]:
    """The archive, in pieces. A member whose chunks do not add up to its size is an error
    in the caller (its data changed between sizing and writing)."""
    total = 0
    for member in members:
        header = _header(member.name, member.size)
        total += len(header)
        yield header
        written = 0
        for chunk in member.chunks():
            written += len(chunk)
            if written > member.size:
                raise RuntimeError("member data longer than announced")
            yield chunk
        if written != member.size:
            raise RuntimeError("member data shorter than announced")
        pad = -member.size % layout.TAR_BLOCK
        total += member.size + pad
        yield bytes(pad)
    end = layout.TAR_END + (-(total + layout.TAR_END) % layout.TAR_RECORD)
    yield bytes(end)


class TarReader(io.RawIOBase):
    """A readable, forward-only file over ``tar_chunks``."""

    def __init__(self, chunks: Iterator[bytes | memoryview]) -> None:
        self._chunks = chunks
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        view = memoryview(buffer).cast("B")
        while not self._pending:
            piece = next(self._chunks, None)
            if piece is None:
                return 0
            self._pending = memoryview(piece)
        count = min(len(view), len(self._pending))
        view[:count] = self._pending[:count]
        self._pending = self._pending[count:]
        return count


class MemberSink(Protocol):
    def write(self, data: memoryview) -> object: ...


@dataclass(frozen=True)
class InMember:
    name: str
    size: int


# Called at each member's header; returns where its data goes. It may raise BundleError to
# refuse the member (a name not allowed, a size over its bound, a duplicate).
OnMember = Callable[[InMember], MemberSink]


class TarParser:
    """Push-based strict reader: ``write`` the archive in any pieces, then ``close``."""

    def __init__(self, on_member: OnMember) -> None:
        self._on_member = on_member
        self._buffer = bytearray()
        self._sink: MemberSink | None = None
        self._remaining = 0  # data bytes of the current member still to come
        self._pad = 0  # padding bytes after the current member's data
        self._zero_blocks = 0
        self._offset = 0

    def write(self, data: bytes | memoryview) -> int:
        view = memoryview(data)
        total = len(view)
        while view:
            if self._remaining:
                count = min(self._remaining, len(view))
                assert self._sink is not None
                # A view, not a copy: sinks copy what they keep (the caller reuses its buffer).
                self._sink.write(view[:count])
                self._remaining -= count
                view = view[count:]
                continue
            if self._pad:
                count = min(self._pad, len(view))
                if any(view[:count]):
                    raise BundleError(reason="tar_padding")
                self._pad -= count
                view = view[count:]
                continue
            need = layout.TAR_BLOCK - len(self._buffer)
            self._buffer += view[:need]
            view = view[need:]
            if len(self._buffer) == layout.TAR_BLOCK:
                block, self._buffer = bytes(self._buffer), bytearray()
                self._block(block)
        self._offset += total
        return total

    def _block(self, block: bytes) -> None:
        if self._zero_blocks or block == _ZERO_BLOCK:
            # The end of the archive: only zero blocks may follow.
            if block != _ZERO_BLOCK:
                raise BundleError(reason="tar_trailing_data")
            self._zero_blocks += 1
            return
        try:
            info = tarfile.TarInfo.frombuf(block, "ascii", "strict")
        except (tarfile.HeaderError, UnicodeDecodeError, ValueError):
            raise BundleError(reason="tar_header") from None
        if info.type != tarfile.REGTYPE:
            kind = _MEMBER_TYPES.get(info.type, "other")
            raise BundleError(reason="tar_member_type", member_type=kind)
        if block[257:263] != b"ustar\x00":
            raise BundleError(reason="tar_format")
        if info.linkname or info.size < 0:
            raise BundleError(reason="tar_header")
        self._sink = self._on_member(InMember(info.name, info.size))
        self._remaining = info.size
        self._pad = -info.size % layout.TAR_BLOCK

    def close(self) -> None:
        """The archive ended properly: no member cut short, two zero blocks at least, and
        the whole a number of tar blocks."""
        if self._remaining or self._pad or self._buffer:
            raise BundleError(reason="tar_truncated")
        if self._zero_blocks < 2:
            raise BundleError(reason="tar_end_missing")
