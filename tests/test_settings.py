"""App settings (monitor_app/settings.py): saved where the locations say, read strictly, and
a damaged file never keeps the app from starting."""

from __future__ import annotations

import json
import stat
import threading
from pathlib import Path

import pytest

from monitor_app import locations, settings
from monitor_app.crypto import kdf
from monitor_app.errors import StorageError, VaultError
from monitor_app.settings import Settings
from monitor_app.vault import keyslots, lifecycle
from monitor_app.vault.session import UnlockedVault
from tests.conftest import PASSPHRASE
from tests.host_tools import FakeKeyring, activate_portable


@pytest.fixture
def portable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> locations.Locations:
    """Portable locations under tmp_path, and everything activate() changes put back after."""
    return activate_portable(tmp_path, monkeypatch)


def test_defaults_when_nothing_was_saved(portable: locations.Locations) -> None:
    assert settings.load() == Settings(language=None, auto_lock_minutes=5)
    assert settings.startup_language() is None


def test_saved_settings_come_back(portable: locations.Locations) -> None:
    settings.save(Settings(language="ru", auto_lock_minutes=15))
    path = portable.settings_dir / settings.FILE_NAME
    assert settings.settings_path() == path
    assert settings.load() == Settings(language="ru", auto_lock_minutes=15)
    assert settings.startup_language() == "ru"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # Only the settings: nothing else in the folder (no temporary file left behind).
    assert sorted(p.name for p in portable.settings_dir.iterdir() if p.is_file()) == [
        settings.FILE_NAME
    ]
    assert json.loads(path.read_text()) == {
        "format": "monitor_app.settings",
        "format_version": 1,
        "language": "ru",
        "auto_lock_minutes": 15,
    }


def test_save_creates_a_private_folder(tmp_path: Path) -> None:
    path = tmp_path / "new" / "settings.json"
    settings.save(Settings(language="zh_CN"), path)
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert settings.load(path) == Settings(language="zh_CN")


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"{",
        b"\xff\xfe not utf-8",
        b"[1, 2, 3]",
        b"null",
        b'"text"',
        b"[" * 100_000,  # nested too deep for the parser
        b'{"language": "ru", "auto_lock_minutes": 3}' + b" " * settings.MAX_FILE_SIZE,
    ],
)
def test_a_damaged_file_gives_the_defaults(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "settings.json"
    path.write_bytes(content)
    assert settings.load(path) == Settings()


def test_a_folder_in_place_of_the_file_gives_the_defaults(tmp_path: Path) -> None:
    (tmp_path / "settings.json").mkdir()
    assert settings.load(tmp_path / "settings.json") == Settings()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"language": "fr", "auto_lock_minutes": 30}, Settings("fr", 30)),
        ({"language": "de", "auto_lock_minutes": 30}, Settings(None, 30)),  # not shipped
        ({"language": 7, "auto_lock_minutes": 1}, Settings(None, 1)),
        ({"language": "ky", "auto_lock_minutes": 0}, Settings("ky", 5)),  # never "never"
        ({"language": "ky", "auto_lock_minutes": -1}, Settings("ky", 5)),
        ({"language": "ky", "auto_lock_minutes": 121}, Settings("ky", 5)),
        ({"language": "ky", "auto_lock_minutes": 120}, Settings("ky", 120)),
        ({"language": "ky", "auto_lock_minutes": True}, Settings("ky", 5)),
        ({"language": "ky", "auto_lock_minutes": 2.5}, Settings("ky", 5)),
        ({"language": "ky", "auto_lock_minutes": "10"}, Settings("ky", 5)),
        ({"language": None, "future_option": {"x": 1}}, Settings()),  # unknown keys ignored
    ],
)
def test_bad_values_fall_back_one_by_one(
    tmp_path: Path, data: dict[str, object], expected: Settings
) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps(data))
    assert settings.load(path) == expected


def test_bad_values_are_never_written(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        Settings(auto_lock_minutes=0)
    with pytest.raises(ValueError):
        Settings(language="xx")
    assert settings.clamp_auto_lock(0) == 1
    assert settings.clamp_auto_lock(10_000) == 120
    assert settings.clamp_auto_lock(7) == 7


def test_an_unwritable_folder_is_a_storage_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(StorageError):
        settings.save(Settings(), blocker / "settings.json")


# -- the vault's settings: its passphrase slot -------------------------------------------------
def test_a_wrong_passphrase_rewraps_nothing(vault: UnlockedVault, vault_dir: Path) -> None:
    before = (vault_dir / keyslots.FILE_NAME).read_bytes()
    with pytest.raises(VaultError, match="wrong_passphrase"):
        settings.rewrap(vault, FakeKeyring(), "not the passphrase", "new passphrase 123")
    with pytest.raises(VaultError, match="wrong_passphrase"):
        settings.rewrap(vault, FakeKeyring(), PASSPHRASE[:-1], PASSPHRASE, recalibrate=True)
    assert (vault_dir / keyslots.FILE_NAME).read_bytes() == before
    settings.verify_passphrase(vault, PASSPHRASE, FakeKeyring())


def test_rewrap_changes_the_passphrase_keyring_and_strength(
    vault: UnlockedVault, vault_dir: Path
) -> None:
    keyring = FakeKeyring()
    slot = settings.rewrap(vault, keyring, PASSPHRASE, PASSPHRASE, use_device_secret=True)
    assert slot is not None and slot.device_secret and vault.vault_id in keyring.secrets
    settings.verify_passphrase(vault, PASSPHRASE, keyring)
    slot = settings.rewrap(vault, keyring, PASSPHRASE, "another passphrase", recalibrate=True)
    assert slot is not None and slot.device_secret, "the keyring stays as it was"
    assert slot.kdf_params == kdf.calibrate()
    slot = settings.rewrap(
        vault, keyring, "another passphrase", PASSPHRASE, use_device_secret=False
    )
    assert slot is not None and not slot.device_secret and keyring.secrets == {}
    vault.lock()
    lifecycle.unlock(vault_dir, PASSPHRASE).lock()


def test_key_derivations_wait_for_each_other() -> None:
    """Two Argon2id derivations at once can hang for ever in OpenSSL's thread pool (on two
    cores): those the app starts take turns."""
    times: list[float] = []
    threads = [
        threading.Thread(
            target=lambda: times.append(settings.unlock_seconds(kdf.MINIMUM)), daemon=True
        )
        for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(times) == 3 and all(t > 0 for t in times)
