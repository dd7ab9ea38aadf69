"""Each key slot's key-encryption key, kept inside the encrypted database.

Re-keying (after a purge) needs to wrap a new data key for every slot. The recovery code is
written on paper and should not be asked for each time, so the key each slot derives from its
secret is stored here when it is known: at creation, at each unlock, at a passphrase change.
This gives nothing to an attacker: reading this table takes the data key, which is exactly
what these keys unwrap; the secrets themselves cannot be recovered from their derived keys.

The same keys tell whether a slot still opens the vault without asking for its secret: a
recovery slot damaged or altered on disk is found at unlock, and before a re-wrap writes it
out again. Sealed in by a re-wrap, the damage could no longer be undone by restoring
keyslots.json from a backup.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from monitor_app.errors import VaultError
from monitor_app.vault import keyslots
from monitor_app.vault.database import Connection
from monitor_app.vault.keyslots import SlotFile


def remember(conn: Connection, slot_id: str, kek: bytes) -> None:
    conn.execute(
        "INSERT INTO slot_keys (slot_id, kek) VALUES (?, ?)"
        " ON CONFLICT (slot_id) DO UPDATE SET kek = excluded.kek",
        (slot_id, kek),
    )


def known(conn: Connection) -> dict[str, bytes]:
    rows = conn.execute("SELECT slot_id, kek FROM slot_keys")
    return {str(row[0]): bytes(row[1]) for row in rows}


def keep_only(conn: Connection, slot_ids: Iterable[str]) -> None:
    """Forget the keys of slots that no longer exist (a replaced passphrase slot)."""
    wanted = list(slot_ids)
    placeholders = ",".join("?" * len(wanted))
    conn.execute(f"DELETE FROM slot_keys WHERE slot_id NOT IN ({placeholders})", wanted)


def unopenable(
    conn: Connection, slots: SlotFile, data_key: bytes, slot_types: Collection[str]
) -> list[tuple[str, str | None]]:
    """(type, id) of each slot of ``slot_types`` that would not open the vault: one that does
    not unwrap to ``data_key`` with its stored key, and (id None) a type with no slot at all,
    since every vault is made with one of each.

    A slot whose key is not stored cannot be checked: a vault made before this table knows
    its recovery slot's key only once the recovery code has been used. It is reported only
    beside another slot of its type, which no slot file the app writes has: unlocking tries
    the first slot of a type only, so one put in front of the real slot would take its place.
    """
    keys = known(conn)
    found: list[tuple[str, str | None]] = []
    for slot_type in slot_types:
        of_type = [slot for slot in slots.slots if slot.slot_type == slot_type]
        if not of_type:
            found.append((slot_type, None))
        for slot in of_type:
            kek = keys.get(slot.slot_id)
            if kek is None:
                opens = len(of_type) == 1
            else:
                opens = keyslots.opens_with_kek(slot, slots.vault_id, kek, data_key)
            if not opens:
                found.append((slot_type, slot.slot_id))
    return found


def require_openable(
    conn: Connection, slots: SlotFile, data_key: bytes, slot_types: Collection[str]
) -> None:
    """Raise ``key_slot_damaged`` (slot type and id) for the first slot ``unopenable`` finds.
    Called before anything is written, so a refused change leaves every file as it was."""
    for slot_type, slot_id in unopenable(conn, slots, data_key, slot_types):
        raise VaultError("key_slot_damaged", slot_type=slot_type, slot_id=slot_id)
