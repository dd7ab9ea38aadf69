"""Checking bundles the way a coalition member without this app would: age, tar, minisign and
sha256sum (the Debian tools; missing tools fail the tests). Also crafting hostile bundles the
way an attacker with a recipient's key, or an author's signing key, could."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import subprocess
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from monitor_app.bundles import canonical, layout, sums
from monitor_app.crypto import age, minisign
from monitor_app.records import provenance
from monitor_app.vault.session import UnlockedVault
from tests.vault_checks import snapshot


def age_identity_file(vault: UnlockedVault, directory: Path) -> Path:
    identity = age.X25519Identity(vault.identity.keys().encryption_private)
    path = directory / "identity.txt"
    path.write_text(identity.encode() + "\n")
    return path


def unpack_with_standard_tools(bundle: Path, identity: Path, work: Path) -> Path:
    plain = work / "bundle.tar"
    subprocess.run(["age", "-d", "-i", str(identity), "-o", str(plain), str(bundle)], check=True)
    out = work / "unpacked"
    out.mkdir()
    subprocess.run(["tar", "-xf", str(plain), "-C", str(out)], check=True)
    return out


def check_signed_sums(out: Path, signer: UnlockedVault, bundle_id: str, kind: str) -> None:
    """``minisign -V`` accepts SHA256SUMS with the signer's key and shows the bundle id in the
    trusted comment; ``sha256sum -c`` passes for every member."""
    key = minisign.public_key_base64(signer.identity.keys().signing_private.public_key())
    verified = subprocess.run(
        ["minisign", "-V", "-m", "SHA256SUMS", "-P", key],
        cwd=out,
        capture_output=True,
        text=True,
        check=True,
    )
    assert f"monitor_app bundle {bundle_id} kind={kind}" in verified.stdout
    subprocess.run(["sha256sum", "--strict", "-c", "SHA256SUMS"], cwd=out, check=True)


def add_sample_case(
    vault: UnlockedVault, *, real_name: str, share_consent: str, attachment: bytes
) -> None:
    """A place, a person with a real name and a consent to share, an incident about them in
    two revisions, and a photo of it."""
    place = vault.records.add("place", {"name": "ИВС №1", "place_type": "police_station"})
    person = vault.records.add(
        "person",
        {
            "pseudonym": "KG-1",
            "real_name": real_name,
            "consent": {"share_with_coalition": share_consent},
        },
    )
    incident = vault.records.add(
        "incident",
        {
            "title": "Избиение при допросе",
            "description": "他在审讯中遭受酷刑",
            "incident_type": "torture",
            "occurred_on": "2024-03-10",
            "place_id": place.record_id,
            "people": [{"person_id": person.record_id, "role": "victim"}],
        },
    )
    vault.records.edit(incident.record_id, {"title": "Избиение при допросе (уточнено)"})
    vault.attachments.add_stream(
        incident.record_id, io.BytesIO(attachment), original_name="photo.png"
    )


# --- crafting bundles: what an attacker holding a recipient's key (or a signing key) can do ---


@dataclass(frozen=True)
class TarEntry:
    """One tar member as the attacker writes it. ``size`` overrides the size the header
    announces (the data written stays ``data``); ``type`` and ``linkname`` make links,
    devices and the like."""

    name: str
    data: bytes = b""
    type: bytes = tarfile.REGTYPE
    linkname: str = ""
    size: int | None = None


def decrypt_bundle(bundle: Path, recipient: UnlockedVault) -> bytes:
    """The plaintext tar of ``bundle``, decrypted with ``recipient``'s age identity."""
    identity = age.X25519Identity(recipient.identity.keys().encryption_private)
    plain = io.BytesIO()
    with open(bundle, "rb") as source:
        age.decrypt([identity], source, plain)
    return plain.getvalue()


def encrypt_bundle(plain: bytes, recipient: UnlockedVault, out: Path) -> Path:
    """``plain`` encrypted with age to ``recipient`` alone, written to ``out``."""
    target = age.X25519Identity(recipient.identity.keys().encryption_private).recipient
    with open(out, "wb") as sink:
        age.encrypt([target], io.BytesIO(plain), sink)
    return out


def read_tar(plain: bytes) -> list[TarEntry]:
    with tarfile.open(fileobj=io.BytesIO(plain), mode="r:") as tar:
        entries = []
        for member in tar.getmembers():
            handle = tar.extractfile(member)
            assert handle is not None
            entries.append(TarEntry(member.name, handle.read()))
    return entries


def write_tar(entries: list[TarEntry]) -> bytes:
    """A ustar archive of ``entries``, closed and padded to 10 KiB records as GNU tar does."""
    out = bytearray()
    for entry in entries:
        info = tarfile.TarInfo(entry.name)
        info.size = len(entry.data) if entry.size is None else entry.size
        info.type = entry.type
        info.linkname = entry.linkname
        info.mode, info.mtime, info.uid, info.gid = 0o600, 0, 0, 0
        out += info.tobuf(tarfile.USTAR_FORMAT, "ascii", "strict")
        out += entry.data + bytes(-len(entry.data) % layout.TAR_BLOCK)
    out += bytes(layout.TAR_END)
    out += bytes(-len(out) % layout.TAR_RECORD)
    return bytes(out)


def manifest_of(entries: list[TarEntry]) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(member_data(entries, layout.MANIFEST))
    return value


def member_data(entries: list[TarEntry], name: str) -> bytes:
    """The data of the first member called ``name``."""
    return next(e.data for e in entries if e.name == name)


def authored_by(manifest: dict[str, Any], vault: UnlockedVault) -> dict[str, Any]:
    """``manifest`` claiming ``vault`` as its author (its fingerprint and signed card)."""
    card = vault.identity.card().hex()
    return {**manifest, "author": {"fingerprint": vault.identity.fingerprint, "card": card}}


def with_member(entries: list[TarEntry], name: str, data: bytes) -> list[TarEntry]:
    """``entries`` with the data of every member called ``name`` replaced."""
    return [dataclasses.replace(e, data=data) if e.name == name else e for e in entries]


def with_manifest(entries: list[TarEntry], manifest: dict[str, Any]) -> list[TarEntry]:
    return with_member(entries, layout.MANIFEST, canonical.dumps(manifest))


def repadded(entries: list[TarEntry]) -> list[TarEntry]:
    """The padding member resized to what the members before it now require."""
    unpadded = sum(layout.member_span(len(e.data)) for e in entries if e.name != layout.PADDING)
    return with_member(entries, layout.PADDING, bytes(layout.padding_size(unpadded)))


def signed(
    entries: list[TarEntry], signer: UnlockedVault, manifest: dict[str, Any] | None = None
) -> list[TarEntry]:
    """SHA256SUMS written for what the manifest lists (manifest, records, its attachments,
    padding; each digest from the first member of that name, an attachment's from its name)
    and signed again with ``signer``'s key for the manifest's bundle id and kind: what an
    author, or a thief of the author's key, can produce. Members planted beside these are
    left out, so that the reader's own checks meet them. ``manifest`` stands in for the one
    in ``entries`` when that one is not fit to read."""
    if manifest is None:
        manifest = manifest_of(entries)
    digests = {e.name: hashlib.sha256(e.data).hexdigest() for e in reversed(entries)}
    attachments = sorted({a["sha256"] for a in manifest["attachments"]})
    listed = [
        (layout.MANIFEST, digests[layout.MANIFEST]),
        (layout.RECORDS, digests[layout.RECORDS]),
    ]
    listed += [(layout.attachment_member(d), d) for d in attachments]
    listed.append((layout.PADDING, digests[layout.PADDING]))
    sums_bytes = sums.format_sums(listed)
    trusted = canonical.trusted_comment(manifest["bundle_id"], manifest["kind"])
    signature = sums_signature(signer.identity.keys().signing_private, sums_bytes, trusted)
    return with_member(with_member(entries, layout.SUMS, sums_bytes), layout.SIGNATURE, signature)


def sums_signature(
    key: Ed25519PrivateKey,
    sums_bytes: bytes,
    trusted: str,
    *,
    key_id: bytes | None = None,
    named_key: Ed25519PublicKey | None = None,
) -> bytes:
    """SHA256SUMS.minisig as export writes it: signed with ``key`` and naming in its
    untrusted comment ``named_key`` (default: the key that signs)."""
    named = minisign.public_key_base64(named_key or key.public_key())
    return minisign.sign(key, sums_bytes, trusted, canonical.signer_comment(named), key_id=key_id)


def craft(
    bundle: Path,
    recipient: UnlockedVault,
    edit: Callable[[list[TarEntry]], list[TarEntry]],
    out: Path,
) -> Path:
    """Decrypt ``bundle`` for ``recipient``, rewrite its tar with ``edit``, encrypt it again to
    ``recipient`` at ``out``."""
    entries = edit(read_tar(decrypt_bundle(bundle, recipient)))
    return encrypt_bundle(write_tar(entries), recipient, out)


# --- what "unchanged" means for a vault that refused a bundle ---------------------------------


def vault_rows(vault: UnlockedVault) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table (the search index included) but the audit log and its head,
    which ``meta`` keeps: what a refusal must leave as it was."""
    names = [
        str(r[0])
        for r in vault.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'audit'"
        )
    ]
    rows = {name: vault.conn.execute(f'SELECT * FROM "{name}"').fetchall() for name in names}
    rows["meta"] = [row for row in rows["meta"] if row[0] != "audit_head"]
    return rows


def vault_files(vault: UnlockedVault) -> dict[str, str]:
    """The vault's files by content, but the database and its journals (compared through
    their rows): a staged blob left behind shows here."""
    return {
        name: digest
        for name, digest in snapshot(vault.path).items()
        if not name.startswith("vault.db")
    }


# --- revisions rewritten as an insider would ---------------------------------------------------


def revision_lines(entries: list[TarEntry]) -> list[dict[str, Any]]:
    """The lines of records.jsonl, parsed."""
    data = member_data(entries, layout.RECORDS)
    return [json.loads(line) for line in data.split(b"\n") if line]


def body_of(line: dict[str, Any]) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(line["signed"])
    return value


def signed_line(
    body: dict[str, Any],
    signing_key: Ed25519PrivateKey,
    *,
    sensitive: dict[str, Any] | None = None,
    salt: bytes | None = None,
) -> dict[str, Any]:
    """A line carrying ``body`` signed with ``signing_key`` (whatever key the body names)."""
    raw = canonical.dumps(body)
    line: dict[str, Any] = {
        "signed": raw.decode("utf-8"),
        "signature": signing_key.sign(provenance.CONTEXT + raw).hex(),
    }
    if sensitive is not None:
        line["sensitive"] = sensitive
        line["sensitive_salt"] = (salt or bytes(32)).hex()
    return line


def with_lines(
    entries: list[TarEntry],
    lines: list[dict[str, Any]],
    signer: UnlockedVault,
    raw: dict[int, bytes] | None = None,
) -> list[TarEntry]:
    """``entries`` carrying ``lines`` as records.jsonl, the manifest's record entries made to
    match, padded and signed by ``signer`` (the bundle's signer, an insider). ``raw`` gives
    the bytes of some lines instead (text no JSON encoder writes), listed as ``lines`` says."""
    overrides = raw or {}
    data = [overrides.get(i) or canonical.dumps(line) for i, line in enumerate(lines)]
    manifest = manifest_of(entries)
    manifest["records"] = [
        {
            "record_id": json.loads(line["signed"])["record_id"],
            "hash": provenance.hash_of(line["signed"].encode("utf-8")),
            "size": len(line_bytes),
            "sha256": hashlib.sha256(line_bytes).hexdigest(),
        }
        for line, line_bytes in zip(lines, data, strict=True)
    ]
    entries = with_member(entries, layout.RECORDS, b"".join(d + b"\n" for d in data))
    return signed(repadded(with_manifest(entries, manifest)), signer)
