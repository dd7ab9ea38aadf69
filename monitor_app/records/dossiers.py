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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from monitor_app.errors import NotFoundError, ValidationError
from monitor_app.i18n import N_
from monitor_app.records.store import RecordView
from monitor_app.vault.database import Connection

if TYPE_CHECKING:
    from monitor_app.vault.session import UnlockedVault

DEFAULT_LIMIT = 100
MAX_LIMIT = 1_000
PERSON_SECTIONS = ("incidents", "visits", "attachments")
PLACE_SECTIONS = ("visits", "incidents", "recommendations", "occupancy")
_LIVE = "{t}.deleted_at IS NULL AND {t}.purged_at IS NULL"
# Each breakdown of ``Dossier.breakdowns``: the vocabulary of its codes, and the sentence the
# CLI and the app show it in (translated where shown).
BREAKDOWNS = {
    "by_role": ("person_role", N_("Incidents by role: {values}")),
    "by_incident_type": ("incident_type", N_("Incidents by type: {values}")),
    "by_case_status": ("case_status", N_("Incidents by case status: {values}")),
    "by_recommendation_status": (
        "recommendation_status",
        N_("Recommendations by status: {values}"),
    ),
}


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
        limit = _checked(limit, 0)
        with self.vault.reading() as conn:
            found = _gather_person(conn, record_id)
            sections = {name: found.section(conn, name, 0, limit) for name in PERSON_SECTIONS}
        return Dossier("person", record, sections, found.breakdowns)

    def place_dossier(self, record_id: str, *, limit: int = DEFAULT_LIMIT) -> Dossier:
        record = self._subject(record_id, "place")
        limit = _checked(limit, 0)
        with self.vault.reading() as conn:
            found = _gather_place(conn, record_id)
            sections = {name: found.section(conn, name, 0, limit) for name in PLACE_SECTIONS}
        return Dossier("place", record, sections, found.breakdowns)

    def section_page(
        self, kind: str, record_id: str, section: str, *, offset: int, limit: int = DEFAULT_LIMIT
    ) -> Section:
        """Another page of one section of a dossier: ``offset`` is a section's
        ``next_offset``. The dossier is read again, so a page always says the current total."""
        if kind not in ("person", "place"):
            raise ValidationError(field="kind", reason="unknown_code")
        if section not in (PERSON_SECTIONS if kind == "person" else PLACE_SECTIONS):
            raise ValidationError(field="section", reason="unknown_code")
        self._subject(record_id, kind)
        limit = _checked(limit, offset)
        with self.vault.reading() as conn:
            gather = _gather_person if kind == "person" else _gather_place
            return gather(conn, record_id).section(conn, section, offset, limit)

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


# Each dossier is gathered in a few passes over record_links, led by the subject's id (CROSS
# JOIN keeps SQLite from starting at every record of a type instead), and then sorted and
# counted here: a section's total and its page come from the same pass, and a person named
# in 50 000 incidents costs one read of their 50 000 links, not one per section.
_CHUNK = 500  # SQLite's bound on parameters, with room to spare


@dataclass
class _Gathered:
    records: dict[str, list[tuple[str, str | None]]]  # section -> (id, date), sorted
    roles: dict[str, set[str]] = field(default_factory=dict)  # record id -> the person's roles
    attachments: list[AttachmentItem] = field(default_factory=list)
    recommendations: list[RecommendationItem] = field(default_factory=list)
    occupancy: list[OccupancyItem] = field(default_factory=list)
    breakdowns: dict[str, dict[str, int]] = field(default_factory=dict)

    def section(self, conn: Connection, name: str, offset: int, limit: int) -> Section:
        listed: Sequence[Item]
        if name in self.records:
            rows = self.records[name]
            page = [record_id for record_id, _date in rows[offset : offset + limit]]
            return Section(name, len(rows), offset, tuple(_items(conn, page, self.roles)))
        listed = getattr(self, name)
        return Section(name, len(listed), offset, tuple(listed[offset : offset + limit]))


def _by_date(rows: Iterable[tuple[str, str | None]]) -> list[tuple[str, str | None]]:
    return sorted(rows, key=lambda row: (row[1] is None, row[1] or "", row[0]))


def _live(conn: Connection, record_ids: Iterable[str], type_name: str) -> dict[str, str | None]:
    """Which of ``record_ids`` are live records of ``type_name``, with their dates."""
    wanted = sorted(set(record_ids))
    found: dict[str, str | None] = {}
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        marks = ",".join("?" * len(chunk))
        found.update(
            conn.execute(
                f"SELECT id, sort_date FROM records WHERE id IN ({marks}) AND type = ?"
                f" AND {_LIVE.format(t='records')}",
                (*chunk, type_name),
            ).fetchall()
        )
    return found


def _gather_person(conn: Connection, person_id: str) -> _Gathered:
    # The live incidents naming the person, each with their roles there and its visit.
    incidents: dict[str, str | None] = {}
    roles: dict[str, set[str]] = {}
    visit_of: dict[str, str] = {}
    for record_id, role, date, visit in conn.execute(
        "SELECT p.record_id, p.role, r.sort_date, v.target_id FROM record_links AS p"
        " CROSS JOIN records AS r ON r.id = p.record_id"
        " LEFT JOIN record_links AS v ON v.record_id = p.record_id AND v.field = 'visit_id'"
        f" WHERE p.target_id = ? AND p.field = 'people' AND r.type = 'incident'"
        f" AND {_LIVE.format(t='r')}",
        (person_id,),
    ):
        incidents[record_id] = date
        roles.setdefault(record_id, set()).add(str(role))
        if visit:
            visit_of[record_id] = visit
    by_role: dict[str, int] = {}
    for found in roles.values():
        for role in found:
            by_role[role] = by_role.get(role, 0) + 1
    # Their visits, and any visit naming the person itself; a visit's roles are the
    # person's roles in its incidents.
    direct = [r[0] for r in conn.execute(_NAMING, (person_id,))]
    visits = _live(conn, [*visit_of.values(), *direct], "visit")
    for incident, visit in visit_of.items():
        if visit in visits:
            roles.setdefault(visit, set()).update(roles[incident])
    # The incidents' attachments in one pass led by the same links; the person's own and
    # the visits' (a few records) by id.
    attachments = [
        AttachmentItem(row[0], row[1], "incident", row[2], row[3], int(row[4]), row[5])
        for row in conn.execute(
            "SELECT DISTINCT a.id, a.record_id, a.original_name, a.media_type, a.size,"
            " a.added_at FROM record_links AS p CROSS JOIN attachments AS a"
            " ON a.record_id = p.record_id WHERE p.target_id = ? AND p.field = 'people'"
            " AND a.deleted_at IS NULL",
            (person_id,),
        )
        if row[1] in incidents
    ]
    owners = {person_id: "person", **dict.fromkeys(visits, "visit")}
    attachments += _attachments(conn, owners)
    attachments.sort(key=lambda a: (a.added_at, a.attachment_id))
    return _Gathered(
        {"incidents": _by_date(incidents.items()), "visits": _by_date(visits.items())},
        roles,
        attachments=attachments,
        breakdowns={"by_role": by_role},
    )


# Records naming the person other than through an incident's people (none yet: a visit's
# team is names, not people records), so that an incident is not looked up twice.
_NAMING = "SELECT record_id FROM record_links WHERE target_id = ? AND field != 'people'"


def _gather_place(conn: Connection, place_id: str) -> _Gathered:
    # Visits and incidents at the place; an incident also when its visit was there.
    at_place: dict[str, dict[str, tuple[str | None, str | None, str | None]]] = {
        "visit": {},
        "incident": {},
    }
    for record_id, type_name, date, status, kind in conn.execute(
        # Every figure from the record's row (the type code is its ``kind`` column, schema
        # version 12): reading each incident's revision was most of a busy place's cost.
        "SELECT r.id, r.type, r.sort_date, r.case_status, r.kind"
        " FROM record_links AS l CROSS JOIN records AS r ON r.id = l.record_id"
        f" WHERE l.target_id = ? AND l.field = 'place_id' AND {_LIVE.format(t='r')}",
        (place_id,),
    ):
        if type_name in at_place:
            at_place[type_name][record_id] = (date, status, kind)
    visits = sorted(at_place["visit"])
    for start in range(0, len(visits), _CHUNK):
        chunk = visits[start : start + _CHUNK]
        marks = ",".join("?" * len(chunk))
        for row in conn.execute(
            "SELECT r.id, r.sort_date, r.case_status, r.kind"
            " FROM record_links AS l CROSS JOIN records AS r ON r.id = l.record_id"
            f" WHERE l.target_id IN ({marks}) AND l.field = 'visit_id' AND r.type = 'incident'"
            f" AND {_LIVE.format(t='r')}",
            chunk,
        ):
            at_place["incident"][row[0]] = (row[1], row[2], row[3])
    incidents = at_place["incident"]
    found = _Gathered(
        {
            "visits": _by_date((k, v[0]) for k, v in at_place["visit"].items()),
            "incidents": _by_date((k, v[0]) for k, v in incidents.items()),
        }
    )
    _visit_details(conn, found, visits)
    found.breakdowns = {
        "by_incident_type": _tally(v[2] for v in incidents.values()),
        "by_case_status": _tally(v[1] for v in incidents.values()),
        "by_recommendation_status": _tally(r.status for r in found.recommendations),
    }
    return found


def _visit_details(conn: Connection, found: _Gathered, visits: list[str]) -> None:
    """The recommendations and the occupancy of ``visits``, in date order."""
    for start in range(0, len(visits), _CHUNK):
        chunk = visits[start : start + _CHUNK]
        marks = ",".join("?" * len(chunk))
        for record_id, date, occupancy, recommendations in conn.execute(
            "SELECT r.id, r.sort_date, json_extract(v.fields, '$.occupancy'),"
            " json_extract(v.fields, '$.recommendations') FROM records AS r"
            " CROSS JOIN revisions AS v ON v.record_id = r.id AND v.revision = r.current_revision"
            f" WHERE r.id IN ({marks})",
            chunk,
        ):
            if isinstance(occupancy, int):
                found.occupancy.append(OccupancyItem(record_id, date, occupancy))
            for index, item in enumerate(json.loads(recommendations or "[]")):
                if isinstance(item, dict):
                    text, status = item.get("text"), item.get("status")
                    found.recommendations.append(
                        RecommendationItem(
                            record_id,
                            date,
                            index,
                            str(text or ""),
                            status if isinstance(status, str) else None,
                        )
                    )

    def key(item: OccupancyItem | RecommendationItem) -> tuple[bool, str, str, int]:
        index = item.index if isinstance(item, RecommendationItem) else 0
        return (item.date is None, item.date or "", item.visit_id, index)

    found.occupancy.sort(key=key)
    found.recommendations.sort(key=key)


def _tally(values: Iterable[str | None]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        key = value if isinstance(value, str) else ""
        counts[key] = counts.get(key, 0) + 1
    return counts


def _items(
    conn: Connection, record_ids: list[str], roles: dict[str, set[str]]
) -> list[DossierItem]:
    """The page's records in the order of ``record_ids``, with their type codes."""
    found: dict[str, DossierItem] = {}
    for start in range(0, len(record_ids), _CHUNK):
        chunk = record_ids[start : start + _CHUNK]
        marks = ",".join("?" * len(chunk))
        for row in conn.execute(
            "SELECT r.id, r.type, r.sort_date, r.display, r.case_status, r.kind"
            f" FROM records AS r WHERE r.id IN ({marks})",
            chunk,
        ):
            record_id, type_name, date, display, status, kind = row
            found[record_id] = DossierItem(
                record_id,
                type_name,
                date,
                str(display or ""),
                kind if isinstance(kind, str) else None,
                status,
                tuple(sorted(r for r in roles.get(record_id, ()) if r)),
            )
    return [found[r] for r in record_ids if r in found]


def _attachments(conn: Connection, owners: dict[str, str]) -> list[AttachmentItem]:
    """The attachments of ``owners`` (record id -> its type), oldest first."""
    wanted = sorted(owners)
    found = []
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        marks = ",".join("?" * len(chunk))
        for row in conn.execute(
            "SELECT id, record_id, original_name, media_type, size, added_at FROM attachments"
            f" WHERE record_id IN ({marks}) AND deleted_at IS NULL",
            chunk,
        ):
            found.append(
                AttachmentItem(row[0], row[1], owners[row[1]], row[2], row[3], int(row[4]), row[5])
            )
    found.sort(key=lambda a: (a.added_at, a.attachment_id))
    return found
