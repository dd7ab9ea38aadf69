"""Revisions from before signatures existed (schema version 7 and earlier) get their hashes.

The revisions this vault wrote itself (its own author id) are signed now with its identity
key, each naming the one before it as its parent. Revisions it received from other vaults
before are not signed by anyone: they get a hash and a parent so the chain holds, no author
key and no signature, and are shown as received before signatures existed, never as verified
(and never sent on). Runs at unlock, in one transaction, only while such revisions exist.
"""

from __future__ import annotations

import json

from monitor_app.identity import keys
from monitor_app.records import audit, provenance
from monitor_app.vault.database import Connection


def needed(conn: Connection) -> bool:
    return conn.execute("SELECT 1 FROM revisions WHERE hash IS NULL LIMIT 1").fetchone() is not None


def sign_unsigned(conn: Connection) -> int:
    """Give every revision without a hash its hash (signing this vault's own); returns how
    many were signed. Call with no transaction open."""
    if not needed(conn):
        return 0
    identity = keys.load(conn)
    row = conn.execute("SELECT value FROM meta WHERE key = 'author_id'").fetchone()
    own_author = str(row[0]) if row else ""
    signed = received = 0
    conn.execute("BEGIN IMMEDIATE")
    try:
        rows = conn.execute(
            "SELECT v.record_id, v.revision, v.created_at, v.author, v.fields, v.sensitive,"
            " v.hash, r.type FROM revisions v JOIN records r ON r.id = v.record_id"
            " ORDER BY v.record_id, v.revision"
        ).fetchall()
        parent: str | None = None
        previous_record = None
        for record_id, number, created_at, author, fields, sensitive, known, type_name in rows:
            if record_id != previous_record:
                parent, previous_record = None, record_id
            if known is not None:
                parent = str(known)
                continue
            own = identity is not None and author == own_author
            values = json.loads(sensitive) if sensitive else {}
            revision = provenance.write(
                identity if own else None,
                record_id=str(record_id),
                type_name=str(type_name),
                parent=parent,
                created_at=str(created_at),
                fields=json.loads(fields),
                sensitive=values,
            )
            conn.execute(
                "UPDATE revisions SET hash = ?, parent = ?, author_key = ?, signature = ?,"
                " sensitive_salt = ?, sensitive_digest = ?, sensitive_names = ?"
                " WHERE record_id = ? AND revision = ?",
                (
                    revision.hash,
                    revision.parent,
                    revision.author_key,
                    revision.signature,
                    revision.salt,
                    revision.sensitive_digest,
                    json.dumps(list(revision.sensitive_names)),
                    record_id,
                    number,
                ),
            )
            parent = revision.hash
            signed += own
            received += not own
        audit.append(
            conn,
            own_author,
            "revisions_signed",
            None,
            {"signed": signed, "received_unsigned": received},
        )
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return signed
