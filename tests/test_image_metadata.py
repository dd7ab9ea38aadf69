"""Photos without their metadata: EXIF (GPS), XMP, IPTC, comments and trailers go; the image,
its colour profile and its decoding data stay byte for byte, and it decodes to the same
pixels. Any other format, or a damaged file, is refused rather than sent as it is."""

from __future__ import annotations

import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PySide6.QtCore import QBuffer, QByteArray, QIODevice
from PySide6.QtGui import QColor, QImage

from monitor_app.bundles.image_metadata import is_removable, without_metadata
from monitor_app.errors import MonitorError
from monitor_app.messages import describe

CANARY = b"CANARY-42.8746N-74.5698E"


def _segment(marker: int, body: bytes) -> bytes:
    return bytes((0xFF, marker)) + (len(body) + 2).to_bytes(2, "big") + body


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data).to_bytes(4, "big")
    return len(data).to_bytes(4, "big") + kind + data + crc


def _encoded(fmt: str) -> bytes:
    image = QImage(40, 30, QImage.Format.Format_RGB32)
    for x in range(40):
        for y in range(30):
            image.setPixelColor(x, y, QColor(x * 6, y * 8, (x * y) % 256))
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    assert image.save(buffer, fmt)
    return bytes(data.data())


ICC = _segment(0xE2, b"ICC_PROFILE\x00\x01\x01" + b"profile bytes")
ADOBE = _segment(0xEE, b"Adobe\x00\x64\x00\x00\x00\x00\x01")  # transform 1: YCbCr, as encoded
METADATA = [
    _segment(0xE1, b"Exif\x00\x00MM\x00\x2a" + CANARY),  # EXIF, GPS in it
    _segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta>" + CANARY),
    _segment(0xE2, b"MPF\x00" + CANARY),
    _segment(0xED, b"Photoshop 3.0\x008BIM" + CANARY),  # IPTC
    _segment(0xEB, b"JP" + CANARY),  # JUMBF
    _segment(0xFE, CANARY),  # comment
]


def _jpeg_with_metadata() -> tuple[bytes, bytes]:
    """(the camera's JPEG with metadata and a trailer, the plain JPEG it was made from)."""
    plain = _encoded("JPG")
    dirty = plain[:2] + METADATA[0] + ICC + ADOBE + b"".join(METADATA[1:]) + plain[2:]
    return dirty + b"\xff\xd8 preview with EXIF " + CANARY, plain


def _png_with_metadata() -> tuple[bytes, bytes]:
    plain = _encoded("PNG")
    ihdr_end = 8 + 25
    extra = _chunk(b"eXIf", b"MM\x00\x2a" + CANARY) + _chunk(
        b"tIME", b"\x07\xe8\x03\x0a\x0c\x00\x00"
    )
    extra += _chunk(b"tEXt", b"Comment\x00" + CANARY) + _chunk(
        b"iTXt", b"XML\x00\x00\x00\x00\x00" + CANARY
    )
    extra += _chunk(b"zTXt", b"Raw\x00\x00" + zlib.compress(CANARY))
    keep = _chunk(b"prIv", b"an ancillary chunk that decoders skip")
    return plain[:ihdr_end] + extra + keep + plain[ihdr_end:] + b"trailer " + CANARY, plain


def cleaned(data: bytes, step: int | None = None) -> bytes:
    pieces = [data] if step is None else [data[i : i + step] for i in range(0, len(data), step)]
    return b"".join(without_metadata(pieces, "a-id"))


def test_a_jpeg_loses_its_metadata_and_keeps_its_pixels() -> None:
    dirty, plain = _jpeg_with_metadata()
    out = cleaned(dirty)
    assert CANARY not in out and b"Exif" not in out and b"MPF" not in out
    assert ICC in out and ADOBE in out  # colours and the decoder's colour transform stay
    assert out == plain[:2] + ICC + ADOBE + plain[2:]  # the rest byte for byte, trailer gone
    assert QImage.fromData(out) == QImage.fromData(plain)


def test_a_png_loses_its_text_exif_and_time_and_keeps_its_pixels() -> None:
    dirty, plain = _png_with_metadata()
    out = cleaned(dirty)
    assert CANARY not in out
    assert _chunk(b"prIv", b"an ancillary chunk that decoders skip") in out
    assert out.endswith(plain[-12:])  # IEND, and nothing after it
    assert QImage.fromData(out) == QImage.fromData(plain)


def test_scan_data_markers_and_segments_between_scans() -> None:
    """Stuffed 0xFF bytes and restart markers are data; a comment between two scans goes,
    with the fill bytes before it."""
    scan = _segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")
    data = b"\x12\xff\x00\x34\xff\xd3\x56\xff\x00\x78"
    comment = b"\xff\xff" + _segment(0xFE, CANARY)
    jpeg = b"\xff\xd8" + scan + data + comment + scan + data + b"\xff\xd9"
    assert cleaned(jpeg) == b"\xff\xd8" + scan + data + scan + data + b"\xff\xd9"


@settings(max_examples=60, deadline=None)
@given(step=st.integers(min_value=1, max_value=700), png=st.booleans())
def test_the_pieces_it_arrives_in_change_nothing(step: int, png: bool) -> None:
    dirty = _png_with_metadata()[0] if png else _jpeg_with_metadata()[0]
    assert cleaned(dirty, step) == cleaned(dirty)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"GIF89a" + CANARY, "format"),
        (b"\x00\x00\x00\x18ftypheic" + CANARY, "format"),  # HEIC
        (b"II*\x00" + CANARY, "format"),  # TIFF
        (b"", "format"),
        (_jpeg_with_metadata()[1][:-2], "damaged"),  # no end-of-image marker
        (b"\xff\xd8\xff\xe1\x00", "damaged"),
        (b"\xff\xd8\xff\xe1\x00\x01" + CANARY, "damaged"),  # a length below its own size
        (_png_with_metadata()[1][:-12], "damaged"),  # no IEND
        (b"\x89PNG\r\n\x1a\n\xff\xff\xff\xffIDAT", "damaged"),
    ],
)
def test_what_cannot_be_cleaned_is_refused(data: bytes, reason: str) -> None:
    with pytest.raises(MonitorError) as caught:
        cleaned(data)
    assert caught.value.code == "image_metadata_not_removable"
    assert caught.value.params == {"attachment": "a-id", "reason": reason}
    sentence = describe(caught.value)
    assert "a-id" in sentence and "JPEG" in sentence and "CANARY" not in sentence


def test_what_can_be_cleaned_is_told_by_its_first_bytes() -> None:
    assert is_removable(_encoded("JPG")[:8]) and is_removable(_encoded("PNG")[:8])
    assert not is_removable(b"GIF89a\x00\x00") and not is_removable(b"%PDF-1.7")


def test_the_source_is_read_to_its_end() -> None:
    """The rest is read and dropped, not left: the vault's blob checks its own end as it is
    read, so a damaged end still stops the export."""
    dirty, _ = _jpeg_with_metadata()
    read = []

    def pieces() -> object:
        for i in range(0, len(dirty), 100):
            read.append(i)
            yield dirty[i : i + 100]

    b"".join(without_metadata(pieces(), "a-id"))  # type: ignore[arg-type]
    assert read[-1] == (len(dirty) - 1) // 100 * 100
