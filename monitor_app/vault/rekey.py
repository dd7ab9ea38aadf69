"""Re-encrypt the database under a new random data key and re-wrap every key slot around it.

After a purge, the deleted content may survive where SQLite cannot reach it: in pages of the
old database file and write-ahead log that the file system freed but the disk (a USB stick, an
SSD) still holds. Those pages are encrypted under the old data key. Once the vault is re-keyed,
no slot file unwraps that key any more, so even a passphrase given up under coercion does not
open them.

The database is copied under the new key with ``sqlcipher_export`` (which also leaves out every
free page: the copy is vacuumed), and the copy is swapped in. The order of the steps keeps a
vault that opens at every moment:

1. ``vault.db.rekey`` is written under the new key, fsynced and checked;
2. ``keyslots.next.json`` (the new key for every slot, one generation up) is written and read
   back; ``keyslots.json`` still holds the old key;
3. the database is closed (its log checkpointed away) and the copy renamed over ``vault.db``;
4. ``keyslots.next.json`` is renamed over ``keyslots.json``.

Killed before step 3, the vault opens with the old key as before. Killed between 3 and 4, both
slot files open with the passphrase; unlock tries the next one when the first key does not fit
the database (lifecycle._open_first). A leftover ``vault.db.rekey`` is removed by the next
re-key; it holds nothing readable without the new key, which no slot file kept.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import sqlcipher3

from monitor_app.errors import VaultError
from monitor_app.fsutil import atomic_write_bytes, fsync_dir, storage_error
from monitor_app.jobs import CancelToken, Progress, check, no_progress
from monitor_app.records import audit
from monitor_app.vault import database, keyslots, slot_keys
from monitor_app.vault.database import Connection
from monitor_app.vault.keyslots import SlotFile
from monitor_app.vault.session import UnlockedVault

COPY_NAME = database.DB_NAME + ".rekey"
STEPS = 4


def rekey(
    vault: UnlockedVault, progress: Progress | None = None, cancel: CancelToken | None = None
) -> None:
    """Give the vault a new data key. Raises ``rekey_slot_key_missing`` (naming the slot type)
    when a slot's key is not known yet, and ``key_slot_damaged`` when a slot no longer opens
    the vault, before anything is changed."""
    progress = progress or no_progress
    with vault.reading() as conn:
        keks = _slot_keys(vault, conn)
        new_key = secrets.token_bytes(len(vault.data_key()))
        db_path = vault.path / database.DB_NAME
        copy = vault.path / COPY_NAME
        remove_copy(copy)
        progress(0, STEPS)
        try:
            _checkpoint(conn)
            _export(conn, copy, new_key)
            progress(1, STEPS)
            check(cancel)
            new_slots = _rewrapped(vault.slots, keks, new_key)
            _write_next_slots(vault.path, new_slots, keks, new_key)
            progress(2, STEPS)
            check(cancel)  # the last moment a cancel can take effect
        except BaseException:
            remove_copy(copy)
            (vault.path / keyslots.NEXT_NAME).unlink(missing_ok=True)
            raise
        conn.close()
        try:
            _swap_in(vault.path, copy, db_path)
            progress(3, STEPS)
            new_conn = database.connect(db_path, new_key)
        except BaseException:
            # The files are in one of the states unlock resolves; this session cannot go on.
            vault.lock()
            raise
        vault.replace_database(new_key, new_conn, new_slots)
    with vault.transaction() as conn:
        audit.append(conn, vault.author.author_id, "vault_rekeyed", None, {})
    progress(STEPS, STEPS)


def require_slot_keys(vault: UnlockedVault) -> None:
    """Raise ``rekey_slot_key_missing`` or ``key_slot_damaged`` if ``rekey`` would: callers
    check before they change anything that the re-key is meant to seal."""
    with vault.reading() as conn:
        _slot_keys(vault, conn)


def _slot_keys(vault: UnlockedVault, conn: Connection) -> dict[str, bytes]:
    # Re-wrapped around the new key, a slot that does not open now would never open again,
    # not even restored from a backup of keyslots.json (which holds the old key). Checked
    # first: a slot put into the file has no stored key, and is damage, not an old vault.
    slot_keys.require_openable(conn, vault.slots, vault.data_key(), keyslots.SLOT_TYPES)
    known = slot_keys.known(conn)
    for slot in vault.slots.slots:
        if slot.slot_id not in known:
            raise VaultError("rekey_slot_key_missing", slot_type=slot.slot_type)
    return known


def _rewrapped(current: SlotFile, keks: dict[str, bytes], new_key: bytes) -> SlotFile:
    slots = [
        keyslots.rewrap(slot, current.vault_id, keks[slot.slot_id], new_key)
        for slot in current.slots
    ]
    return SlotFile(current.vault_id, current.generation + 1, slots)


def remove_copy(copy: Path) -> None:
    """Delete a re-key's copy of the database and SQLite's files beside it; a StorageError
    if one cannot be deleted."""
    for suffix in ("", "-journal", "-wal", "-shm"):
        path = copy.with_name(copy.name + suffix)
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            raise storage_error(exc, path) from None


def _checkpoint(conn: Connection) -> None:
    busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    if busy:
        raise VaultError("database_busy")


def _export(conn: Connection, copy: Path, new_key: bytes) -> None:
    conn.execute(f"ATTACH DATABASE ? AS rekeyed KEY \"x'{new_key.hex()}'\"", (str(copy),))
    try:
        # The same explicit settings as the vault's own (database.CIPHER_PRAGMAS).
        conn.execute(f"PRAGMA rekeyed.cipher_page_size = {database.PAGE_SIZE}")
        conn.execute("PRAGMA rekeyed.cipher_plaintext_header_size = 0")
        conn.execute("SELECT sqlcipher_export('rekeyed')").fetchall()
    except sqlcipher3.Error as exc:
        raise VaultError("rekey_failed", reason=type(exc).__name__) from None
    finally:
        conn.execute("DETACH DATABASE rekeyed")
    try:
        with open(copy, "rb+") as handle:
            os.fsync(handle.fileno())
    except OSError as exc:
        raise storage_error(exc, copy) from None
    _check_copy(copy, new_key, conn)


def _check_copy(copy: Path, new_key: bytes, original: Connection) -> None:
    """The copy opens with the new key, is sound, and holds the same vault."""
    want = original.execute("SELECT value FROM meta WHERE key = 'vault_id'").fetchone()
    reader = database.connect(copy, new_key)
    try:
        got = reader.execute("SELECT value FROM meta WHERE key = 'vault_id'").fetchone()
        if got != want or database.integrity_problems(reader):
            raise VaultError("rekey_failed", reason="copy_check")
    finally:
        reader.close()


def _write_next_slots(
    vault_dir: Path, slots: SlotFile, keks: dict[str, bytes], new_key: bytes
) -> None:
    next_path = vault_dir / keyslots.NEXT_NAME
    atomic_write_bytes(next_path, slots.to_bytes())
    read_back = keyslots.parse(keyslots.read_file(next_path))
    for slot in read_back.slots:
        key = keyslots.unwrap_with_kek(slot, read_back.vault_id, keks.get(slot.slot_id, b""))
        if key is None or not secrets.compare_digest(key, new_key):
            raise VaultError("keyslots_damaged", reason="verification_failed")


def _swap_in(vault_dir: Path, copy: Path, db_path: Path) -> None:
    wal = db_path.with_name(db_path.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        # Pages not yet in the main file: renaming over it would lose them. Nothing is lost
        # by stopping here; the old key still opens everything.
        raise VaultError("rekey_failed", reason="log_not_empty")
    try:
        for leftover in (wal, db_path.with_name(db_path.name + "-shm")):
            leftover.unlink(missing_ok=True)
        os.replace(copy, db_path)
        fsync_dir(vault_dir)
        os.replace(vault_dir / keyslots.NEXT_NAME, vault_dir / keyslots.FILE_NAME)
        fsync_dir(vault_dir)
    except OSError as exc:
        raise storage_error(exc, db_path) from None
