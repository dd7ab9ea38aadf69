"""Pages of a record list and its count, in costs that do not grow with the vault.

A page starts where the last one ended (keyset paging: the sort value and id of its last
row), never at an OFFSET, which reads and throws away every row before it: scrolling to the
end of a hub's million records would cost the square of its length. Lists of live records
read one of the partial indexes of schema version 9 (``records_live_*``, see
docs/schema.md); a count of live records reads only such an index, never the rows.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from monitor_app.errors import ValidationError
from monitor_app.records import facets

# The expression each order sorts by, exactly as the indexes have it (SQLite uses an index on
# an expression only for the same expression). A missing date sorts as the empty text: first
# in ascending order, last in descending.
SORT_EXPRESSIONS = {
    "date": "ifnull(sort_date, '')",
    "modified": "modified_at",
    "display": "display",
    # Vocabulary codes (and a place's region) group their records; lists of one type only
    # have an index for these orders (schema version 11).
    "case_status": "ifnull(case_status, '')",
    "reprisal_risk": "ifnull(reprisal_risk, '')",
    "region": "ifnull(region, '')",
}
# The columns of ``records`` a list page reads, in RecordSummary's order.
SUMMARY_COLUMNS = (
    "id, type, display, sort_date, modified_at, place_id,"
    " case_status, reprisal_risk, region, created_by"
)
_LIVE = "deleted_at IS NULL AND purged_at IS NULL"


@dataclass(frozen=True)
class Cursor:
    """Where a page ended: its last row's sort value (as sorted: "" for no date) and id."""

    value: str
    record_id: str


def cursor_after(
    order_by: str,
    record_id: str,
    sort_date: str | None,
    modified_at: str,
    display: str,
    **facet_values: str | None,
) -> Cursor:
    """The cursor after a row of a list in ``order_by`` order (``facet_values``: the row's
    case_status, reprisal_risk and region, for lists in those orders)."""
    values = {"date": sort_date, "modified": modified_at, "display": display, **facet_values}
    if order_by not in SORT_EXPRESSIONS or order_by not in values:
        raise ValidationError(field="order_by", reason="unknown_code")
    return Cursor(values[order_by] or "", record_id)


def page_query(
    type_name: str | None,
    *,
    order_by: str,
    descending: bool,
    include_deleted: bool,
    after: Cursor | None,
    limit: int,
    offset: int,
    filters: facets.Filters | None = None,
) -> tuple[str, list[Any]]:
    """The SELECT of one page of RecordSummary columns, and its parameters. ``filters``
    (resolved, see facets.resolve) narrow a list of live records."""
    expression = SORT_EXPRESSIONS.get(order_by)
    if expression is None:
        raise ValidationError(field="order_by", reason="unknown_code")
    if filters is not None and not filters.is_empty:
        clauses, params = facets.where(_typed(filters, type_name))
    else:
        clauses, params = _filter(type_name, include_deleted)
    direction = "DESC" if descending else "ASC"
    if after is not None:
        # Written as a bound on the indexed expression and a test among equal values (not a
        # row value, which SQLite cannot match to an index on an expression): the page is a
        # range of the index from the cursor on.
        bound, strict = ("<=", "<") if descending else (">=", ">")
        clauses.append(f"{expression} {bound} ? AND ({expression} {strict} ? OR id {strict} ?)")
        params += [after.value, after.value, after.record_id]
    where = " WHERE " + " AND ".join(clauses)
    sql = (
        f"SELECT {SUMMARY_COLUMNS} FROM records"
        f"{where} ORDER BY {expression} {direction}, id {direction} LIMIT ? OFFSET ?"
    )
    return sql, [*params, limit, offset]


def count_query(
    type_name: str | None, *, include_deleted: bool, filters: facets.Filters | None = None
) -> tuple[str, list[Any]]:
    if filters is not None and not filters.is_empty:
        clauses, params = facets.where(_typed(filters, type_name))
        return "SELECT count(*) FROM records WHERE " + " AND ".join(clauses), params
    clauses, params = _filter(type_name, include_deleted)
    # Left to itself the planner may read every row for a count that matches most of them;
    # the partial index answers it from far fewer pages (each one decrypted).
    index = (
        ""
        if include_deleted
        else (" INDEXED BY records_live_date" if type_name else " INDEXED BY records_live_all_date")
    )
    return f"SELECT count(*) FROM records{index} WHERE " + " AND ".join(clauses), params


def _typed(filters: facets.Filters, type_name: str | None) -> facets.Filters:
    return replace(filters, type=(type_name,)) if type_name is not None else filters


def _filter(type_name: str | None, include_deleted: bool) -> tuple[list[str], list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if type_name is not None:
        clauses.append("type = ?")
        params.append(type_name)
    # Stubs of purged records are listed by bundles/purge.py, never here.
    clauses.append(_LIVE if not include_deleted else "purged_at IS NULL")
    return clauses, params
