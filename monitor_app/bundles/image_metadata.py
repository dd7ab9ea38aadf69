"""Photos without their metadata, for an export: EXIF (with GPS), XMP, IPTC and comments.

A monitor's photo says where and when it was taken and with which device. The original stays
in the vault as evidence; an export can send a copy without that metadata. Only what is not
needed to show the image as it was is removed; everything else is copied byte for byte:

- JPEG: the APP1 (EXIF, XMP), APP2 other than the ICC profile (multi-picture index, FlashPix),
  APP3 to APP13 and APP15 segments (IPTC, vendor data, JUMBF) and comments are dropped,
  wherever they stand. APP0 (JFIF), the ICC profile (colours), APP14 (Adobe: the colour
  transform the decoder needs), the tables, frames, scans and restart markers are kept.
  Whatever follows the end-of-image marker is dropped: the previews of the multi-picture
  format and vendor trailers, each with metadata of its own.
- PNG: the tEXt, zTXt, iTXt, eXIf and tIME chunks are dropped, and anything after IEND.

Any other format, or a file that does not parse as its format says, raises
``MonitorError("image_metadata_not_removable")``: a photo never goes out with its metadata
once the person exporting asked for it to be removed.

The filter streams: beside the piece of input it is given, it holds at most one marker
segment (64 KiB) or chunk header, whatever the size of the photo.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from monitor_app.errors import MonitorError

__all__ = ["is_removable", "without_metadata"]

JPEG_MAGIC = b"\xff\xd8\xff"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_SNIFF = len(PNG_MAGIC)

_SOS, _EOI, _COM, _APP0, _APP2, _APP14, _APP15 = 0xDA, 0xD9, 0xFE, 0xE0, 0xE2, 0xEE, 0xEF
_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})  # TEM and RST0-7 carry no length
_ICC = b"ICC_PROFILE\x00"
_PNG_DROPPED = frozenset({b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"tIME"})
_PNG_CHUNK_MAX = (1 << 31) - 1


def is_removable(head: bytes) -> bool:
    """Whether the file starting with ``head`` (its first 8 bytes) is a JPEG or a PNG."""
    return head.startswith(JPEG_MAGIC) or head.startswith(PNG_MAGIC)


class _Damaged(Exception):
    pass


class _Input:
    """Bytes pulled from an iterator of pieces, as the parser asks for them."""

    def __init__(self, pieces: Iterable[bytes | memoryview]) -> None:
        self._pieces = iter(pieces)
        self.buffer = bytearray()
        self.pos = 0

    def more(self) -> bool:
        piece = next(self._pieces, None)
        if piece is None:
            return False
        if self.pos:
            del self.buffer[: self.pos]
            self.pos = 0
        self.buffer += piece
        return True

    def available(self) -> int:
        return len(self.buffer) - self.pos

    def need(self, count: int) -> None:
        while self.available() < count:
            if not self.more():
                raise _Damaged

    def take(self, count: int) -> bytes:
        self.need(count)
        data = bytes(self.buffer[self.pos : self.pos + count])
        self.pos += count
        return data

    def pieces_of(self, count: int) -> Iterator[bytes]:
        """The next ``count`` bytes, in the pieces they arrive in."""
        while count:
            if not self.available() and not self.more():
                raise _Damaged
            step = min(count, self.available())
            yield bytes(self.buffer[self.pos : self.pos + step])
            self.pos += step
            count -= step

    def drain(self) -> None:
        """Read the rest without keeping it: the source checks its own end as it is read."""
        self.buffer.clear()
        self.pos = 0
        for _ in self._pieces:
            pass


def without_metadata(pieces: Iterable[bytes | memoryview], attachment: str) -> Iterator[bytes]:
    """The image in ``pieces`` without its metadata, in pieces. ``attachment`` (an id) names
    the file in the error raised when that cannot be done."""
    source = _Input(pieces)
    try:
        while source.available() < _SNIFF and source.more():
            pass
        head = bytes(source.buffer[:_SNIFF])
        if head.startswith(JPEG_MAGIC):
            yield from _jpeg(source)
        elif head.startswith(PNG_MAGIC):
            yield from _png(source)
        else:
            raise MonitorError(
                "image_metadata_not_removable", attachment=attachment, reason="format"
            )
    except _Damaged:
        raise MonitorError(
            "image_metadata_not_removable", attachment=attachment, reason="damaged"
        ) from None


def _jpeg_dropped(marker: int, body: bytes) -> bool:
    if marker == _COM:
        return True
    if not _APP0 < marker <= _APP15 or marker == _APP14:
        return False
    return not (marker == _APP2 and body.startswith(_ICC))


def _jpeg(source: _Input) -> Iterator[bytes]:
    yield source.take(2)  # start of image
    while True:
        if source.take(1) != b"\xff":
            raise _Damaged
        marker = source.take(1)[0]
        while marker == 0xFF:  # fill bytes before a marker
            marker = source.take(1)[0]
        if marker == _EOI:
            yield b"\xff\xd9"
            source.drain()
            return
        if marker in _STANDALONE:
            yield bytes((0xFF, marker))
            continue
        if marker == 0x00:  # a stuffed 0xFF belongs inside scan data, not between segments
            raise _Damaged
        length_bytes = source.take(2)
        length = int.from_bytes(length_bytes, "big")
        if length < 2:
            raise _Damaged
        body = source.take(length - 2)
        if not _jpeg_dropped(marker, body):
            yield bytes((0xFF, marker)) + length_bytes + body
        if marker == _SOS:
            yield from _entropy_coded(source)


def _entropy_coded(source: _Input) -> Iterator[bytes]:
    """The scan data after a SOS header, up to the marker that ends it (left unread)."""
    while True:
        at = source.buffer.find(0xFF, source.pos)
        if at < 0:
            if source.available():
                yield bytes(source.buffer[source.pos :])
                source.pos = len(source.buffer)
            if not source.more():
                raise _Damaged  # the image ends without its end marker
            continue
        if at > source.pos:
            yield bytes(source.buffer[source.pos : at])
            source.pos = at
        source.need(2)
        follower = source.buffer[source.pos + 1]
        if follower == 0x00 or 0xD0 <= follower <= 0xD7:  # a stuffed 0xFF, a restart marker
            yield bytes(source.buffer[source.pos : source.pos + 2])
            source.pos += 2
            continue
        return


def _png(source: _Input) -> Iterator[bytes]:
    yield source.take(len(PNG_MAGIC))
    while True:
        header = source.take(8)
        length, kind = int.from_bytes(header[:4], "big"), header[4:]
        if length > _PNG_CHUNK_MAX:
            raise _Damaged
        rest = source.pieces_of(length + 4)  # the data and its CRC
        if kind in _PNG_DROPPED:
            for _ in rest:
                pass
        else:
            yield header
            yield from rest
        if kind == b"IEND":
            source.drain()
            return
