"""Record titles (monitor_app/records/titles.py): a visit without a summary is called by its
place and date, follows its place's renaming, and no title ever holds a sensitive field."""

from __future__ import annotations

from typing import Any

import pytest

from monitor_app.records import titles
from monitor_app.records.schema import RECORD_TYPES, VISIT
from monitor_app.vault.session import UnlockedVault

PLACE_NAME = "ИВС Северного района"


def add_visit(vault: UnlockedVault, place_id: str, **more: Any) -> str:
    data = {
        "place_id": place_id,
        "started_at": "2026-11-15T09:30:00+06:00",
        "visit_type": "in_depth",
        "team": [{"name": "Айгуль Осмонова", "role": "lead"}],
        **more,
    }
    return vault.records.add("visit", data).record_id


def titles_shown(vault: UnlockedVault, record_id: str, query: str) -> set[str]:
    """The title as each core view that lists or names a record gives it."""
    (listed,) = [s.display for s in vault.records.list("visit") if s.record_id == record_id]
    named = vault.records.names([record_id])[record_id].display
    found = {h.display for h in vault.records.search(query) if h.record_id == record_id}
    return {listed, named, *found}


def test_a_visit_without_a_summary_is_called_by_its_place_and_date(
    vault: UnlockedVault,
) -> None:
    place = vault.records.add("place", {"name": PLACE_NAME, "place_type": "police_station"})
    rid = add_visit(vault, place.record_id, interviews_count=3)
    assert titles_shown(vault, rid, "Айгуль") == {f"{PLACE_NAME}, 2026-11-15"}

    # A summary, once written, is the title; emptied again, the place and date come back.
    vault.records.edit(rid, {"summary": "Переполненные камеры"})
    assert titles_shown(vault, rid, "Айгуль") == {"Переполненные камеры"}
    vault.records.edit(rid, {"summary": None})
    assert titles_shown(vault, rid, "Айгуль") == {f"{PLACE_NAME}, 2026-11-15"}


def test_a_visits_title_follows_its_place_being_renamed(vault: UnlockedVault) -> None:
    place = vault.records.add("place", {"name": PLACE_NAME, "place_type": "police_station"})
    untitled = add_visit(vault, place.record_id)
    summarised = add_visit(vault, place.record_id, summary="Доступ ограничен")
    vault.records.edit(place.record_id, {"name": "ИВС № 3"})
    assert titles_shown(vault, untitled, "Айгуль") == {"ИВС № 3, 2026-11-15"}
    assert titles_shown(vault, summarised, "Айгуль") == {"Доступ ограничен"}


def test_compose_without_the_place_gives_the_date_alone() -> None:
    visit = {"place_id": "x", "started_at": "2026-11-15", "visit_type": "ad_hoc"}
    assert titles.compose(VISIT, visit, None) == "2026-11-15"
    assert titles.compose(VISIT, {**visit, "summary": "  "}, "ИВС") == "ИВС, 2026-11-15"
    assert titles.compose(VISIT, {}, None) == ""
    assert len(titles.compose(VISIT, visit, "x" * 500)) == titles.DISPLAY_MAX


@pytest.mark.parametrize("type_name", sorted(RECORD_TYPES))
def test_no_field_a_title_is_built_from_is_sensitive(type_name: str) -> None:
    record_type = RECORD_TYPES[type_name]
    used = {record_type.title_field, record_type.date_field, record_type.place_field} - {None}
    assert all(not record_type.by_name[name].sensitive for name in used if name)
    # Every field filled (sensitive ones included) but the title's own: nothing sensitive
    # shows up in the title.
    filled = {spec.name: "zqxsecret" for spec in record_type.fields if spec.sensitive}
    assert "zqxsecret" not in titles.compose(record_type, filled, "place")
