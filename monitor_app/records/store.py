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
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from monitor_app.clock import now_iso
from monitor_app.errors import MonitorError, NotFoundError, ValidationError
from monitor_app.identity.keys import Identity
from monitor_app.records import (
    audit,
    authorship,
    chain,
    facets,
    listing,
    provenance,
    search,
    titles,
)
from monitor_app.records.schema import RECORD_TYPES, RecordType
from monitor_app.records.validation import Validated, check_key, check_text, validate
from monitor_app.records.vocabularies import Vocabularies, default_vocabularies
from monitor_app.vault.database import Connection

if TYPE_CHECKING:
    from monitor_app.vault.session import UnlockedVault

SORT_COLUMNS = listing.SORT_EXPRESSIONS  # the orders a list offers


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
    revision_hash: str = ""
    author: authorship.Party | None = None  # who signed this revision
    brought_by: authorship.Party | None = None  # the bundle signer who brought it
    conflicts: int = 0  # revisions of this record outside its chain, not yet resolved
    withheld: tuple[str, ...] = ()  # sensitive fields its author wrote, not in this copy
    display: str = ""  # the record's title as its list shows it (records/titles.py)

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.record_id,
            "type": self.type,
            "revision": self.revision,
            "revision_hash": self.revision_hash,
            "author": None if self.author is None else self.author.to_json(),
            "brought_by": None if self.brought_by is None else self.brought_by.to_json(),
            "conflicts": self.conflicts,
            "withheld_fields": list(self.withheld),
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
class RecordName:
    """A record as it is named where it is mentioned: never sensitive fields."""

    type: str
    display: str  # "" once purged
    deleted: bool
    purged: bool


@dataclass(frozen=True)
class RecordSummary:
    """What list views show: never sensitive fields."""

    record_id: str
    type: str
    display: str
    sort_date: str | None
    modified_at: str
    place_id: str | None
    case_status: str | None = None
    reprisal_risk: str | None = None
    region: str | None = None  # a place's, or the region of the record's place
    created_by: str = ""  # the author: this vault's author id, or "key:" and a public key

    def cursor(self, order_by: str) -> listing.Cursor:
        """Where the next page of a list in ``order_by`` order starts, after this row."""
        return listing.cursor_after(
            order_by,
            self.record_id,
            self.sort_date,
            self.modified_at,
            self.display,
            case_status=self.case_status,
            reprisal_risk=self.reprisal_risk,
            region=self.region,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.record_id,
            "type": self.type,
            "display": self.display,
            "date": self.sort_date,
            "modified_at": self.modified_at,
            "place_id": self.place_id,
            "case_status": self.case_status,
            "reprisal_risk": self.reprisal_risk,
            "region": self.region,
            "created_by": self.created_by,
        }


@dataclass(frozen=True)
class RevisionInfo:
    revision: int  # this vault's number for it, in the order it was stored here
    created_at: str  # the author's clock: informational, never used for ordering
    author: str
    changed_fields: list[str]  # against its parent revision
    hash: str = ""
    parent: str | None = None
    signed_by: authorship.Party | None = None
    brought_by: authorship.Party | None = None
    current: bool = False
    conflict: str | None = None  # fork | parent_missing: outside the record's chain
    withheld: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "revision": self.revision,
            "created_at": self.created_at,
            "author": self.author,
            "changed_fields": self.changed_fields,
            "hash": self.hash,
            "parent": self.parent,
            "signed_by": None if self.signed_by is None else self.signed_by.to_json(),
            "brought_by": None if self.brought_by is None else self.brought_by.to_json(),
            "current": self.current,
            "conflict": self.conflict,
            "withheld_fields": list(self.withheld),
        }


def stored_revision(conn: Connection, record_id: str, number: int) -> provenance.Revision:
    """A stored revision exactly as its author signed it, with its sensitive fields when
    held: what an export sends (or forwards) on."""
    return chain.stored(conn, record_id, number)


def record_type_named(name: str) -> RecordType:
    try:
        return RECORD_TYPES[name]
    except KeyError:
        raise ValidationError(field="type", reason="unknown_code") from None


class RecordStore:
    def __init__(self, vault: UnlockedVault, vocabularies: Vocabularies | None = None) -> None:
        self.vault = vault
        self.vocabularies = vocabularies or default_vocabularies()
        self._keys: Identity | None = None

    # -- writing ---------------------------------------------------------------------------
    def add(self, type_name: str, data_untrusted: Any) -> RecordView:
        return self.add_many(type_name, [data_untrusted])[0]

    def add_many(self, type_name: str, items_untrusted: Iterable[Any]) -> list[RecordView]:
        """Add several records as one logical change (one transaction)."""
        record_type = record_type_named(type_name)
        checked = [validate(record_type, item, self.vocabularies) for item in items_untrusted]
        identity = self._identity()
        views = []
        with self.vault.transaction() as conn:
            for valid in checked:
                self._check_references(conn, valid)
                revision = provenance.write(
                    identity,
                    record_id=str(uuid.uuid4()),
                    type_name=type_name,
                    parent=None,
                    created_at=now_iso(),
                    fields=valid.public,
                    sensitive=valid.sensitive,
                )
                self.put(conn, revision, valid)
                display = titles.title_of(conn, record_type, valid.public)
                views.append(self._view_of(revision, valid, 1, display))
        return views

    def edit(self, record_id: str, patch_untrusted: Any) -> RecordView:
        """Apply a patch (a field set to null is removed) as a new revision."""
        if not isinstance(patch_untrusted, dict):
            raise ValidationError(field="", reason="wrong_type", expected="object")
        identity = self._identity()
        with self.vault.transaction() as conn:
            row = self._live_row(conn, record_id)
            record_type = record_type_named(row["type"])
            # A null removes a field; naming a field the type does not have is still an error.
            for name in patch_untrusted:
                check_key(name, "")
                if not isinstance(name, str) or name not in record_type.by_name:
                    raise ValidationError(field=str(name)[:64], reason="unknown_field")
            current = chain.stored(conn, record_id, row["current_revision"])
            merged = {**current.fields, **(current.sensitive or {})}
            for name, value in patch_untrusted.items():
                if value is None:
                    merged.pop(name, None)
                else:
                    merged[name] = value
            valid = validate(record_type, merged, self.vocabularies)
            self._check_references(conn, valid)
            if current.withheld:
                # Its author withheld identifying fields from this copy: a revision made here
                # could not carry them, and would drop them from the record wherever it went.
                raise MonitorError("record_fields_withheld", record_id=record_id)
            revision = provenance.write(
                identity,
                record_id=record_id,
                type_name=record_type.name,
                parent=current.hash,
                created_at=now_iso(),
                fields=valid.public,
                sensitive=valid.sensitive,
            )
            self.put(conn, revision, valid)
        return self.get(record_id)

    def put(
        self,
        conn: Connection,
        revision: provenance.Revision,
        valid: Validated,
        origin: chain.Origin = chain.LOCAL,
    ) -> chain.Outcome:
        """The one way a revision enters the vault, written here or brought by a bundle.

        Its signature is verified (``revision_signature_invalid``, ``revision_unsigned``),
        its fields must be the validated ones, and it joins the record's chain (see
        records/chain.py): the revision, the list row, the search index and, for a change
        made here, the audit entry, in the caller's transaction. A bundle's import writes
        one audit entry for the whole bundle instead."""
        provenance.verify(revision)
        if revision.fields != valid.public or (
            revision.sensitive is not None and revision.sensitive != valid.sensitive
        ):
            raise provenance.RevisionError("revision_fields_mismatch", record_id=revision.record_id)
        record_type = record_type_named(revision.type)
        own = self._identity().signing_public
        assert revision.author_key is not None  # verify() refuses a revision without one
        author = (
            self.vault.author.author_id
            if revision.author_key == own
            else "key:" + revision.author_key.hex()
        )
        outcome, number = chain.put(
            conn, record_type, revision, valid, author, origin, self.vocabularies
        )
        if origin.local:
            action = "record_created" if outcome == "created" else "record_edited"
            details: dict[str, Any] = {"type": revision.type}
            if outcome != "created":
                details["revision"] = number
            audit.append(conn, author, action, revision.record_id, details)
        return outcome

    def _identity(self) -> Identity:
        if self._keys is None:
            self._keys = self.vault.identity.keys()
        return self._keys

    def _view_of(
        self, revision: provenance.Revision, valid: Validated, number: int, display: str
    ) -> RecordView:
        author = self.vault.author.author_id
        return RecordView(
            revision.record_id,
            revision.type,
            number,
            revision.created_at,
            author,
            revision.created_at,
            author,
            valid.public,
            None,
            revision_hash=revision.hash,
            display=display,
        )

    def delete(self, record_id: str, reason: str) -> None:
        if not isinstance(reason, str) or not reason.strip():
            raise ValidationError(field="reason", reason="required")
        check_text(reason, "reason", multiline=True)
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
            origin = conn.execute(
                "SELECT hash, author_key, brought_by, sensitive_names, sensitive IS NULL"
                " FROM revisions WHERE record_id = ? AND revision = ?",
                (record_id, number),
            ).fetchone()
            directory = authorship.Directory(conn)
            signer = directory.author(None if origin[1] is None else bytes(origin[1]))
            bringer = directory.bringer(origin[2])
            conflicts = int(
                conn.execute(
                    "SELECT count(*) FROM conflicts WHERE record_id = ? AND resolved_at IS NULL",
                    (record_id,),
                ).fetchone()[0]
            )
            withheld = tuple(json.loads(origin[3])) if origin[4] else ()
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
            revision_hash=str(origin[0]),
            author=signer,
            brought_by=bringer,
            conflicts=conflicts,
            withheld=withheld,
            display=str(row["display"] or ""),
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
        after: listing.Cursor | None = None,
        filters: facets.Filters | None = None,
    ) -> builtins.list[RecordSummary]:
        """A page of the list in ``order_by`` order: the one after ``after`` (the cursor of
        the last row of the page before, see ``RecordSummary.cursor``), which costs the same
        anywhere in the list; ``offset`` reads and skips rows, for short lists only.
        ``filters`` keep the live records they match (records/facets.py)."""
        if type_name is not None:
            record_type_named(type_name)
        with self.vault.reading() as conn:
            sql, params = listing.page_query(
                type_name,
                order_by=order_by,
                descending=descending,
                include_deleted=include_deleted,
                after=after,
                limit=limit,
                offset=offset,
                filters=self._resolved(conn, filters),
            )
            rows = conn.execute(sql, params).fetchall()
        return [RecordSummary(*r) for r in rows]

    def count(
        self,
        type_name: str | None = None,
        *,
        include_deleted: bool = False,
        filters: facets.Filters | None = None,
    ) -> int:
        """How many records the list holds: exact, also for a common word."""
        if type_name is not None:
            record_type_named(type_name)
        with self.vault.reading() as conn:
            sql, params = listing.count_query(
                type_name, include_deleted=include_deleted, filters=self._resolved(conn, filters)
            )
            return int(conn.execute(sql, params).fetchone()[0])

    def facet_counts(self, filters: facets.Filters, facet: str) -> dict[str, int]:
        """How many records each value of ``facet`` would keep, with the other filters."""
        with self.vault.reading() as conn:
            if facet == "organisation":
                filters.check(self.vocabularies)
                return facets.organisation_counts(conn, filters, self._organisations(conn))
            return facets.facet_counts(conn, self._resolve(conn, filters), facet)

    def organisations(self) -> dict[str, str | None]:
        """Each author a record can name, with their organisation as this vault knows it."""
        with self.vault.reading() as conn:
            return self._organisations(conn)

    def authors(self) -> dict[str, authorship.Party]:
        """Each author a record can name (``RecordSummary.created_by``) as the contact list
        knows them: what a list or a facet shows for an author (authorship.party_text)."""
        with self.vault.reading() as conn:
            directory = authorship.Directory(conn)
            found = {}
            for author in self._organisations(conn):
                key = bytes.fromhex(author[4:]) if author.startswith("key:") else None
                found[author] = (
                    directory.author(key)
                    if key is not None
                    else authorship.Party("own", None, None, None)
                )
            return found

    def _organisations(self, conn: Connection) -> dict[str, str | None]:
        author = self.vault.author
        return facets.author_organisations(conn, author.author_id, author.organisation)

    def _resolved(self, conn: Connection, filters: facets.Filters | None) -> facets.Filters | None:
        return None if filters is None else self._resolve(conn, filters)

    def _resolve(self, conn: Connection, filters: facets.Filters) -> facets.Filters:
        filters.check(self.vocabularies)
        # The contact list is read only when organisations are chosen: not for every page.
        return facets.resolve(filters, self._organisations(conn) if filters.organisation else {})

    def names(self, record_ids: Iterable[str]) -> dict[str, RecordName]:
        """How each of ``record_ids`` held here is named where it is mentioned (the audit
        log, say), deleted and purged ones included; ids not held are left out."""
        wanted = sorted(set(record_ids))
        found: dict[str, RecordName] = {}
        with self.vault.reading() as conn:
            for start in range(0, len(wanted), 500):  # SQLite's bound on parameters
                chunk = wanted[start : start + 500]
                marks = ",".join("?" * len(chunk))
                for row in conn.execute(
                    "SELECT id, type, display, deleted_at IS NOT NULL, purged_at IS NOT NULL"
                    f" FROM records WHERE id IN ({marks})",
                    chunk,
                ):
                    found[row[0]] = RecordName(row[1], row[2], bool(row[3]), bool(row[4]))
        return found

    def history(self, record_id: str) -> builtins.list[RevisionInfo]:
        """Every revision held, in the order stored here, each compared with its parent;
        revisions outside the record's chain (a fork, a missing parent) say so."""
        with self.vault.reading() as conn:
            row = self._row(conn, record_id)
            rows = conn.execute(
                "SELECT revision, created_at, author, fields, sensitive, hash, parent,"
                " author_key, brought_by, sensitive_names FROM revisions"
                " WHERE record_id = ? ORDER BY revision",
                (record_id,),
            ).fetchall()
            conflicts = dict(
                conn.execute(
                    "SELECT hash, reason FROM conflicts WHERE record_id = ?"
                    " AND resolved_at IS NULL",
                    (record_id,),
                ).fetchall()
            )
            directory = authorship.Directory(conn)
            result: builtins.list[RevisionInfo] = []
            content: dict[str, dict[str, Any]] = {}
            for number, created_at, author, fields_json, sensitive_json, *rest in rows:
                digest, parent, key, brought_by, names_json = rest
                # Sensitive fields appear by name only, never by value.
                current = {**json.loads(fields_json), **json.loads(sensitive_json or "{}")}
                previous = content.get(parent, {}) if parent else {}
                changed = sorted(
                    k for k in current.keys() | previous.keys() if current.get(k) != previous.get(k)
                )
                content[str(digest)] = current
                result.append(
                    RevisionInfo(
                        number,
                        created_at,
                        author,
                        changed,
                        hash=str(digest),
                        parent=parent,
                        signed_by=directory.author(None if key is None else bytes(key)),
                        brought_by=directory.bringer(brought_by),
                        current=number == row["current_revision"],
                        conflict=conflicts.get(digest),
                        withheld=tuple(json.loads(names_json)) if sensitive_json is None else (),
                    )
                )
        return result

    def search(
        self, query: str, *, facet_filters: facets.Filters | None = None, **filters: Any
    ) -> builtins.list[search.SearchHit]:
        """Records matching ``query``, best first (see records/search.py), narrowed by
        ``facet_filters`` (its own words, if any, are ignored: ``query`` is searched)."""
        with self.vault.reading() as conn:
            resolved = self._resolved(conn, facet_filters)
            extra = None
            if resolved is not None:
                extra = facets.where(replace(resolved, text=""), prefix="r.")
            return search.search(conn, query, extra=extra, **filters)

    # -- helpers ---------------------------------------------------------------------------
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
            " purged_receipt, display FROM records WHERE id = ?",
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
        return {**dict(zip(keys, row[:6], strict=True)), "display": row[7]}

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
