"""Stand-ins for what the app reads from the computer it runs on: its keyring, and where its
settings live (portable mode under a test's own folder)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from monitor_app import locations
from monitor_app.errors import MonitorError

# What locations.activate() points elsewhere in portable mode.
REDIRECTED_ENV = (
    "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "TMPDIR", "TEMP", "TMP",
)  # fmt: skip


class FakeKeyring:
    """The OS keyring, in memory: available or not, never touching the real one."""

    def __init__(self, usable: bool = True, reason: str = "no_os_keyring") -> None:
        self.usable, self.reason = usable, reason
        self.secrets: dict[str, bytes] = {}

    def available(self) -> tuple[bool, str]:
        return (True, "") if self.usable else (False, self.reason)

    def create(self, vault_id: str) -> bytes:
        if not self.usable:
            raise MonitorError("device_secret_unavailable", reason=self.reason)
        self.secrets[vault_id] = os.urandom(32)
        return self.secrets[vault_id]

    def load(self, vault_id: str) -> bytes:
        if vault_id not in self.secrets:
            raise MonitorError("device_secret_missing", reason="not_in_keyring")
        return self.secrets[vault_id]

    def delete(self, vault_id: str) -> None:
        self.secrets.pop(vault_id, None)


def activate_portable(base: Path, monkeypatch: pytest.MonkeyPatch) -> locations.Locations:
    """Portable locations under ``base``, with everything activate() changes in the process
    (environment, temp dir, the current locations) put back when the test ends."""
    for name in REDIRECTED_ENV:
        if name in os.environ:
            monkeypatch.setenv(name, os.environ[name])
        else:
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(locations, "_current", None)
    monkeypatch.setattr("tempfile.tempdir", None)
    chosen = locations.resolve(portable=True, base=base)
    locations.activate(chosen)
    return chosen
