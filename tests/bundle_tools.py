"""Checking bundles the way a coalition member without this app would: age, tar, minisign and
sha256sum (the Debian tools; missing tools fail the tests)."""

from __future__ import annotations

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
