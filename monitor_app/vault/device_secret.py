"""A per-vault secret kept in the operating system's keyring.

Mixed into the passphrase slot, it means a copy of the vault taken off this computer cannot be
attacked offline with the passphrase alone. Only real OS credential stores count; a keyring that
writes secrets to a plain file would defeat the point, so it is treated as no keyring at all.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import secrets
from typing import Any, Protocol

from monitor_app.errors import MonitorError

SERVICE = "monitor_app"
SECRET_LENGTH = 32

# Backends that keep secrets in the OS credential store, by module and class name.
TRUSTED_BACKENDS: frozenset[tuple[str, str]] = frozenset(
    {
        ("keyring.backends.SecretService", "Keyring"),
        ("keyring.backends.libsecret", "Keyring"),
        ("keyring.backends.kwallet", "DBusKeyring"),
        ("keyring.backends.kwallet", "DBusKeyringKWallet4"),
        ("keyring.backends.macOS", "Keyring"),
        ("keyring.backends.Windows", "WinVaultKeyring"),
    }
)


class DeviceSecretStore(Protocol):
    def available(self) -> tuple[bool, str]:
        """(usable, reason code when not usable)."""

    def create(self, vault_id: str) -> bytes: ...

    def load(self, vault_id: str) -> bytes: ...

    def delete(self, vault_id: str) -> None: ...


def _is_trusted(backend: Any) -> bool:
    cls = type(backend)
    if (cls.__module__, cls.__name__) in TRUSTED_BACKENDS:
        return True
    children = getattr(backend, "backends", None)
    if cls.__module__ == "keyring.backends.chainer" and children:
        return all(_is_trusted(child) for child in children)
    return False


class OsKeyringStore:
    """The device secret in the OS keyring, through the `keyring` package."""

    def _backend(self) -> Any:
        import keyring

        return keyring.get_keyring()

    def available(self) -> tuple[bool, str]:
        try:
            backend = self._backend()
        except Exception:
            return False, "no_keyring_backend"
        if not _is_trusted(backend):
            return False, "no_os_keyring"
        return True, ""

    def create(self, vault_id: str) -> bytes:
        usable, reason = self.available()
        if not usable:
            raise MonitorError("device_secret_unavailable", reason=reason)
        secret = secrets.token_bytes(SECRET_LENGTH)
        try:
            self._backend().set_password(SERVICE, vault_id, base64.b64encode(secret).decode())
        except Exception:
            raise MonitorError("device_secret_unavailable", reason="keyring_refused") from None
        return secret

    def load(self, vault_id: str) -> bytes:
        usable, reason = self.available()
        if not usable:
            raise MonitorError("device_secret_missing", reason=reason)
        try:
            stored = self._backend().get_password(SERVICE, vault_id)
        except Exception:
            stored = None
        if not stored:
            raise MonitorError("device_secret_missing", reason="not_in_keyring")
        try:
            secret = base64.b64decode(stored, validate=True)
        except (binascii.Error, ValueError):
            raise MonitorError("device_secret_missing", reason="damaged") from None
        if len(secret) != SECRET_LENGTH:
            raise MonitorError("device_secret_missing", reason="damaged")
        return secret

    def delete(self, vault_id: str) -> None:
        # Nothing to remove, or a keyring that refuses, leaves nothing to undo.
        with contextlib.suppress(Exception):
            self._backend().delete_password(SERVICE, vault_id)


class NoKeyringStore(OsKeyringStore):
    """Portable mode (monitor_app/locations.py): the computer's keyring is never touched, so
    a vault on a USB stick leaves no trace in it and never depends on one computer."""

    def available(self) -> tuple[bool, str]:
        return False, "portable_mode"

    def delete(self, vault_id: str) -> None:
        return None


def default_store() -> DeviceSecretStore:
    from monitor_app import locations

    return NoKeyringStore() if locations.is_portable() else OsKeyringStore()
