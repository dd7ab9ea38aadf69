"""Canonical JSON for what a bundle carries: the same value always gives the same bytes."""

from __future__ import annotations

from monitor_app.canonical import dumps

__all__ = ["FORMAT", "SIGNER_PREFIX", "VERSION", "dumps", "signer_comment", "trusted_comment"]

# The untrusted comment of SHA256SUMS.minisig names the signing key, so that the signature is
# checked before anything of the bundle is parsed as JSON; the manifest's card must then
# carry the same key.
SIGNER_PREFIX = "monitor_app bundle signer "

FORMAT = "monitor_app-bundle"
VERSION = 1


def trusted_comment(bundle_id: str, kind: str) -> str:
    """The minisign trusted comment: the bundle id under the author's global signature."""
    return f"monitor_app bundle {bundle_id} kind={kind}"


def signer_comment(minisign_public_key_base64: str) -> str:
    return SIGNER_PREFIX + minisign_public_key_base64
