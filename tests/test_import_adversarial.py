"""Adversarial import: every way of damaging, forging, misdirecting or replaying a bundle is
refused with its own error, and the hub keeps exactly what it held (the same records,
revisions, attachments, contacts and blob files); the only change a refusal may make is its own
audit entry. Nothing is left staged in the vault, and nothing is written outside it.

One world of vaults is built per module (vault creation costs an Argon2 run): a field vault, the
hub it reports to, a third vault ``other`` (a legitimate recipient of the field, and an
unverified contact of the hub) and a ``stranger`` the hub has never heard of. The bundle under
attack is a genuine field -> hub bundle holding more than two STREAM chunks of attachment.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import tarfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from monitor_app.bundles import canonical, layout, sums
from monitor_app.bundles.export import export_bundle
from monitor_app.bundles.importing import import_bundle, verify_bundle
from monitor_app.bundles.reading import open_bundle
from monitor_app.crypto import age, minisign, stream
from monitor_app.errors import MonitorError
from monitor_app.records import audit
from monitor_app.vault import lifecycle
from monitor_app.vault.session import UnlockedVault
from tests.bundle_tools import (
    TarEntry,
    add_sample_case,
    authored_by,
    body_of,
    craft,
    decrypt_bundle,
    encrypt_bundle,
    manifest_of,
    member_data,
    read_tar,
    repadded,
    revision_lines,
    signed,
    signed_line,
    sums_signature,
    vault_files,
    vault_rows,
    with_lines,
    with_manifest,
    with_member,
    write_tar,
)
from tests.conftest import PASSPHRASE
from tests.vault_checks import snapshot

FIRST_PHOTO = b"\x89PNG first photo " * 9000
SECOND_PHOTO = b"\x89PNG second photo, another angle " * 5000  # more than two STREAM chunks
CT_CHUNK = stream.CHUNK_SIZE + stream.TAG_SIZE
# Every bundle of under about 1 MiB of content is padded to the smallest bucket, so the bundle
# under attack has a known number of STREAM chunks: the flip and cut positions below name them.
CHUNKS = -(-layout.padded_tar_size(0) // stream.CHUNK_SIZE)
NONCE = stream.AGE_PAYLOAD_NONCE_SIZE
# A name a path-traversal member could create if anything extracted it: checked never to exist.
ABSOLUTE_EVIL = "/monitor_app_adversarial_evil"

Edit = Callable[[list[TarEntry]], list[TarEntry]]  # a rewrite of a bundle's tar members

MALFORMED_HEADER = ("bundle_malformed", "age_header")
HEADER_MAC_FAILS = ("bundle_damaged", "age_mac")
NOT_OURS = ("bundle_not_for_this_vault", None)
CHUNK_FAILS = ("bundle_damaged", "authentication_failed")
TRUNCATED = ("bundle_damaged", "truncated")


# --- the world --------------------------------------------------------------------------------


@dataclass(frozen=True)
class World:
    root: Path
    field: UnlockedVault
    hub: UnlockedVault
    other: UnlockedVault
    stranger: UnlockedVault
    bundle: Path  # field -> hub, never imported: the bundle under attack
    first: Path  # field -> hub, imported while building the world: the one replayed
    to_other: Path  # field -> other only
    from_other: Path  # other -> hub; the hub holds other's card unverified
    from_stranger: Path  # stranger -> hub; the hub does not know the stranger


def _new_vault(root: Path, name: str) -> UnlockedVault:
    vault, _ = lifecycle.create_vault(root / name.lower(), PASSPHRASE, name=name, organisation="O")
    return vault


def _export(author: UnlockedVault, to: list[UnlockedVault], stick: Path) -> Path:
    contacts = [author.contacts.get(v.identity.fingerprint) for v in to]
    return export_bundle(author, stick, contacts=contacts).path


def _build_world(root: Path) -> World:
    field, hub, other, stranger = (
        _new_vault(root, n) for n in ("Field", "Hub", "Other", "Stranger")
    )
    stick = root / "stick"
    stick.mkdir()
    for author in (field, other, stranger):
        author.contacts.add(hub.identity.card(), verified=True)
    field.contacts.add(other.identity.card(), verified=True)
    hub.contacts.add(field.identity.card(), verified=True)
    hub.contacts.add(other.identity.card(), verified=False)

    add_sample_case(field, real_name="Реальное Имя", share_consent="given", attachment=FIRST_PHOTO)
    first = _export(field, [hub], stick)
    assert import_bundle(hub, first).status == "imported"
    # The hub's own work, so that "unchanged" also covers what never came from the field.
    add_sample_case(hub, real_name="Hub Own", share_consent="given", attachment=b"hub" * 50_000)

    incident = field.records.list("incident")[0].record_id
    field.records.edit(incident, {"title": "Избиение при допросе (второй отчёт)"})
    field.attachments.add_stream(incident, io.BytesIO(SECOND_PHOTO), original_name="second.png")
    bundle = _export(field, [hub], stick)
    to_other = _export(field, [other], stick)
    for author in (other, stranger):
        author.records.add("place", {"name": "ИВС №2", "place_type": "police_station"})
    return World(
        root,
        field,
        hub,
        other,
        stranger,
        bundle,
        first,
        to_other,
        _export(other, [hub], stick),
        _export(stranger, [hub], stick),
    )


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    built = _build_world(tmp_path_factory.mktemp("world"))
    payload = built.bundle.stat().st_size - _header_size(built.bundle.read_bytes()) - NONCE
    assert -(-payload // CT_CHUNK) == CHUNKS  # the positions below assume this layout
    yield built
    for vault in (built.field, built.hub, built.other, built.stranger):
        vault.lock()


# --- what "unchanged" means -------------------------------------------------------------------


def _audit(vault: UnlockedVault) -> list[tuple[object, ...]]:
    return vault.conn.execute("SELECT * FROM audit ORDER BY seq").fetchall()


def _names(*folders: Path) -> set[str]:
    return {str(p) for folder in folders for p in folder.rglob("*")}


@dataclass(frozen=True)
class HubState:
    exact: dict[str, str]
    tables: dict[str, list[tuple[object, ...]]]
    audit: list[tuple[object, ...]]
    files: dict[str, str]
    vault_names: set[str]
    around: set[str]

    @classmethod
    def of(cls, world: World, near: Path) -> HubState:
        hub = world.hub
        return cls(
            {k: v for k, v in snapshot(hub.path).items() if not k.endswith("-shm")},
            vault_rows(hub),
            _audit(hub),
            vault_files(hub),
            _names(hub.path),
            _names(world.root, near) - _names(hub.path),
        )

    def assert_kept(self, world: World, near: Path, audit_action: str | None) -> None:
        """The hub holds what it held. With ``audit_action``, the one change allowed is one new
        audit entry of that action; without, the vault is byte-identical."""
        after = HubState.of(world, near)
        assert after.around == self.around  # nothing written beside the vault or the bundle
        assert not Path(ABSOLUTE_EVIL).exists()
        # No staging leftovers; a quarantined bundle's one trace on disk is its kept copy.
        kept_folder = str(world.hub.path / "quarantine")
        kept = {n for n in after.vault_names - self.vault_names if n.startswith(kept_folder)}
        assert audit_action == "bundle_quarantined" or not kept
        assert after.vault_names - kept == self.vault_names
        assert after.tables == self.tables
        # The kept copy is the bundle as it came, byte for byte.
        added = {k: v for k, v in after.files.items() if k.startswith("quarantine")}
        assert all(v == "<dir>" or k.endswith(f"/{v}.bundle") for k, v in added.items())
        assert {k: v for k, v in after.files.items() if k not in added} == {
            k: v for k, v in self.files.items() if not k.startswith("quarantine")
        }
        if audit_action is None:
            assert after.exact == self.exact
            return
        assert after.audit[:-1] == self.audit
        last = world.hub.conn.execute("SELECT action FROM audit ORDER BY seq DESC LIMIT 1")
        assert last.fetchone()[0] == audit_action
        assert audit.verify(world.hub.conn).ok


def refused(
    world: World,
    bundle: Path,
    code: str,
    reason: str | None,
    audit_action: str | None = None,
    **params: object,
) -> MonitorError:
    """Importing ``bundle`` into the hub raises ``code`` with ``reason`` (and ``params``) and
    keeps the hub as it was."""
    before = HubState.of(world, bundle.parent)
    with pytest.raises(MonitorError) as caught:
        import_bundle(world.hub, bundle)
    error = caught.value
    assert (error.code, error.params.get("reason")) == (code, reason), error
    for key, value in params.items():
        assert error.params.get(key) == value, error
    before.assert_kept(world, bundle.parent, audit_action)
    return error


def _refusal_audited(world: World, bundle: Path, code: str, reason: str | None) -> None:
    """An authentic bundle the hub does not take: refused, and the refusal audited."""
    refused(world, bundle, code, reason, audit_action="bundle_refused")
    (details,) = world.hub.conn.execute(
        "SELECT details FROM audit ORDER BY seq DESC LIMIT 1"
    ).fetchone()
    assert json.loads(details)["reason"] == code


# --- byte-level damage: bit flips, truncation, appended data ----------------------------------

_B64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def _header_size(data: bytes) -> int:
    return data.index(b"\n", data.index(b"\n---") + 1) + 1


def _our_stanza(world: World, data: bytes) -> int:
    header = age.read_header(io.BytesIO(data))
    identity = age.X25519Identity(world.hub.identity.keys().encryption_private)
    (ours,) = [i for i, s in enumerate(header.stanzas) if identity.unwrap([s]) is not None]
    return ours


def _header_flip_outcome(header: bytes, ours: int, pos: int, mask: int) -> tuple[str, str | None]:
    """What the age v1 specification makes of the header with byte ``pos`` xor ``mask``, given
    that stanza ``ours`` is the hub's: a syntax error, a header MAC that fails (the file key
    is still ours but the header changed), or no stanza that opens with the hub's key."""
    start = header.rfind(b"\n", 0, pos) + 1
    line = header[start : header.index(b"\n", pos)]
    number, col, new = header.count(b"\n", 0, start), pos - start, header[pos] ^ mask
    if col == len(line) or number == 0:
        return MALFORMED_HEADER  # a line break, or the version line
    changed_meaning = HEADER_MAC_FAILS
    if line.startswith(b"--- "):
        text, col = line[4:], col - 4
    else:
        stanza = (number - 1) // 2
        changed_meaning = NOT_OURS if stanza == ours else HEADER_MAC_FAILS
        if number % 2 == 1:  # "-> X25519 <share>"
            if col < 3:
                return MALFORMED_HEADER
            if col < 10:  # the stanza type and the space after it: another type, ignored
                return changed_meaning if 33 <= new <= 126 else MALFORMED_HEADER
            text, col = line[10:], col - 10
        else:
            text = line
    if col < 0 or new not in _B64:
        return MALFORMED_HEADER
    unused_bits = len(text) * 6 % 8
    if col == len(text) - 1 and _B64.index(new) & ((1 << unused_bits) - 1):
        return MALFORMED_HEADER  # non-canonical base64
    return changed_meaning


def _flip_cases() -> Iterator[object]:
    """About forty positions across the whole file: the header, the payload nonce, every
    STREAM chunk (its start, middle or tag), the last chunk and the final tag."""
    for i in range(12):
        yield pytest.param("header", i, id=f"header-{i}")
    for i in (0, 15):
        yield pytest.param("nonce", i, id=f"nonce-{i}")
    for chunk in range(CHUNKS):
        where = ("start", "middle", "tag")[chunk % 3]
        yield pytest.param(f"chunk-{where}", chunk, id=f"chunk{chunk}-{where}")
    yield pytest.param("chunk-start", CHUNKS - 1, id="last-chunk-start")
    for i in (0, 15):
        yield pytest.param("final-tag", i, id=f"final-tag-{i}")


def _flip_position(data: bytes, region: str, index: int) -> int:
    header = _header_size(data)
    payload = header + NONCE
    if region == "header":
        return round(index * (header - 1) / 11)
    if region == "nonce":
        return header + index
    if region == "final-tag":
        return len(data) - stream.TAG_SIZE + index
    start = payload + index * CT_CHUNK
    end = min(start + CT_CHUNK, len(data))
    return {"chunk-start": start, "chunk-middle": (start + end) // 2, "chunk-tag": end - 9}[region]


@pytest.mark.parametrize(("region", "index"), list(_flip_cases()))
def test_a_bit_flip_anywhere_is_refused(
    world: World, tmp_path: Path, region: str, index: int
) -> None:
    data = bytearray(world.bundle.read_bytes())
    pos = _flip_position(data, region, index)
    mask = 1 << (pos % 8)
    header = bytes(data[: _header_size(data)])
    if pos < len(header):
        expected = _header_flip_outcome(header, _our_stanza(world, bytes(data)), pos, mask)
    else:
        expected = CHUNK_FAILS  # the nonce gives another payload key: chunk 0 fails
    data[pos] ^= mask
    mutated = tmp_path / "flipped.bin"
    mutated.write_bytes(data)
    refused(world, mutated, *expected)


def _b64_flip(char: int) -> int:
    """A one-bit mask that turns a base64 character into another one."""
    return next(m for m in (1, 2, 4, 8, 16, 32) if (char ^ m) in _B64)


@pytest.mark.parametrize(
    ("part", "expected"),
    [
        ("our-share", NOT_OURS),
        ("our-body", NOT_OURS),
        ("our-type", NOT_OURS),
        ("their-share", HEADER_MAC_FAILS),
        ("their-body", HEADER_MAC_FAILS),
        ("mac", HEADER_MAC_FAILS),
    ],
)
def test_a_header_flip_that_keeps_the_syntax_is_caught_by_the_keys_or_the_mac(
    world: World, tmp_path: Path, part: str, expected: tuple[str, str | None]
) -> None:
    data = bytearray(world.bundle.read_bytes())
    ours = _our_stanza(world, bytes(data))
    stanza = ours if part.startswith("our") else (ours + 1) % 4
    arg_line = data.index(b"\n") + 1
    for _ in range(stanza):
        arg_line = data.index(b"\n", data.index(b"\n", arg_line) + 1) + 1
    pos = {
        "share": arg_line + 20,
        "type": arg_line + 4,
        "body": data.index(b"\n", arg_line) + 1 + 20,
        "mac": data.index(b"\n---") + 10,
    }[part.split("-")[-1]]
    mask = _b64_flip(data[pos])
    assert _header_flip_outcome(bytes(data[: _header_size(data)]), ours, pos, mask) == expected
    data[pos] ^= mask
    mutated = tmp_path / "flipped.bin"
    mutated.write_bytes(data)
    refused(world, mutated, *expected)


def _cut_cases() -> Iterator[object]:
    """About thirty lengths: nothing at all, inside the header, inside and after the nonce,
    on and just past chunk boundaries, inside chunks, and one byte short of the end."""
    for at in (0, 1, 21, 22, 60, 120, 240, 400, -30, -1):
        yield pytest.param("header", at, id=f"header{at:+d}")
    for at in (0, 1, 15):
        yield pytest.param("nonce", at, id=f"nonce+{at}")
    for at in (0, 1, 15, 16, 100):
        yield pytest.param("payload", at, id=f"payload+{at}")
    for chunk in (1, 2, 5, 9, CHUNKS - 1):
        yield pytest.param("payload", chunk * CT_CHUNK, id=f"boundary-{chunk}")
    for chunk in (3, 8):
        yield pytest.param("payload", chunk * CT_CHUNK + 8, id=f"chunk{chunk}+8")
        yield pytest.param("payload", chunk * CT_CHUNK + 4000, id=f"chunk{chunk}+4000")
    for at in (-16, -1):
        yield pytest.param("end", at, id=f"end{at}")


@pytest.mark.parametrize(("region", "at"), list(_cut_cases()))
def test_a_truncated_bundle_is_refused(world: World, tmp_path: Path, region: str, at: int) -> None:
    data = world.bundle.read_bytes()
    header = _header_size(data)
    # Offsets count from the start of the region, or back from the end of the header.
    start = {"header": 0 if at >= 0 else header, "nonce": header, "end": len(data)}
    length = start.get(region, header + NONCE) + at
    assert 0 <= length < len(data)
    payload_length = length - header - NONCE
    # Cut short at a chunk boundary, or with less than a tag left, the stream lacks its final
    # chunk; cut inside a chunk, that chunk fails to authenticate (nothing can tell apart a
    # cut from an alteration there).
    if payload_length < 0 or payload_length % CT_CHUNK < stream.TAG_SIZE:
        expected = TRUNCATED
    else:
        expected = CHUNK_FAILS
    cut = tmp_path / "cut.bin"
    cut.write_bytes(data[:length])
    refused(world, cut, *expected)


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(lambda d: d + b"\x00", id="one-zero-byte"),
        pytest.param(lambda d: d + b"\xff", id="one-byte"),
        pytest.param(lambda d: d + os.urandom(CT_CHUNK), id="a-chunk"),
        pytest.param(lambda d: d + d[_header_size(d) + NONCE :], id="the-payload-again"),
        pytest.param(lambda d: _drop_chunk(d, 4), id="chunk-dropped"),
        pytest.param(lambda d: _swap_chunks(d, 2, 3), id="chunks-swapped"),
        pytest.param(lambda d: _duplicate_chunk(d, 6), id="chunk-repeated"),
    ],
)
def test_appended_dropped_or_reordered_chunks_are_refused(
    world: World, tmp_path: Path, edit: Callable[[bytes], bytes]
) -> None:
    mutated = tmp_path / "edited.bin"
    mutated.write_bytes(edit(world.bundle.read_bytes()))
    refused(world, mutated, *CHUNK_FAILS)


def _chunk_span(data: bytes, index: int) -> tuple[int, int]:
    start = _header_size(data) + NONCE + index * CT_CHUNK
    return start, start + CT_CHUNK


def _drop_chunk(data: bytes, index: int) -> bytes:
    start, end = _chunk_span(data, index)
    return data[:start] + data[end:]


def _duplicate_chunk(data: bytes, index: int) -> bytes:
    start, end = _chunk_span(data, index)
    return data[:end] + data[start:end] + data[end:]


def _swap_chunks(data: bytes, first: int, second: int) -> bytes:
    (a, b), (c, d) = _chunk_span(data, first), _chunk_span(data, second)
    assert b == c
    return data[:a] + data[c:d] + data[a:b] + data[d:]


def test_header_stanzas_added_or_removed_are_refused(world: World, tmp_path: Path) -> None:
    data = world.bundle.read_bytes()
    ours = _our_stanza(world, data)
    lines = data[: _header_size(data)].split(b"\n")
    rest = data[_header_size(data) :]
    stanzas = [lines[1 + 2 * i : 3 + 2 * i] for i in range(4)]

    def assemble(kept: list[list[bytes]]) -> Path:
        path = tmp_path / "restanzaed.bin"
        body = b"".join(b"\n".join(s) + b"\n" for s in kept)
        path.write_bytes(lines[0] + b"\n" + body + lines[-2] + b"\n" + rest)
        return path

    grease = [b"-> grease-stanza x", b"QUJD"]
    refused(world, assemble([*stanzas, grease]), *HEADER_MAC_FAILS)
    refused(world, assemble([stanzas[ours]]), *HEADER_MAC_FAILS)
    refused(world, assemble([s for i, s in enumerate(stanzas) if i != ours]), *NOT_OURS)
    refused(world, assemble([]), *MALFORMED_HEADER, detail="no_stanzas")
    v2 = tmp_path / "v2.bin"
    v2.write_bytes(data.replace(b"age-encryption.org/v1", b"age-encryption.org/v2", 1))
    refused(world, v2, *MALFORMED_HEADER, detail="age_version_unsupported")
    armored = tmp_path / "armored.bin"
    armored.write_bytes(b"-----BEGIN AGE ENCRYPTED FILE-----\n" + data)
    refused(world, armored, *MALFORMED_HEADER, detail="not_an_age_file")


# --- who sent it, and to whom -----------------------------------------------------------------


def test_a_bundle_for_another_vault_is_refused(world: World) -> None:
    refused(world, world.to_other, *NOT_OURS)


def test_a_forwarded_bundle_is_refused_as_not_addressed_to_this_vault(
    world: World, tmp_path: Path
) -> None:
    # "other" is a legitimate recipient: it decrypts the bundle and encrypts it to the hub.
    forwarded = encrypt_bundle(
        decrypt_bundle(world.to_other, world.other), world.hub, tmp_path / "fwd.bin"
    )
    refused(
        world,
        forwarded,
        "bundle_not_addressed",
        "forwarded_or_misdirected",
        audit_action="bundle_refused",
        author_fingerprint=world.field.identity.fingerprint,
    )


def _quarantined(world: World, bundle: Path, author: UnlockedVault, known: bool) -> None:
    before = HubState.of(world, bundle.parent)
    result = import_bundle(world.hub, bundle)
    assert result.status == "quarantined"
    assert (result.summary.signer_known, result.summary.signer_verified) == (known, False)
    assert result.summary.author_fingerprint == author.identity.fingerprint
    assert (result.records_added, result.revisions_added, result.attachments_added) == (0, 0, 0)
    before.assert_kept(world, bundle.parent, audit_action="bundle_quarantined")


def test_an_unknown_signer_is_quarantined_and_nothing_merged(world: World) -> None:
    _quarantined(world, world.from_stranger, world.stranger, known=False)
    _quarantined(world, world.from_stranger, world.stranger, known=False)  # and again


def test_an_unverified_signer_is_quarantined_and_nothing_merged(world: World) -> None:
    _quarantined(world, world.from_other, world.other, known=True)


def test_an_impostor_with_a_card_of_its_own_is_only_quarantined(
    world: World, tmp_path: Path
) -> None:
    """The field's records, re-signed by a stranger who puts its own card in the manifest:
    the signature is valid, but for a signer the hub does not know."""

    def impersonate(entries: list[TarEntry]) -> list[TarEntry]:
        manifest = authored_by(manifest_of(entries), world.stranger)
        return signed(repadded(with_manifest(entries, manifest)), world.stranger)

    forged = craft(world.bundle, world.hub, impersonate, tmp_path / "impostor.bin")
    _quarantined(world, forged, world.stranger, known=False)


def test_one_content_listed_many_times_is_staged_once(world: World, tmp_path: Path) -> None:
    """A stranger's bundle that lists one attachment content for a thousand attachments does
    not make the hub write that content a thousand times before anyone trusted the bundle."""

    def multiply(entries: list[TarEntry]) -> list[TarEntry]:
        manifest = authored_by(manifest_of(entries), world.stranger)
        (attachment,) = manifest["attachments"]
        manifest["attachments"] = [
            dict(attachment, id=str(uuid.UUID(int=i + 1, version=4))) for i in range(1000)
        ]
        manifest["bundle_id"] = str(uuid.UUID(int=1 << 100, version=4))
        return signed(repadded(with_manifest(entries, manifest)), world.stranger)

    crafted = craft(world.bundle, world.hub, multiply, tmp_path / "many.bin")
    staging = open_bundle(world.hub, crafted)
    try:
        assert staging.summary is not None and staging.summary.attachments == 1000
        assert len(staging.writers) == 2  # records.jsonl, and the content once
    finally:
        staging.discard()
    _quarantined(world, crafted, world.stranger, known=False)


def test_a_signature_by_another_key_is_refused(world: World, tmp_path: Path) -> None:
    forged = craft(
        world.bundle, world.hub, lambda e: signed(e, world.stranger), tmp_path / "forged.bin"
    )
    refused(world, forged, "bundle_signature_invalid", "signature_key_mismatch")


def test_a_signature_under_the_authors_key_id_by_another_key_is_refused(
    world: World, tmp_path: Path
) -> None:
    field_key = world.field.identity.keys().signing_private.public_key()

    def forge(entries: list[TarEntry]) -> list[TarEntry]:
        manifest = manifest_of(entries)
        sums_bytes = member_data(entries, layout.SUMS)
        signature = sums_signature(
            world.stranger.identity.keys().signing_private,
            sums_bytes,
            canonical.trusted_comment(manifest["bundle_id"], "records"),
            key_id=minisign.key_id_for(field_key),
            named_key=field_key,
        )
        return with_member(entries, layout.SIGNATURE, signature)

    forged = craft(world.bundle, world.hub, forge, tmp_path / "forged.bin")
    refused(world, forged, "bundle_signature_invalid", "signature_invalid")


def test_a_signature_naming_another_bundle_id_is_refused(world: World, tmp_path: Path) -> None:
    """Signed by the author, but the trusted comment names another bundle: the id in the
    manifest is not the one the author signed."""

    def rename(entries: list[TarEntry]) -> list[TarEntry]:
        manifest = manifest_of(entries)
        old_id = manifest["bundle_id"]
        manifest["bundle_id"] = "0b8c9a55-3d1e-4a57-9a64-8cf1e5a0c0de"
        entries = signed(repadded(with_manifest(entries, manifest)), world.field)
        sums_bytes = member_data(entries, layout.SUMS)
        key = world.field.identity.keys().signing_private
        signature = sums_signature(key, sums_bytes, canonical.trusted_comment(old_id, "records"))
        return with_member(entries, layout.SIGNATURE, signature)

    forged = craft(world.bundle, world.hub, rename, tmp_path / "renamed.bin")
    refused(world, forged, "bundle_signature_invalid", "trusted_comment")


def test_the_signature_of_another_bundle_is_refused(world: World, tmp_path: Path) -> None:
    old = read_tar(decrypt_bundle(world.first, world.hub))
    old_signature = member_data(old, layout.SIGNATURE)
    swapped = craft(
        world.bundle,
        world.hub,
        lambda e: with_member(e, layout.SIGNATURE, old_signature),
        tmp_path / "swapped.bin",
    )
    error = refused(world, swapped, "bundle_signature_invalid", "signature_invalid")
    assert error.params["detail"] == "file_signature"


# --- content altered after signing ------------------------------------------------------------


def _altered_manifest(entries: list[TarEntry]) -> list[TarEntry]:
    """The manifest with a later creation time (same length, so nothing else moves)."""
    manifest = manifest_of(entries)
    created = manifest["created_at"]
    manifest["created_at"] = created[:2] + str((int(created[2:4]) + 1) % 100).zfill(2) + created[4:]
    return with_manifest(entries, manifest)


def _sums_for(entries: list[TarEntry]) -> list[TarEntry]:
    """SHA256SUMS recomputed but not signed again."""
    lines = [
        (e.name, hashlib.sha256(e.data).hexdigest())
        for e in entries
        if e.name not in (layout.SUMS, layout.SIGNATURE)
    ]
    return with_member(entries, layout.SUMS, sums.format_sums(lines))


def test_a_manifest_altered_after_signing_is_refused(world: World, tmp_path: Path) -> None:
    altered = craft(world.bundle, world.hub, _altered_manifest, tmp_path / "a.bin")
    refused(world, altered, "bundle_malformed", "sums_mismatch", member=layout.MANIFEST)
    # The checksums brought in line too: the signature no longer matches them.
    altered = craft(
        world.bundle, world.hub, lambda e: _sums_for(_altered_manifest(e)), tmp_path / "b.bin"
    )
    error = refused(world, altered, "bundle_signature_invalid", "signature_invalid")
    assert error.params["detail"] == "file_signature"


def test_sha256sums_altered_after_signing_is_refused(world: World, tmp_path: Path) -> None:
    def reorder(entries: list[TarEntry]) -> list[TarEntry]:
        data = member_data(entries, layout.SUMS)
        lines = data.splitlines(keepends=True)
        return with_member(entries, layout.SUMS, b"".join([lines[0], *reversed(lines[1:])]))

    def records_digest(entries: list[TarEntry]) -> list[TarEntry]:
        data = member_data(entries, layout.SUMS)
        line = next(x for x in data.splitlines() if x.endswith(layout.RECORDS.encode()))
        altered = (b"1" if line.startswith(b"0") else b"0") + line[1:]  # still a hex digest
        return with_member(entries, layout.SUMS, data.replace(line, altered))

    for edit in (reorder, records_digest):
        altered = craft(world.bundle, world.hub, edit, tmp_path / f"{edit.__name__}.bin")
        error = refused(world, altered, "bundle_signature_invalid", "signature_invalid")
        assert error.params["detail"] == "file_signature"


def _records_line_edit(entries: list[TarEntry]) -> list[TarEntry]:
    records = member_data(entries, layout.RECORDS)
    # Same length, other content: an edit the member sizes cannot reveal.
    old, new = "второй".encode(), "третий".encode()
    assert old in records and len(old) == len(new)
    return with_member(entries, layout.RECORDS, records.replace(old, new))


def _attachment_edit(entries: list[TarEntry]) -> list[TarEntry]:
    member = next(e for e in entries if layout.is_attachment_member(e.name))
    data = bytes([member.data[0] ^ 1]) + member.data[1:]
    return [dataclasses.replace(e, data=data) if e is member else e for e in entries]


def _padding_edit(entries: list[TarEntry]) -> list[TarEntry]:
    padding = member_data(entries, layout.PADDING)
    return with_member(entries, layout.PADDING, padding[:-1] + b"\x01")


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        pytest.param(_records_line_edit, "record_hash", id="record-line"),
        pytest.param(_attachment_edit, "attachment_hash", id="attachment"),
        pytest.param(_padding_edit, "padding", id="padding"),
    ],
)
def test_members_altered_after_signing_are_refused(
    world: World, tmp_path: Path, edit: Edit, reason: str
) -> None:
    altered = craft(world.bundle, world.hub, edit, tmp_path / "altered.bin")
    refused(world, altered, "bundle_malformed", reason)


def test_an_invalid_record_signed_by_the_author_is_refused_and_audited(
    world: World, tmp_path: Path
) -> None:
    def plant(entries: list[TarEntry]) -> list[TarEntry]:
        lines = revision_lines(entries)
        body = body_of(lines[0])
        body["fields"]["no_such_field"] = "x"
        key = world.field.identity.keys().signing_private
        lines[0] = signed_line(body, key, sensitive=lines[0].get("sensitive"))
        return with_lines(entries, lines, world.field)

    planted = craft(world.bundle, world.hub, plant, tmp_path / "planted.bin")
    _refusal_audited(world, planted, "bundle_record_invalid", "unknown_field")


# --- replay -----------------------------------------------------------------------------------


def test_a_replayed_bundle_changes_nothing(world: World, tmp_path: Path) -> None:
    for replay in (
        world.first,
        encrypt_bundle(decrypt_bundle(world.first, world.hub), world.hub, tmp_path / "r.bin"),
    ):
        before = HubState.of(world, replay.parent)
        result = import_bundle(world.hub, replay)
        added = (result.records_added, result.revisions_added, result.attachments_added)
        assert (result.status, added) == ("already_imported", (0, 0, 0))
        before.assert_kept(world, replay.parent, audit_action=None)


def test_a_bundle_id_replayed_with_other_content_is_refused(world: World, tmp_path: Path) -> None:
    """The author's key signs other content under an id the hub already imported."""
    reused = craft(
        world.first,
        world.hub,
        lambda e: signed(_altered_manifest(e), world.field),
        tmp_path / "reused.bin",
    )
    refused(world, reused, "bundle_malformed", "bundle_id_reused")


# --- the tar inside: planted, duplicated, misplaced and mis-sized members ---------------------


def _index(entries: list[TarEntry], name: str) -> int:
    return next(i for i, e in enumerate(entries) if e.name == name)


def _attachment_index(entries: list[TarEntry]) -> int:
    return next(i for i, e in enumerate(entries) if layout.is_attachment_member(e.name))


def _insert(entries: list[TarEntry], at: int, entry: TarEntry) -> list[TarEntry]:
    return [*entries[:at], entry, *entries[at:]]


def _duplicate(name_of: Callable[[list[TarEntry]], int]) -> Edit:
    def edit(entries: list[TarEntry]) -> list[TarEntry]:
        at = name_of(entries)
        return _insert(entries, at + 1, entries[at])

    return edit


def _replace_attachment(entry: Callable[[TarEntry], TarEntry]) -> Edit:
    """The first attachment member replaced by ``entry(member)``, in its place."""

    def edit(entries: list[TarEntry]) -> list[TarEntry]:
        at = _attachment_index(entries)
        return [*entries[:at], entry(entries[at]), *entries[at + 1 :]]

    return edit


def _planted(entry: TarEntry, where: Callable[[list[TarEntry]], int]) -> Edit:
    return lambda entries: _insert(entries, where(entries), entry)


def _moved(name: str, before: str) -> Edit:
    def edit(entries: list[TarEntry]) -> list[TarEntry]:
        member = entries[_index(entries, name)]
        rest = [e for e in entries if e.name != name]
        return _insert(rest, _index(rest, before), member)

    return edit


def _resized(name_of: Callable[[list[TarEntry]], int], size: Callable[[int], int]) -> Edit:
    def edit(entries: list[TarEntry]) -> list[TarEntry]:
        at = name_of(entries)
        data = entries[at].data
        new = size(len(data))
        data = data[:new] + b"\n" * (new - len(data))
        return [*entries[:at], dataclasses.replace(entries[at], data=data), *entries[at + 1 :]]

    return edit


def _after(name: str) -> Callable[[list[TarEntry]], int]:
    return lambda entries: _index(entries, name) + 1


EVIL_LINK = TarEntry("attachments/" + "0" * 64, type=tarfile.SYMTYPE, linkname="/etc/passwd")
_AT_END = len  # where to plant: after the last member


@pytest.mark.parametrize(
    ("edit", "reason", "params"),
    [
        pytest.param(
            _duplicate(lambda e: _index(e, layout.SUMS)), "member_duplicate", {}, id="dup-sums"
        ),
        pytest.param(
            _duplicate(lambda e: _index(e, layout.MANIFEST)),
            "member_duplicate",
            {},
            id="dup-manifest",
        ),
        pytest.param(_duplicate(_attachment_index), "member_duplicate", {}, id="dup-attachment"),
        pytest.param(
            _duplicate(lambda e: _index(e, layout.PADDING)), "member_duplicate", {}, id="dup-pad"
        ),
        pytest.param(
            _planted(TarEntry("notes.txt", b"hello"), _after(layout.RECORDS)),
            "member_unexpected",
            {},
            id="extra-member",
        ),
        pytest.param(
            _planted(TarEntry("notes.txt", b"hello"), _AT_END),
            "member_unexpected",
            {},
            id="extra-member-at-end",
        ),
        pytest.param(
            _planted(
                TarEntry(layout.attachment_member(hashlib.sha256(b"x").hexdigest()), b"x"),
                _after(layout.RECORDS),
            ),
            "member_unexpected",
            {},
            id="unlisted-attachment",
        ),
        pytest.param(
            _planted(TarEntry("../evil", b"x"), _after(layout.SUMS)),
            "member_path_unsafe",
            {},
            id="dot-dot",
        ),
        pytest.param(
            _planted(TarEntry("attachments/../../evil", b"x"), _after(layout.RECORDS)),
            "member_path_unsafe",
            {},
            id="attachments-dot-dot",
        ),
        pytest.param(
            _planted(TarEntry(ABSOLUTE_EVIL, b"x"), _after(layout.MANIFEST)),
            "member_path_unsafe",
            {},
            id="absolute",
        ),
        pytest.param(
            _replace_attachment(lambda m: EVIL_LINK),
            "tar_member_type",
            {"member_type": "symlink"},
            id="symlink",
        ),
        pytest.param(
            _replace_attachment(
                lambda m: TarEntry(m.name, type=tarfile.LNKTYPE, linkname=layout.MANIFEST)
            ),
            "tar_member_type",
            {"member_type": "hard_link"},
            id="hard-link",
        ),
        pytest.param(
            _planted(TarEntry("attachments/null", type=tarfile.CHRTYPE), _after(layout.RECORDS)),
            "tar_member_type",
            {"member_type": "character_device"},
            id="char-device",
        ),
        pytest.param(
            _planted(TarEntry("attachments/", type=tarfile.DIRTYPE), _after(layout.RECORDS)),
            "tar_member_type",
            {"member_type": "directory"},
            id="directory",
        ),
        pytest.param(
            _planted(TarEntry("fifo", type=tarfile.FIFOTYPE), _after(layout.SUMS)),
            "tar_member_type",
            {"member_type": "fifo"},
            id="fifo",
        ),
        pytest.param(
            _planted(
                TarEntry("././@PaxHeader", b"24 path=../../escape\n", type=tarfile.XHDTYPE),
                _AT_END,
            ),
            "tar_member_type",
            {"member_type": "pax_header"},
            id="pax-header",
        ),
        pytest.param(
            _planted(
                TarEntry("././@LongLink", b"../" * 60 + b"x\0", type=tarfile.GNUTYPE_LONGNAME),
                _after(layout.SIGNATURE),
            ),
            "tar_member_type",
            {"member_type": "gnu_long_name"},
            id="gnu-long-name",
        ),
        pytest.param(
            _moved(layout.MANIFEST, before=layout.SIGNATURE),
            "member_order",
            {"position": 1},
            id="manifest-before-signature",
        ),
        pytest.param(
            _moved(layout.RECORDS, before=layout.MANIFEST),
            "member_order",
            {"position": 2},
            id="records-before-manifest",
        ),
        pytest.param(
            _moved(layout.PADDING, before=layout.RECORDS),
            "member_order",
            {"position": 3},
            id="padding-first",
        ),
        pytest.param(
            _resized(lambda e: _index(e, layout.RECORDS), lambda n: n + 1),
            "member_size",
            {"member": layout.RECORDS},
            id="records-longer",
        ),
        pytest.param(
            _resized(_attachment_index, lambda n: n - 1),
            "member_size",
            {},
            id="attachment-shorter",
        ),
        pytest.param(
            _resized(lambda e: _index(e, layout.PADDING), lambda n: n - layout.TAR_BLOCK),
            "member_size",
            {"member": layout.PADDING},
            id="padding-shorter",
        ),
    ],
)
def test_planted_and_misplaced_tar_members_are_refused(
    world: World,
    tmp_path: Path,
    edit: Edit,
    reason: str,
    params: dict[str, object],
) -> None:
    """Each attack gets past the signature (signed again by the author's key where it changes
    what SHA256SUMS lists), so that the structural check is the one that refuses it."""
    crafted = craft(world.bundle, world.hub, lambda e: signed(edit(e), world.field), tmp_path / "c")
    refused(world, crafted, "bundle_malformed", reason, **params)
    assert not any(p.name in ("evil", "escape") for p in world.root.rglob("*"))
    assert not any(p.name in ("evil", "escape") for p in tmp_path.rglob("*"))


def test_a_size_in_the_signed_manifest_that_the_member_contradicts_is_refused(
    world: World, tmp_path: Path
) -> None:
    def misstate(entries: list[TarEntry]) -> list[TarEntry]:
        manifest = manifest_of(entries)
        for attachment in manifest["attachments"]:
            attachment["size"] += 1
        return signed(repadded(with_manifest(entries, manifest)), world.field)

    crafted = craft(world.bundle, world.hub, misstate, tmp_path / "c")
    refused(world, crafted, "bundle_malformed", "member_size")


def test_a_member_announcing_a_huge_size_is_refused_before_its_data(
    world: World, tmp_path: Path
) -> None:
    def huge(entries: list[TarEntry]) -> list[TarEntry]:
        at = _index(entries, layout.SUMS)
        return [dataclasses.replace(entries[at], size=1 << 32), *entries[at + 1 :]]

    crafted = craft(world.bundle, world.hub, huge, tmp_path / "c")
    refused(world, crafted, "bundle_malformed", "member_size", member=layout.SUMS)


def test_sha256sums_listing_a_planted_member_is_refused(world: World, tmp_path: Path) -> None:
    extra = TarEntry(layout.attachment_member(hashlib.sha256(b"x").hexdigest()), b"x")

    def plant(entries: list[TarEntry]) -> list[TarEntry]:
        entries = signed(entries, world.field)
        data = member_data(entries, layout.SUMS)
        listed = data + sums.format_sums([(extra.name, hashlib.sha256(extra.data).hexdigest())])
        manifest = manifest_of(entries)
        key = world.field.identity.keys().signing_private
        trusted = canonical.trusted_comment(manifest["bundle_id"], "records")
        entries = with_member(entries, layout.SUMS, listed)
        return with_member(entries, layout.SIGNATURE, sums_signature(key, listed, trusted))

    crafted = craft(world.bundle, world.hub, plant, tmp_path / "c")
    refused(world, crafted, "bundle_malformed", "sums_listing")


def _patch_header(tar: bytes, offset: int, field: slice, value: bytes) -> bytes:
    """The tar with one header field changed and that header's checksum made right again."""
    header = bytearray(tar[offset : offset + layout.TAR_BLOCK])
    header[field] = value
    header[148:156] = b"        "
    header[148:156] = b"%06o\x00 " % sum(header)
    return tar[:offset] + bytes(header) + tar[offset + layout.TAR_BLOCK :]


def _second_header_offset(tar: bytes) -> int:
    return layout.member_span(int(tar[124:136].rstrip(b"\x00 "), 8))


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        pytest.param(lambda t: t[:148] + b"0000000\x00" + t[156:], "tar_header", id="bad-checksum"),
        pytest.param(
            lambda t: _patch_header(t, 0, slice(257, 265), b"ustar  \x00"),
            "tar_format",
            id="gnu-magic",
        ),
        pytest.param(
            lambda t: _patch_header(t, 0, slice(257, 265), bytes(8)), "tar_format", id="v7-tar"
        ),
        pytest.param(
            lambda t: _patch_header(t, 0, slice(157, 167), b"elsewhere\x00"),
            "tar_header",
            id="regular-file-with-link-name",
        ),
        pytest.param(
            lambda t: t[: _second_header_offset(t) - 1] + b"\x01" + t[_second_header_offset(t) :],
            "tar_padding",
            id="data-after-member",
        ),
        pytest.param(lambda t: t[:-1] + b"\x01", "tar_trailing_data", id="data-after-end"),
        pytest.param(lambda t: t[: -layout.TAR_RECORD], "tar_truncated", id="cut-in-member"),
        pytest.param(lambda t: _without_end(t), "tar_end_missing", id="no-end-blocks"),
        pytest.param(lambda t: bytes(layout.TAR_RECORD), "member_missing", id="empty-archive"),
        pytest.param(lambda t: _first_three(t), "member_missing", id="nothing-but-the-signed"),
    ],
)
def test_a_damaged_tar_under_a_valid_encryption_is_refused(
    world: World, tmp_path: Path, edit: Callable[[bytes], bytes], reason: str
) -> None:
    tar = edit(decrypt_bundle(world.bundle, world.hub))
    crafted = encrypt_bundle(tar, world.hub, tmp_path / "c")
    refused(world, crafted, "bundle_malformed", reason)


def _without_end(tar: bytes) -> bytes:
    """The archive up to the end of its last member: no closing zero blocks."""
    entries = read_tar(tar)
    return write_tar(entries)[: sum(layout.member_span(len(e.data)) for e in entries)]


def _first_three(tar: bytes) -> bytes:
    return write_tar(read_tar(tar)[:3])


def test_the_untouched_bundle_still_verifies(world: World, tmp_path: Path) -> None:
    """The attacks above are refused for what was done to the bundle, not because the bundle
    or the crafting tools were broken: unchanged, and rewritten and signed again unchanged,
    the bundle verifies (verifying changes nothing, so the other tests keep their hub)."""
    recrafted = craft(world.bundle, world.hub, lambda e: signed(e, world.field), tmp_path / "r")
    assert recrafted.read_bytes() != world.bundle.read_bytes()
    for bundle in (world.bundle, recrafted):
        before = HubState.of(world, tmp_path)
        summary = verify_bundle(world.hub, bundle)
        assert (
            summary.signer_verified
            and summary.author_fingerprint == world.field.identity.fingerprint
        )
        assert (summary.revisions, summary.attachments) == (1, 1)
        before.assert_kept(world, tmp_path, audit_action=None)
