"""Quarantined bundles: kept in the vault, released once their signer is verified.

A bundle from an unknown or unverified signer is not merged (bundles/importing.py). So that it
need not be carried in again on the stick, the file itself is kept in the vault folder
(``quarantine/<sha256>.bundle``): it is the bundle as it came, still encrypted to this vault's
key and signed by its author, so the copy holds nothing anyone else can read. The SHA-256 of
the copy goes into the ``bundle_quarantined`` audit entry (``kept_sha256``), whose hash chain
protects it; that entry is how the copy is found again, so no table is needed.

``release`` re-runs the ordinary import from the copy, once the signer is a verified contact:
everything is checked again (decryption, signature, every revision). It refuses, changing
nothing, when the signer is still not verified (``bundle_signer_unverified``), when the copy
is missing or is not the file that was kept (``bundle_kept_copy_damaged``), or when nothing of
that bundle is in quarantine (``bundle_not_quarantined``).

The copy is judged by its own signature, never by the entry that names it: a copy whose
signer is not the author the entry names (an entry written by a faulty version, or a copy
swapped together with its entry) is refused as ``bundle_kept_copy_other_signer``, before the
import writes anything (not kept again, not logged), even when that author is verified.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from monitor_app.errors import MonitorError
from monitor_app.fsutil import atomic_writer, fsync_dir, make_private_dir, storage_error
from monitor_app.jobs import CancelToken, Progress, check

if TYPE_CHECKING:
    from monitor_app.bundles.importing import ImportResult
    from monitor_app.bundles.reading import BundleSummary
    from monitor_app.vault.session import UnlockedVault

FOLDER = "quarantine"
ACTION = "bundle_quarantined"
_CHUNK = 1 << 20


def _folder(vault: UnlockedVault) -> Path:
    return Path(vault.path) / FOLDER


def kept_path(vault: UnlockedVault, sha256: str) -> Path:
    if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
        raise MonitorError("bundle_kept_copy_damaged", reason="name")
    return _folder(vault) / f"{sha256}.bundle"


def keep(vault: UnlockedVault, path: Path, cancel: CancelToken | None = None) -> str:
    """Copy the bundle file at ``path`` into the vault's quarantine folder; its SHA-256."""
    folder = _folder(vault)
    digest = hashlib.sha256()
    try:
        make_private_dir(folder)
        staged = folder / ".incoming.bundle"
        with open(path, "rb") as source, atomic_writer(staged) as sink:
            while chunk := source.read(_CHUNK):
                check(cancel)
                digest.update(chunk)
                sink.write(chunk)
        sha256 = digest.hexdigest()
        staged.replace(kept_path(vault, sha256))
        fsync_dir(folder)
    except OSError as exc:
        raise storage_error(exc, folder) from None
    return sha256


def _kept_sha256(vault: UnlockedVault, bundle_id: str, author_fingerprint: str) -> str | None:
    """The copy named by the latest quarantine entry of this bundle, if it kept one."""
    found: str | None = None
    with vault.reading() as conn:
        if conn.execute(
            "SELECT 1 FROM bundles_in WHERE author_fingerprint = ? AND bundle_id = ?",
            (author_fingerprint, bundle_id),
        ).fetchone():
            return None  # imported since (released, or brought in again from the stick)
        for (details_json,) in conn.execute(
            "SELECT details FROM audit WHERE action = ? ORDER BY seq", (ACTION,)
        ):
            try:
                details: Any = json.loads(details_json or "{}")
            except ValueError:
                continue
            if (
                isinstance(details, dict)
                and details.get("bundle_id") == bundle_id
                and details.get("author_fingerprint") == author_fingerprint
            ):
                kept = details.get("kept_sha256")
                found = kept if isinstance(kept, str) else None
    return found


def _kept(vault: UnlockedVault, bundle_id: str, author_fingerprint: str) -> str:
    sha256 = _kept_sha256(vault, bundle_id, author_fingerprint)
    if sha256 is None:
        raise MonitorError("bundle_not_quarantined", bundle_id=bundle_id)
    return sha256


def _checked_copy(vault: UnlockedVault, sha256: str, cancel: CancelToken | None) -> Path:
    """The kept copy of the bundle, after checking it is byte for byte the one kept."""
    copy = kept_path(vault, sha256)
    digest = hashlib.sha256()
    try:
        with open(copy, "rb") as source:
            while chunk := source.read(_CHUNK):
                check(cancel)
                digest.update(chunk)
    except FileNotFoundError:
        raise MonitorError("bundle_kept_copy_damaged", reason="missing") from None
    except OSError as exc:
        raise storage_error(exc, copy) from None
    if digest.hexdigest() != sha256:
        raise MonitorError("bundle_kept_copy_damaged", reason="changed")
    return copy


def _require_verified(vault: UnlockedVault, author_fingerprint: str) -> None:
    with contextlib.suppress(MonitorError):
        if vault.contacts.get(author_fingerprint).verified:
            return
    raise MonitorError("bundle_signer_unverified")


def check_signer(summary: BundleSummary, author_fingerprint: str) -> None:
    """Refuse a kept copy being released as ``author_fingerprint``'s unless its own verified
    signature is that author's, and that author a verified contact."""
    if summary.author_fingerprint != author_fingerprint:
        raise MonitorError("bundle_kept_copy_other_signer")
    if not summary.signer_verified:  # the contact's key is not the bundle's signer
        raise MonitorError("bundle_signer_unverified")


def preview(
    vault: UnlockedVault,
    bundle_id: str,
    author_fingerprint: str,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> BundleSummary:
    """The import summary of a kept bundle, checked in full; nothing changes."""
    from monitor_app.bundles.reading import verify_bundle

    return verify_bundle(vault, checked_copy(vault, bundle_id, author_fingerprint, cancel))


def checked_copy(
    vault: UnlockedVault, bundle_id: str, author_fingerprint: str, cancel: CancelToken | None
) -> Path:
    """The kept copy of a quarantined bundle, checked to be the file that was kept: to read
    its summary (as ``verify_bundle`` or the import wizard's dry run do) before releasing."""
    return _checked_copy(vault, _kept(vault, bundle_id, author_fingerprint), cancel)


def release(
    vault: UnlockedVault,
    bundle_id: str,
    author_fingerprint: str,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> ImportResult:
    """Import a quarantined bundle from its kept copy (see the module notes)."""
    from monitor_app.bundles.importing import QUARANTINED, import_bundle

    sha256 = _kept(vault, bundle_id, author_fingerprint)
    _require_verified(vault, author_fingerprint)
    copy = _checked_copy(vault, sha256, cancel)
    result = import_bundle(vault, copy, progress, cancel, release_of=author_fingerprint)
    assert result.status != QUARANTINED  # check_signer refused it first
    forget(vault, copy)
    return result


def forget(vault: UnlockedVault, copy: Path) -> None:
    """Remove a kept copy once its bundle is in the vault."""
    try:
        copy.unlink(missing_ok=True)
        fsync_dir(_folder(vault))
    except OSError as exc:
        raise storage_error(exc, copy) from None
