"""How a signed revision joins a record's chain; used only by ``RecordStore.put``.

A revision whose parent is the record's current revision becomes the current one. Any other
revision of a known record is stored too (nothing verified is dropped) and listed as a
conflict: a ``fork`` when its parent is held here but is not the current revision (two
revisions with one parent), ``parent_missing`` when its parent never arrived. A revision
already held (by hash) changes nothing: it is never filled in place, not even with sensitive
fields a later copy carries. A revision that a held one names as its parent (it arrived after
its child, in a bundle that came late) is stored as the ancestor it is. A record purged here
takes nothing back.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from monitor_app.clock import now_iso
from monitor_app.records import dates, provenance, search, titles
from monitor_app.records.schema import RecordType
from monitor_app.records.validation import Validated
from monitor_app.records.vocabularies import Vocabularies
from monitor_app.vault.database import Connection

Outcome = Literal["created", "advanced", "ancestor", "held", "conflict", "purged"]


@dataclass(frozen=True)
class Origin:
    """Where a revision came from: written here, or brought by a bundle's signer."""

    brought_by: str | None = None  # the bundle signer's fingerprint
    bundle_id: str | None = None

    @property
    def local(self) -> bool:
        return self.brought_by is None


LOCAL = Origin()


def list_columns(
    conn: Connection, record_type: RecordType, public: dict[str, Any]
) -> tuple[str, str | None, str | None]:
    display = titles.title_of(conn, record_type, public)
    sort_date = None
    if record_type.date_field:
        value = public.get(record_type.date_field)
        sort_date = dates.sort_key(value) if isinstance(value, dict) else value
    place_id = public.get(record_type.place_field) if record_type.place_field else None
    return display, sort_date, place_id


# The field each type's ``kind`` column copies (schema version 12).
KIND_FIELDS = {"incident": "incident_type", "visit": "visit_type", "place": "place_type"}


def facet_columns(
    conn: Connection, record_type: RecordType, public: dict[str, Any]
) -> tuple[str | None, str | None, str | None, str | None]:
    """The record's case status, reprisal risk and region, as the lists filter by them (a
    place's own region, or for another record that of its place, as stored now), and its
    kind (the code of KIND_FIELDS)."""
    if record_type.name == "place":
        region = public.get("region") or None
    else:
        place_id = public.get(record_type.place_field) if record_type.place_field else None
        row = (
            conn.execute("SELECT region FROM records WHERE id = ?", (place_id,)).fetchone()
            if place_id
            else None
        )
        region = row[0] if row else None
    kind_field = KIND_FIELDS.get(record_type.name)
    kind = public.get(kind_field) if kind_field else None
    return public.get("case_status"), public.get("reprisal_risk"), region, kind or None


def _write_columns(
    conn: Connection, record_type: RecordType, record_id: str, public: dict[str, Any]
) -> None:
    """Set the list and facet columns of an existing row from its current fields."""
    conn.execute(
        "UPDATE records SET display = ?, sort_date = ?, place_id = ?, case_status = ?,"
        " reprisal_risk = ?, region = ?, kind = ? WHERE id = ?",
        (
            *list_columns(conn, record_type, public),
            *facet_columns(conn, record_type, public),
            record_id,
        ),
    )
    _region_follows(conn, record_type, record_id, public)
    write_links(conn, record_type, record_id, public)


def write_links(
    conn: Connection,
    record_type: RecordType,
    record_id: str,
    public: dict[str, Any],
    *,
    new: bool = False,
) -> None:
    """Note every record the current fields name (schema version 11's record_links); a
    ``new`` record has none to replace yet (a bundle's import adds thousands)."""
    if not new:
        conn.execute("DELETE FROM record_links WHERE record_id = ?", (record_id,))
    conn.executemany(
        "INSERT OR IGNORE INTO record_links (target_id, record_id, field, role)"
        " VALUES (?, ?, ?, ?)",
        [(target, record_id, name, role) for target, name, role in links_of(record_type, public)],
    )


def links_of(record_type: RecordType, public: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(target id, field, role) for each reference in ``public``: a top-level ref field, or
    an incident's people with their roles."""
    found: list[tuple[str, str, str]] = []
    for spec in record_type.fields:
        value = public.get(spec.name)
        if spec.kind == "ref" and isinstance(value, str):
            found.append((value, spec.name, ""))
    for person in public.get("people") or ():
        if isinstance(person, dict) and isinstance(person.get("person_id"), str):
            found.append((person["person_id"], "people", str(person.get("role") or "")))
    return found


def _region_follows(
    conn: Connection, record_type: RecordType, record_id: str, public: dict[str, Any]
) -> None:
    # The records at a place are filtered by its region: they follow when it changes, also
    # when a bundle brings the place after the records that name it.
    if record_type.name == "place":
        conn.execute(
            "UPDATE records SET region = ? WHERE place_id = ? AND type != 'place'"
            " AND region IS NOT ?",
            (public.get("region") or None, record_id, public.get("region") or None),
        )


def _retitle_linked(conn: Connection, record_type: RecordType, record_id: str) -> None:
    """A place's title is part of its visits' titles (records/titles.py)."""
    if record_type.name == "place":
        titles.retitle_linked(conn, record_id)


def _insert_revision(
    conn: Connection,
    revision: provenance.Revision,
    number: int,
    author: str,
    valid: Validated,
    origin: Origin,
) -> None:
    conn.execute(
        "INSERT INTO revisions (record_id, revision, created_at, author, fields, sensitive,"
        " hash, parent, author_key, signature, sensitive_salt, sensitive_digest,"
        " sensitive_names, brought_by, bundle_id)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            revision.record_id,
            number,
            revision.created_at,
            author,
            json.dumps(valid.public, ensure_ascii=False, sort_keys=True),
            json.dumps(valid.sensitive, ensure_ascii=False, sort_keys=True)
            if valid.sensitive
            else None,
            revision.hash,
            revision.parent,
            revision.author_key,
            revision.signature,
            revision.salt,
            revision.sensitive_digest,
            json.dumps(list(revision.sensitive_names)),
            origin.brought_by,
            origin.bundle_id,
        ),
    )


@dataclass(frozen=True)
class RecordState:
    """What the rules need to know of a record held here."""

    type: str
    head: str | None  # the hash of its current revision
    deleted: bool
    purged: bool


def state_of(conn: Connection, record_id: str) -> RecordState | None:
    row = conn.execute(
        "SELECT r.type, v.hash, r.deleted_at, r.purged_at FROM records r"
        " LEFT JOIN revisions v ON v.record_id = r.id AND v.revision = r.current_revision"
        " WHERE r.id = ?",
        (record_id,),
    ).fetchone()
    if row is None:
        return None
    return RecordState(str(row[0]), row[1], row[2] is not None, row[3] is not None)


def is_held(conn: Connection, revision_hash: str) -> bool:
    return (
        conn.execute("SELECT 1 FROM revisions WHERE hash = ?", (revision_hash,)).fetchone()
        is not None
    )


def is_awaited(conn: Connection, revision: provenance.Revision) -> bool:
    """Whether a revision held here names ``revision`` as its parent: one that arrived
    before its parent (a bundle that came late), not a conflict."""
    return (
        conn.execute(
            "SELECT 1 FROM revisions WHERE record_id = ? AND parent = ? LIMIT 1",
            (revision.record_id, revision.hash),
        ).fetchone()
        is not None
    )


def decide(
    state: RecordState | None, revision: provenance.Revision, held: bool, awaited: bool
) -> Outcome:
    """The rule of the module notes, for the import and for its preview alike."""
    if held:
        return "held"
    if state is None:
        return "created"
    if state.purged:
        return "purged"
    if state.type != revision.type:
        raise provenance.RevisionError("revision_type_mismatch", record_id=revision.record_id)
    if revision.parent is not None and revision.parent == state.head:
        return "advanced"
    if awaited:
        return "ancestor"
    return "conflict"


def put(
    conn: Connection,
    record_type: RecordType,
    revision: provenance.Revision,
    valid: Validated,
    author: str,
    origin: Origin,
    vocabularies: Vocabularies,
) -> tuple[Outcome, int]:
    """Store ``revision`` (verified by the caller); returns what happened and its local
    number (0 when nothing was stored)."""
    state = state_of(conn, revision.record_id)
    # Revisions belong to their record (and a hash covers the record's id): a record this
    # vault has never seen has none held or awaiting, and a bundle brings thousands of them.
    known = state is not None
    held = known and is_held(conn, revision.hash)
    outcome = decide(state, revision, held, known and is_awaited(conn, revision))
    if outcome in ("held", "purged"):
        return outcome, 0
    document = search.document_for(record_type, valid.public, vocabularies)
    if state is None:
        conn.execute(
            "INSERT INTO records (id, type, current_revision, created_at, created_by,"
            " modified_at, modified_by, display, sort_date, place_id, case_status,"
            " reprisal_risk, region, kind, search_rowid)"
            " VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                revision.record_id,
                record_type.name,
                revision.created_at,
                author,
                revision.created_at,
                author,
                *list_columns(conn, record_type, valid.public),
                *facet_columns(conn, record_type, valid.public),
                search.index_new(conn, revision.record_id, record_type.name, document),
            ),
        )
        _region_follows(conn, record_type, revision.record_id, valid.public)
        write_links(conn, record_type, revision.record_id, valid.public, new=True)
        _insert_revision(conn, revision, 1, author, valid, origin)
        _retitle_linked(conn, record_type, revision.record_id)
        return outcome, 1
    number = (
        int(
            conn.execute(
                "SELECT max(revision) FROM revisions WHERE record_id = ?", (revision.record_id,)
            ).fetchone()[0]
            or 0
        )
        + 1
    )
    _insert_revision(conn, revision, number, author, valid, origin)
    if outcome == "advanced":
        conn.execute(
            "UPDATE records SET current_revision = ?, modified_at = ?, modified_by = ?"
            " WHERE id = ?",
            (number, revision.created_at, author, revision.record_id),
        )
        _write_columns(conn, record_type, revision.record_id, valid.public)
        if not state.deleted:
            search.reindex(conn, revision.record_id, record_type.name, document)
        _retitle_linked(conn, record_type, revision.record_id)
        _follow(conn, record_type, revision.record_id, revision.hash, state.deleted, vocabularies)
        return outcome, number
    if outcome == "ancestor":
        return outcome, number
    parent_held = revision.parent is not None and is_held(conn, revision.parent)
    conn.execute(
        "INSERT INTO conflicts (record_id, hash, bundle_id, reason, detected_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (
            revision.record_id,
            revision.hash,
            origin.bundle_id,
            "fork" if parent_held else "parent_missing",
            now_iso(),
        ),
    )
    return outcome, number


def _follow(
    conn: Connection,
    record_type: RecordType,
    record_id: str,
    head: str,
    deleted: bool,
    vocabularies: Vocabularies,
) -> None:
    """Move the record on through revisions that arrived before their parent: while the new
    current revision has exactly one such child, that child becomes current and its conflict
    (``parent_missing``) is resolved, since its parent is here now."""
    while True:
        children = conn.execute(
            "SELECT v.revision, v.hash, v.created_at, v.author, v.fields FROM revisions v"
            " JOIN conflicts c ON c.record_id = v.record_id AND c.hash = v.hash"
            " WHERE v.record_id = ? AND v.parent = ? AND c.reason = 'parent_missing'"
            " AND c.resolved_at IS NULL",
            (record_id, head),
        ).fetchall()
        if len(children) != 1:
            return
        number, head, created_at, author, fields_json = children[0]
        fields = json.loads(fields_json)
        conn.execute(
            "UPDATE records SET current_revision = ?, modified_at = ?, modified_by = ?"
            " WHERE id = ?",
            (number, created_at, author, record_id),
        )
        _write_columns(conn, record_type, record_id, fields)
        _retitle_linked(conn, record_type, record_id)
        if not deleted:
            document = search.document_for(record_type, fields, vocabularies)
            search.reindex(conn, record_id, record_type.name, document)
        conn.execute(
            "UPDATE conflicts SET resolved_at = ? WHERE record_id = ? AND hash = ?",
            (now_iso(), record_id, head),
        )


def stored(conn: Connection, record_id: str, number: int) -> provenance.Revision:
    """A stored revision as signed, with its sensitive fields; its body is rebuilt from the
    stored columns and must give the stored hash (a damaged row is refused, not sent)."""
    row = conn.execute(
        "SELECT r.type, v.created_at, v.fields, v.sensitive, v.hash, v.parent, v.author_key,"
        " v.signature, v.sensitive_salt, v.sensitive_digest, v.sensitive_names"
        " FROM revisions v JOIN records r ON r.id = v.record_id"
        " WHERE v.record_id = ? AND v.revision = ?",
        (record_id, number),
    ).fetchone()
    if row is None:
        raise provenance.RevisionError("revision_not_found", record_id=record_id)
    type_name, created_at, fields_json, sensitive_json, digest_hash, parent, key = row[:7]
    signature, salt, digest, names_json = row[7:]
    fields = json.loads(fields_json)
    names = tuple(json.loads(names_json))
    body = provenance.body_of(
        record_id=record_id,
        type_name=str(type_name),
        parent=parent,
        created_at=str(created_at),
        author_key=None if key is None else bytes(key),
        fields=fields,
        digest=digest,
        names=names,
    )
    if provenance.hash_of(body) != digest_hash:
        raise provenance.RevisionError("revision_damaged", record_id=record_id)
    return provenance.Revision(
        body,
        str(digest_hash),
        None if signature is None else bytes(signature),
        record_id,
        str(type_name),
        parent,
        str(created_at),
        None if key is None else bytes(key),
        fields,
        digest,
        names,
        json.loads(sensitive_json) if sensitive_json else None,
        None if salt is None else bytes(salt),
    )
