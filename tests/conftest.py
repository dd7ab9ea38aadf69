"""Shared fixtures. Tests run headless and with the minimum KDF cost (64 MiB, t=3)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["MONITOR_APP_KDF_PROFILE"] = "minimum"

from monitor_app.vault import lifecycle
from monitor_app.vault.session import UnlockedVault

PASSPHRASE = "correct horse battery staple"

# The worker threads of monitor_app/background.py and bundles/read_back.py: an export or
# import that ends, however it ends (done, cancelled, refused, a full disk), ends them.
BACKGROUND_THREADS = frozenset({"sha256", "writer", "read-back"})


@pytest.fixture(autouse=True)
def no_background_thread_outlives_its_test() -> Iterator[None]:
    yield
    left = [t.name for t in threading.enumerate() if t.name in BACKGROUND_THREADS]
    assert not left, f"background threads left running: {left}"


# Awkward text reused across record, CLI and GUI tests: mixed scripts, RTL marks, combining
# characters, emoji, very long strings.
HOSTILE_TEXTS = [
    "Ислам Каримов — задержан 3 марта",
    "Кыйноо: өч алуу, үй-бүлө, ң",
    "détenu arrêté à l'aube",
    "酷刑发生在审讯室",
    "\u202eevil\u202c right-to-left override",
    "e\u0301\u0301\u0301 combining",
    "emoji 🙂👩🏽‍⚖️",
    "x" * 1000,
    "'; DROP TABLE records; --",
    '"quoted" NEAR(a b) AND OR NOT * ^',
]


@pytest.fixture
def passphrase() -> str:
    return PASSPHRASE


@pytest.fixture
def vault_dir(tmp_path: Path) -> Path:
    return tmp_path / "vault"


@pytest.fixture
def created_vault(vault_dir: Path) -> Iterator[tuple[UnlockedVault, str]]:
    vault, code = lifecycle.create_vault(
        vault_dir, PASSPHRASE, name="Test Monitor", organisation="Test Org"
    )
    yield vault, code
    vault.lock()


@pytest.fixture
def vault(created_vault: tuple[UnlockedVault, str]) -> UnlockedVault:
    return created_vault[0]


@pytest.fixture
def recovery_code(created_vault: tuple[UnlockedVault, str]) -> str:
    return created_vault[1]


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[UnlockedVault]:
    """A second vault, the coalition hub that field vaults hand bundles to."""
    vault, _ = lifecycle.create_vault(tmp_path / "hub", PASSPHRASE, name="Hub", organisation="C")
    yield vault
    vault.lock()


@pytest.fixture
def stick(tmp_path: Path) -> Path:
    """A folder standing for a USB stick that bundles are written to."""
    path = tmp_path / "stick"
    path.mkdir()
    return path
