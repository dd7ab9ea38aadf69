"""Dossiers: everything the vault holds about one person or one place of detention.

A legal-aid reviewer asks "what do we know about P?" across up to a million records. The
answer is read from ``record_links`` (schema version 11), which notes every reference each
live record's current revision makes, so a dossier reads an index of the records that name
P instead of every revision:

* a person's dossier: the incidents naming them (with their role in each), the visits of
  those incidents (and any visit naming them directly), and the attachments of the person
  and of those records;
* a place's dossier: the visits and incidents at it (an incident also through its visit),
  the recommendations of those visits, and each visit's occupancy.

Counts are exact; each section returns at most ``limit`` items from ``offset`` (offset
paging: a section is sorted by date, which the index does not hold, so a cursor would cost
the same sort). ``section_page`` reads a later page of one section. Items are sorted by date,
undated ones last, then by id. Deleted and purged records never appear. Nothing here returns
sensitive fields: titles are the ones lists show.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from monitor_app.errors import NotFoundError, ValidationError
from monitor_app.records.store import RecordView
from monitor_app.vault.database import Connection

if TYPE_CHECKING:
    from monitor_app.vault.session import UnlockedVault

DEFAULT_LIMIT = 100
MAX_LIMIT = 1_000
PERSON_SECTIONS = ("incidents", "visits", "attachments")
PLACE_SECTIONS = ("visits", "incidents", "recommendations", "occupancy")
_LIVE = "{t}.deleted_at IS NULL AND {t}.purged_at IS NULL"
_BY_DATE = "{t}.sort_date IS NULL, {t}.sort_date, {t}.id"


@dataclass(frozen=True)
class DossierItem:
    """A record in a dossier, as a list names it."""

    record_id: str
    type: str
    date: str | None
    title: str
    kind: str | None  # its incident_type or visit_type code
    case_status: str | None = None
    roles: tuple[str, ...] = ()  # a person's role codes there (person dossiers only)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.record_id,
            "type": self.type,
            "date": self.date,
            "title": self.title,
            "kind": self.kind,
            "case_status": self.case_status,
            "roles": list(self.roles),
        }


@dataclass(frozen=True)
class AttachmentItem:
    attachment_id: str
    record_id: str  # the record it is attached to
    record_type: str
    original_name: str
    media_type: str
    size: int
    added_at: str

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.attachment_id,
            "record_id": self.record_id,
            "record_type": self.record_type,
            "original_name": self.original_name,
            "media_type": self.media_type,
            "size": self.size,
            "added_at": self.added_at,
        }


@dataclass(frozen=True)
class RecommendationItem:
    visit_id: str
    date: str | None  # the visit's
    index: int  # its place in the visit's list
    text: str
    status: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "visit_id": self.visit_id,
            "date": self.date,
            "index": self.index,
            "text": self.text,
            "status": self.status,
        }


@dataclass(frozen=True)
class OccupancyItem:
    visit_id: str
    date: str | None
    occupancy: int

    def to_json(self) -> dict[str, Any]:
        return {"visit_id": self.visit_id, "date": self.date, "occupancy": self.occupancy}


Item = DossierItem | AttachmentItem | RecommendationItem | OccupancyItem


@dataclass(frozen=True)
class Section:
    name: str
    total: int  # exact, however many items the page holds
    offset: int
    items: tuple[Item, ...]

    @property
    def next_offset(self) -> int | None:
        following = self.offset + len(self.items)
        return following if following < self.total and self.items else None

    def to_json(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "offset": self.offset,
            "next_offset": self.next_offset,
            "items": [item.to_json() for item in self.items],
        }


@dataclass(frozen=True)
class Dossier:
    kind: str  # person | place
    record: RecordView  # without sensitive fields
    sections: dict[str, Section]
    # Exact tallies: by_role (incidents per role of the person), by_incident_type,
    # by_case_status, by_recommendation_status; "" stands for "not set".
    breakdowns: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def counts(self) -> dict[str, int]:
        return {name: section.total for name, section in self.sections.items()}

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.record.record_id,
            "title": self.record.display,
            "fields": self.record.fields,
            "counts": {**self.counts, **self.breakdowns},
            "sections": {name: s.to_json() for name, s in self.sections.items()},
        }


class DossierStore:
    """The dossiers of a vault (``vault.dossiers``)."""

    def __init__(self, vault: UnlockedVault) -> None:
        self.vault = vault

    def person_dossier(self, record_id: str, *, limit: int = DEFAULT_LIMIT) -> Dossier:
        record = self._subject(record_id, "person")
        with self.vault.reading() as conn:
            sections = {
                name: _person_section(conn, record_id, name, 0, _checked(limit, 0))
                for name in PERSON_SECTIONS
            }
            by_role = _tally(
                conn,
                f"SELECT l.role, count(DISTINCT l.record_id) FROM record_links AS l"
                f" JOIN records AS r ON r.id = l.record_id"
                f" WHERE l.target_id = ? AND l.field = 'people' AND r.type = 'incident'"
                f" AND {_LIVE.format(t='r')} GROUP BY l.role",
                (record_id,),
            )
        return Dossier("person", record, sections, {"by_role": by_role})

    def place_dossier(self, record_id: str, *, limit: int = DEFAULT_LIMIT) -> Dossier:
        record = self._subject(record_id, "place")
        with self.vault.reading() as conn:
            sections = {
                name: _place_section(conn, record_id, name, 0, _checked(limit, 0))
                for name in PLACE_SECTIONS
            }
            incidents = f"SELECT id FROM ({_PLACE_INCIDENTS})"
            by_type = _tally(
                conn,
                "SELECT ifnull(json_extract(v.fields, '$.incident_type'), ''), count(*)"
                " FROM records AS r JOIN revisions AS v"
                " ON v.record_id = r.id AND v.revision = r.current_revision"
                f" WHERE r.id IN ({incidents}) GROUP BY 1",
                (record_id, record_id),
            )
            by_status = _tally(
                conn,
                "SELECT ifnull(case_status, ''), count(*) FROM records"
                f" WHERE id IN ({incidents}) GROUP BY 1",
                (record_id, record_id),
            )
            by_recommendation = _tally(
                conn,
                "SELECT ifnull(json_extract(e.value, '$.status'), ''), count(*)"
                f" FROM ({_PLACE_VISITS}) AS r JOIN revisions AS v"
                " ON v.record_id = r.id AND v.revision = r.current_revision"
                " JOIN json_each(v.fields, '$.recommendations') AS e GROUP BY 1",
                (record_id,),
            )
        return Dossier(
            "place",
            record,
            sections,
            {
                "by_incident_type": by_type,
                "by_case_status": by_status,
                "by_recommendation_status": by_recommendation,
            },
        )

    def section_page(
        self, kind: str, record_id: str, section: str, *, offset: int, limit: int = DEFAULT_LIMIT
    ) -> Section:
        """Another page of one section of a dossier: ``offset`` is a section's
        ``next_offset``. Counts are read again, so a page always says the current total."""
        names = PERSON_SECTIONS if kind == "person" else PLACE_SECTIONS
        if kind not in ("person", "place"):
            raise ValidationError(field="kind", reason="unknown_code")
        if section not in names:
            raise ValidationError(field="section", reason="unknown_code")
        self._subject(record_id, kind)
        limit = _checked(limit, offset)
        with self.vault.reading() as conn:
            if kind == "person":
                return _person_section(conn, record_id, section, offset, limit)
            return _place_section(conn, record_id, section, offset, limit)

    def _subject(self, record_id: str, kind: str) -> RecordView:
        # Missing and purged records raise from get(); a deleted one has no dossier either.
        record = self.vault.records.get(record_id)
        if record.deleted_at:
            raise NotFoundError("record_deleted", record_id=record_id)
        if record.type != kind:
            raise ValidationError("dossier_wrong_type", record_id=record_id, expected=kind)
        return record


def _checked(limit: int, offset: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError(field="limit", reason="out_of_range", minimum=1, maximum=MAX_LIMIT)
    if offset < 0:
        raise ValidationError(field="offset", reason="out_of_range", minimum=0, maximum=None)
    return limit


def _tally(conn: Connection, sql: str, params: Sequence[Any]) -> dict[str, int]:
    return {str(key or ""): int(n) for key, n in conn.execute(sql, params)}


# -- a person's dossier ----------------------------------------------------------------------------
# The live incidents naming the person (one row per incident, whatever its roles).
_PERSON_INCIDENTS = (
    "SELECT DISTINCT r.id, r.sort_date FROM record_links AS l"
    " JOIN records AS r ON r.id = l.record_id"
    " WHERE l.target_id = ? AND l.field = 'people' AND r.type = 'incident'"
    f" AND {_LIVE.format(t='r')}"
)
# Their visits, and any visit that names the person itself.
_PERSON_VISITS = (
    "SELECT DISTINCT r.id, r.sort_date FROM records AS r WHERE r.type = 'visit'"
    f" AND {_LIVE.format(t='r')} AND r.id IN ("
    " SELECT l.target_id FROM record_links AS l"
    f" WHERE l.field = 'visit_id' AND l.record_id IN (SELECT id FROM ({_PERSON_INCIDENTS}))"
    " UNION SELECT record_id FROM record_links WHERE target_id = ?)"
)


def _person_section(
    conn: Connection, person_id: str, name: str, offset: int, limit: int
) -> Section:
    if name == "incidents":
        total = _count(conn, _PERSON_INCIDENTS, (person_id,))
        rows = _page(conn, _PERSON_INCIDENTS, (person_id,), offset, limit)
        roles = _roles(
            conn,
            "SELECT record_id, role FROM record_links WHERE target_id = ? AND field = 'people'"
            " AND record_id IN ({ids})",
            person_id,
            rows,
        )
        items = _items(conn, rows, roles)
    elif name == "visits":
        params = (person_id, person_id)
        total = _count(conn, _PERSON_VISITS, params)
        rows = _page(conn, _PERSON_VISITS, params, offset, limit)
        # A visit's roles: the person's roles in its incidents that still name them.
        roles = _roles(
            conn,
            "SELECT v.target_id, p.role FROM record_links AS p"
            " JOIN records AS r ON r.id = p.record_id"
            " JOIN record_links AS v ON v.record_id = p.record_id AND v.field = 'visit_id'"
            f" WHERE p.target_id = ? AND p.field = 'people' AND {_LIVE.format(t='r')}"
            " AND v.target_id IN ({ids})",
            person_id,
            rows,
        )
        items = _items(conn, rows, roles)
    else:
        owners = (
            f"SELECT ? UNION SELECT id FROM ({_PERSON_INCIDENTS})"
            f" UNION SELECT id FROM ({_PERSON_VISITS})"
        )
        return _attachments(conn, owners, (person_id,) * 4, offset, limit)
    return Section(name, total, offset, tuple(items))


# -- a place's dossier -----------------------------------------------------------------------------
_PLACE_VISITS = (
    "SELECT r.id, r.sort_date, r.current_revision FROM record_links AS l"
    " JOIN records AS r ON r.id = l.record_id"
    " WHERE l.target_id = ? AND l.field = 'place_id' AND r.type = 'visit'"
    f" AND {_LIVE.format(t='r')}"
)
# At the place itself, or during a visit there.
_PLACE_INCIDENTS = (
    "SELECT r.id, r.sort_date FROM records AS r WHERE r.type = 'incident'"
    f" AND {_LIVE.format(t='r')} AND r.id IN ("
    " SELECT record_id FROM record_links WHERE target_id = ? AND field = 'place_id'"
    " UNION SELECT l.record_id FROM record_links AS l WHERE l.field = 'visit_id'"
    " AND l.target_id IN (SELECT record_id FROM record_links"
    " WHERE target_id = ? AND field = 'place_id'))"
)
_RECOMMENDATIONS = (
    "SELECT r.id, r.sort_date, CAST(e.key AS INTEGER) AS idx,"
    " json_extract(e.value, '$.text'), json_extract(e.value, '$.status')"
    f" FROM ({_PLACE_VISITS}) AS r JOIN revisions AS v"
    " ON v.record_id = r.id AND v.revision = r.current_revision"
    " JOIN json_each(v.fields, '$.recommendations') AS e"
)
_OCCUPANCY = (
    "SELECT r.id, r.sort_date, json_extract(v.fields, '$.occupancy') AS n"
    f" FROM ({_PLACE_VISITS}) AS r JOIN revisions AS v"
    " ON v.record_id = r.id AND v.revision = r.current_revision"
    " WHERE json_type(v.fields, '$.occupancy') = 'integer'"
)


def _place_section(conn: Connection, place_id: str, name: str, offset: int, limit: int) -> Section:
    items: Sequence[Item]
    if name == "visits":
        total = _count(conn, _PLACE_VISITS, (place_id,))
        items = _items(conn, _page(conn, _PLACE_VISITS, (place_id,), offset, limit), {})
    elif name == "incidents":
        params = (place_id, place_id)
        total = _count(conn, _PLACE_INCIDENTS, params)
        items = _items(conn, _page(conn, _PLACE_INCIDENTS, params, offset, limit), {})
    elif name == "recommendations":
        total = _count(conn, _RECOMMENDATIONS, (place_id,))
        rows = conn.execute(
            f"{_RECOMMENDATIONS} ORDER BY {_BY_DATE.format(t='r')}, idx LIMIT ? OFFSET ?",
            (place_id, limit, offset),
        ).fetchall()
        items = [RecommendationItem(r[0], r[1], int(r[2]), str(r[3] or ""), r[4]) for r in rows]
    else:
        total = _count(conn, _OCCUPANCY, (place_id,))
        rows = conn.execute(
            f"{_OCCUPANCY} ORDER BY {_BY_DATE.format(t='r')} LIMIT ? OFFSET ?",
            (place_id, limit, offset),
        ).fetchall()
        items = [OccupancyItem(r[0], r[1], int(r[2])) for r in rows]
    return Section(name, total, offset, tuple(items))


# -- shared ----------------------------------------------------------------------------------------
def _count(conn: Connection, rows_sql: str, params: Sequence[Any]) -> int:
    return int(conn.execute(f"SELECT count(*) FROM ({rows_sql})", params).fetchone()[0])


def _page(
    conn: Connection, rows_sql: str, params: Sequence[Any], offset: int, limit: int
) -> list[str]:
    rows = conn.execute(
        f"SELECT id FROM ({rows_sql}) AS r ORDER BY {_BY_DATE.format(t='r')} LIMIT ? OFFSET ?",
        (*params, limit, offset),
    ).fetchall()
    return [str(r[0]) for r in rows]


def _roles(
    conn: Connection, sql: str, person_id: str, record_ids: list[str]
) -> dict[str, tuple[str, ...]]:
    found: dict[str, set[str]] = {}
    for start in range(0, len(record_ids), 500):  # SQLite's bound on parameters
        chunk = record_ids[start : start + 500]
        query = sql.format(ids=",".join("?" * len(chunk)))
        for record_id, role in conn.execute(query, (person_id, *chunk)):
            found.setdefault(record_id, set()).add(str(role))
    return {record_id: tuple(sorted(r for r in roles if r)) for record_id, roles in found.items()}


def _items(
    conn: Connection, record_ids: list[str], roles: dict[str, tuple[str, ...]]
) -> list[DossierItem]:
    """The page's records in the order of ``record_ids``, with their type codes."""
    found: dict[str, DossierItem] = {}
    for start in range(0, len(record_ids), 500):
        chunk = record_ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for row in conn.execute(
            "SELECT r.id, r.type, r.sort_date, r.display, r.case_status, v.fields"
            " FROM records AS r JOIN revisions AS v"
            " ON v.record_id = r.id AND v.revision = r.current_revision"
            f" WHERE r.id IN ({marks})",
            chunk,
        ):
            record_id, type_name, date, display, status, fields_json = row
            public = json.loads(fields_json)
            kind = public.get("incident_type" if type_name == "incident" else "visit_type")
            found[record_id] = DossierItem(
                record_id,
                type_name,
                date,
                str(display or ""),
                kind if isinstance(kind, str) else None,
                status,
                roles.get(record_id, ()),
            )
    return [found[r] for r in record_ids if r in found]


def _attachments(
    conn: Connection, owners_sql: str, params: Sequence[Any], offset: int, limit: int
) -> Section:
    base = (
        "FROM attachments AS a JOIN records AS r ON r.id = a.record_id"
        f" WHERE a.deleted_at IS NULL AND a.record_id IN ({owners_sql})"
    )
    total = int(conn.execute(f"SELECT count(*) {base}", params).fetchone()[0])
    rows = conn.execute(
        "SELECT a.id, a.record_id, r.type, a.original_name, a.media_type, a.size, a.added_at"
        f" {base} ORDER BY a.added_at, a.id LIMIT ? OFFSET ?",
        (*params, limit, offset),
    ).fetchall()
    items = tuple(AttachmentItem(r[0], r[1], r[2], r[3], r[4], int(r[5]), r[6]) for r in rows)
    return Section("attachments", total, offset, items)
