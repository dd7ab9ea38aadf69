"""Keyset paging and counts of record lists: every live record exactly once in every order,
also while records are added between pages; deleted and purged records left out; pages and
counts read the partial indexes of schema version 9, never every row."""

from __future__ import annotations

from typing import Any

import pytest

from monitor_app.errors import ValidationError
from monitor_app.records import listing
from monitor_app.records.store import RecordSummary
from monitor_app.vault.session import UnlockedVault

ORDERS = [(order, descending) for order in listing.SORT_EXPRESSIONS for descending in (1, 0)]
# Lists of every type sort by date, modification and title; by a facet, lists of one type.
FACET_ORDERS = ("case_status", "reprisal_risk", "region")
ALL_TYPES_ORDERS = [(order, d) for order, d in ORDERS if order not in FACET_ORDERS]
STATUSES = ("new", "referred", None, "closed")
RISKS = (None, "high", "low")


def incidents(vault: UnlockedVault, count: int, start: int = 0) -> list[str]:
    items = [
        {
            "title": f"Incident {n % 7}",  # ties of title: the id breaks them
            "incident_type": "threats_and_intimidation",
            "description": "Threatened in the corridor",
            "occurred_on": f"2024-03-{n % 5 + 1:02d}",  # ties of date too
            **({"case_status": STATUSES[n % 4]} if STATUSES[n % 4] else {}),
            **({"reprisal_risk": RISKS[n % 3]} if RISKS[n % 3] else {}),
        }
        for n in range(start, start + count)
    ]
    return [view.record_id for view in vault.records.add_many("incident", items)]


def places(vault: UnlockedVault, count: int) -> list[str]:
    """Records without a date: in a list of every type they sort as the empty text."""
    items = [{"name": f"ИВС {n % 3}", "place_type": "other"} for n in range(count)]
    return [view.record_id for view in vault.records.add_many("place", items)]


def all_pages(
    vault: UnlockedVault, type_name: str | None, order: str, descending: bool, size: int
) -> list[str]:
    seen: list[str] = []
    after = None
    while True:
        page = vault.records.list(
            type_name, limit=size, order_by=order, descending=descending, after=after
        )
        seen += [row.record_id for row in page]
        if len(page) < size:
            return seen
        after = page[-1].cursor(order)


def sort_key(row: RecordSummary, order: str) -> tuple[str, str]:
    value = {
        "date": row.sort_date,
        "modified": row.modified_at,
        "display": row.display,
        "case_status": row.case_status,
        "reprisal_risk": row.reprisal_risk,
        "region": row.region,
    }
    return value[order] or "", row.record_id


@pytest.mark.parametrize(
    ("type_name", "order", "descending"),
    [("incident", *o) for o in ORDERS] + [(None, *o) for o in ALL_TYPES_ORDERS],
)
def test_pages_hold_every_record_once_in_order(
    vault: UnlockedVault, order: str, descending: bool, type_name: str | None
) -> None:
    made = incidents(vault, 45)
    undated = places(vault, 7)
    if type_name is None:
        made += undated
    gone = made[3]
    vault.records.delete(gone, "duplicate")
    seen = all_pages(vault, type_name, order, bool(descending), size=4)
    assert sorted(seen) == sorted(set(made) - {gone})  # each once, the deleted one left out
    rows = vault.records.list(type_name, limit=100, order_by=order, descending=bool(descending))
    # The same order as one long page, which is the order the list sorts by.
    assert seen == [row.record_id for row in rows]
    keys = [sort_key(row, order) for row in rows]
    assert keys == sorted(keys, reverse=bool(descending))
    assert vault.records.count(type_name) == len(made) - 1
    assert vault.records.count(type_name, include_deleted=True) == len(made)


@pytest.mark.parametrize(("order", "descending"), ORDERS)
def test_records_added_between_pages_never_repeat_a_row(
    vault: UnlockedVault, order: str, descending: bool
) -> None:
    before = set(incidents(vault, 20))
    page = vault.records.list("incident", limit=6, order_by=order, descending=bool(descending))
    seen = [row.record_id for row in page]
    added = set(incidents(vault, 10, start=20))  # arrive while the reviewer scrolls
    after = page[-1].cursor(order)
    while True:
        page = vault.records.list(
            "incident", limit=6, order_by=order, descending=bool(descending), after=after
        )
        seen += [row.record_id for row in page]
        if len(page) < 6:
            break
        after = page[-1].cursor(order)
    assert len(seen) == len(set(seen))  # no row twice
    assert before <= set(seen) <= before | added  # every earlier one, never a stranger


def plan(vault: UnlockedVault, sql: str, params: list[Any]) -> str:
    with vault.reading() as conn:
        return " ".join(str(row[-1]) for row in conn.execute("EXPLAIN QUERY PLAN " + sql, params))


@pytest.mark.parametrize(
    ("type_name", "order", "descending"),
    [("incident", *o) for o in ORDERS] + [(None, *o) for o in ALL_TYPES_ORDERS],
)
def test_a_page_after_a_cursor_is_a_range_of_a_live_index(
    vault: UnlockedVault, order: str, descending: bool, type_name: str | None
) -> None:
    sql, params = listing.page_query(
        type_name,
        order_by=order,
        descending=bool(descending),
        include_deleted=False,
        after=listing.Cursor("2024-03-02", "m"),
        limit=50,
        offset=0,
    )
    shown = plan(vault, sql, params)
    # A search of the index bounded by the cursor: no scan, no sorting of every row.
    assert "INDEX records_live_" in shown and ("<" in shown or ">" in shown), shown
    assert "TEMP B-TREE" not in shown, shown
    assert "SCAN" not in shown, shown


@pytest.mark.parametrize("type_name", ["incident", None])
def test_a_count_reads_only_an_index(vault: UnlockedVault, type_name: str | None) -> None:
    shown = plan(vault, *listing.count_query(type_name, include_deleted=False))
    assert "COVERING INDEX records_live_" in shown, shown


def test_an_unknown_order_is_refused() -> None:
    with pytest.raises(ValidationError) as info:
        listing.cursor_after("colour", "id", None, "m", "d")
    assert info.value.params["field"] == "order_by"
