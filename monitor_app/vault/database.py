"""The SQLCipher connection: raw 256-bit key, explicit cipher and durability settings."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import sqlcipher3

from monitor_app.errors import VaultError

DB_NAME = "vault.db"
PAGE_SIZE = 4096

# Every setting is explicit so a library default changing under us cannot weaken a vault.
CIPHER_PRAGMAS = (
    "PRAGMA cipher_compatibility = 4",
    "PRAGMA cipher_page_size = 4096",
    "PRAGMA cipher_plaintext_header_size = 0",
    # Off, and said so (the default has changed between SQLCipher releases). With it on, every
    # allocation of SQLite's is mlock()ed and every free wiped and munlock()ed: two system
    # calls each, which made a hub's import of 5 000 records 9x slower (bench/README.md,
    # "Memory security"). What it would buy is thin here: past RLIMIT_MEMLOCK (8 MiB for a
    # user on current Linux) mlock fails and most of the page cache is swappable anyway; the
    # record text the app reads lives on in Python's heap, which nothing wipes; and SQLCipher
    # locks and wipes its own key buffers either way. Swap is covered by the disk encryption
    # README.md asks for.
    "PRAGMA cipher_memory_security = OFF",
)
SESSION_PRAGMAS = (
    "PRAGMA secure_delete = ON",
    "PRAGMA temp_store = MEMORY",
    "PRAGMA foreign_keys = ON",
    "PRAGMA synchronous = FULL",
    "PRAGMA busy_timeout = 5000",
)

Connection = Any  # sqlcipher3 ships no type information

# Decrypted pages kept in memory (SQLite's default is 2 MiB): SQLCipher decrypts and checks
# every page that falls out of the cache again, and a hub's million records are gigabytes of
# indexes that each import and page walks at random. A sixteenth of the machine's memory,
# between 64 MiB and 512 MiB: a field laptop's small vault never fills even the least of
# it, since pages take memory only once read. Lives only in memory while unlocked.
CACHE_MIN, CACHE_MAX = 64 << 20, 512 << 20


def cache_bytes(physical: int | None = None) -> int:
    """The page cache for a machine with ``physical`` bytes of memory (None: this one)."""
    if physical is None:
        physical = _physical_memory()
    return max(CACHE_MIN, min(CACHE_MAX, physical // 16)) if physical else CACHE_MIN


def _physical_memory() -> int:
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):  # Windows has no sysconf
        return 0


def connect(path: Path, data_key: bytes | None) -> Connection:
    """Open the database. ``data_key=None`` gives plain SQLite (used only by benchmarks)."""
    conn = sqlcipher3.connect(str(path), isolation_level=None, check_same_thread=False)
    try:
        if data_key is not None:
            conn.execute(f"PRAGMA key = \"x'{data_key.hex()}'\"")
            for pragma in CIPHER_PRAGMAS:
                conn.execute(pragma)
        # Reading the schema is what first decrypts page 1: a damaged file fails here.
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        conn.execute("PRAGMA journal_mode = WAL").fetchone()
        for pragma in SESSION_PRAGMAS:
            conn.execute(pragma)
        conn.execute(f"PRAGMA cache_size = -{cache_bytes() // 1024}")
    except sqlcipher3.DatabaseError:
        conn.close()
        raise VaultError("database_damaged") from None
    return conn


def integrity_problems(conn: Connection) -> list[str]:
    """Rows of integrity_check and cipher_integrity_check that report a problem."""
    problems = [row[0] for row in conn.execute("PRAGMA integrity_check") if row[0] != "ok"]
    problems += [str(row[0]) for row in conn.execute("PRAGMA cipher_integrity_check")]
    return problems


def page_count_matches_file(conn: Connection, path: Path) -> bool:
    """False when the file is shorter than the database says: a truncated copy."""
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    wal = path.with_name(path.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        return True  # pages may live in the WAL until checkpoint
    return bool(path.stat().st_size >= pages * PAGE_SIZE)
