"""Property-based tests of the age header parser and of the bundle importer.

Whatever bytes arrive, the only outcomes are a refusal with one of a few known error codes or,
for input that is in substance the genuine file, the genuine result: never another exception,
never a hang, and never a change to the vault. Hypothesis runs derandomized and without its
example database, so every run (and CI) tries the same examples.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from monitor_app.bundles import canonical, layout
from monitor_app.bundles.export import export_bundle
from monitor_app.bundles.importing import import_bundle
from monitor_app.crypto import age, stream
from monitor_app.errors import MonitorError
from monitor_app.vault import lifecycle
from monitor_app.vault.session import UnlockedVault
from tests.bundle_tools import (
    TarEntry,
    add_sample_case,
    authored_by,
    decrypt_bundle,
    encrypt_bundle,
    manifest_of,
    member_data,
    read_tar,
    repadded,
    signed,
    vault_files,
    vault_rows,
    with_manifest,
    with_member,
    write_tar,
)
from tests.conftest import PASSPHRASE
from tests.vault_checks import snapshot

AGE_PARSE_CODES = frozenset({"age_header_invalid", "age_version_unsupported"})
AGE_DECRYPT_CODES = AGE_PARSE_CODES | {"age_mac_invalid", "age_no_identity", "stream_damaged"}
IMPORT_CODES = frozenset(
    {
        "bundle_malformed",
        "bundle_damaged",
        "bundle_not_for_this_vault",
        "bundle_signature_invalid",
        "bundle_too_new",
        "bundle_not_addressed",
        "bundle_record_invalid",
        # A line rewritten inside a bundle its signer signed again: the revision's own
        # signature, shape or sensitive digest no longer holds.
        "revision_signature_invalid",
        "revision_malformed",
        "revision_sensitive_mismatch",
    }
)


def fuzz(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# --- edits ------------------------------------------------------------------------------------

Edit = tuple[str, int, int]  # kind, position, byte


Span = tuple[int, int]  # start, end


def edits(spans: list[Span], most: int = 4) -> st.SearchStrategy[list[Edit]]:
    """A few byte edits, each inside one of ``spans`` (the parts of the file that parsing
    cares about, each as likely as any other whatever its size) or anywhere at all (taken
    modulo the length)."""
    anywhere = st.integers(min_value=0, max_value=1 << 24)
    within = st.sampled_from(spans).flatmap(lambda span: st.integers(span[0], span[1] - 1))
    positions = within | anywhere
    edit = st.tuples(
        st.sampled_from(["flip", "set", "insert", "delete"]), positions, st.integers(0, 255)
    )
    return st.lists(edit, min_size=1, max_size=most)


def apply_edits(data: bytes, changes: list[Edit]) -> bytes:
    out = bytearray(data)
    for kind, where, value in changes:
        if kind == "insert":
            at = where % (len(out) + 1)
            out[at:at] = bytes([value])
            continue
        if not out:
            continue
        at = where % len(out)
        if kind == "delete":
            del out[at]
        elif kind == "flip":
            out[at] ^= 1 << (value % 8)
        else:
            out[at] = value
    return bytes(out)


# --- (a) the age header parser ----------------------------------------------------------------

IDENTITY = age.X25519Identity.generate()
PLAINTEXT = bytes(range(256)) * 300  # two STREAM chunks


def _age_file(recipients: list[age.X25519Recipient]) -> bytes:
    sink = io.BytesIO()
    age.encrypt(recipients, io.BytesIO(PLAINTEXT), sink)
    return sink.getvalue()


VALID = _age_file(
    [IDENTITY.recipient, *(age.X25519Identity.generate().recipient for _ in range(3))]
)
VALID_HEADER_SIZE = VALID.index(b"\n", VALID.index(b"\n---") + 1) + 1


def age_spans(data: bytes) -> list[Span]:
    """Each line of an age file's header, its payload nonce, and each STREAM chunk."""
    header = data.index(b"\n", data.index(b"\n---") + 1) + 1
    starts = [0, *(i + 1 for i in range(header - 1) if data[i] == 0x0A)]
    spans = list(zip(starts, [*starts[1:], header], strict=True))
    payload = header + stream.AGE_PAYLOAD_NONCE_SIZE
    spans.append((header, payload))
    chunk = stream.CHUNK_SIZE + stream.TAG_SIZE
    spans += [(at, min(at + chunk, len(data))) for at in range(payload, len(data), chunk)]
    return spans


def tar_spans(entries: list[TarEntry]) -> list[Span]:
    """Each member's header block and data, as ``write_tar`` lays them out."""
    spans, at = [], 0
    for entry in entries:
        data = at + layout.TAR_BLOCK
        spans += [(at, data), (data, data + max(1, len(entry.data)))]
        at += layout.member_span(len(entry.data))
    return spans


def check_read_header(data: bytes) -> None:
    """``read_header`` either refuses with a parse code, or accepts exactly the canonical
    encoding of what it parsed (strictness: one header, one encoding) and stops right after."""
    source = io.BytesIO(data)
    try:
        header = age.read_header(source)
    except age.AgeError as exc:
        assert exc.code in AGE_PARSE_CODES, exc
        return
    assert data[: source.tell()] == header.encode()


def check_decrypt(data: bytes) -> None:
    """Decrypting refuses with an age or stream code, or gives the plaintext of the genuine
    file, which only the genuine bytes can give."""
    sink = io.BytesIO()
    try:
        age.decrypt([IDENTITY], io.BytesIO(data), sink)
    except MonitorError as exc:
        assert exc.code in AGE_DECRYPT_CODES, exc
        return
    assert data == VALID and sink.getvalue() == PLAINTEXT


def _b64(data: bytes) -> bytes:
    return base64.b64encode(data).rstrip(b"=")


@st.composite
def stanzas(draw: st.DrawFn) -> bytes:
    """A recipient stanza, well formed or nearly: X25519 with a real-sized share, other
    types, odd arguments; a body wrapped at 64 columns, or not."""
    share = st.binary(min_size=32, max_size=32).map(_b64)
    word = st.sampled_from([b"X25519", b"scrypt", b"grease", b"", b"-", b"\xff", b"a b"])
    args = draw(st.lists(word | share | st.binary(max_size=6), max_size=3))
    body = _b64(draw(st.binary(max_size=100)))
    width = draw(st.sampled_from([64, 64, 64, 63, 65, 1]))
    lines = [body[i : i + width] for i in range(0, len(body) + 1, width)]
    if draw(st.booleans()):
        lines.pop()  # no short final line
    return b"-> " + b" ".join(args) + b"\n" + b"".join(line + b"\n" for line in lines)


@st.composite
def headers(draw: st.DrawFn) -> bytes:
    """Byte strings shaped like an age header, so that parsing gets past the first line."""
    versions = st.sampled_from(
        [age.VERSION_LINE, b"age-encryption.org/v2\n", b"age-encryption.org/\n", b"age-"]
    )
    version = draw(versions | st.binary(max_size=24))
    body = b"".join(draw(st.lists(stanzas(), max_size=5)))
    mac = draw(
        st.binary(min_size=32, max_size=32).map(lambda m: b"--- " + _b64(m) + b"\n")
        | st.binary(max_size=50).map(lambda b: b"---" + b)
    )
    return version + body + mac + draw(st.binary(max_size=40))


@fuzz(400)
@given(st.binary(max_size=2048))
def test_the_age_header_parser_on_arbitrary_bytes(data: bytes) -> None:
    check_read_header(data)
    check_read_header(age.VERSION_LINE + data)


@fuzz(400)
@given(headers())
def test_the_age_header_parser_on_header_shaped_bytes(data: bytes) -> None:
    check_read_header(data)
    check_decrypt(data + VALID[VALID_HEADER_SIZE:])


@fuzz(300)
@given(edits(age_spans(VALID)))
def test_age_decrypt_on_mutations_of_a_valid_file(changes: list[Edit]) -> None:
    mutated = apply_edits(VALID, changes)
    check_read_header(mutated)
    check_decrypt(mutated)


class Endless:
    """A source that never ends: ``start``, then ``pattern`` over and over."""

    def __init__(self, start: bytes, pattern: bytes) -> None:
        self._buffer, self._pattern, self._at = start, pattern, 0
        self.served = 0

    def readline(self, limit: int = -1) -> bytes:
        out = bytearray()
        while len(out) < limit:
            if self._at >= len(self._buffer):
                self._buffer, self._at = self._pattern, 0
            end = self._buffer.find(b"\n", self._at)
            stop = len(self._buffer) if end < 0 else end + 1
            take = min(stop - self._at, limit - len(out))
            out += self._buffer[self._at : self._at + take]
            self._at += take
            if out.endswith(b"\n"):
                break
        self.served += len(out)
        return bytes(out)


@fuzz(25)
@given(st.binary(max_size=200), stanzas() | st.binary(min_size=1, max_size=80))
def test_the_age_header_parser_never_reads_past_its_limit(start: bytes, pattern: bytes) -> None:
    """On a source that never ends, parsing stops within the header size limit (made small
    here, to keep the test quick: the limit is what is under test, not its value)."""
    limit = 1 << 16
    with mock.patch.object(age, "MAX_HEADER_SIZE", limit):
        for source in (Endless(start, pattern), Endless(age.VERSION_LINE + start, pattern)):
            try:
                age.read_header(source)  # type: ignore[arg-type]
            except age.AgeError as exc:
                assert exc.code in AGE_PARSE_CODES, exc
            assert source.served <= limit


# --- (b) the importer -------------------------------------------------------------------------


@dataclass(frozen=True)
class FuzzWorld:
    root: Path
    field: UnlockedVault
    hub: UnlockedVault
    stranger: UnlockedVault
    bundle: bytes  # genuine, field -> hub, already imported by the hub
    tar: bytes  # its plaintext
    entries: list[TarEntry]
    sums_sha256: str


def _vault(root: Path, name: str) -> UnlockedVault:
    vault, _ = lifecycle.create_vault(root / name.lower(), PASSPHRASE, name=name, organisation="O")
    return vault


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzWorld]:
    root = tmp_path_factory.mktemp("fuzz")
    field, hub, stranger = (_vault(root, n) for n in ("Field", "Hub", "Stranger"))
    field.contacts.add(hub.identity.card(), verified=True)
    stranger.contacts.add(hub.identity.card(), verified=True)
    hub.contacts.add(field.identity.card(), verified=True)
    add_sample_case(field, real_name="Имя", share_consent="given", attachment=b"photo" * 30_000)
    (root / "stick").mkdir()
    contacts = [field.contacts.get("Hub")]
    path = export_bundle(field, root / "stick", contacts=contacts).path
    # Imported once now: a mutation that leaves the bundle's substance intact can then only
    # be reported as already imported, so every example must leave the hub as it is.
    result = import_bundle(hub, path)
    assert result.status == "imported"
    tar = decrypt_bundle(path, hub)
    entries = read_tar(tar)
    assert write_tar(entries) == tar  # so that tar_spans locates its members
    yield FuzzWorld(
        root,
        field,
        hub,
        stranger,
        path.read_bytes(),
        tar,
        entries,
        result.summary.sums_sha256,
    )
    for vault in (field, hub, stranger):
        vault.lock()


def _exact(vault: UnlockedVault) -> dict[str, str]:
    return {k: v for k, v in snapshot(vault.path).items() if not k.endswith("-shm")}


def import_unchanged(world: FuzzWorld, data: bytes) -> None:
    """Importing ``data`` into the hub refuses with a known code, or finds the genuine bundle
    already imported; either way the hub's files stay byte for byte what they were."""
    path = world.root / "fuzzed.bin"
    path.write_bytes(data)
    before = _exact(world.hub)
    try:
        result = import_bundle(world.hub, path)
    except MonitorError as exc:
        event(f"{exc.code} {exc.params.get('reason')}")  # how deep the examples got
        assert exc.code in IMPORT_CODES, exc
    else:
        event(result.status)
        assert result.status == "already_imported"
        assert result.summary.sums_sha256 == world.sums_sha256
    assert _exact(world.hub) == before


@fuzz(40)
@given(st.data())
def test_import_of_a_bundle_with_edited_bytes(world: FuzzWorld, data: st.DataObject) -> None:
    changes = data.draw(edits(age_spans(world.bundle)))
    import_unchanged(world, apply_edits(world.bundle, changes))


@fuzz(60)
@given(st.data())
def test_import_of_an_edited_tar_under_a_valid_encryption(
    world: FuzzWorld, data: st.DataObject
) -> None:
    """What a recipient (who can decrypt and encrypt again) can do: edit the tar itself."""
    changes = data.draw(edits(tar_spans(world.entries), most=3))
    tar = apply_edits(world.tar, changes)
    import_unchanged(world, _encrypted(world, tar))


def _encrypted(world: FuzzWorld, tar: bytes) -> bytes:
    path = encrypt_bundle(tar, world.hub, world.root / "plain-fuzzed.bin")
    return path.read_bytes()


# Regular files mostly; then hard and symbolic links, a device, a directory, pax and GNU headers.
TYPES = [b"0", b"0", b"0", b"1", b"2", b"3", b"5", b"x", b"L"]
NAMES = [
    layout.SUMS,
    layout.SIGNATURE,
    layout.MANIFEST,
    layout.RECORDS,
    layout.PADDING,
    layout.attachment_member("0" * 64),
    "../evil",
    "/evil",
    "attachments/",
    "",
]


@st.composite
def tars(draw: st.DrawFn, genuine: list[TarEntry]) -> bytes:
    """Archives made of the genuine members (kept, dropped, repeated, reordered, with other
    types or names) and made-up ones, ustar-encoded."""
    made_up = st.builds(
        TarEntry,
        name=st.sampled_from(NAMES) | st.text(st.characters(codec="ascii"), max_size=30),
        data=st.binary(max_size=600),
        type=st.sampled_from(TYPES),
    )
    pick = st.integers(0, len(genuine) - 1).map(lambda i: genuine[i])
    if draw(st.booleans()):  # the genuine order with a few members planted
        entries = list(genuine)
        for _ in range(draw(st.integers(1, 3))):
            at = draw(st.integers(0, len(entries)))
            entries[at:at] = [draw(made_up | pick)]
    else:
        entries = draw(st.lists(pick | made_up, max_size=8))
    try:
        return write_tar(entries)
    except ValueError:  # a name tar itself cannot encode: send raw bytes instead
        return draw(st.binary(max_size=2048))


@fuzz(40)
@given(st.data())
def test_import_of_random_tars_under_a_valid_encryption(
    world: FuzzWorld, data: st.DataObject
) -> None:
    import_unchanged(world, _encrypted(world, data.draw(tars(world.entries))))


# --- (c) hostile content signed by a stranger: parsed and validated, never merged -------------

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(1 << 70), max_value=1 << 70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every place in a JSON value that holds something: keys of objects, items of lists."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*prefix, key)
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield (*prefix, index)
            yield from _paths(item, (*prefix, index))


def _set(value: Any, path: tuple[Any, ...], new: Any) -> None:
    for step in path[:-1]:
        value = value[step]
    value[path[-1]] = new


def _stranger_bundle(world: FuzzWorld, data: st.DataObject) -> list[TarEntry]:
    """The genuine members, with a JSON value in the manifest or in a record line replaced
    (the manifest then lists the new line's size and hash), authored and signed by the
    stranger under a new bundle id. SHA256SUMS lists what the manifest listed before its
    edit, so that a manifest edited into nonsense still arrives signed."""
    manifest = authored_by(manifest_of(world.entries), world.stranger)
    records = member_data(world.entries, layout.RECORDS)
    lines = [json.loads(line) for line in records.splitlines()]
    new = data.draw(JSON)
    if data.draw(st.booleans()):
        index = data.draw(st.integers(0, len(lines) - 1))
        _set(lines[index], data.draw(st.sampled_from(sorted(_paths(lines[index]), key=str))), new)
        encoded = canonical.dumps(lines[index])
        manifest["records"][index]["size"] = len(encoded)
        manifest["records"][index]["sha256"] = hashlib.sha256(encoded).hexdigest()
    manifest["bundle_id"] = str(uuid.UUID(int=data.draw(st.integers(1, 1 << 64)), version=4))
    listing = json.loads(json.dumps(manifest))
    if data.draw(st.booleans()):
        _set(manifest, data.draw(st.sampled_from(sorted(_paths(manifest), key=str))), new)
    body = b"".join(canonical.dumps(line) + b"\n" for line in lines)
    entries = with_manifest(with_member(world.entries, layout.RECORDS, body), manifest)
    return signed(repadded(entries), world.stranger, listing)


@fuzz(50)
@given(st.data())
def test_import_of_hostile_content_signed_by_a_stranger(
    world: FuzzWorld, data: st.DataObject
) -> None:
    """Whatever the manifest and the records say, a bundle signed by an unknown key is refused
    with a known code, or quarantined: nothing merged, at most one audit entry."""
    entries = _stranger_bundle(world, data)
    path = world.root / "stranger.bin"
    path.write_bytes(_encrypted(world, write_tar(entries)))
    tables, files = vault_rows(world.hub), vault_files(world.hub)
    audit_before = world.hub.conn.execute("SELECT max(seq) FROM audit").fetchone()[0]
    try:
        result = import_bundle(world.hub, path)
    except MonitorError as exc:
        event(f"{exc.code} {exc.params.get('reason')}")
        assert exc.code in IMPORT_CODES, exc
        allowed = {"bundle_refused"}
    else:
        event(result.status)
        assert result.status == "quarantined" and not result.summary.signer_known
        allowed = {"bundle_quarantined"}
    # A quarantined bundle leaves one file behind: its kept copy (bundles/quarantine.py).
    kept = "bundle_quarantined" in allowed
    after = {k: v for k, v in vault_files(world.hub).items() if not (kept and "quarantine" in k)}
    before = {k: v for k, v in files.items() if not (kept and "quarantine" in k)}
    assert vault_rows(world.hub) == tables and after == before
    added = world.hub.conn.execute(
        "SELECT action FROM audit WHERE seq > ? ORDER BY seq", (audit_before,)
    ).fetchall()
    assert len(added) <= 1 and {str(r[0]) for r in added} <= allowed
