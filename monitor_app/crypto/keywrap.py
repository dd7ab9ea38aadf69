"""Wrap and unwrap the vault's data key with ChaCha20-Poly1305 and bound associated data."""

from __future__ import annotations

import json
import secrets
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

NONCE_LENGTH = 12
KEY_LENGTH = 32


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def wrap(kek: bytes, data_key: bytes, associated: dict[str, Any]) -> tuple[bytes, bytes]:
    nonce = secrets.token_bytes(NONCE_LENGTH)
    return nonce, ChaCha20Poly1305(kek).encrypt(nonce, data_key, canonical_json(associated))


def unwrap(kek: bytes, nonce: bytes, wrapped: bytes, associated: dict[str, Any]) -> bytes | None:
    """The data key, or None when the key is wrong or anything bound to the slot changed."""
    try:
        return ChaCha20Poly1305(kek).decrypt(nonce, wrapped, canonical_json(associated))
    except (InvalidTag, ValueError):
        return None


def mix_device_secret(kdf_output: bytes, device_secret: bytes) -> bytes:
    """Combine the passphrase-derived key with a secret that never leaves this computer."""
    return HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=None,
        info=b"monitor_app keyslot passphrase+device v1",
    ).derive(kdf_output + device_secret)


def subkey(data_key: bytes, purpose: bytes) -> bytes:
    """A key for one purpose derived from the data key (HKDF-SHA-256)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(data_key)
