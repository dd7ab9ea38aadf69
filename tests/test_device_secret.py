"""The optional device secret: a per-vault key kept in a trusted OS credential store."""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keyring
import pytest

from monitor_app.errors import MonitorError
from monitor_app.vault import device_secret, keyslots, lifecycle
from monitor_app.vault.device_secret import SERVICE, DeviceSecretStore, OsKeyringStore
from tests.conftest import PASSPHRASE
from tests.vault_checks import assert_refused_unchanged


class MemoryStore:
    """A trusted store that lives in memory (implements DeviceSecretStore)."""

    def __init__(self) -> None:
        self.secrets: dict[str, bytes] = {}
        self.deleted: list[str] = []

    def available(self) -> tuple[bool, str]:
        return True, ""

    def create(self, vault_id: str) -> bytes:
        secret = secrets.token_bytes(device_secret.SECRET_LENGTH)
        self.secrets[vault_id] = secret
        return secret

    def load(self, vault_id: str) -> bytes:
        try:
            return self.secrets[vault_id]
        except KeyError:
            raise MonitorError("device_secret_missing", reason="not_in_keyring") from None

    def delete(self, vault_id: str) -> None:
        self.deleted.append(vault_id)
        self.secrets.pop(vault_id, None)


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def device_vault(vault_dir: Path, store: MemoryStore) -> tuple[Path, str, str]:
    """A locked vault whose passphrase slot needs the device secret: (path, vault id, code)."""
    vault, code = lifecycle.create_vault(
        vault_dir, PASSPHRASE, name="Field laptop", use_device_secret=True, device_store=store
    )
    vault.records.add("place", {"name": "ИВС Ош", "place_type": "police_station"})
    vault_id = vault.vault_id
    vault.lock()
    return vault_dir, vault_id, code


def test_memory_store_satisfies_the_protocol(store: MemoryStore) -> None:
    typed: DeviceSecretStore = store
    assert typed.available() == (True, "")


def test_create_with_device_secret_marks_only_the_passphrase_slot(
    device_vault: tuple[Path, str, str], store: MemoryStore
) -> None:
    path, vault_id, _ = device_vault
    assert list(store.secrets) == [vault_id]
    assert len(store.secrets[vault_id]) == device_secret.SECRET_LENGTH
    body = json.loads((path / keyslots.FILE_NAME).read_text())
    flags = {s["type"]: s["device_secret"] for s in body["slots"]}
    assert flags == {"passphrase": True, "recovery": False}
    # The secret itself is never written into the vault.
    raw = store.secrets[vault_id]
    for entry in path.rglob("*"):
        if entry.is_file():
            data = entry.read_bytes()
            assert raw not in data
            assert base64.b64encode(raw) not in data


def test_unlock_works_with_the_store_holding_the_secret(
    device_vault: tuple[Path, str, str], store: MemoryStore
) -> None:
    path, _, _ = device_vault
    with lifecycle.unlock(path, PASSPHRASE, device_store=store) as vault:
        assert [s.display for s in vault.records.list()] == ["ИВС Ош"]


def test_unlock_without_the_secret_is_device_secret_missing(
    device_vault: tuple[Path, str, str], store: MemoryStore
) -> None:
    path, _, _ = device_vault
    store.secrets.clear()
    error = assert_refused_unchanged(
        path,
        "device_secret_missing",
        lambda: lifecycle.unlock(path, PASSPHRASE, device_store=store),
    )
    assert error.params == {"reason": "not_in_keyring"}


def test_passphrase_alone_is_not_enough_even_with_another_secret(
    device_vault: tuple[Path, str, str], store: MemoryStore
) -> None:
    path, vault_id, _ = device_vault
    store.secrets[vault_id] = secrets.token_bytes(device_secret.SECRET_LENGTH)
    assert_refused_unchanged(
        path, "wrong_passphrase", lambda: lifecycle.unlock(path, PASSPHRASE, device_store=store)
    )


def test_wrong_passphrase_with_the_right_secret(
    device_vault: tuple[Path, str, str], store: MemoryStore
) -> None:
    path, _, _ = device_vault
    assert_refused_unchanged(
        path,
        "wrong_passphrase",
        lambda: lifecycle.unlock(path, "not the passphrase", device_store=store),
    )


def test_default_store_on_a_headless_machine_cannot_supply_the_secret(
    device_vault: tuple[Path, str, str],
) -> None:
    path, _, _ = device_vault
    error = assert_refused_unchanged(
        path, "device_secret_missing", lambda: lifecycle.unlock(path, PASSPHRASE)
    )
    assert error.params["reason"] in ("no_os_keyring", "no_keyring_backend")


def test_recovery_code_opens_without_the_device_secret(
    device_vault: tuple[Path, str, str], store: MemoryStore
) -> None:
    # Losing the keyring (new laptop) must not lose the data.
    path, _, code = device_vault
    store.secrets.clear()
    with lifecycle.unlock_with_recovery_code(path, code) as vault:
        assert vault.records.count() == 1
        lifecycle.change_passphrase(
            vault, "passphrase on the new laptop", use_device_secret=False, device_store=store
        )
    body = json.loads((path / keyslots.FILE_NAME).read_text())
    assert all(not s["device_secret"] for s in body["slots"])
    with lifecycle.unlock(path, "passphrase on the new laptop") as vault:
        assert vault.records.count() == 1


def test_turning_the_device_secret_off_deletes_it(
    device_vault: tuple[Path, str, str], store: MemoryStore
) -> None:
    path, vault_id, _ = device_vault
    with lifecycle.unlock(path, PASSPHRASE, device_store=store) as vault:
        lifecycle.change_passphrase(vault, PASSPHRASE, use_device_secret=False, device_store=store)
    assert store.deleted == [vault_id]
    assert vault_id not in store.secrets
    with lifecycle.unlock(path, PASSPHRASE) as vault:
        assert vault.records.count() == 1


def test_turning_the_device_secret_on_later(vault_dir: Path, store: MemoryStore) -> None:
    vault, _ = lifecycle.create_vault(vault_dir, PASSPHRASE, name="A")
    lifecycle.change_passphrase(vault, PASSPHRASE, use_device_secret=True, device_store=store)
    vault_id = vault.vault_id
    vault.lock()
    assert vault_id in store.secrets
    with lifecycle.unlock(vault_dir, PASSPHRASE, device_store=store):
        pass
    store.secrets.clear()
    assert_refused_unchanged(
        vault_dir,
        "device_secret_missing",
        lambda: lifecycle.unlock(vault_dir, PASSPHRASE, device_store=store),
    )


def test_create_with_an_unavailable_store_creates_nothing(vault_dir: Path) -> None:
    with pytest.raises(MonitorError) as caught:
        lifecycle.create_vault(
            vault_dir, PASSPHRASE, name="A", use_device_secret=True, device_store=OsKeyringStore()
        )
    assert caught.value.code == "device_secret_unavailable"
    assert not vault_dir.exists()


# -- which OS keyrings count -------------------------------------------------------------------


def test_os_keyring_on_this_headless_machine_is_unavailable() -> None:
    usable, reason = OsKeyringStore().available()
    assert usable is False
    assert reason in ("no_os_keyring", "no_keyring_backend")


def _backend_class(module: str, name: str) -> type:
    """A keyring backend class that claims to live in ``module``; stores secrets in a dict."""

    def set_password(self: Any, service: str, user: str, password: str) -> None:
        self.stored[(service, user)] = password

    def get_password(self: Any, service: str, user: str) -> str | None:
        return self.stored.get((service, user))

    def delete_password(self: Any, service: str, user: str) -> None:
        self.stored.pop((service, user), None)

    def init(self: Any) -> None:
        self.stored = {}

    return type(
        name,
        (),
        {
            "__module__": module,
            "__init__": init,
            "set_password": set_password,
            "get_password": get_password,
            "delete_password": delete_password,
        },
    )


class PlaintextFileKeyring:
    """Like keyrings.alt's file keyring: writes secrets where anyone with the disk reads them."""

    def __init__(self) -> None:
        self.stored: dict[tuple[str, str], str] = {}

    def set_password(self, service: str, user: str, password: str) -> None:
        self.stored[(service, user)] = password

    def get_password(self, service: str, user: str) -> str | None:
        return self.stored.get((service, user))


@pytest.mark.parametrize(
    "backend_factory",
    [
        PlaintextFileKeyring,
        _backend_class("keyrings.alt.file", "PlaintextKeyring"),
        _backend_class("keyrings.alt.file", "EncryptedKeyring"),
        _backend_class("keyring.backends.fail", "Keyring"),
        _backend_class("keyring.backends.null", "Keyring"),
        _backend_class("my_keyring.backends.SecretService", "Keyring"),
    ],
)
def test_untrusted_keyring_backends_are_unavailable(
    monkeypatch: pytest.MonkeyPatch, backend_factory: Callable[[], Any]
) -> None:
    backend = backend_factory()
    monkeypatch.setattr(keyring, "get_keyring", lambda: backend)
    store = OsKeyringStore()
    assert store.available() == (False, "no_os_keyring")
    with pytest.raises(MonitorError) as caught:
        store.create("3f0c8e1a-1d2b-4c5d-8e9f-0a1b2c3d4e5f")
    assert caught.value.code == "device_secret_unavailable"
    assert backend.stored == {}  # nothing was handed to the plaintext store
    with pytest.raises(MonitorError) as caught:
        store.load("3f0c8e1a-1d2b-4c5d-8e9f-0a1b2c3d4e5f")
    assert caught.value.code == "device_secret_missing"


def test_keyring_lookup_that_raises_is_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> Any:
        raise RuntimeError("no D-Bus session")

    monkeypatch.setattr(keyring, "get_keyring", broken)
    assert OsKeyringStore().available() == (False, "no_keyring_backend")


def test_chainer_is_trusted_only_if_every_backend_is(monkeypatch: pytest.MonkeyPatch) -> None:
    trusted = _backend_class("keyring.backends.SecretService", "Keyring")
    plaintext = _backend_class("keyrings.alt.file", "PlaintextKeyring")
    chainer = type("ChainerBackend", (), {"__module__": "keyring.backends.chainer"})

    mixed = chainer()
    mixed.backends = [trusted(), plaintext()]
    monkeypatch.setattr(keyring, "get_keyring", lambda: mixed)
    assert OsKeyringStore().available() == (False, "no_os_keyring")

    empty = chainer()
    empty.backends = []
    monkeypatch.setattr(keyring, "get_keyring", lambda: empty)
    assert OsKeyringStore().available() == (False, "no_os_keyring")

    good = chainer()
    good.backends = [trusted(), trusted()]
    monkeypatch.setattr(keyring, "get_keyring", lambda: good)
    assert OsKeyringStore().available() == (True, "")


def test_trusted_backend_stores_and_loads_the_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    backend = _backend_class("keyring.backends.libsecret", "Keyring")()
    monkeypatch.setattr(keyring, "get_keyring", lambda: backend)
    store = OsKeyringStore()
    assert store.available() == (True, "")
    vault_id = "7a2b3c4d-5e6f-4a1b-8c9d-0e1f2a3b4c5d"
    secret = store.create(vault_id)
    assert len(secret) == device_secret.SECRET_LENGTH
    assert store.load(vault_id) == secret
    assert list(backend.stored) == [(SERVICE, vault_id)]

    backend.stored[(SERVICE, vault_id)] = "%%% not base64 %%%"
    with pytest.raises(MonitorError) as caught:
        store.load(vault_id)
    assert caught.value.code == "device_secret_missing"
    assert caught.value.params == {"reason": "damaged"}
    assert "%%%" not in str(caught.value)

    backend.stored[(SERVICE, vault_id)] = base64.b64encode(b"short").decode()
    with pytest.raises(MonitorError) as caught:
        store.load(vault_id)
    assert caught.value.params == {"reason": "damaged"}

    store.delete(vault_id)
    with pytest.raises(MonitorError) as caught:
        store.load(vault_id)
    assert caught.value.params == {"reason": "not_in_keyring"}
    store.delete(vault_id)  # deleting again is fine


def test_device_vault_with_a_trusted_os_keyring(
    monkeypatch: pytest.MonkeyPatch, vault_dir: Path
) -> None:
    backend = _backend_class("keyring.backends.macOS", "Keyring")()
    monkeypatch.setattr(keyring, "get_keyring", lambda: backend)
    vault, _ = lifecycle.create_vault(vault_dir, PASSPHRASE, name="A", use_device_secret=True)
    vault.lock()
    assert len(backend.stored) == 1
    with lifecycle.unlock(vault_dir, PASSPHRASE):
        pass
    backend.stored.clear()
    assert_refused_unchanged(
        vault_dir, "device_secret_missing", lambda: lifecycle.unlock(vault_dir, PASSPHRASE)
    )
