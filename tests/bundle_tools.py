"""Checking bundles the way a coalition member without this app would: age, tar, minisign and
sha256sum (the Debian tools; missing tools fail the tests)."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

from monitor_app.crypto import age, minisign
from monitor_app.vault.session import UnlockedVault


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
