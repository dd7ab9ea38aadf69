"""The key-slot file: the vault's data key wrapped under each way of unlocking it.

Like LUKS and KeePassXC, the random data key never changes when the passphrase does; each slot
wraps it with a key derived from one secret (passphrase, recovery code). The associated data
binds the vault id, slot id, slot type and KDF parameters, so a slot copied from another vault,
or one whose parameters were weakened, does not unwrap.

Replacing the file keeps the previous generation until the new one is on disk and verified:
``keyslots.next.json`` is written and read back first, then swapped in through
``keyslots.prev.json``. A crash at any point leaves a set of files that ``load_candidates``
resolves to a slot file that still opens the vault.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import secrets
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from monitor_app.crypto import kdf, keywrap
from monitor_app.errors import MonitorError, VaultError
from monitor_app.fsutil import atomic_write_bytes, fsync_dir, storage_error

FORMAT = "monitor_app.keyslots"
FORMAT_VERSION = 1
FILE_NAME = "keyslots.json"
NEXT_NAME = "keyslots.next.json"
PREV_NAME = "keyslots.prev.json"
MAX_FILE_SIZE = 64 * 1024
SLOT_TYPES = ("passphrase", "recovery")


@dataclass(frozen=True)
class Slot:
    slot_id: str
    slot_type: str
    kdf_params: kdf.KdfParams
    salt: bytes
    nonce: bytes
    wrapped_key: bytes
    device_secret: bool = False

    def associated_data(self, vault_id: str) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "vault_id": vault_id,
            "slot_id": self.slot_id,
            "slot_type": self.slot_type,
            "kdf": self.kdf_params.to_json(),
            "salt": _b64(self.salt),
            "device_secret": self.device_secret,
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.slot_id,
            "type": self.slot_type,
            "kdf": self.kdf_params.to_json(),
            "salt": _b64(self.salt),
            "device_secret": self.device_secret,
            "aead": "chacha20poly1305",
            "nonce": _b64(self.nonce),
            "wrapped_key": _b64(self.wrapped_key),
        }


@dataclass
class SlotFile:
    vault_id: str
    generation: int
    slots: list[Slot] = field(default_factory=list)

    def slot_of_type(self, slot_type: str) -> Slot | None:
        return next((s for s in self.slots if s.slot_type == slot_type), None)

    def with_slot(self, slot: Slot) -> SlotFile:
        """A next generation where ``slot`` replaces any slot of the same type."""
        others = [s for s in self.slots if s.slot_type != slot.slot_type]
        return SlotFile(self.vault_id, self.generation + 1, [*others, slot])

    def to_bytes(self) -> bytes:
        body = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "vault_id": self.vault_id,
            "generation": self.generation,
            "slots": [s.to_json() for s in self.slots],
        }
        return json.dumps(body, indent=2, sort_keys=True).encode() + b"\n"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _unb64(text: Any) -> bytes:
    if not isinstance(text, str):
        raise ValueError
    return base64.b64decode(text, validate=True)


def make_slot(
    slot_type: str,
    vault_id: str,
    secret: bytes,
    data_key: bytes,
    params: kdf.KdfParams,
    device_secret: bytes | None = None,
) -> tuple[Slot, bytes]:
    """A new slot and its key-encryption key (kept in the vault for re-keying: slot_keys)."""
    salt = secrets.token_bytes(kdf.SALT_LENGTH)
    slot_id = str(uuid.uuid4())
    draft = Slot(slot_id, slot_type, params, salt, b"", b"", device_secret is not None)
    kek = slot_kek(secret, salt, params, device_secret)
    return rewrap(draft, vault_id, kek, data_key), kek


def rewrap(slot: Slot, vault_id: str, kek: bytes, data_key: bytes) -> Slot:
    """The same slot (id, type, KDF, salt: the same secret opens it) around another data key."""
    nonce, wrapped = keywrap.wrap(kek, data_key, slot.associated_data(vault_id))
    return Slot(
        slot.slot_id,
        slot.slot_type,
        slot.kdf_params,
        slot.salt,
        nonce,
        wrapped,
        slot.device_secret,
    )


def slot_kek(
    secret: bytes, salt: bytes, params: kdf.KdfParams, device_secret: bytes | None
) -> bytes:
    derived = kdf.derive_key(secret, salt, params)
    if device_secret is not None:
        return keywrap.mix_device_secret(derived, device_secret)
    return derived


def open_slot(
    slot: Slot, vault_id: str, secret: bytes, device_secret: bytes | None = None
) -> bytes | None:
    opened = open_slot_with_kek(slot, vault_id, secret, device_secret)
    return None if opened is None else opened[0]


def open_slot_with_kek(
    slot: Slot, vault_id: str, secret: bytes, device_secret: bytes | None = None
) -> tuple[bytes, bytes] | None:
    """The data key and the slot's key-encryption key, or None when the secret is wrong."""
    kek = slot_kek(secret, slot.salt, slot.kdf_params, device_secret)
    data_key = unwrap_with_kek(slot, vault_id, kek)
    return None if data_key is None else (data_key, kek)


def unwrap_with_kek(slot: Slot, vault_id: str, kek: bytes) -> bytes | None:
    if len(kek) != keywrap.KEY_LENGTH:
        return None
    return keywrap.unwrap(kek, slot.nonce, slot.wrapped_key, slot.associated_data(vault_id))


def opens_with_kek(slot: Slot, vault_id: str, kek: bytes, data_key: bytes) -> bool:
    """Whether ``kek`` unwraps the slot to ``data_key``. The AEAD tag covers the wrapped key
    and the associated data (vault id, slot id and type, KDF parameters, salt), so an edit to
    any of them, or to the nonce, makes this False."""
    key = unwrap_with_kek(slot, vault_id, kek)
    return key is not None and secrets.compare_digest(key, data_key)


def parse(raw: bytes) -> SlotFile:
    """Parse an untrusted slot file; refuse newer formats before any key derivation."""
    try:
        body_untrusted = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise VaultError("keyslots_damaged", reason="not_json") from None
    if not isinstance(body_untrusted, dict) or body_untrusted.get("format") != FORMAT:
        raise VaultError("keyslots_damaged", reason="format")
    version = body_untrusted.get("format_version")
    if not isinstance(version, int):
        raise VaultError("keyslots_damaged", reason="format_version")
    if version > FORMAT_VERSION:
        raise VaultError("vault_too_new", found=version, supported=FORMAT_VERSION)
    try:
        vault_id = str(uuid.UUID(body_untrusted["vault_id"]))
        generation = int(body_untrusted["generation"])
        slots = [_parse_slot(s) for s in body_untrusted["slots"]]
    except (KeyError, TypeError, ValueError, binascii.Error):
        raise VaultError("keyslots_damaged", reason="fields") from None
    return SlotFile(vault_id, generation, slots)


def _parse_slot(data: Any) -> Slot:
    if data["type"] not in SLOT_TYPES or data.get("aead") != "chacha20poly1305":
        raise ValueError
    device = data.get("device_secret", False)
    if not isinstance(device, bool):
        raise ValueError
    return Slot(
        slot_id=str(uuid.UUID(data["id"])),
        slot_type=data["type"],
        kdf_params=kdf.KdfParams.from_json(data["kdf"]),
        salt=_unb64(data["salt"]),
        nonce=_unb64(data["nonce"]),
        wrapped_key=_unb64(data["wrapped_key"]),
        device_secret=device,
    )


def read_file(path: Path) -> bytes:
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_FILE_SIZE + 1)
    except OSError as exc:
        raise storage_error(exc, path) from None
    if len(raw) > MAX_FILE_SIZE:
        raise VaultError("keyslots_damaged", reason="too_large")
    return raw


def load_candidates(vault_dir: Path) -> list[tuple[Path, SlotFile]]:
    """Slot files to try, best first. Reads only; never changes the directory.

    The main file comes first; a leftover next/prev file is from an interrupted change and
    is tried only if the main one is missing, damaged or does not unlock.
    """
    names = [FILE_NAME, NEXT_NAME, PREV_NAME]
    present = [vault_dir / n for n in names if (vault_dir / n).is_file()]
    if not present:
        raise VaultError("keyslots_missing")
    candidates: list[tuple[Path, SlotFile]] = []
    first_error: MonitorError | None = None
    for path in present:
        try:
            candidates.append((path, parse(read_file(path))))
        except MonitorError as exc:
            if exc.code == "vault_too_new":
                raise
            first_error = first_error or exc
    if not candidates:
        assert first_error is not None
        raise first_error
    return candidates


def write_initial(vault_dir: Path, slot_file: SlotFile) -> None:
    atomic_write_bytes(vault_dir / FILE_NAME, slot_file.to_bytes())


def replace(vault_dir: Path, new: SlotFile, verify: Any) -> None:
    """Swap in ``new``; ``verify(SlotFile) -> bool`` checks the copy read back from disk."""
    next_path = vault_dir / NEXT_NAME
    main_path = vault_dir / FILE_NAME
    prev_path = vault_dir / PREV_NAME
    atomic_write_bytes(next_path, new.to_bytes())
    if not verify(parse(read_file(next_path))):
        next_path.unlink(missing_ok=True)
        raise VaultError("keyslots_damaged", reason="verification_failed")
    try:
        os.replace(main_path, prev_path)
        fsync_dir(vault_dir)
        os.replace(next_path, main_path)
        fsync_dir(vault_dir)
        prev_path.unlink()
        fsync_dir(vault_dir)
    except OSError as exc:
        raise storage_error(exc, main_path) from None


def settle(vault_dir: Path, unlocked_from: Path) -> None:
    """After a successful unlock, make the slot file that worked the only one."""
    main_path = vault_dir / FILE_NAME
    try:
        if unlocked_from != main_path:
            atomic_write_bytes(main_path, read_file(unlocked_from))
        for name in (NEXT_NAME, PREV_NAME):
            (vault_dir / name).unlink(missing_ok=True)
    except OSError as exc:
        raise storage_error(exc, main_path) from None
