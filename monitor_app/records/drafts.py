"""Drafts: what an editor holds before it is saved as a revision.

A monitor typing up an interview must not lose it to an auto-lock, a crash or a flat battery,
and the text must not reach the disk in plaintext on the way. Editors save their values here,
inside the encrypted database, every few seconds and when the vault locks; a draft is
discarded when its record is saved or the user throws it away.

A draft is not a record: its values may be incomplete or invalid (that is what a draft is), so
they are stored as the editor gave them, checked only for being JSON of bounded size. They are
never indexed, exported or audited. There is at most one draft per existing record; a record
not created yet has drafts of its own, without a record id.

``summaries`` lists drafts for a screen that offers them (the overview's "Unsaved work"): a
draft of an existing record comes with that record's title as the record lists show it, never
anything typed into the draft; a draft of a record not created yet, with what it would be
called once saved (records/titles.py: its title field, or a visit's place and date), so that
a monitor can tell "Избиение при допросе" from the other new incident. Nothing else of a
draft's values, and never a sensitive field, leaves it.
"""

from __future__ import annotations

import builtins
import json
import uuid
from dataclasses import dataclass
from typing import Any

from monitor_app.clock import now_iso
from monitor_app.errors import NotFoundError, ValidationError
from monitor_app.records import titles
from monitor_app.records.schema import RECORD_TYPES
from monitor_app.vault.database import Connection
from monitor_app.vault.session import UnlockedVault

MAX_DRAFT_BYTES = 4 * 1024 * 1024  # far beyond any form; a bound against runaway input


@dataclass(frozen=True)
class Draft:
    draft_id: str
    record_type: str
    record_id: str | None
    base_revision: int | None
    data: dict[str, Any]
    updated_at: str


@dataclass(frozen=True)
class DraftSummary:
    """A draft without its values. ``display`` is the saved record's list title (the
    ``records.display`` column: never a sensitive field); None for a record not created yet,
    or a record no longer there. ``draft_title`` is what a record not created yet would be
    called if saved as drafted ("" when nothing it is called by is filled in); None for a
    draft of an existing record."""

    draft_id: str
    record_type: str
    record_id: str | None
    updated_at: str
    display: str | None
    draft_title: str | None = None


class DraftStore:
    def __init__(self, vault: UnlockedVault) -> None:
        self.vault = vault

    def save(
        self,
        record_type: str,
        data: dict[str, Any],
        *,
        draft_id: str | None = None,
        record_id: str | None = None,
        base_revision: int | None = None,
    ) -> str:
        """Store (or replace) a draft; returns its id. A draft for an existing record replaces
        that record's earlier draft, whatever its id."""
        if record_type not in RECORD_TYPES:
            raise ValidationError(field="type", reason="unknown_code")
        if not isinstance(data, dict):
            raise ValidationError(field="draft", reason="wrong_type", expected="object")
        text = json.dumps(data, ensure_ascii=False, sort_keys=True)
        if len(text.encode("utf-8")) > MAX_DRAFT_BYTES:
            raise ValidationError(field="draft", reason="too_long", maximum=MAX_DRAFT_BYTES)
        with self.vault.transaction() as conn:
            if record_id is not None:
                row = conn.execute(
                    "SELECT draft_id FROM drafts WHERE record_id = ?", (record_id,)
                ).fetchone()
                draft_id = str(row[0]) if row else draft_id
            draft_id = draft_id or str(uuid.uuid4())
            conn.execute(
                "INSERT INTO drafts (draft_id, record_type, record_id, base_revision, data,"
                " updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (draft_id) DO UPDATE SET"
                " record_type = excluded.record_type, record_id = excluded.record_id,"
                " base_revision = excluded.base_revision, data = excluded.data,"
                " updated_at = excluded.updated_at",
                (draft_id, record_type, record_id, base_revision, text, now_iso()),
            )
        return draft_id

    def get(self, draft_id: str) -> Draft:
        with self.vault.reading() as conn:
            row = conn.execute(f"{_SELECT} WHERE draft_id = ?", (draft_id,)).fetchone()
        if row is None:
            raise NotFoundError(draft_id=draft_id)
        return _draft(row)

    def for_record(self, record_id: str) -> Draft | None:
        with self.vault.reading() as conn:
            row = conn.execute(f"{_SELECT} WHERE record_id = ?", (record_id,)).fetchone()
        return None if row is None else _draft(row)

    def list(self) -> list[Draft]:
        """Every draft, most recently saved first."""
        with self.vault.reading() as conn:
            rows = conn.execute(f"{_SELECT} ORDER BY updated_at DESC, draft_id").fetchall()
        return [_draft(row) for row in rows]

    def summaries(self) -> builtins.list[DraftSummary]:
        """Every draft, most recently saved first, with titles only (see the module notes)."""
        with self.vault.reading() as conn:
            rows = conn.execute(
                "SELECT d.draft_id, d.record_type, d.record_id, d.updated_at, r.display,"
                " CASE WHEN d.record_id IS NULL THEN d.data END"
                " FROM drafts AS d LEFT JOIN records AS r ON r.id = d.record_id"
                " ORDER BY d.updated_at DESC, d.draft_id"
            ).fetchall()
            return [
                DraftSummary(
                    draft_id=str(row[0]),
                    record_type=str(row[1]),
                    record_id=None if row[2] is None else str(row[2]),
                    updated_at=str(row[3]),
                    display=None if row[4] is None else str(row[4]),
                    draft_title=None if row[5] is None else _draft_title(conn, row[1], row[5]),
                )
                for row in rows
            ]

    def discard(self, draft_id: str) -> None:
        with self.vault.transaction() as conn:
            conn.execute("DELETE FROM drafts WHERE draft_id = ?", (draft_id,))


def _draft_title(conn: Connection, type_name: str, data: str) -> str:
    """What a new record would be called, from the draft's non-sensitive fields only."""
    record_type = RECORD_TYPES.get(type_name)
    fields = json.loads(data).get("fields") if record_type is not None else None
    if record_type is None or not isinstance(fields, dict):
        return ""
    # Only the fields a title is built from, and only text: a draft is unchecked input.
    wanted = (record_type.title_field, record_type.date_field, record_type.place_field)
    public = {name: fields[name] for name in wanted if name and isinstance(fields.get(name), str)}
    return titles.title_of(conn, record_type, public).strip()


_SELECT = "SELECT draft_id, record_type, record_id, base_revision, data, updated_at FROM drafts"


def _draft(row: Any) -> Draft:
    return Draft(
        draft_id=str(row[0]),
        record_type=str(row[1]),
        record_id=None if row[2] is None else str(row[2]),
        base_revision=None if row[3] is None else int(row[3]),
        data=json.loads(row[4]),
        updated_at=str(row[5]),
    )
