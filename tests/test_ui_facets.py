"""Faceted record lists in the GUI: a reviewer narrows incidents by case status, place and
words and sees the exact count; each facet value shows how many records it would keep; the
optional columns are shown, hidden and remembered; a saved search reopens as it was saved;
record text in the facet panel is plain text."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QLocale, QSettings, Qt
from PySide6.QtWidgets import QAbstractButton, QLabel
from pytestqt.qtbot import QtBot

from monitor_app.records.facets import Filters
from monitor_app.vault.session import UnlockedVault
from tests.ui_tools import widget_texts
from ui.records.facet_panel import FacetPanel
from ui.records.record_list_page import RecordListPage
from ui.records.record_table_model import PAGE_SIZE, RECORD_ID_ROLE

pytestmark = pytest.mark.gui
TIMEOUT_MS = 30_000
STATUSES = ("new", "under_review", "referred", None)
WORD = "побои"
SPOOF = "report\u202egnp.exe"
SHOWN = "report⟨U+202E⟩gnp.exe"
FSI, PDI = "\u2068", "\u2069"
KEPT: list[RecordListPage] = []


@pytest.fixture(autouse=True)
def own_settings(tmp_path: Path) -> Iterator[None]:
    """Column choices go to this test's own settings folder, never the user's."""
    for settings_format in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(settings_format, QSettings.Scope.UserScope, str(tmp_path / "qt"))
    yield
    while KEPT:
        page = KEPT.pop()
        page.shutdown()
        page.close()


def make_incidents(vault: UnlockedVault, places: list[str], n: int) -> list[dict[str, Any]]:
    """``n`` incidents spread over statuses, places (or none) and words; more than a page."""
    items = []
    for i in range(n):
        item: dict[str, Any] = {
            "title": f"Incident {i:04d} {WORD if i % 3 == 0 else 'угрозы'}",
            "incident_type": "torture",
            "description": f"Described {i}",
            "occurred_on": f"{2015 + i % 9}-{1 + i % 12:02d}-{1 + i % 28:02d}",
        }
        status = STATUSES[i % len(STATUSES)]
        if status is not None:
            item["case_status"] = status
        if i % 5:
            item["place_id"] = places[i % len(places)]
        items.append(item)
    made = vault.records.add_many("incident", items)
    for item, view in zip(items, made, strict=True):
        item["id"] = view.record_id
    return items


def add_places(vault: UnlockedVault, names: list[str]) -> list[str]:
    return [
        vault.records.add("place", {"name": name, "place_type": "other", "region": "Чүй"}).record_id
        for name in names
    ]


def open_page(qtbot: QtBot, vault: UnlockedVault, type_name: str = "incident") -> RecordListPage:
    page = RecordListPage(type_name)
    qtbot.addWidget(page, before_close_func=lambda page: page.shutdown())
    KEPT.append(page)
    page.resize(1100, 700)
    page.show()
    page.set_vault(vault)
    with qtbot.waitSignals(
        [page.model.loaded, page.facet_panel.counts_refreshed], timeout=TIMEOUT_MS
    ):
        page.ensure_loaded()
    qtbot.waitUntil(lambda: page.model.total is not None, timeout=TIMEOUT_MS)
    return page


def settle(qtbot: QtBot, page: RecordListPage) -> None:
    """Wait for the list, its count and the facet counts of the current filters."""
    qtbot.waitUntil(
        lambda: (
            not page.model.loading
            and not page.model.counting
            and page.model.total is not None
            and not page.facet_panel._runner.busy
        ),
        timeout=TIMEOUT_MS,
    )


def check(qtbot: QtBot, page: RecordListPage, facet: str, value: str) -> None:
    item = page.facet_panel.item_for(facet, value)
    assert item is not None, f"{facet} offers {value!r}"
    with qtbot.waitSignal(page.facet_panel.counts_refreshed, timeout=TIMEOUT_MS):
        item.setCheckState(Qt.CheckState.Checked)
    settle(qtbot, page)


def search(qtbot: QtBot, page: RecordListPage, words: str) -> None:
    with qtbot.waitSignal(page.facet_panel.counts_refreshed, timeout=TIMEOUT_MS):
        page.filter_edit.setText(words)  # keyClicks types ASCII only
        qtbot.keyClick(page.filter_edit, Qt.Key.Key_Return)
    settle(qtbot, page)


def load_all(qtbot: QtBot, page: RecordListPage) -> list[str]:
    model = page.model
    while model.canFetchMore():
        with qtbot.waitSignal(model.loaded, timeout=TIMEOUT_MS):
            model.fetchMore()
    return [str(model.index(r, 0).data(RECORD_ID_ROLE)) for r in range(model.rowCount())]


def count_of(text: str) -> int:
    """The number a facet value shows after its label: "Label (1,234)"."""
    return QLocale().toInt(text.rsplit("(", 1)[1].rstrip(")"))[0]


def test_reviewer_filters_by_status_place_and_word_and_sees_the_exact_count(
    qtbot: QtBot, vault: UnlockedVault
) -> None:
    places = add_places(vault, ["ИВС Северного района", "СИЗО-1"])
    items = make_incidents(vault, places, 3 * PAGE_SIZE)
    page = open_page(qtbot, vault)
    assert page.model.total == len(items)

    check(qtbot, page, "case_status", "new")
    check(qtbot, page, "case_status", "referred")  # alternatives within a facet
    check(qtbot, page, "place", places[0])
    search(qtbot, page, WORD)

    expected = [
        item["id"]
        for item in items
        if item.get("case_status") in ("new", "referred")
        and item.get("place_id") == places[0]
        and WORD in item["title"]
    ]
    assert expected and page.model.total == len(expected)
    assert set(load_all(qtbot, page)) == set(expected)
    number = QLocale().toString(len(expected))
    assert page.status_label.text() == f"{number} matches"


def test_each_facet_value_counts_what_the_other_filters_keep(
    qtbot: QtBot, vault: UnlockedVault
) -> None:
    places = add_places(vault, ["ИВС", "СИЗО-1", "Колония 47"])
    items = make_incidents(vault, places, 120)
    page = open_page(qtbot, vault)
    check(qtbot, page, "case_status", "under_review")
    search(qtbot, page, WORD)

    kept = [i for i in items if i.get("case_status") == "under_review" and WORD in i["title"]]
    for place in [*places, ""]:
        expected = sum(1 for i in kept if i.get("place_id", "") == place)
        item = page.facet_panel.item_for("place", place)
        if expected == 0:
            assert item is None
            continue
        assert item is not None and count_of(item.text()) == expected
    # The chosen facet counts its values by the other filters only: each status's count.
    worded = [i for i in items if WORD in i["title"]]
    for status in ("new", "under_review", "referred"):
        item = page.facet_panel.item_for("case_status", status)
        assert item is not None
        assert count_of(item.text()) == sum(1 for i in worded if i.get("case_status") == status)
    unset = page.facet_panel.item_for("case_status", "")
    assert unset is not None and unset.text().startswith("(not set)")
    assert count_of(unset.text()) == sum(1 for i in worded if "case_status" not in i)


def test_columns_are_shown_hidden_remembered_and_sorted_where_the_core_can(
    qtbot: QtBot, vault: UnlockedVault
) -> None:
    places = add_places(vault, ["ИВС", "СИЗО-1"])
    make_incidents(vault, places, 30)
    page = open_page(qtbot, vault)
    model, view = page.model, page.view
    place_column = model.columns.index("place")
    assert view.isColumnHidden(place_column)
    actions = {action.text(): action for action in page.column_menu().actions()}
    assert set(actions) == {"Case status", "Reprisal risk", "Place", "Region", "Author"}
    actions["Place"].setChecked(True)
    actions["Case status"].setChecked(False)
    assert not view.isColumnHidden(place_column)
    assert view.isColumnHidden(model.columns.index("case_status"))
    shown = {model.index(r, place_column).data() for r in range(model.rowCount())}
    assert shown == {"ИВС", "СИЗО-1", ""}

    again = open_page(qtbot, vault)  # remembered for the type
    assert not again.view.isColumnHidden(place_column)
    assert again.view.isColumnHidden(again.model.columns.index("case_status"))
    assert RecordListPage("visit").shown_optional_columns() == ()  # per type

    # The core has no order by place: a click changes nothing and says nothing.
    before = (model.sort_key, model.descending)
    view.sortByColumn(place_column, Qt.SortOrder.AscendingOrder)
    assert (model.sort_key, model.descending) == before and not page.error_label.text()
    assert view.horizontalHeader().sortIndicatorSection() == model.sort_column
    # It has one by region.
    region_column = model.columns.index("region")
    page.set_column_shown("region", True)
    with qtbot.waitSignal(model.loaded, timeout=TIMEOUT_MS):
        view.sortByColumn(region_column, Qt.SortOrder.AscendingOrder)
    core = vault.records.list("incident", limit=100, order_by="region", descending=False)
    assert [model.record_id(r) for r in range(model.rowCount())] == [s.record_id for s in core]


def test_a_saved_search_reopens_with_the_same_rows_and_count(
    qtbot: QtBot, vault: UnlockedVault
) -> None:
    places = add_places(vault, ["ИВС", "СИЗО-1"])
    make_incidents(vault, places, PAGE_SIZE + 50)
    page = open_page(qtbot, vault)
    check(qtbot, page, "case_status", "new")
    search(qtbot, page, WORD)
    with qtbot.waitSignal(page.model.loaded, timeout=TIMEOUT_MS):
        page.view.sortByColumn(1, Qt.SortOrder.AscendingOrder)
    settle(qtbot, page)
    rows, total = load_all(qtbot, page), page.model.total
    assert total and len(rows) == total

    saved_button = page.saved_searches
    with qtbot.waitSignal(saved_button.changed, timeout=TIMEOUT_MS):
        saved_button.save_as("Новые: побои")
    assert [s.name for s in saved_button.searches] == ["Новые: побои"]
    # The same name again: asked, and replaced when the person agrees.
    questions: list[str] = []
    saved_button.confirm = lambda question: questions.append(question) or True
    with qtbot.waitSignal(saved_button.saved, timeout=TIMEOUT_MS):
        saved_button.save_as("новые: ПОБОИ")
    assert questions and "already exists" in questions[0]
    qtbot.waitUntil(lambda: [s.name for s in saved_button.searches] == ["новые: ПОБОИ"])

    with qtbot.waitSignal(page.model.counted, timeout=TIMEOUT_MS):
        page.facet_panel.clear_filters()
    with qtbot.waitSignal(page.model.counted, timeout=TIMEOUT_MS):
        page.filter_edit.clear()
    settle(qtbot, page)
    assert page.model.total == PAGE_SIZE + 50 and not page.filter_edit.text()
    with qtbot.waitSignal(page.model.loaded, timeout=TIMEOUT_MS):
        page.view.sortByColumn(0, Qt.SortOrder.DescendingOrder)
    settle(qtbot, page)

    with qtbot.waitSignals([page.model.loaded, page.model.counted], timeout=TIMEOUT_MS):
        saved_button.reopen(saved_button.searches[0].search_id)
    settle(qtbot, page)
    assert page.filter_edit.text() == WORD
    assert page.facet_panel.filters().case_status == ("new",)
    assert (page.model.sort_key, page.model.descending) == ("display", False)
    assert page.model.total == total and load_all(qtbot, page) == rows

    answers = iter(["Разбор"])
    saved_button.ask_name = lambda title, current: next(answers)
    with qtbot.waitSignal(saved_button.changed, timeout=TIMEOUT_MS):
        saved_button.rename(saved_button.searches[0])
    assert [s.name for s in saved_button.searches] == ["Разбор"]
    with qtbot.waitSignal(saved_button.changed, timeout=TIMEOUT_MS):
        saved_button.delete(saved_button.searches[0])
    assert saved_button.searches == [] and vault.saved_searches.list("incident") == []


def test_a_place_name_with_an_override_is_plain_text_in_the_facet_panel(
    qtbot: QtBot, vault: UnlockedVault
) -> None:
    places = add_places(vault, [SPOOF, f"<b>{SPOOF}</b>"])
    make_incidents(vault, places, 10)
    page = open_page(qtbot, vault)
    panel: FacetPanel = page.facet_panel
    first = panel.item_for("place", places[0])
    second = panel.item_for("place", places[1])
    # Shown as written, controls visible, isolated from the count beside it.
    assert first is not None and first.text().startswith(f"{FSI}{SHOWN}{PDI} (")
    assert second is not None and second.text().startswith(f"{FSI}<b>{SHOWN}</b>{PDI} (")
    texts = [
        values.item(row).text() for values in panel.lists.values() for row in range(values.count())
    ]
    texts += [w.text() for w in panel.findChildren(QLabel) + panel.findChildren(QAbstractButton)]
    assert not any("\u202e" in text for text in texts)
    assert all(
        label.textFormat() == Qt.TextFormat.PlainText for label in panel.findChildren(QLabel)
    )


def test_clearing_for_a_lock_leaves_no_name_in_the_facets_or_saved_searches(
    qtbot: QtBot, vault: UnlockedVault
) -> None:
    places = add_places(vault, ["zqxcanary place"])
    make_incidents(vault, places, 10)
    vault.saved_searches.save("zqxcanary search", Filters(text=WORD), record_type="incident")
    page = open_page(qtbot, vault)
    qtbot.waitUntil(lambda: bool(page.saved_searches.searches), timeout=TIMEOUT_MS)
    check(qtbot, page, "place", places[0])
    page.saved_searches.menu().aboutToShow.emit()  # the menu as a person opens it
    menu_texts = [action.text() for action in page.saved_searches.menu().actions()]
    assert "zqxcanary search" in menu_texts
    assert any("zqxcanary" in text for text in widget_texts(page))

    page.clear()  # what locking does to every list
    assert not any("zqxcanary" in text for text in widget_texts(page))
    assert page.saved_searches.searches == [] and not page.saved_searches.menu().actions()
    assert page.facet_panel.filters().is_empty and page.model.facets.is_empty


def test_a_date_range_keeps_the_days_within_it_and_refuses_a_malformed_date(
    qtbot: QtBot, vault: UnlockedVault
) -> None:
    places = add_places(vault, ["ИВС"])
    items = make_incidents(vault, places, 90)
    page = open_page(qtbot, vault)
    panel = page.facet_panel
    panel.from_edit.setText("2019")
    with qtbot.waitSignal(panel.counts_refreshed, timeout=TIMEOUT_MS):
        panel.to_edit.setText("2020-06")
        panel.to_edit.editingFinished.emit()
    settle(qtbot, page)
    expected = [i["id"] for i in items if "2019" <= i["occurred_on"] < "2020-07"]
    assert expected and page.model.total == len(expected)
    assert set(load_all(qtbot, page)) == set(expected)
    assert panel.date_button is not None and panel.date_button.text().startswith("Dates (2)")

    panel.to_edit.setText("June 2020")
    panel.to_edit.editingFinished.emit()
    assert "YYYY-MM-DD" in panel.date_error.text()
    assert not page.model.loading and page.model.total == len(expected), "kept as it was"
