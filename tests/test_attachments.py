"""Attachments: intake hash, byte-identical retrieval, nothing readable on disk, hostile names,
tampered blobs, and bounded memory for very large files."""

from __future__ import annotations

import hashlib
import io
import random
import stat
import tracemalloc
import uuid
from datetime import datetime
from pathlib import Path

import pytest

from monitor_app.crypto import stream
from monitor_app.errors import MonitorError, NotFoundError, StorageError, ValidationError
from monitor_app.records import audit
from monitor_app.vault.session import UnlockedVault

CHUNK = 64 * 1024
MIB = 1024 * 1024
CANARY = b"CANARY-PLAINTEXT-7f3a9c"


# -- helpers ---------------------------------------------------------------------------------
def new_record(vault: UnlockedVault) -> str:
    return vault.records.add("place", {"name": "ИВС", "place_type": "police_station"}).record_id


def blob_files(vault: UnlockedVault) -> list[Path]:
    root = vault.path / "blobs"
    return sorted(p for p in root.iterdir() if p.is_file())


def all_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.is_file())


def tree(directory: Path) -> set[str]:
    return {str(p.relative_to(directory)) for p in directory.rglob("*")}


def data_of(size: int, seed: int = 0) -> bytes:
    return random.Random(seed * 1_000_003 + size).randbytes(size)


def audit_actions(vault: UnlockedVault) -> list[str]:
    with vault.reading() as conn:
        return [e.action for e in audit.entries(conn, limit=100_000)]


class GeneratedSource:
    """A file-like object with only ``read``, producing ``size`` bytes without holding them."""

    def __init__(self, size: int) -> None:
        self.remaining = size
        self.block = random.Random(size).randbytes(MIB + 4 * CHUNK)
        self.offset = 0
        self.digest = hashlib.sha256()
        self.calls = 0

    def read(self, n: int = -1) -> bytes:
        self.calls += 1
        if n is None or n < 0:
            raise AssertionError("the whole input must never be asked for at once")
        n = min(n, self.remaining, CHUNK * 4)
        start = self.offset % MIB
        data = self.block[start : start + n]
        self.offset += n + 7  # shift, so consecutive chunks differ
        self.remaining -= n
        self.digest.update(data)
        return data


class HashingSink:
    """A write-only sink that keeps nothing but a hash and a count."""

    def __init__(self) -> None:
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes | memoryview) -> int:
        self.digest.update(data)
        self.size += len(data)
        return len(data)


# -- intake and retrieval --------------------------------------------------------------------
def test_add_file_keeps_hash_name_and_type_inside_the_vault(
    vault: UnlockedVault, vault_dir: Path, tmp_path: Path
) -> None:
    record_id = new_record(vault)
    content = CANARY * 3000 + bytes(range(256)) * 40 + CANARY
    source = tmp_path / "in" / "Фото допроса 酷刑.jpg"
    source.parent.mkdir()
    source.write_bytes(content)

    info = vault.attachments.add_file(record_id, source, caption="Синяки на руках")
    assert uuid.UUID(info.attachment_id)
    assert info.record_id == record_id
    assert info.size == len(content)
    assert info.sha256 == hashlib.sha256(content).hexdigest()
    assert info.original_name == "Фото допроса 酷刑.jpg"
    assert info.media_type == "image/jpeg"
    assert info.caption == "Синяки на руках"
    assert info.added_by == vault.author.author_id
    assert datetime.fromisoformat(info.added_at).tzinfo is not None
    assert vault.attachments.info(info.attachment_id) == info
    assert vault.attachments.list(record_id) == [info]
    assert source.read_bytes() == content  # the original is left alone

    assert vault.attachments.read_bytes(info.attachment_id) == content
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    target = out_dir / "copy.bin"
    saved = vault.attachments.save_to_file(info.attachment_id, target)
    assert saved == info
    assert target.read_bytes() == content
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert tree(out_dir) == {"copy.bin"}

    # On disk: one blob with a random name, the size of the ciphertext, and nothing readable.
    (blob,) = blob_files(vault)
    assert len(blob.name) == 32 and set(blob.name) <= set("0123456789abcdef")
    assert blob.stat().st_size == stream.encrypted_size(len(content))
    assert stat.S_IMODE(blob.stat().st_mode) == 0o600
    needles = [
        CANARY,
        content[:64],
        "Фото допроса".encode(),
        "酷刑".encode(),
        "Синяки".encode(),
        b"image/jpeg",
        info.sha256.encode(),
        bytes.fromhex(info.sha256),
    ]
    for path in all_files(vault_dir):
        assert "Фото" not in path.name and "jpg" not in path.name, path
        raw = path.read_bytes()
        for needle in needles:
            assert needle not in raw, (path.name, needle[:20])


def test_add_stream_with_explicit_type(vault: UnlockedVault) -> None:
    record_id = new_record(vault)
    content = b"%PDF-1.7\n" + data_of(100_000)
    info = vault.attachments.add_stream(
        record_id,
        io.BytesIO(content),
        original_name="акт осмотра",
        media_type="application/pdf",
        caption="Акт\nмедицинского осмотра",
    )
    assert (info.original_name, info.media_type) == ("акт осмотра", "application/pdf")
    assert info.caption == "Акт\nмедицинского осмотра"
    assert info.sha256 == hashlib.sha256(content).hexdigest()
    assert vault.attachments.read_bytes(info.attachment_id) == content
    unknown = vault.attachments.add_stream(record_id, io.BytesIO(b"x"), original_name="blob")
    assert unknown.media_type == "application/octet-stream"
    listed = vault.attachments.list(record_id)
    assert {a.attachment_id for a in listed} == {info.attachment_id, unknown.attachment_id}
    assert audit_actions(vault)[-2:] == ["attachment_added", "attachment_added"]


SIZES = {
    "empty": 0,
    "1 byte": 1,
    "64 KiB - 1": CHUNK - 1,
    "64 KiB": CHUNK,
    "64 KiB + 1": CHUNK + 1,
    "128 KiB": 2 * CHUNK,
    "3 MiB + 7": 3 * MIB + 7,
}


def test_sizes_round_trip_byte_for_byte(vault: UnlockedVault, tmp_path: Path) -> None:
    record_id = new_record(vault)
    for label, size in SIZES.items():
        content = data_of(size)
        source = tmp_path / f"source-{size}.bin"
        source.write_bytes(content)
        blobs_before = set(blob_files(vault))
        info = vault.attachments.add_file(record_id, source)
        assert info.size == size, label
        assert info.sha256 == hashlib.sha256(content).hexdigest(), label
        (blob,) = set(blob_files(vault)) - blobs_before
        assert blob.stat().st_size == stream.encrypted_size(size), label
        if size >= 32:
            assert content[:32] not in blob.read_bytes(), label

        assert vault.attachments.read_bytes(info.attachment_id) == content, label
        target = tmp_path / f"out-{size}.bin"
        vault.attachments.save_to_file(info.attachment_id, target)
        assert target.read_bytes() == content, label
        sink = io.BytesIO()
        assert vault.attachments.write_to(info.attachment_id, sink) == info
        assert sink.getvalue() == content, label
    assert hashlib.sha256(b"").hexdigest() in {a.sha256 for a in vault.attachments.list(record_id)}


def test_same_content_twice_gives_two_different_blobs(vault: UnlockedVault) -> None:
    record_id = new_record(vault)
    content = data_of(CHUNK + 5)
    first = vault.attachments.add_stream(record_id, io.BytesIO(content), original_name="a")
    second = vault.attachments.add_stream(record_id, io.BytesIO(content), original_name="a")
    assert first.sha256 == second.sha256
    assert first.attachment_id != second.attachment_id
    blobs = blob_files(vault)
    assert len(blobs) == 2
    assert blobs[0].read_bytes() != blobs[1].read_bytes()  # one key per attachment
    assert first.sha256 not in {b.name for b in blobs}


def test_saving_never_overwrites_unless_asked(vault: UnlockedVault, tmp_path: Path) -> None:
    record_id = new_record(vault)
    info = vault.attachments.add_stream(record_id, io.BytesIO(b"new"), original_name="n.txt")
    target = tmp_path / "existing.txt"
    target.write_bytes(b"keep me")
    with pytest.raises(MonitorError) as exists:
        vault.attachments.save_to_file(info.attachment_id, target)
    assert exists.value.code == "output_exists"
    assert target.read_bytes() == b"keep me"
    vault.attachments.save_to_file(info.attachment_id, target, overwrite=True)
    assert target.read_bytes() == b"new"
    with pytest.raises(StorageError):
        vault.attachments.save_to_file(info.attachment_id, tmp_path / "no" / "such" / "dir.txt")
    assert tree(tmp_path) >= {"existing.txt"}
    assert not (tmp_path / "no").exists()


def test_attaching_needs_a_live_record(vault: UnlockedVault, vault_dir: Path) -> None:
    with pytest.raises(NotFoundError):
        vault.attachments.add_stream(str(uuid.uuid4()), io.BytesIO(b"x"), original_name="x")
    record_id = new_record(vault)
    vault.records.delete(record_id, "closed")
    with pytest.raises(ValidationError) as info:
        vault.attachments.add_stream(record_id, io.BytesIO(b"x"), original_name="x")
    assert info.value.params["field"] == "record_id"
    assert blob_files(vault) == []
    with pytest.raises(NotFoundError) as missing:
        vault.attachments.read_bytes(str(uuid.uuid4()))
    assert missing.value.code == "attachment_not_found"


@pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="needs Linux's /proc")
def test_a_file_that_fails_to_read_is_named_in_the_error(vault: UnlockedVault) -> None:
    """A read error (here EIO: the start of /proc/self/mem is never mapped; on a stick, one
    pulled out) names the file read, not the vault, and stores nothing."""
    record_id = new_record(vault)
    unreadable = Path("/proc/self/mem")
    with pytest.raises(StorageError) as caught:
        vault.attachments.add_file(record_id, unreadable)
    assert (caught.value.code, caught.value.params["path"]) == ("storage_failed", str(unreadable))
    assert blob_files(vault) == []
    assert vault.attachments.list(record_id) == []


# -- hostile names ---------------------------------------------------------------------------
HOSTILE_NAMES = [
    ("../../etc/passwd", "passwd"),
    ("..\\..\\Windows\\System32\\evil.dll", "evil.dll"),
    ("/absolute/path/to/photo.jpg", "photo.jpg"),
    ("C:\\Users\\monitor\\Desktop\\отчёт.docx", "отчёт.docx"),
    ("..", ".."),
    ("../", "attachment"),
    ("", "attachment"),
    ("   ", "attachment"),
    ("\u202egpj.exe", "\u202egpj.exe"),
    ("report\u202eFDP.scr", "report\u202eFDP.scr"),
    ("tab\tin name.txt", "tab\tin name.txt"),
    ("фото:酷刑?*<>|.jpg", "фото:酷刑?*<>|.jpg"),
    ("e\u0301\u0301 🙂👩🏽‍⚖️.png", "e\u0301\u0301 🙂👩🏽‍⚖️.png"),
    ("y" * 1000 + ".jpg", "y" * 255),
    ("dir/" + "z" * 300, "z" * 255),
]


def test_hostile_names_are_stored_as_text_and_never_used_as_paths(
    vault: UnlockedVault, vault_dir: Path, tmp_path: Path
) -> None:
    record_id = new_record(vault)
    out_dir = tmp_path / "chosen"
    out_dir.mkdir()
    outside_before = tree(tmp_path) - {p for p in tree(tmp_path) if p.startswith("vault")}
    for index, (given, stored) in enumerate(HOSTILE_NAMES):
        content = f"attachment {index}".encode()
        info = vault.attachments.add_stream(record_id, io.BytesIO(content), original_name=given)
        assert info.original_name == stored, given[:40]
        assert vault.attachments.info(info.attachment_id).original_name == stored
        target = out_dir / f"copy-{index}"
        vault.attachments.save_to_file(info.attachment_id, target)
        assert target.read_bytes() == content
    assert tree(out_dir) == {f"copy-{i}" for i in range(len(HOSTILE_NAMES))}
    outside_after = tree(tmp_path) - {p for p in tree(tmp_path) if p.startswith("vault")}
    assert outside_after == outside_before | {f"chosen/copy-{i}" for i in range(len(HOSTILE_NAMES))}
    # Inside the vault only random blob names, the database and the key slots.
    names = {p.name for p in all_files(vault_dir)}
    assert len(blob_files(vault)) == len(HOSTILE_NAMES)
    assert names <= {"keyslots.json", "vault.db", "vault.db-wal", "vault.db-shm"} | {
        p.name for p in blob_files(vault)
    }


def test_hostile_name_of_a_real_file(vault: UnlockedVault, vault_dir: Path, tmp_path: Path) -> None:
    record_id = new_record(vault)
    source_dir = tmp_path / "in"
    source_dir.mkdir()
    source = source_dir / "..\\..\\evil\u202egpj.exe"
    source.write_bytes(CANARY)
    info = vault.attachments.add_file(record_id, source)
    assert info.original_name == "evil\u202egpj.exe"
    assert vault.attachments.read_bytes(info.attachment_id) == CANARY
    for path in all_files(vault_dir):
        assert "evil" not in path.name
        assert CANARY not in path.read_bytes()


CONTROL_NAMES = ["line\nbreak.jpg", "cr\r.jpg", "bell\x07.txt", "esc\x1b[31m.jpg", "nul\x00.bin"]


def test_control_characters_in_names_are_refused_before_anything_is_stored(
    vault: UnlockedVault,
) -> None:
    # The core refuses control characters in names (clean_name); nothing may be left behind.
    record_id = new_record(vault)
    before = audit_actions(vault)
    for name in CONTROL_NAMES:
        with pytest.raises(ValidationError) as info:
            vault.attachments.add_stream(record_id, io.BytesIO(CANARY), original_name=name)
        assert info.value.params["field"] == "original_name", name
    assert vault.attachments.list(record_id) == []
    assert blob_files(vault) == []
    assert audit_actions(vault) == before


# -- tampering -------------------------------------------------------------------------------
def flip(path: Path, offset: int) -> None:
    raw = bytearray(path.read_bytes())
    raw[offset] ^= 0x01
    path.write_bytes(bytes(raw))


DAMAGE = {
    "flip-first-chunk": lambda p: flip(p, 10),
    "flip-middle-chunk": lambda p: flip(p, CHUNK + 16 + 1000),
    "flip-last-tag": lambda p: flip(p, p.stat().st_size - 1),
    "truncate-chunk": lambda p: p.write_bytes(p.read_bytes()[: CHUNK + 16]),
    "truncate-bytes": lambda p: p.write_bytes(p.read_bytes()[:-5]),
    "append": lambda p: p.write_bytes(p.read_bytes() + b"\x00" * 17),
    "empty": lambda p: p.write_bytes(b""),
    "missing": lambda p: p.unlink(),
}


def test_a_tampered_blob_is_refused_and_leaves_no_output(
    vault: UnlockedVault, tmp_path: Path
) -> None:
    record_id = new_record(vault)
    content = data_of(3 * CHUNK + 123)
    intact = vault.attachments.add_stream(record_id, io.BytesIO(content), original_name="ok")
    for damage, apply in DAMAGE.items():
        blobs_before = set(blob_files(vault))
        info = vault.attachments.add_stream(record_id, io.BytesIO(content), original_name="x")
        (blob,) = set(blob_files(vault)) - blobs_before
        apply(blob)

        with pytest.raises(MonitorError) as in_memory:
            vault.attachments.read_bytes(info.attachment_id)
        assert in_memory.value.code == "attachment_damaged", damage

        out_dir = tmp_path / f"out-{damage}"
        out_dir.mkdir()
        with pytest.raises(MonitorError) as to_file:
            vault.attachments.save_to_file(info.attachment_id, out_dir / "copy.bin")
        assert to_file.value.code == "attachment_damaged", damage
        assert list(out_dir.iterdir()) == [], damage  # neither the copy nor a temporary file
    assert "attachment_saved_out" not in audit_actions(vault)
    # Damage to one blob does not touch the others.
    assert vault.attachments.read_bytes(intact.attachment_id) == content


def test_swapped_blobs_are_refused(vault: UnlockedVault, tmp_path: Path) -> None:
    record_id = new_record(vault)
    first = vault.attachments.add_stream(record_id, io.BytesIO(b"A" * 1000), original_name="a")
    second = vault.attachments.add_stream(record_id, io.BytesIO(b"B" * 1000), original_name="b")
    one, two = blob_files(vault)
    a, b = one.read_bytes(), two.read_bytes()
    one.write_bytes(b)
    two.write_bytes(a)
    for attachment in (first, second):
        with pytest.raises(MonitorError) as info:
            vault.attachments.read_bytes(attachment.attachment_id)
        assert info.value.code == "attachment_damaged"
    target = tmp_path / "copy"
    with pytest.raises(MonitorError):
        vault.attachments.save_to_file(first.attachment_id, target)
    assert not target.exists()


# -- bounded memory --------------------------------------------------------------------------
def test_large_streams_use_bounded_memory(vault: UnlockedVault) -> None:
    size = 200 * MIB + 12345
    limit = 16 * MIB
    record_id = new_record(vault)
    source = GeneratedSource(size)

    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        info = vault.attachments.add_stream(
            record_id, source, original_name="interview.wav", total=size
        )
        intake_peak = tracemalloc.get_traced_memory()[1]

        tracemalloc.reset_peak()
        sink = HashingSink()
        vault.attachments.write_to(info.attachment_id, sink)  # type: ignore[arg-type]
        retrieval_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert source.remaining == 0
    assert source.calls > size // (4 * CHUNK)
    assert info.size == size
    assert info.sha256 == source.digest.hexdigest()
    assert sink.size == size
    assert sink.digest.hexdigest() == info.sha256
    (blob,) = blob_files(vault)
    assert blob.stat().st_size == stream.encrypted_size(size)
    assert intake_peak < limit, f"intake peak {intake_peak / MIB:.1f} MiB"
    assert retrieval_peak < limit, f"retrieval peak {retrieval_peak / MIB:.1f} MiB"
    blob.unlink()  # 200 MiB of test data need not outlive the test
