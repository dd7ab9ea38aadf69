"""Saved searches: a named combination of a list's filters, to reopen later.

A reviewer who follows a pattern ("beatings at IVS Karakol since 2024, high risk") names the
filters once and reopens them for months. A saved search belongs to this vault alone: it is
stored in the vault's database (encrypted with everything else), never in QSettings and never
in a bundle. Names are unique per list (a record type, or every type), compared without case,
so two entries the reviewer cannot tell apart never appear side by side.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from monitor_app.clock import now_iso
from monitor_app.errors import NotFoundError, ValidationError
from monitor_app.records import facets, listing
from monitor_app.records.schema import RECORD_TYPES
from monitor_app.records.validation import check_text
from monitor_app.vault.database import Connection

if TYPE_CHECKING:
    from monitor_app.vault.session import UnlockedVault

NAME_MAX = 120
MAX_SAVED = 1_000  # per vault: a list a person can still read through


@dataclass(frozen=True)
class SavedSearch:
    search_id: str
    name: str
    record_type: str | None  # None: the list of every type
    filters: facets.Filters
    order_by: str  # "" for the list's own default order
    descending: bool
    created_at: str
    modified_at: str

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.search_id,
            "name": self.name,
            "type": self.record_type,
            "filters": facets.to_json(self.filters),
            "order_by": self.order_by or None,
            "descending": self.descending,
            "created_at": self.created_at,
            "modified_at": self.modified_at,
        }


class SavedSearchStore:
    """The vault's saved searches; each change is one transaction."""

    def __init__(self, vault: UnlockedVault) -> None:
        self.vault = vault

    def list(self, record_type: str | None = None) -> list[SavedSearch]:
        """The saved searches of one list (``None``: of the list of every type), by name."""
        with self.vault.reading() as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM saved_searches WHERE record_type = ?",
                (_type_code(record_type),),
            ).fetchall()
        found = [_saved(row) for row in rows]
        return sorted(found, key=lambda s: (s.name.casefold(), s.search_id))

    def get(self, search_id: str) -> SavedSearch:
        with self.vault.reading() as conn:
            return _get(conn, search_id)

    def save(
        self,
        name: str,
        filters: facets.Filters,
        *,
        record_type: str | None = None,
        order_by: str = "",
        descending: bool = True,
        replace: bool = False,
    ) -> SavedSearch:
        """Save ``filters`` under ``name``. A name the list already has is refused
        (``name_taken``) unless ``replace``, which overwrites that saved search."""
        name = _checked_name(name)
        code = _type_code(record_type)
        if order_by and order_by not in listing.SORT_EXPRESSIONS:
            raise ValidationError(field="order_by", reason="unknown_code")
        filters.check(self.vault.records.vocabularies)
        stored = json.dumps(facets.to_json(filters), ensure_ascii=False, sort_keys=True)
        sort = f"{order_by}:{'desc' if descending else 'asc'}" if order_by else ""
        stamp = now_iso()
        with self.vault.transaction() as conn:
            same = _same_name(conn, code, name, None)
            if same is not None and not replace:
                raise ValidationError(field="name", reason="name_taken")
            if same is not None:
                conn.execute(
                    "UPDATE saved_searches SET name = ?, filters = ?, sort = ?, modified_at = ?"
                    " WHERE id = ?",
                    (name, stored, sort, stamp, same),
                )
                return _get(conn, same)
            (held,) = conn.execute("SELECT count(*) FROM saved_searches").fetchone()
            if held >= MAX_SAVED:
                raise ValidationError(field="name", reason="too_long", maximum=MAX_SAVED)
            search_id = secrets.token_hex(8)
            conn.execute(
                "INSERT INTO saved_searches (id, name, record_type, filters, sort, created_at,"
                " modified_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (search_id, name, code, stored, sort, stamp, stamp),
            )
            return _get(conn, search_id)

    def rename(self, search_id: str, name: str) -> SavedSearch:
        name = _checked_name(name)
        with self.vault.transaction() as conn:
            current = _get(conn, search_id)
            if _same_name(conn, _type_code(current.record_type), name, search_id) is not None:
                raise ValidationError(field="name", reason="name_taken")
            conn.execute(
                "UPDATE saved_searches SET name = ?, modified_at = ? WHERE id = ?",
                (name, now_iso(), search_id),
            )
            return _get(conn, search_id)

    def delete(self, search_id: str) -> None:
        with self.vault.transaction() as conn:
            _get(conn, search_id)
            conn.execute("DELETE FROM saved_searches WHERE id = ?", (search_id,))


_COLUMNS = "id, name, record_type, filters, sort, created_at, modified_at"


def _type_code(record_type: str | None) -> str:
    if record_type is not None and record_type not in RECORD_TYPES:
        raise ValidationError(field="type", reason="unknown_code")
    return record_type or ""


def _checked_name(name: str) -> str:
    name = check_text(name, "name").strip()
    if not name:
        raise ValidationError(field="name", reason="required")
    if len(name) > NAME_MAX:
        raise ValidationError(field="name", reason="too_long", maximum=NAME_MAX)
    return name


def _same_name(conn: Connection, code: str, name: str, other_than: str | None) -> str | None:
    # Compared in Python: SQLite's nocase folds ASCII only, and most names here are Cyrillic.
    wanted = name.casefold()
    for search_id, held in conn.execute(
        "SELECT id, name FROM saved_searches WHERE record_type = ?", (code,)
    ):
        if held.casefold() == wanted and search_id != other_than:
            return str(search_id)
    return None


def _get(conn: Connection, search_id: str) -> SavedSearch:
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM saved_searches WHERE id = ?", (str(search_id),)
    ).fetchone()
    if row is None:
        raise NotFoundError("saved_search_not_found")
    return _saved(row)


def _saved(row: Any) -> SavedSearch:
    search_id, name, code, stored, sort, created_at, modified_at = row
    order_by, _, direction = str(sort).partition(":")
    return SavedSearch(
        search_id=str(search_id),
        name=str(name),
        record_type=code or None,
        filters=facets.from_json(json.loads(stored)),
        order_by=order_by,
        descending=direction != "asc",
        created_at=str(created_at),
        modified_at=str(modified_at),
    )
