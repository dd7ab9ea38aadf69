"""Key slots: passphrase change, interrupted changes, tampered slot files."""

from __future__ import annotations

import base64
import json
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from monitor_app.crypto import kdf, recovery_code
from monitor_app.errors import VaultError
from monitor_app.vault import keyslots, lifecycle, rekey, slot_keys
from monitor_app.vault.session import UnlockedVault
from tests.conftest import PASSPHRASE
from tests.vault_checks import assert_refused_unchanged

NEW_PASSPHRASE = "новая парольная фраза 2024"


def names(path: Path) -> list[str]:
    return sorted(p.name for p in path.iterdir())


def read_slots(path: Path) -> dict[str, Any]:
    return json.loads((path / keyslots.FILE_NAME).read_text())


def write_slots(path: Path, body: dict[str, Any], name: str = keyslots.FILE_NAME) -> None:
    (path / name).write_text(json.dumps(body, indent=2))


def slot_json(body: dict[str, Any], slot_type: str) -> dict[str, Any]:
    return next(s for s in body["slots"] if s["type"] == slot_type)


def _make_template(base: Path, params: kdf.KdfParams | None = None) -> tuple[Path, str]:
    path = base / "vault"
    vault, code = lifecycle.create_vault(path, PASSPHRASE, name="Template", kdf_params=params)
    vault.records.add("place", {"name": "Изолятор №2", "place_type": "police_station"})
    vault.lock()
    return path, code


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    yield _make_template(tmp_path_factory.mktemp("template"))


@pytest.fixture
def copied(template: tuple[Path, str], tmp_path: Path) -> tuple[Path, str]:
    source, code = template
    shutil.copytree(source, tmp_path / "copy")
    return tmp_path / "copy", code


def has_place(path: Path, passphrase: str = PASSPHRASE) -> bool:
    with lifecycle.unlock(path, passphrase) as vault:
        return [s.display for s in vault.records.list()] == ["Изолятор №2"]


# -- passphrase change -------------------------------------------------------------------------


def test_change_passphrase_replaces_only_the_passphrase_slot(copied: tuple[Path, str]) -> None:
    path, code = copied
    before = read_slots(path)
    vault = lifecycle.unlock(path, PASSPHRASE)
    lifecycle.change_passphrase(vault, NEW_PASSPHRASE)
    assert vault.slots.generation == before["generation"] + 1
    vault.lock()

    assert names(path) == ["blobs", "keyslots.json", "vault.db"]  # no next/prev/temp files
    after = read_slots(path)
    assert after["generation"] == before["generation"] + 1
    assert slot_json(after, "recovery") == slot_json(before, "recovery")
    old_pass, new_pass = slot_json(before, "passphrase"), slot_json(after, "passphrase")
    assert new_pass["id"] != old_pass["id"]
    assert new_pass["salt"] != old_pass["salt"]
    assert new_pass["kdf"] == old_pass["kdf"]  # parameters carried over

    assert_refused_unchanged(path, "wrong_passphrase", lambda: lifecycle.unlock(path, PASSPHRASE))
    assert has_place(path, NEW_PASSPHRASE)
    with lifecycle.unlock_with_recovery_code(path, code) as recovered:
        assert recovered.records.count() == 1


def _next_generation_file(path: Path) -> bytes:
    """What an interrupted change leaves: a verified next slot file with the new passphrase."""
    vault = lifecycle.unlock(path, PASSPHRASE)
    new_slot, _ = keyslots.make_slot(
        "passphrase", vault.vault_id, NEW_PASSPHRASE.encode(), vault.data_key(), kdf.MINIMUM
    )
    raw = vault.slots.with_slot(new_slot).to_bytes()
    vault.lock()
    return raw


def test_interrupted_change_with_only_next_file(copied: tuple[Path, str]) -> None:
    path, code = copied
    raw = _next_generation_file(path)
    (path / keyslots.NEXT_NAME).write_bytes(raw)
    (path / keyslots.FILE_NAME).unlink()

    # The old passphrase is no longer in any slot file: refused, nothing settled.
    assert_refused_unchanged(path, "wrong_passphrase", lambda: lifecycle.unlock(path, PASSPHRASE))
    assert has_place(path, NEW_PASSPHRASE)
    assert names(path) == ["blobs", "keyslots.json", "vault.db"]
    assert (path / keyslots.FILE_NAME).read_bytes() == raw
    # Settled for good: the new passphrase and the recovery code keep working.
    assert has_place(path, NEW_PASSPHRASE)
    with lifecycle.unlock_with_recovery_code(path, code) as vault:
        assert vault.records.count() == 1


def test_interrupted_change_between_the_two_renames(copied: tuple[Path, str]) -> None:
    # Crash after keyslots.json -> keyslots.prev.json, before next -> keyslots.json.
    path, _ = copied
    raw = _next_generation_file(path)
    old = (path / keyslots.FILE_NAME).read_bytes()
    (path / keyslots.NEXT_NAME).write_bytes(raw)
    (path / keyslots.FILE_NAME).rename(path / keyslots.PREV_NAME)

    assert has_place(path, NEW_PASSPHRASE)
    assert names(path) == ["blobs", "keyslots.json", "vault.db"]
    assert (path / keyslots.FILE_NAME).read_bytes() == raw
    assert (path / keyslots.FILE_NAME).read_bytes() != old
    assert_refused_unchanged(path, "wrong_passphrase", lambda: lifecycle.unlock(path, PASSPHRASE))


def test_leftover_damaged_next_file_is_ignored_and_removed(copied: tuple[Path, str]) -> None:
    path, _ = copied
    main = (path / keyslots.FILE_NAME).read_bytes()
    (path / keyslots.NEXT_NAME).write_bytes(b'{"format": "monitor_app.keyslots", "trunc')
    assert has_place(path)
    assert names(path) == ["blobs", "keyslots.json", "vault.db"]
    assert (path / keyslots.FILE_NAME).read_bytes() == main


# -- tampered slot files -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def strong_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A vault whose passphrase slot uses twice the floor memory, so it can be weakened."""
    return _make_template(
        tmp_path_factory.mktemp("strong"), kdf.KdfParams(2 * kdf.MIN_MEMORY_KIB, 3)
    )


def test_weakened_kdf_memory_does_not_unwrap(
    strong_template: tuple[Path, str], tmp_path: Path
) -> None:
    path = tmp_path / "strong"
    shutil.copytree(strong_template[0], path)
    body = read_slots(path)
    slot = slot_json(body, "passphrase")
    assert slot["kdf"]["memory_kib"] == 2 * kdf.MIN_MEMORY_KIB
    slot["kdf"]["memory_kib"] = kdf.MIN_MEMORY_KIB  # still within bounds, but weaker
    write_slots(path, body)
    assert_refused_unchanged(path, "wrong_passphrase", lambda: lifecycle.unlock(path, PASSPHRASE))
    # Control: the untouched parameters open it.
    slot["kdf"]["memory_kib"] = 2 * kdf.MIN_MEMORY_KIB
    write_slots(path, body)
    assert has_place(path)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("memory_kib", kdf.MIN_MEMORY_KIB // 2),
        ("memory_kib", 8),
        ("memory_kib", 2**40),  # absurd: must be refused before any allocation
        ("iterations", 1),
        ("iterations", 10_000),
        ("lanes", 0),
        ("name", "pbkdf2"),
        ("memory_kib", "lots"),
    ],
)
def test_kdf_parameters_out_of_bounds_are_damaged(
    copied: tuple[Path, str], key: str, value: Any
) -> None:
    path, _ = copied
    body = read_slots(path)
    slot_json(body, "passphrase")["kdf"][key] = value
    write_slots(path, body)
    error = assert_refused_unchanged(
        path, "keyslots_damaged", lambda: lifecycle.unlock(path, PASSPHRASE)
    )
    assert error.params == {"reason": "kdf_parameters"}


def test_edited_slot_id_or_vault_id_does_not_unwrap(copied: tuple[Path, str]) -> None:
    # Not part of the key derivation, only of the associated data: proves the binding.
    path, code = copied
    original = read_slots(path)
    body = json.loads(json.dumps(original))
    slot_json(body, "passphrase")["id"] = "6f1c0f8e-2a59-4b8e-9d49-0c5d1bb1c0de"
    write_slots(path, body)
    assert_refused_unchanged(path, "wrong_passphrase", lambda: lifecycle.unlock(path, PASSPHRASE))

    body = json.loads(json.dumps(original))
    body["vault_id"] = "0e7b1a52-8f3c-4d6a-a1e2-5b9c7d3f4e21"
    write_slots(path, body)
    assert_refused_unchanged(path, "wrong_passphrase", lambda: lifecycle.unlock(path, PASSPHRASE))
    assert_refused_unchanged(
        path, "wrong_recovery_code", lambda: lifecycle.unlock_with_recovery_code(path, code)
    )


def test_slot_copied_from_another_vault_does_not_unwrap(
    copied: tuple[Path, str], tmp_path: Path
) -> None:
    path, _ = copied
    other, _ = lifecycle.create_vault(tmp_path / "other", PASSPHRASE, name="Other")
    other.lock()
    foreign = slot_json(read_slots(tmp_path / "other"), "passphrase")
    body = read_slots(path)
    body["slots"] = [foreign if s["type"] == "passphrase" else s for s in body["slots"]]
    write_slots(path, body)
    # Same passphrase, but the slot wraps another key and is bound to another vault id.
    assert_refused_unchanged(path, "wrong_passphrase", lambda: lifecycle.unlock(path, PASSPHRASE))


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not json at all",
        b"\xff\xfe\x00garbage",
        b"[]",
        b'{"format": "something.else", "format_version": 1}',
        b'{"format": "monitor_app.keyslots", "format_version": "1"}',
        b'{"format": "monitor_app.keyslots", "format_version": 1}',
        b'{"format": "monitor_app.keyslots", "format_version": 1, "vault_id": "x",'
        b' "generation": 1, "slots": []}',
        b" " * (keyslots.MAX_FILE_SIZE + 10),
    ],
)
def test_damaged_keyslots_file(copied: tuple[Path, str], content: bytes) -> None:
    path, _ = copied
    (path / keyslots.FILE_NAME).write_bytes(content)
    assert_refused_unchanged(path, "keyslots_damaged", lambda: lifecycle.unlock(path, PASSPHRASE))


def test_damaged_slot_fields(copied: tuple[Path, str]) -> None:
    path, _ = copied
    original = read_slots(path)
    edits: list[Callable[[dict[str, Any]], None]] = [
        lambda s: s.update(type="fingerprint"),
        lambda s: s.update(aead="aes-gcm"),
        lambda s: s.update(salt="***not base64***"),
        lambda s: s.update(device_secret="yes"),
        lambda s: s.pop("wrapped_key"),
        lambda s: s.update(id="not-a-uuid"),
    ]
    for edit in edits:
        body = json.loads(json.dumps(original))
        edit(slot_json(body, "passphrase"))
        write_slots(path, body)
        assert_refused_unchanged(
            path, "keyslots_damaged", lambda: lifecycle.unlock(path, PASSPHRASE)
        )


def test_vault_without_a_passphrase_slot_still_opens_with_recovery(
    copied: tuple[Path, str],
) -> None:
    path, code = copied
    body = read_slots(path)
    body["slots"] = [s for s in body["slots"] if s["type"] == "recovery"]
    write_slots(path, body)
    assert_refused_unchanged(path, "wrong_passphrase", lambda: lifecycle.unlock(path, PASSPHRASE))
    with lifecycle.unlock_with_recovery_code(path, code) as vault:
        lifecycle.change_passphrase(vault, NEW_PASSPHRASE)
    assert has_place(path, NEW_PASSPHRASE)


# -- a damaged slot is never sealed in by a re-wrap --------------------------------------------
# A re-wrap (passphrase change, re-key) writes the slot file anew. A recovery slot that no
# longer opens would be carried over, or re-wrapped around a new data key, so that even the
# backup copy of keyslots.json stops working: the recovery code is lost for good. So every
# slot is checked against its stored key first, and a damaged one stops the change.


def _flip(text: str) -> str:
    raw = bytearray(base64.b64decode(text))
    raw[0] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


RECOVERY_DAMAGE: dict[str, Callable[[dict[str, Any]], None]] = {
    "wrapped_key": lambda s: s.update(wrapped_key=_flip(s["wrapped_key"])),
    "nonce": lambda s: s.update(nonce=_flip(s["nonce"])),
    "salt": lambda s: s.update(salt=_flip(s["salt"])),
    "kdf": lambda s: s["kdf"].update(iterations=s["kdf"]["iterations"] + 1),
}


def damage_recovery_slot(path: Path, damage: str) -> str | None:
    """Damage the recovery slot in keyslots.json (or remove it); returns its id as stored."""
    body = read_slots(path)
    slot = slot_json(body, "recovery")
    if damage == "removed":
        body["slots"] = [s for s in body["slots"] if s["type"] != "recovery"]
        write_slots(path, body)
        return None
    if damage == "shadowed":
        # A second recovery slot in front of the real one: unlocking tries only the first.
        decoy = {**slot, "id": str(uuid.uuid4())}
        body["slots"] = [decoy, *body["slots"]]
        write_slots(path, body)
        return str(decoy["id"])
    RECOVERY_DAMAGE[damage](slot)
    write_slots(path, body)
    return str(slot["id"])


def _change_passphrase(vault: UnlockedVault) -> None:
    lifecycle.change_passphrase(vault, NEW_PASSPHRASE)


REWRAPS: dict[str, Callable[[UnlockedVault], None]] = {
    "passphrase_change": _change_passphrase,
    "rekey": rekey.rekey,
}


@pytest.mark.parametrize("damage", [*RECOVERY_DAMAGE, "removed", "shadowed"])
@pytest.mark.parametrize("rewrap", list(REWRAPS))
def test_a_rewrap_refuses_a_damaged_recovery_slot_and_changes_nothing(
    copied: tuple[Path, str], template: tuple[Path, str], rewrap: str, damage: str
) -> None:
    path, code = copied
    slot_id = damage_recovery_slot(path, damage)
    with lifecycle.unlock(path, PASSPHRASE) as vault:
        slots_before = vault.slots
        with vault.reading() as conn:
            keys_before = slot_keys.known(conn)
        error = assert_refused_unchanged(path, "key_slot_damaged", lambda: REWRAPS[rewrap](vault))
        assert isinstance(error, VaultError)
        assert error.params == {"slot_type": "recovery", "slot_id": slot_id}
        assert vault.slots == slots_before
        with vault.reading() as conn:
            assert slot_keys.known(conn) == keys_before
    assert has_place(path)
    # Because nothing was re-wrapped, the backup copy of the slot file still brings the
    # recovery code back.
    shutil.copy(template[0] / keyslots.FILE_NAME, path / keyslots.FILE_NAME)
    with lifecycle.unlock_with_recovery_code(path, code) as recovered:
        assert recovered.records.count() == 1


def test_recovery_replaces_a_damaged_passphrase_slot(copied: tuple[Path, str]) -> None:
    """The slot a passphrase change replaces is not checked: recovery is for a passphrase
    slot that no longer opens."""
    path, code = copied
    body = read_slots(path)
    passphrase_slot = slot_json(body, "passphrase")
    passphrase_slot.update(wrapped_key=_flip(passphrase_slot["wrapped_key"]))
    write_slots(path, body)
    with lifecycle.unlock_with_recovery_code(path, code) as vault:
        assert vault.key_slot_warnings() == []
        lifecycle.change_passphrase(vault, NEW_PASSPHRASE)
    assert has_place(path, NEW_PASSPHRASE)


def test_a_slot_whose_key_is_not_stored_does_not_stop_a_passphrase_change(
    copied: tuple[Path, str],
) -> None:
    """A vault from before the slot_keys table knows only its passphrase slot's key until the
    recovery code is used once; its passphrase can still be changed (the recovery slot is
    carried over as it is)."""
    path, code = copied
    with lifecycle.unlock(path, PASSPHRASE) as vault:
        recovery = vault.slots.slot_of_type("recovery")
        assert recovery is not None
        with vault.transaction() as conn:
            conn.execute("DELETE FROM slot_keys WHERE slot_id = ?", (recovery.slot_id,))
        assert vault.key_slot_warnings() == []
        lifecycle.change_passphrase(vault, NEW_PASSPHRASE)
    assert slot_json(read_slots(path), "recovery")["id"] == recovery.slot_id
    with lifecycle.unlock_with_recovery_code(path, code) as recovered:
        assert recovered.records.count() == 1


@pytest.mark.parametrize("damage", [*RECOVERY_DAMAGE, "removed", "shadowed"])
def test_unlock_warns_that_a_damaged_recovery_slot_would_not_open(
    copied: tuple[Path, str], damage: str
) -> None:
    path, _ = copied
    slot_id = damage_recovery_slot(path, damage)
    damaged = (path / keyslots.FILE_NAME).read_bytes()
    with lifecycle.unlock(path, PASSPHRASE) as vault:
        warnings = vault.key_slot_warnings()
        assert [w.code for w in warnings] == ["recovery_slot_damaged"]
        assert warnings[0].params == {"slot_type": "recovery", "slot_id": slot_id}
    # Unlocking reports the damage and leaves the evidence (and the backup's use) as it was.
    assert (path / keyslots.FILE_NAME).read_bytes() == damaged


def test_an_intact_vault_has_no_key_slot_warnings(copied: tuple[Path, str]) -> None:
    path, _ = copied
    with lifecycle.unlock(path, PASSPHRASE) as vault:
        assert vault.key_slot_warnings() == []
        rekey.rekey(vault)
        assert vault.key_slot_warnings() == []
        lifecycle.change_passphrase(vault, NEW_PASSPHRASE)
        assert vault.key_slot_warnings() == []
    with lifecycle.unlock(path, NEW_PASSPHRASE) as vault:
        assert vault.key_slot_warnings() == []


# -- the slot file in memory -------------------------------------------------------------------


def test_slot_file_round_trips_and_binds_its_secret() -> None:
    vault_id = "2d8f0a4c-1b6e-4f3a-9c7d-5e2b8a1f0c93"
    data_key = bytes(range(32))
    secret = recovery_code.parse(recovery_code.generate())
    slot, _ = keyslots.make_slot("recovery", vault_id, secret, data_key, kdf.MINIMUM)
    slot_file = keyslots.SlotFile(vault_id, 3, [slot])
    parsed = keyslots.parse(slot_file.to_bytes())
    assert parsed == slot_file
    assert keyslots.open_slot(parsed.slots[0], vault_id, secret) == data_key
    assert keyslots.open_slot(parsed.slots[0], vault_id, secret[:-1] + b"\0") is None
    other_id = "2d8f0a4c-1b6e-4f3a-9c7d-5e2b8a1f0c94"
    assert keyslots.open_slot(parsed.slots[0], other_id, secret) is None
