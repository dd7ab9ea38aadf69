"""The hash-chained audit log inside the vault.

Each entry's hash covers its sequence number, time, actor, action, record id, details and the
previous entry's hash, so an edited, removed or reordered entry breaks the chain. The head
(last sequence number and hash) is also kept in ``meta`` and updated in the same transaction,
so cutting entries off the end is caught too. Details never hold record content.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from monitor_app.clock import now_iso
from monitor_app.vault.database import Connection

GENESIS = "0" * 64


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: str
    actor: str
    action: str
    record_id: str | None
    details: dict[str, Any]
    prev_hash: str
    hash: str

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at,
            "actor": self.actor,
            "action": self.action,
            "record_id": self.record_id,
            "details": self.details,
            "hash": self.hash,
        }


def entry_hash(
    seq: int, at: str, actor: str, action: str, record_id: str | None, details: str, prev: str
) -> str:
    payload = json.dumps(
        [seq, at, actor, action, record_id, details, prev],
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode("utf-8")
    return hashlib.sha256(payload).hexdigest()


def _head(conn: Connection) -> tuple[int, str]:
    row = conn.execute("SELECT value FROM meta WHERE key = 'audit_head'").fetchone()
    if row is None:
        return 0, GENESIS
    seq_text, head_hash = str(row[0]).split(":", 1)
    return int(seq_text), head_hash


def append(
    conn: Connection,
    actor: str,
    action: str,
    record_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry; must run inside the transaction of the change it records."""
    assert conn.in_transaction, "audit entries are written in the change's own transaction"
    last_seq, prev = _head(conn)
    seq = last_seq + 1
    at = now_iso()
    details_json = json.dumps(details or {}, ensure_ascii=False, sort_keys=True)
    digest = entry_hash(seq, at, actor, action, record_id, details_json, prev)
    conn.execute(
        "INSERT INTO audit (seq, at, actor, action, record_id, details, prev_hash, hash) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (seq, at, actor, action, record_id, details_json, prev, digest),
    )
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ('audit_head', ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (f"{seq}:{digest}",),
    )
    return AuditEntry(seq, at, actor, action, record_id, details or {}, prev, digest)


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    entries: int
    first_bad_seq: int | None = None
    problem: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "entries": self.entries,
            "first_bad_seq": self.first_bad_seq,
            "problem": self.problem,
        }


def verify(conn: Connection) -> ChainReport:
    prev = GENESIS
    expected_seq = 1
    count = 0
    rows = conn.execute(
        "SELECT seq, at, actor, action, record_id, details, prev_hash, hash FROM audit ORDER BY seq"
    )
    for seq, at, actor, action, record_id, details, prev_hash, digest in rows:
        if seq != expected_seq:
            return ChainReport(False, count, expected_seq, "missing_entry")
        if prev_hash != prev:
            return ChainReport(False, count, seq, "broken_link")
        if entry_hash(seq, at, actor, action, record_id, details, prev_hash) != digest:
            return ChainReport(False, count, seq, "altered_entry")
        prev = digest
        expected_seq += 1
        count += 1
    head_seq, head_hash = _head(conn)
    if head_seq != count or head_hash != prev:
        return ChainReport(False, count, count + 1, "missing_tail")
    return ChainReport(True, count)


def entries(conn: Connection, limit: int = 1000, offset: int = 0) -> list[AuditEntry]:
    rows = conn.execute(
        "SELECT seq, at, actor, action, record_id, details, prev_hash, hash FROM audit "
        "ORDER BY seq LIMIT ? OFFSET ?",
        (limit, offset),
    ).fetchall()
    return [AuditEntry(r[0], r[1], r[2], r[3], r[4], json.loads(r[5]), r[6], r[7]) for r in rows]
