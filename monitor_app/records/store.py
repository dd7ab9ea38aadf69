"""Records and their revisions.

Every edit writes a new revision; earlier revisions stay readable and nothing is overwritten.
Deleting marks the record deleted with a reason (kept in the audit log) and removes it from the
search index; its revisions remain until a later, explicit purge. Each call is one transaction:
the revision, the list-view row, the search index and the audit entry commit together.
"""

from __future__ import annotations

import builtins
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from monitor_app.clock import now_iso
from monitor_app.errors import NotFoundError, ValidationError
from monitor_app.records import audit, dates, search
from monitor_app.records.schema import RECORD_TYPES, RecordType
from monitor_app.records.validation import Validated, validate
from monitor_app.records.vocabularies import Vocabularies, default_vocabularies
from monitor_app.vault.database import Connection

if TYPE_CHECKING:
    from monitor_app.vault.session import UnlockedVault

DISPLAY_MAX = 200
SORT_COLUMNS = {"date": "sort_date", "modified": "modified_at", "display": "display"}


@dataclass(frozen=True)
class RecordView:
    record_id: str
    type: str
    revision: int
    created_at: str
    created_by: str
    modified_at: str
    modified_by: str
    fields: dict[str, Any]
    sensitive: dict[str, Any] | None  # None unless explicitly revealed
    deleted_at: str | None = None
    deleted_reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.record_id,
            "type": self.type,
            "revision": self.revision,
            "created_at": self.created_at,
            "created_by": self.created_by,
            "modified_at": self.modified_at,
            "modified_by": self.modified_by,
            "fields": self.fields,
        }
        if self.sensitive is not None:
            body["sensitive"] = self.sensitive
        if self.deleted_at:
            body["deleted_at"] = self.deleted_at
            body["deleted_reason"] = self.deleted_reason
        return body


@dataclass(frozen=True)
class RecordSummary:
    """What list views show: never sensitive fields."""

    record_id: str
    type: str
    display: str
    sort_date: str | None
    modified_at: str
    place_id: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.record_id,
            "type": self.type,
            "display": self.display,
            "date": self.sort_date,
            "modified_at": self.modified_at,
            "place_id": self.place_id,
        }


@dataclass(frozen=True)
class RevisionInfo:
    revision: int
    created_at: str
    author: str
    changed_fields: list[str]

    def to_json(self) -> dict[str, Any]:
        return {
            "revision": self.revision,
            "created_at": self.created_at,
            "author": self.author,
            "changed_fields": self.changed_fields,
        }


def record_type_named(name: str) -> RecordType:
    try:
        return RECORD_TYPES[name]
    except KeyError:
        raise ValidationError(field="type", reason="unknown_code") from None


class RecordStore:
    def __init__(self, vault: UnlockedVault, vocabularies: Vocabularies | None = None) -> None:
        self.vault = vault
        self.vocabularies = vocabularies or default_vocabularies()

    # -- writing ---------------------------------------------------------------------------
    def add(self, type_name: str, data_untrusted: Any) -> RecordView:
        return self.add_many(type_name, [data_untrusted])[0]

    def add_many(self, type_name: str, items_untrusted: Iterable[Any]) -> list[RecordView]:
        """Add several records as one logical change (one transaction)."""
        record_type = record_type_named(type_name)
        checked = [validate(record_type, item, self.vocabularies) for item in items_untrusted]
        author = self.vault.author.author_id
        views = []
        with self.vault.transaction() as conn:
            for valid in checked:
                self._check_references(conn, valid)
                record_id = str(uuid.uuid4())
                stamp = now_iso()
                self._insert_record(conn, record_type, record_id, 1, stamp, author, valid)
                audit.append(conn, author, "record_created", record_id, {"type": type_name})
                views.append(
                    RecordView(
                        record_id, type_name, 1, stamp, author, stamp, author, valid.public, None
                    )
                )
        return views

    def edit(self, record_id: str, patch_untrusted: Any) -> RecordView:
        """Apply a patch (a field set to null is removed) as a new revision."""
        if not isinstance(patch_untrusted, dict):
            raise ValidationError(field="", reason="wrong_type", expected="object")
        with self.vault.transaction() as conn:
            row = self._live_row(conn, record_id)
            record_type = record_type_named(row["type"])
            # A null removes a field; naming a field the type does not have is still an error.
            for name in patch_untrusted:
                if not isinstance(name, str) or name not in record_type.by_name:
                    raise ValidationError(field=str(name)[:64], reason="unknown_field")
            current = self._revision(conn, record_id, row["current_revision"])
            merged = {**current[0], **(current[1] or {})}
            for name, value in patch_untrusted.items():
                if value is None:
                    merged.pop(name, None)
                else:
                    merged[name] = value
            valid = validate(record_type, merged, self.vocabularies)
            self._check_references(conn, valid)
            revision = row["current_revision"] + 1
            stamp = now_iso()
            author = self.vault.author.author_id
            self._write_revision(conn, record_type, record_id, revision, stamp, author, valid)
            display, sort_date, place_id = self._list_columns(record_type, valid.public)
            conn.execute(
                "UPDATE records SET current_revision = ?, modified_at = ?, modified_by = ?,"
                " display = ?, sort_date = ?, place_id = ? WHERE id = ?",
                (revision, stamp, author, display, sort_date, place_id, record_id),
            )
            audit.append(
                conn,
                author,
                "record_edited",
                record_id,
                {"type": row["type"], "revision": revision},
            )
        return self.get(record_id)

    def delete(self, record_id: str, reason: str) -> None:
        if not isinstance(reason, str) or not reason.strip():
            raise ValidationError(field="reason", reason="required")
        with self.vault.transaction() as conn:
            row = self._live_row(conn, record_id)
            stamp = now_iso()
            author = self.vault.author.author_id
            conn.execute(
                "UPDATE records SET deleted_at = ?, deleted_by = ?, deleted_reason = ?"
                " WHERE id = ?",
                (stamp, author, reason, record_id),
            )
            search.unindex(conn, record_id)
            # Unsaved edits of a deleted record have nothing left to be saved into.
            conn.execute("DELETE FROM drafts WHERE record_id = ?", (record_id,))
            audit.append(
                conn, author, "record_deleted", record_id, {"type": row["type"], "reason": reason}
            )

    # -- reading ---------------------------------------------------------------------------
    def get(
        self, record_id: str, *, revision: int | None = None, reveal_sensitive: bool = False
    ) -> RecordView:
        with self.vault.reading() as conn:
            row = self._row(conn, record_id)
            number = row["current_revision"] if revision is None else revision
            fields, sensitive, created_at, author = self._revision(
                conn, record_id, number, with_sensitive=reveal_sensitive
            )
        if reveal_sensitive:
            # Revealing is a deliberate act: it is logged (which fields, never their values).
            with self.vault.transaction() as conn:
                audit.append(
                    conn,
                    self.vault.author.author_id,
                    "sensitive_revealed",
                    record_id,
                    {"revision": number},
                )
        return RecordView(
            record_id=record_id,
            type=row["type"],
            revision=number,
            created_at=row["created_at"],
            created_by=row["created_by"],
            modified_at=created_at,
            modified_by=author,
            fields=fields,
            sensitive=(sensitive or {}) if reveal_sensitive else None,
            deleted_at=row["deleted_at"],
            deleted_reason=row["deleted_reason"],
        )

    def list(
        self,
        type_name: str | None = None,
        *,
        limit: int = 100,
        offset: int = 0,
        order_by: str = "date",
        descending: bool = True,
        include_deleted: bool = False,
    ) -> builtins.list[RecordSummary]:
        column = SORT_COLUMNS.get(order_by)
        if column is None:
            raise ValidationError(field="order_by", reason="unknown_code")
        where, params = self._filter(type_name, include_deleted)
        direction = "DESC" if descending else "ASC"
        sql = (
            "SELECT id, type, display, sort_date, modified_at, place_id FROM records"
            f"{where} ORDER BY {column} {direction}, id {direction} LIMIT ? OFFSET ?"
        )
        with self.vault.reading() as conn:
            rows = conn.execute(sql, [*params, limit, offset]).fetchall()
        return [RecordSummary(*r) for r in rows]

    def count(self, type_name: str | None = None, *, include_deleted: bool = False) -> int:
        where, params = self._filter(type_name, include_deleted)
        with self.vault.reading() as conn:
            return int(conn.execute(f"SELECT count(*) FROM records{where}", params).fetchone()[0])

    def history(self, record_id: str) -> builtins.list[RevisionInfo]:
        with self.vault.reading() as conn:
            self._row(conn, record_id)
            rows = conn.execute(
                "SELECT revision, created_at, author, fields, sensitive FROM revisions"
                " WHERE record_id = ? ORDER BY revision",
                (record_id,),
            ).fetchall()
        result: builtins.list[RevisionInfo] = []
        previous: dict[str, Any] = {}
        for revision, created_at, author, fields_json, sensitive_json in rows:
            # Sensitive fields appear by name only, never by value.
            current = {**json.loads(fields_json), **json.loads(sensitive_json or "{}")}
            changed = sorted(
                k for k in current.keys() | previous.keys() if current.get(k) != previous.get(k)
            )
            result.append(RevisionInfo(revision, created_at, author, changed))
            previous = current
        return result

    def search(self, query: str, **filters: Any) -> builtins.list[search.SearchHit]:
        with self.vault.reading() as conn:
            return search.search(conn, query, **filters)

    # -- helpers ---------------------------------------------------------------------------
    @staticmethod
    def _filter(type_name: str | None, include_deleted: bool) -> tuple[str, builtins.list[Any]]:
        clauses, params = [], []
        if type_name is not None:
            record_type_named(type_name)
            clauses.append("type = ?")
            params.append(type_name)
        if not include_deleted:
            clauses.append("deleted_at IS NULL")
        clauses.append("purged_at IS NULL")  # stubs are listed by bundles/purge.py
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params

    @staticmethod
    def _list_columns(
        record_type: RecordType, public: dict[str, Any]
    ) -> tuple[str, str | None, str | None]:
        display = str(public.get(record_type.title_field) or "")[:DISPLAY_MAX]
        sort_date = None
        if record_type.date_field:
            value = public.get(record_type.date_field)
            sort_date = dates.sort_key(value) if isinstance(value, dict) else value
        place_id = public.get(record_type.place_field) if record_type.place_field else None
        return display, sort_date, place_id

    def _insert_record(
        self,
        conn: Connection,
        record_type: RecordType,
        record_id: str,
        revision: int,
        stamp: str,
        author: str,
        valid: Validated,
    ) -> None:
        """A new record: its index row, its ``records`` row and its first revision here.

        The index row comes first, so the record is written once with its index rowid: a
        new record has no index row to replace (two statements fewer than ``reindex``).
        """
        document = search.document_for(record_type, valid.public, self.vocabularies)
        conn.execute(
            "INSERT INTO records (id, type, current_revision, created_at, created_by,"
            " modified_at, modified_by, display, sort_date, place_id, search_rowid)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                record_id,
                record_type.name,
                revision,
                stamp,
                author,
                stamp,
                author,
                *self._list_columns(record_type, valid.public),
                search.index_new(conn, record_id, record_type.name, document),
            ),
        )
        self._write_revision(
            conn, record_type, record_id, revision, stamp, author, valid, index=False
        )

    def _write_revision(
        self,
        conn: Connection,
        record_type: RecordType,
        record_id: str,
        revision: int,
        stamp: str,
        author: str,
        valid: Validated,
        *,
        index: bool = True,  # bundle import: False for a revision older than the current one
    ) -> None:
        conn.execute(
            "INSERT INTO revisions (record_id, revision, created_at, author, fields, sensitive)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                record_id,
                revision,
                stamp,
                author,
                json.dumps(valid.public, ensure_ascii=False, sort_keys=True),
                json.dumps(valid.sensitive, ensure_ascii=False, sort_keys=True)
                if valid.sensitive
                else None,
            ),
        )
        if not index:
            return
        document = search.document_for(record_type, valid.public, self.vocabularies)
        search.reindex(conn, record_id, record_type.name, document)

    @staticmethod
    def _check_references(conn: Connection, valid: Validated) -> None:
        for path, ref, ref_type in valid.references:
            row = conn.execute(
                "SELECT type FROM records WHERE id = ? AND deleted_at IS NULL", (ref,)
            ).fetchone()
            if row is None or row[0] != ref_type:
                raise ValidationError(field=path, reason="unknown_reference", expected=ref_type)

    @staticmethod
    def _row(conn: Connection, record_id: str) -> dict[str, Any]:
        row = conn.execute(
            "SELECT type, current_revision, created_at, created_by, deleted_at, deleted_reason,"
            " purged_receipt FROM records WHERE id = ?",
            (record_id,),
        ).fetchone()
        if row is None:
            raise NotFoundError(record_id=record_id)
        if row[6] is not None:
            # A stub: the content went to the recipients and was removed (bundles/purge.py).
            raise NotFoundError("record_purged", record_id=record_id, receipt=row[6])
        keys = (
            "type",
            "current_revision",
            "created_at",
            "created_by",
            "deleted_at",
            "deleted_reason",
        )
        return dict(zip(keys, row[:6], strict=True))

    def _live_row(self, conn: Connection, record_id: str) -> dict[str, Any]:
        row = self._row(conn, record_id)
        if row["deleted_at"]:
            raise NotFoundError("record_deleted", record_id=record_id)
        return row

    @staticmethod
    def _revision(
        conn: Connection, record_id: str, revision: int, *, with_sensitive: bool = True
    ) -> tuple[dict[str, Any], dict[str, Any] | None, str, str]:
        column = "sensitive" if with_sensitive else "NULL"
        row = conn.execute(
            f"SELECT fields, {column}, created_at, author FROM revisions"
            " WHERE record_id = ? AND revision = ?",
            (record_id, revision),
        ).fetchone()
        if row is None:
            raise NotFoundError("revision_not_found", record_id=record_id, revision=revision)
        return json.loads(row[0]), json.loads(row[1]) if row[1] else None, row[2], row[3]
