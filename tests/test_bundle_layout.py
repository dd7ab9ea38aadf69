"""The tar inside a bundle: sizes, padding buckets, strict parsing, and what GNU tar makes
of what we write."""

from __future__ import annotations

import hashlib
import io
import subprocess
import tarfile
from pathlib import Path

import pytest

from monitor_app.bundles import layout, sums
from monitor_app.bundles.errors import BundleError
from monitor_app.bundles.tarstream import InMember, OutMember, TarParser, TarReader, tar_chunks


def members(data: dict[str, bytes]) -> list[OutMember]:
    return [
        OutMember(
            name,
            len(body),
            lambda body=body: [body[i : i + 1000] for i in range(0, len(body), 1000)],
        )
        for name, body in data.items()
    ]


def build(data: dict[str, bytes]) -> bytes:
    return b"".join(tar_chunks(members(data)))


SAMPLE = {
    layout.MANIFEST: b'{"format": "x"}',
    layout.RECORDS: "Показания 证词 témoin\n".encode() * 300,
    layout.attachment_member(hashlib.sha256(b"a").hexdigest()): b"a" * 70_000,
    layout.PADDING: bytes(513),
}


class Collect:
    def __init__(self) -> None:
        self.files: dict[str, io.BytesIO] = {}

    def __call__(self, member: InMember) -> io.BytesIO:
        self.files[member.name] = io.BytesIO()
        return self.files[member.name]


def parse(archive: bytes, piece: int = 777) -> dict[str, bytes]:
    collect = Collect()
    parser = TarParser(collect)
    for start in range(0, len(archive), piece):
        parser.write(archive[start : start + piece])
    parser.close()
    return {name: body.getvalue() for name, body in collect.files.items()}


def test_written_archive_is_read_back_by_stdlib_gnu_tar_and_our_parser(tmp_path: Path) -> None:
    archive = build(SAMPLE)
    assert len(archive) % layout.TAR_RECORD == 0
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:") as tar:
        assert tar.getnames() == list(SAMPLE)
        assert all(m.isreg() and m.mode == 0o600 for m in tar.getmembers())
    (tmp_path / "b.tar").write_bytes(archive)
    out = tmp_path / "x"
    out.mkdir()
    subprocess.run(["tar", "-xf", str(tmp_path / "b.tar"), "-C", str(out)], check=True)
    for name, body in SAMPLE.items():
        assert (out / name).read_bytes() == body
    assert parse(archive) == SAMPLE
    assert parse(archive, piece=1) == parse(archive, piece=1 << 20) == SAMPLE


def test_reader_serves_reads_of_any_size() -> None:
    archive = build(SAMPLE)
    reader = TarReader(tar_chunks(members(SAMPLE)))
    pieces = []
    size = 1
    while piece := reader.read(size):
        pieces.append(piece)
        size = size * 3 % 70_001 + 1
    assert b"".join(pieces) == archive


@pytest.mark.parametrize("unpadded", [0, 1, 5_000, 1 << 20, 3_333_333, 700 << 20])
def test_padding_fills_the_tar_to_its_bucket_exactly(unpadded: int) -> None:
    unpadded = unpadded - unpadded % layout.TAR_BLOCK
    size = layout.padding_size(unpadded)
    assert size >= 0
    total = unpadded + layout.member_span(size) + layout.TAR_END
    assert total % layout.TAR_RECORD == 0
    assert total == layout.padded_tar_size(unpadded)
    assert total >= layout.MIN_BUNDLE_SIZE
    assert total <= max(layout.MIN_BUNDLE_SIZE, unpadded * 1.13) + layout.TAR_RECORD


def test_buckets_are_coarse() -> None:
    # 2560 different contents between 10 and 20 MiB fall into 32 sizes (padmé: 5 significant
    # bits of the size survive).
    steps = range(10 << 20, 20 << 20, 4096)
    assert len({layout.padded_tar_size(n) for n in steps}) <= 32
    # Below the minimum, every bundle has the same size.
    assert {layout.padded_tar_size(n) for n in range(0, 900_000, 512)} == {
        layout.padded_tar_size(0)
    }


def test_a_padded_archive_has_the_promised_size() -> None:
    body = dict(SAMPLE)
    del body[layout.PADDING]
    unpadded = sum(layout.member_span(len(b)) for b in body.values())
    body[layout.PADDING] = bytes(layout.padding_size(unpadded))
    assert len(build(body)) == layout.padded_tar_size(unpadded)


def corrupt(archive: bytes, offset: int, value: bytes) -> bytes:
    return archive[:offset] + value + archive[offset + len(value) :]


def relink(archive: bytes, typeflag: bytes) -> bytes:
    """The first header with another type flag and a recomputed checksum."""
    header = bytearray(archive[:512])
    header[156:157] = typeflag
    header[148:156] = b"        "
    header[148:156] = b"%06o\x00 " % sum(header)
    return bytes(header) + archive[512:]


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda a: a[: -layout.TAR_RECORD], id="truncated"),
        pytest.param(lambda a: a[:700], id="cut-in-member"),
        pytest.param(lambda a: corrupt(a, 0, b"X"), id="bad-checksum"),
        pytest.param(lambda a: relink(a, b"2"), id="symlink"),
        pytest.param(lambda a: relink(a, b"5"), id="directory"),
        pytest.param(lambda a: corrupt(a, len(a) - 5, b"\x01"), id="junk-after-end"),
        pytest.param(lambda a: corrupt(a, 512 + 20, b"\x01"), id="nonzero-padding"),
    ],
)
def test_parser_refuses_damaged_archives(damage: object) -> None:
    archive = build({layout.MANIFEST: b"{}", layout.PADDING: bytes(10)})
    assert callable(damage)
    with pytest.raises(BundleError):
        parse(damage(archive))


def test_gnu_tar_and_pax_extensions_are_refused() -> None:
    long_name = "attachments/" + "a" * 120
    for fmt in (tarfile.GNU_FORMAT, tarfile.PAX_FORMAT):
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w", format=fmt) as tar:
            info = tarfile.TarInfo(long_name)
            info.size = 1
            tar.addfile(info, io.BytesIO(b"x"))
        with pytest.raises(BundleError):
            parse(buffer.getvalue())


def test_sums_round_trip_and_refusals() -> None:
    digest = hashlib.sha256(b"x").hexdigest()
    entries = [(layout.MANIFEST, digest), (layout.attachment_member(digest), digest)]
    text = sums.format_sums(entries)
    assert text == f"{digest}  manifest.json\n{digest}  attachments/{digest}\n".encode()
    assert sums.parse_sums(text) == dict(entries)
    bad = [
        text[:-1],  # no final newline
        text.replace(b"  ", b" *", 1),  # binary-mode marker
        text.upper(),
        text + text,  # duplicates
        text.replace(b"manifest.json", b"../etc/passwd"),
        text.replace(b"manifest.json", b"SHA256SUMS.minisig"),
        text.replace(b"\n", b"\r\n"),
        b"",
    ]
    for data in bad:
        with pytest.raises(BundleError):
            sums.parse_sums(data)


def test_padme_matches_the_paper() -> None:
    # Values from the definition: L=9 (E=3, S=2) rounds to a multiple of 2; L=1000 (E=9,
    # S=4) to a multiple of 32; L=2**20+1 (E=20, S=5) to a multiple of 2**15.
    assert layout.padme(9) == 10
    assert layout.padme(1000) == 1024
    assert layout.padme((1 << 20) + 1) == (1 << 20) + (1 << 15)
    for length in (2, 3, 100, 12345, 10**9):
        padded = layout.padme(length)
        assert length <= padded <= length * 1.12 + 1
