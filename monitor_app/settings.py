"""Settings: the app's (the interface language, the auto-lock delay) and the vault's own
(the system keyring, the key-derivation strength), which live in its passphrase slot.

The app's settings are kept as JSON in the settings folder (monitor_app/locations.py: per
user, or beside the app in portable mode), never in QSettings: on Windows that is the registry,
which a portable app on a USB stick must not write to. The file lies unencrypted on a computer
that may be seized, so nothing in it may name a vault's content, a case, a person, a folder or
a passphrase.

Reading is strict and never fails: an unknown key is ignored (a newer version's), a bad value
falls back to its default, and a missing, unreadable or damaged file gives the defaults, so a
broken settings file can never keep a monitor out of their records.

The vault's settings change by wrapping its data key again (``rewrap``), which needs the
passphrase, checked against the slot first: whoever sits at an unlocked laptop must not be able
to lock its owner out, or tie the vault to a keyring they control.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from monitor_app import locations
from monitor_app.crypto import kdf
from monitor_app.errors import VaultError
from monitor_app.fsutil import atomic_write_bytes, make_private_dir, storage_error
from monitor_app.i18n import SHIPPED_LANGUAGES
from monitor_app.vault import keyslots, lifecycle
from monitor_app.vault.device_secret import DeviceSecretStore
from monitor_app.vault.session import UnlockedVault

FILE_NAME = "settings.json"
FORMAT = "monitor_app.settings"
FORMAT_VERSION = 1
MAX_FILE_SIZE = 64 * 1024  # a few hundred bytes are expected; anything bigger is not ours

DEFAULT_AUTO_LOCK_MINUTES = 5
# There is deliberately no "never". Laptops are taken at checkpoints and in raids, often while
# the monitor is away from them or made to step away; an unlocked vault then gives up every
# record and every person in it. An off switch gets turned off once, for a long interview, and
# stays off. Locking costs a passphrase and loses nothing (unsaved edits are kept in an
# encrypted draft), so the longest delay is two hours: enough to read a long record without
# touching the keyboard, short enough that a forgotten laptop still locks itself.
MIN_AUTO_LOCK_MINUTES = 1
MAX_AUTO_LOCK_MINUTES = 120


@dataclass(frozen=True)
class Settings:
    language: str | None = None  # one of i18n.SHIPPED_LANGUAGES; None: the system's
    auto_lock_minutes: int = DEFAULT_AUTO_LOCK_MINUTES

    def __post_init__(self) -> None:
        # Refused here, so that a bad value can never be written and then read back as a
        # silent default.
        if not valid_language(self.language):
            raise ValueError("language")
        if not valid_auto_lock(self.auto_lock_minutes):
            raise ValueError("auto_lock_minutes")

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "language": self.language,
            "auto_lock_minutes": self.auto_lock_minutes,
        }

    @classmethod
    def from_json(cls, data: Any) -> Settings:
        """Settings from a parsed file: each known key taken if valid, else its default."""
        if not isinstance(data, dict):
            return cls()
        language: Any = data.get("language")
        minutes: Any = data.get("auto_lock_minutes")
        return cls(
            language=language if valid_language(language) else None,
            auto_lock_minutes=minutes if valid_auto_lock(minutes) else DEFAULT_AUTO_LOCK_MINUTES,
        )


def valid_language(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value in SHIPPED_LANGUAGES)


def valid_auto_lock(value: Any) -> bool:
    # bool is an int in Python; ``true`` in the file is not a number of minutes.
    return (
        isinstance(value, int)
        and not isinstance(value, bool)
        and MIN_AUTO_LOCK_MINUTES <= value <= MAX_AUTO_LOCK_MINUTES
    )


def clamp_auto_lock(minutes: int) -> int:
    """``minutes`` within the allowed delays (a 0 or a negative never means "never")."""
    return min(max(minutes, MIN_AUTO_LOCK_MINUTES), MAX_AUTO_LOCK_MINUTES)


def settings_path() -> Path:
    return locations.current().settings_dir / FILE_NAME


def load(path: Path | None = None) -> Settings:
    """The saved settings; the defaults when there are none or they cannot be read."""
    raw = _read_small(path or settings_path())
    if raw is None:
        return Settings()
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return Settings()
    return Settings.from_json(data)


def _read_small(path: Path) -> bytes | None:
    # O_NONBLOCK: a FIFO planted at the path must not hang the app's start.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return None
    with contextlib.suppress(OSError), os.fdopen(fd, "rb") as handle:
        raw = handle.read(MAX_FILE_SIZE + 1)
        return raw if len(raw) <= MAX_FILE_SIZE else None
    return None


def save(settings: Settings, path: Path | None = None) -> None:
    """Write ``settings`` atomically (0600, in a 0700 folder). Raises a StorageError."""
    target = path or settings_path()
    try:
        make_private_dir(target.parent)
    except OSError as exc:
        raise storage_error(exc, target.parent) from None
    body = json.dumps(settings.to_json(), indent=2, sort_keys=True) + "\n"
    atomic_write_bytes(target, body.encode("utf-8"))


def startup_language() -> str | None:
    """The language to start in (for ``i18n.set_language``): the saved choice, or None for
    the system's. Call after ``locations.activate``, since portable settings live on the stick."""
    return load().language


# -- the vault's settings: its passphrase slot -------------------------------------------------
# Key derivations run one at a time (monitor_app/crypto/kdf.py derive_key).


def verify_passphrase(vault: UnlockedVault, passphrase: str, store: DeviceSecretStore) -> None:
    """Raise ``wrong_passphrase`` unless ``passphrase`` opens the vault's passphrase slot."""
    slot = vault.slots.slot_of_type("passphrase")
    if slot is None:
        raise VaultError("wrong_passphrase")
    device = store.load(vault.vault_id) if slot.device_secret else None
    key = keyslots.open_slot(slot, vault.vault_id, passphrase.encode("utf-8"), device)
    if key is None or not secrets.compare_digest(key, vault.data_key()):
        raise VaultError("wrong_passphrase")


def rewrap(
    vault: UnlockedVault,
    store: DeviceSecretStore,
    current: str,
    new: str,
    *,
    recalibrate: bool = False,
    use_device_secret: bool | None = None,
) -> keyslots.Slot | None:
    """Check ``current``, then wrap the data key under ``new`` (which may be the same), with
    parameters calibrated to this computer if asked, with or without the keyring's secret
    (None: as now). Returns the new passphrase slot. Nothing is written if ``current`` is
    wrong."""
    verify_passphrase(vault, current, store)
    params = kdf.calibrate() if recalibrate else None
    lifecycle.change_passphrase(
        vault, new, kdf_params=params, use_device_secret=use_device_secret, device_store=store
    )
    return vault.slots.slot_of_type("passphrase")


def unlock_seconds(params: kdf.KdfParams) -> float:
    """Seconds one derivation with ``params`` takes here: what each unlock (and each guess of
    an attacker with this kind of computer) costs."""
    started = time.perf_counter()
    kdf.derive_key(b"timing only", b"\0" * kdf.SALT_LENGTH, params)
    return time.perf_counter() - started
