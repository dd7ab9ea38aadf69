"""What a record is called where it is listed or mentioned: its ``display`` title.

A record's title is its type's title field (a place's name, an incident's title, a person's
pseudonym, a visit's summary). A visit's summary is its last field, written after the visit
if at all, so a visit without one is called by its place and its date instead
("ИВС Северного района, 2026-11-15"), as monitors name visits among themselves. The words
are the place's own title and the date as the lists show it: nothing to translate, so the
stored title reads the same in every interface language.

Only a type's title field, its date field and the linked place's title ever go into a title:
none of them is a sensitive field (``test_titles.py`` holds the schema to that), since titles
are shown everywhere, logged in the audit view, and kept in the clear in list columns.
"""

from __future__ import annotations

import json
from typing import Any

from monitor_app.records.schema import RECORD_TYPES, RecordType
from monitor_app.vault.database import Connection

DISPLAY_MAX = 200
TITLED_BY_PLACE = frozenset({"visit"})  # retitle_linked and migration 10 name it too


def compose(record_type: RecordType, public: dict[str, Any], place_title: str | None) -> str:
    """The title of a record with non-sensitive fields ``public``; ``place_title`` is the
    title of the place it links to (None when unknown: not held here, or purged)."""
    own = str(public.get(record_type.title_field) or "")
    if own.strip() or record_type.name not in TITLED_BY_PLACE:
        return own[:DISPLAY_MAX]
    parts = [(place_title or "").strip(), day_of(public.get(record_type.date_field or ""))]
    return ", ".join(part for part in parts if part)[:DISPLAY_MAX]


def day_of(value: Any) -> str:
    """The day of a stored timestamp or date (its first ten characters, YYYY-MM-DD)."""
    return value[:10] if isinstance(value, str) else ""


def place_title(conn: Connection, record_type: RecordType, public: dict[str, Any]) -> str | None:
    """The title of the place ``public`` links to, where the title needs it."""
    place_id = public.get(record_type.place_field) if record_type.place_field else None
    if record_type.name not in TITLED_BY_PLACE or not isinstance(place_id, str):
        return None
    row = conn.execute(
        "SELECT display FROM records WHERE id = ? AND purged_at IS NULL", (place_id,)
    ).fetchone()
    return None if row is None else str(row[0])


def title_of(conn: Connection, record_type: RecordType, public: dict[str, Any]) -> str:
    return compose(record_type, public, place_title(conn, record_type, public))


def retitle_linked(conn: Connection, place_id: str) -> None:
    """A place was added, renamed or arrived late: the visits called by its title follow."""
    rows = conn.execute(
        "SELECT r.id, r.type, r.display, v.fields FROM records r JOIN revisions v"
        " ON v.record_id = r.id AND v.revision = r.current_revision"
        " WHERE r.place_id = ? AND r.purged_at IS NULL AND r.type = 'visit'",
        (place_id,),
    ).fetchall()
    for record_id, type_name, display, fields in rows:
        if type_name not in TITLED_BY_PLACE:
            continue
        title = title_of(conn, RECORD_TYPES[type_name], json.loads(fields))
        if title != display:
            conn.execute("UPDATE records SET display = ? WHERE id = ?", (title, record_id))
