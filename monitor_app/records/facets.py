"""Faceted lists: which records a combination of filters keeps, and how many of them there are.

A reviewer narrows a list by type, case status, place, region, date range, reprisal risk,
author and organisation, together with words to search for, and always sees the exact number
of matching records; each facet shows, beside each of its values, how many records the other
filters keep with that value (as a library catalogue does, so that choosing a second status
widens the list instead of emptying it). Within a facet the chosen values are alternatives;
facets combine. The value ``NONE`` ("") stands for "not set".

The facet columns are copied to each record's row when it is written (records/chain.py) and
each has an index of live records (schema version 10), so a count reads an index, not the
rows; with words, ``records_live_search`` leads from the matches to every facet column.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any

from monitor_app.errors import ValidationError
from monitor_app.records import dates, search
from monitor_app.records.schema import RECORD_TYPES
from monitor_app.records.validation import check_text
from monitor_app.records.vocabularies import Vocabularies
from monitor_app.vault.database import Connection

NONE = ""
# Each facet and the column of ``records`` it filters.
COLUMNS = {
    "type": "type",
    "case_status": "case_status",
    "place": "place_id",
    "region": "region",
    "reprisal_risk": "reprisal_risk",
    "author": "created_by",
    "organisation": "created_by",  # through the authors of each organisation
}
FACETS = tuple(COLUMNS)
_VOCABULARY_FACETS = {"case_status": "case_status", "reprisal_risk": "reprisal_risk"}
_LIVE = "deleted_at IS NULL AND purged_at IS NULL"
MAX_VALUES = 200  # chosen values per facet: a person picks a few; a script, a bounded list


@dataclass(frozen=True)
class Filters:
    """A combination of filters; empty facets and None bounds keep everything."""

    type: tuple[str, ...] = ()
    case_status: tuple[str, ...] = ()
    place: tuple[str, ...] = ()
    region: tuple[str, ...] = ()
    reprisal_risk: tuple[str, ...] = ()
    author: tuple[str, ...] = ()
    organisation: tuple[str, ...] = ()
    date_from: str | None = None  # YYYY, YYYY-MM or YYYY-MM-DD, inclusive
    date_to: str | None = None  # inclusive: 2024-05 keeps every day of May
    text: str = ""  # words to search for (records/search.py)
    # Filled by ``resolve``: the authors of the chosen organisations.
    organisation_authors: tuple[str, ...] | None = field(default=None, compare=False)

    def without(self, facet: str) -> Filters:
        empty: dict[str, Any] = {facet: ()}
        return replace(self, **empty)

    def check(self, vocabularies: Vocabularies) -> Filters:
        """Refuse a filter that cannot be right (``ValidationError`` naming it)."""
        for name in FACETS:
            values = getattr(self, name)
            if len(values) > MAX_VALUES:
                raise ValidationError(field=name, reason="too_long", maximum=MAX_VALUES)
            for value in values:
                check_text(value, name)
                if name == "type" and value not in RECORD_TYPES:
                    raise ValidationError(field=name, reason="unknown_code")
                vocabulary = _VOCABULARY_FACETS.get(name)
                if (
                    vocabulary
                    and value != NONE
                    and vocabularies.get(vocabulary).entry(value) is None
                ):
                    raise ValidationError(field=name, reason="unknown_code")
        for name in ("date_from", "date_to"):
            value = getattr(self, name)
            if value is not None:
                dates.check_bound(value, name)
        check_text(self.text, "text")
        return self

    @property
    def is_empty(self) -> bool:
        return self == Filters()


def from_json(data: Any) -> Filters:
    """Filters from their JSON form (a saved search, a CLI argument): unknown keys refused."""
    if not isinstance(data, dict):
        raise ValidationError(field="", reason="wrong_type", expected="object")
    known = {f.name for f in fields(Filters) if f.name != "organisation_authors"}
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key not in known:
            raise ValidationError(field=str(key)[:64], reason="unknown_field")
        if key in FACETS:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ValidationError(field=key, reason="wrong_type", expected="list of text")
            values[key] = tuple(dict.fromkeys(value))
        elif key == "text":
            if not isinstance(value, str):
                raise ValidationError(field=key, reason="wrong_type", expected="text")
            values[key] = value
        else:
            if value is not None and not isinstance(value, str):
                raise ValidationError(field=key, reason="wrong_type", expected="date")
            values[key] = value
    return Filters(**values)


def to_json(filters: Filters) -> dict[str, Any]:
    data: dict[str, Any] = {name: list(getattr(filters, name)) for name in FACETS}
    data.update(date_from=filters.date_from, date_to=filters.date_to, text=filters.text)
    return {key: value for key, value in data.items() if value not in ([], None, "")}


def resolve(filters: Filters, organisations: dict[str, str | None]) -> Filters:
    """``filters`` with the authors of its organisations (``organisations``: author id to
    its organisation, from ``author_organisations``)."""
    if not filters.organisation:
        return replace(filters, organisation_authors=None)
    chosen = set(filters.organisation)
    authors = tuple(
        author for author, name in sorted(organisations.items()) if (name or NONE) in chosen
    )
    return replace(filters, organisation_authors=authors)


def author_organisations(
    conn: Connection, own_author: str, own_organisation: str | None
) -> dict[str, str | None]:
    """Every author a record here can name (this vault, and each contact by its key), with
    the organisation this vault knows them by (from its own contact list, never from a
    bundle)."""
    found: dict[str, str | None] = {own_author: own_organisation or None}
    for key, organisation in conn.execute("SELECT signing_public_key, organisation FROM contacts"):
        found["key:" + bytes(key).hex()] = organisation or None
    return found


def where(filters: Filters, *, prefix: str = "") -> tuple[list[str], list[Any]]:
    """Conditions on ``records`` (columns named ``prefix + name``) for live records kept by
    ``filters``, and their parameters. ``resolve`` first if organisations are chosen."""
    clauses = [f"{prefix}deleted_at IS NULL", f"{prefix}purged_at IS NULL"]
    params: list[Any] = []
    for name in FACETS:
        values: tuple[str, ...] = getattr(filters, name)
        if name == "organisation" and values:
            if filters.organisation_authors is None:
                raise ValueError("organisations not resolved")
            values = filters.organisation_authors or ("\x00none",)
        if values:
            clause, values_params = _one_of(prefix + COLUMNS[name], values)
            clauses.append(clause)
            params += values_params
    date = f"ifnull({prefix}sort_date, '')"
    if filters.date_from:
        clauses.append(f"{date} >= ?")
        params.append(filters.date_from)
    if filters.date_to:
        # 2024-05 keeps every day of May: below the next prefix. A record with no date sorts
        # as "" and so is never within a range that has a lower bound; with only an upper
        # one it would be: keep it out.
        clauses.append(f"{date} < ? AND {date} != ''")
        params.append(filters.date_to + "\U0010ffff")
    if filters.text.strip():
        parsed = search.parse(filters.text)
        if parsed is None:
            clauses.append("0")  # only punctuation: nothing can match
        else:
            sql, match_params = parsed.match_sql()
            clauses.append(f"{prefix}search_rowid IN ({sql})")
            params += match_params
    return clauses, params


def _one_of(column: str, values: tuple[str, ...]) -> tuple[str, list[Any]]:
    chosen = [v for v in values if v != NONE]
    parts = []
    if chosen:
        parts.append(f"{column} IN ({','.join('?' * len(chosen))})")
    if NONE in values:
        parts.append(f"{column} IS NULL")
    return "(" + " OR ".join(parts) + ")", chosen


def facet_counts(conn: Connection, filters: Filters, facet: str) -> dict[str, int]:
    """For each value of ``facet`` (NONE for not set), how many records the other filters
    keep with it; values no record has are left out. Organisations: ``organisation_counts``."""
    if facet not in COLUMNS or facet == "organisation":
        raise ValidationError(field="facet", reason="unknown_code")
    return _grouped(conn, filters.without(facet), COLUMNS[facet])


def organisation_counts(
    conn: Connection, filters: Filters, organisations: dict[str, str | None]
) -> dict[str, int]:
    """facet_counts for organisations: the counts by author, added up by organisation."""
    others = resolve(filters.without("organisation"), organisations)
    totals: dict[str, int] = {}
    for author, n in _grouped(conn, others, "created_by").items():
        name = organisations.get(author) or NONE
        totals[name] = totals.get(name, 0) + n
    return totals


def _grouped(conn: Connection, filters: Filters, column: str) -> dict[str, int]:
    clauses, params = where(filters)
    # Left to itself SQLite reads the grouped facet's own index, in its order, and looks up
    # each row to test the other filters: every incident of a million. When another filter
    # narrows the records, "+" makes it lead through that filter's index instead, which
    # holds every facet column (schema version 12): a sort of the few it keeps.
    grouping = column if filters.without("type").is_empty else f"+{column}"
    rows = conn.execute(
        f"SELECT {column}, count(*) FROM records WHERE {' AND '.join(clauses)} GROUP BY {grouping}",
        params,
    )
    return {(value if value is not None else NONE): int(n) for value, n in rows}
