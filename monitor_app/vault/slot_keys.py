"""Each key slot's key-encryption key, kept inside the encrypted database.

Re-keying (after a purge) needs to wrap a new data key for every slot. The recovery code is
written on paper and should not be asked for each time, so the key each slot derives from its
secret is stored here when it is known: at creation, at each unlock, at a passphrase change.
This gives nothing to an attacker: reading this table takes the data key, which is exactly
what these keys unwrap; the secrets themselves cannot be recovered from their derived keys.
"""

from __future__ import annotations

from collections.abc import Iterable

from monitor_app.vault.database import Connection


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
