"""The main view's record lists: lazy pages, sorting by the core, filtering through the core
search, opening a record, and locking that leaves no record text in any widget or model."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import (
    QLocale,
    QObject,
    QPoint,
    Qt,
    Signal,
)
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot

from monitor_app.errors import Cancelled
from monitor_app.jobs import CancelToken
from monitor_app.records.facets import Filters
from monitor_app.vault import lifecycle
from monitor_app.vault.session import UnlockedVault
from tests.conftest import PASSPHRASE
from tests.ui_tools import widget_texts
from ui.records.record_list_page import RecordListPage
from ui.records.record_table_model import (
    COLUMNS,
    PAGE_SIZE,
    RECORD_ID_ROLE,
    RecordTableModel,
    cancellable_read,
)
from ui.shell.main_view import MainView
from ui.shell.vault_window import APP_TITLE, VaultWindow

pytestmark = pytest.mark.gui
TIMEOUT_MS = 30_000
MANY = 3_000  # enough for several pages; 100 000 is for bench/bench_ui_lists.py
CANARY = "zqxcanary"
SECRET = "zqxsecretname"  # a sensitive field: never shown, even while unlocked
WORDS = ("Избиение", "détenu", "审讯", "lawyer", "кыйноо", "Arrest", "ángel", "Zeta")


def incidents(count: int, *, word: str = "") -> list[dict[str, Any]]:
    """Titles in several scripts and cases, dates at every precision, ties on purpose."""
    items = []
    for n in range(count):
        year, month, day = 2013 + n % 12, 1 + n % 12, 1 + n % 28
        dates: list[Any] = [
            f"{year}-{month:02d}-{day:02d}",
            f"{year}-{month:02d}",
            {"date": str(year), "precision": "year"},
        ]
        items.append(
            {
                "title": f"{WORDS[n % len(WORDS)]} {n:05d} {word}".strip(),
                "incident_type": "torture" if n % 2 else "threats_and_intimidation",
                "description": f"Record number {n} {word}",
                "occurred_on": dates[n % 3],
            }
        )
    return items


@pytest.fixture(scope="module")
def many_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A vault with MANY incidents (and a few places), created once for the module."""
    path = tmp_path_factory.mktemp("many") / "vault"
    vault, _code = lifecycle.create_vault(path, PASSPHRASE, name="Lists")
    try:
        for start in range(0, MANY, 1_000):
            vault.records.add_many("incident", incidents(1_000, word="x" if start else "batch"))
        vault.records.add_many(
            "place", [{"name": f"Place {n} batch", "place_type": "other"} for n in range(5)]
        )
    finally:
        vault.lock()
    return path


@pytest.fixture
def many(many_dir: Path) -> Iterator[UnlockedVault]:
    vault = lifecycle.unlock(many_dir, PASSPHRASE)
    yield vault
    vault.lock()


# qtbot holds widgets by weak reference: a page or window that went out of scope at the end
# of a test would be destroyed with its background reads still running, which aborts the
# process (a QThread destroyed while running). Each is kept, then shut down, at teardown.
KEPT: list[RecordListPage | VaultWindow] = []


@pytest.fixture(autouse=True)
def keep_widgets() -> Iterator[None]:
    yield
    while KEPT:
        widget = KEPT.pop()
        widget.shutdown()  # waits for the background reads
        widget.close()


def list_page(qtbot: QtBot, vault: UnlockedVault, type_name: str) -> RecordListPage:
    """A list page on its own, shown, with its first page loaded."""
    page = RecordListPage(type_name)
    qtbot.addWidget(page, before_close_func=lambda page: page.shutdown())
    KEPT.append(page)
    page.resize(800, 600)
    page.show()
    page.set_vault(vault)
    with qtbot.waitSignal(page.model.loaded, timeout=TIMEOUT_MS):
        page.ensure_loaded()
    # The count is a job of its own: the first rows do not wait for it.
    qtbot.waitUntil(lambda: page.model.total is not None, timeout=TIMEOUT_MS)
    return page


def fetch(qtbot: QtBot, model: RecordTableModel) -> None:
    assert model.canFetchMore()
    with qtbot.waitSignal(model.loaded, timeout=TIMEOUT_MS):
        model.fetchMore()


def ids(model: RecordTableModel) -> list[str]:
    return [str(model.index(row, 0).data(RECORD_ID_ROLE)) for row in range(model.rowCount())]


def core_ids(vault: UnlockedVault, type_name: str, key: str, descending: bool, n: int) -> list[str]:
    rows = vault.records.list(type_name, limit=n, order_by=key, descending=descending)
    return [row.record_id for row in rows]


# -- lazy loading and sorting ---------------------------------------------------------------
def test_rows_load_lazily_one_page_at_a_time(qtbot: QtBot, many: UnlockedVault) -> None:
    page = list_page(qtbot, many, "incident")
    model = page.model
    # The view is filled but holds one page, not the 3 000 records.
    assert model.rowCount() == PAGE_SIZE
    assert model.total == MANY
    number = QLocale().toString
    assert page.status_label.text() == f"{PAGE_SIZE} of {number(MANY)} loaded; scroll for more"

    fetch(qtbot, model)
    assert model.rowCount() == 2 * PAGE_SIZE
    fetch(qtbot, model)  # pages grow with what is loaded: deep OFFSETs cost as much as a sort
    assert model.rowCount() == 4 * PAGE_SIZE
    while model.canFetchMore():
        fetch(qtbot, model)
    assert model.rowCount() == MANY
    assert len(set(ids(model))) == MANY
    assert ids(model) == core_ids(many, "incident", "date", True, MANY)
    assert page.status_label.text() == f"{number(MANY)} records"


def test_scrolling_to_the_end_fetches_the_next_page(qtbot: QtBot, many: UnlockedVault) -> None:
    page = list_page(qtbot, many, "incident")
    with qtbot.waitSignal(page.model.loaded, timeout=TIMEOUT_MS):
        page.view.scrollToBottom()
    assert page.model.rowCount() == 2 * PAGE_SIZE


@pytest.mark.parametrize("column", range(len(COLUMNS["incident"])))
def test_sorting_by_each_column_gives_the_core_order(
    qtbot: QtBot, many: UnlockedVault, column: int
) -> None:
    page = list_page(qtbot, many, "incident")
    model = page.model
    key = COLUMNS["incident"][column]
    for order in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
        descending = order == Qt.SortOrder.DescendingOrder
        if (model.sort_key, model.descending) != (key, descending):
            with qtbot.waitSignal(model.loaded, timeout=TIMEOUT_MS):
                page.view.sortByColumn(column, order)
        assert (model.sort_key, model.descending) == (key, descending)
        assert model.rowCount() == PAGE_SIZE, "sorting starts again from one page"
        fetch(qtbot, model)
        assert ids(model) == core_ids(many, "incident", key, descending, 2 * PAGE_SIZE)


def click_header(qtbot: QtBot, page: RecordListPage, column: int) -> None:
    header = page.view.horizontalHeader()
    x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
    with qtbot.waitSignal(page.model.loaded, timeout=TIMEOUT_MS):
        qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))


def test_header_clicks_sort_titles_a_to_z_then_back(qtbot: QtBot, many: UnlockedVault) -> None:
    page = list_page(qtbot, many, "incident")
    click_header(qtbot, page, 1)
    assert (page.model.sort_key, page.model.descending) == ("display", False)
    assert ids(page.model) == core_ids(many, "incident", "display", False, PAGE_SIZE)
    click_header(qtbot, page, 1)
    assert ids(page.model) == core_ids(many, "incident", "display", True, PAGE_SIZE)
    click_header(qtbot, page, 2)  # modification time: newest first
    assert ids(page.model) == core_ids(many, "incident", "modified", True, PAGE_SIZE)


def test_places_sort_by_name_and_have_no_date_column(qtbot: QtBot, many: UnlockedVault) -> None:
    page = list_page(qtbot, many, "place")
    headers = [page.model.headerData(c, Qt.Orientation.Horizontal) for c in range(2)]
    assert headers == ["Name", "Modified"]
    assert ids(page.model) == core_ids(many, "place", "display", False, 10)


# -- filtering ------------------------------------------------------------------------------
def test_filter_pages_through_the_core_listing_with_an_exact_count(
    qtbot: QtBot, many: UnlockedVault
) -> None:
    page = list_page(qtbot, many, "incident")
    model = page.model
    with qtbot.waitSignals([model.loaded, model.counted], timeout=TIMEOUT_MS):
        qtbot.keyClicks(page.filter_edit, "batch")
        qtbot.keyClick(page.filter_edit, Qt.Key.Key_Return)
    # The first 1 000 incidents say "batch"; so do five places, which stay out of this list.
    # No cap: the total is the exact count, and the matches come one page at a time.
    wanted = Filters(type=("incident",), text="batch")
    assert model.total == many.records.count("incident", filters=wanted) == 1_000
    assert model.rowCount() == PAGE_SIZE and model.canFetchMore()
    number = QLocale().toString
    assert (
        page.status_label.text()
        == f"{PAGE_SIZE} of {number(1_000)} matches loaded; scroll for more"
    )
    while model.canFetchMore():
        fetch(qtbot, model)
    core = many.records.list("incident", limit=MANY, filters=wanted)
    assert ids(model) == [row.record_id for row in core], "newest first, ties by id"
    assert page.status_label.text() == f"{number(1_000)} matches"
    # Sorting a filtered list pages through the core in that order too.
    with qtbot.waitSignal(model.loaded, timeout=TIMEOUT_MS):
        page.view.sortByColumn(1, Qt.SortOrder.AscendingOrder)  # the title, ascending
    fetch(qtbot, model)
    by_title = many.records.list(
        "incident", limit=2 * PAGE_SIZE, order_by="display", descending=False, filters=wanted
    )
    assert ids(model) == [row.record_id for row in by_title]

    # Clearing the filter goes back to the whole list, one page at a time.
    with qtbot.waitSignals([model.loaded, model.counted], timeout=TIMEOUT_MS):
        page.filter_edit.clear()
    assert model.rowCount() == PAGE_SIZE and model.total == MANY


def test_filter_finds_words_in_other_scripts(qtbot: QtBot, many: UnlockedVault) -> None:
    model = RecordTableModel("incident", page_size=50)
    try:
        model.set_vault(many)
        model.set_filter("审讯")
        with qtbot.waitSignals([model.loaded, model.counted], timeout=TIMEOUT_MS):
            model.ensure_loaded()
        assert model.rowCount() == 50 and model.canFetchMore()
        assert model.total == MANY // len(WORDS), "every title with the word, counted"
        titles = [model.index(row, 1).data() for row in range(model.rowCount())]
        assert all("审讯" in title for title in titles)
    finally:
        model.shutdown()


# -- opening a record -----------------------------------------------------------------------
def add_canary_records(vault: UnlockedVault) -> dict[str, str]:
    records = vault.records
    place = records.add("place", {"name": f"ИВС {CANARY}", "place_type": "other"}).record_id
    person = records.add(
        "person", {"pseudonym": f"KG-{CANARY}", "real_name": SECRET, "roles": ["victim"]}
    ).record_id
    visit = records.add(
        "visit",
        {
            "place_id": place,
            "started_at": "2024-05-20T10:00:00+06:00",
            "visit_type": "ad_hoc",
            "summary": f"Visit {CANARY}",
        },
    ).record_id
    incident = records.add(
        "incident",
        {
            "title": f"<b>bold</b> {CANARY}",
            "incident_type": "torture",
            "description": f"Described {CANARY}",
            "occurred_on": "2024-03-10",
            "place_id": place,
            "visit_id": visit,
            "people": [{"person_id": person, "role": "victim"}],
        },
    ).record_id
    return {"place": place, "person": person, "visit": visit, "incident": incident}


def open_window(qtbot: QtBot, vault: UnlockedVault, vault_dir: Path) -> VaultWindow:
    window = VaultWindow(vault_dir, vault=vault)
    qtbot.addWidget(window)  # closing locks
    KEPT.append(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def show_list(qtbot: QtBot, view: MainView, type_name: str) -> RecordListPage:
    page = view.list_pages[type_name]
    if page.model.started:
        view.show_section(type_name)
    else:
        with qtbot.waitSignal(page.model.loaded, timeout=TIMEOUT_MS):
            view.nav.setCurrentRow(view.nav_row(type_name))
    assert view.stack.currentWidget() is page
    return page


def double_click_row(qtbot: QtBot, page: RecordListPage, row: int) -> None:
    rect = page.view.visualRect(page.model.index(row, 1))
    qtbot.mouseClick(page.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(page.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_double_click_opens_the_record_read_only(
    qtbot: QtBot, vault: UnlockedVault, vault_dir: Path
) -> None:
    made = add_canary_records(vault)
    window = open_window(qtbot, vault, vault_dir)
    view = window.main_view
    page = show_list(qtbot, view, "incident")
    detail = view.detail_page
    with (
        qtbot.waitSignal(view.record_activated, timeout=TIMEOUT_MS) as activated,
        qtbot.waitSignal(detail.loaded, timeout=TIMEOUT_MS),
    ):
        double_click_row(qtbot, page, 0)
    assert activated.args == [made["incident"]]
    assert view.stack.currentWidget() is detail
    assert detail.title_label.text() == f"<b>bold</b> {CANARY}"
    texts = [label.text() for label in detail.findChildren(QLabel)]
    assert f"Described {CANARY}" in texts
    # References are shown by their display text, not their ids.
    assert any(f"ИВС {CANARY}" in text for text in texts)
    assert any(f"KG-{CANARY}" in text for text in texts)
    for label in view.findChildren(QLabel):
        assert label.textFormat() == Qt.TextFormat.PlainText
    assert window.windowTitle() == APP_TITLE  # never record content

    # Back (Esc) returns to the list as it was.
    qtbot.keyClick(detail.back_button, Qt.Key.Key_Escape)
    assert view.stack.currentWidget() is page
    assert not [label for label in detail.findChildren(QLabel) if CANARY in label.text()]


def test_person_page_never_shows_sensitive_fields(
    qtbot: QtBot, vault: UnlockedVault, vault_dir: Path
) -> None:
    add_canary_records(vault)
    window = open_window(qtbot, vault, vault_dir)
    view = window.main_view
    page = show_list(qtbot, view, "person")
    # The keyboard way: the first row, then Enter.
    page.view.setFocus()
    page.view.setCurrentIndex(page.model.index(0, 0))
    with qtbot.waitSignal(view.detail_page.loaded, timeout=TIMEOUT_MS):
        qtbot.keyClick(page.view, Qt.Key.Key_Return)
    texts = list(widget_texts(window))
    assert any(f"KG-{CANARY}" in text for text in texts)
    assert not [text for text in texts if SECRET in text]


def test_global_search_result_opens_the_record(
    qtbot: QtBot, vault: UnlockedVault, vault_dir: Path
) -> None:
    made = add_canary_records(vault)
    window = open_window(qtbot, vault, vault_dir)
    view = window.main_view
    view.show_section("place")
    overview = view.overview_page
    with qtbot.waitSignal(overview.results_ready, timeout=TIMEOUT_MS):
        qtbot.keyClicks(view.search_edit, CANARY)
        qtbot.keyClick(view.search_edit, Qt.Key.Key_Return)
    assert view.current_section == "overview"
    assert overview.results_list.count() == 4  # all four types: the search is global
    item = next(
        overview.results_list.item(row)
        for row in range(4)
        if overview.results_list.item(row).data(RECORD_ID_ROLE) == made["visit"]
    )
    with qtbot.waitSignal(view.detail_page.loaded, timeout=TIMEOUT_MS):
        overview.results_list.itemActivated.emit(item)
    assert view.detail_page.title_label.text() == f"Visit {CANARY}"


def test_navigation_reaches_handoff_contacts_and_the_audit_log(
    qtbot: QtBot, vault: UnlockedVault, vault_dir: Path
) -> None:
    window = open_window(qtbot, vault, vault_dir)
    view = window.main_view
    pages = (
        ("handoff", view.handoff_page),
        ("contacts", view.contacts_page),
        ("audit", view.audit_page),
    )
    for key, page in pages:
        view.nav.setCurrentRow(view.nav_row(key))
        assert view.stack.currentWidget() is page


def test_new_and_edit_open_the_editor_and_saving_refreshes_the_list(
    qtbot: QtBot, vault: UnlockedVault, vault_dir: Path
) -> None:
    window = open_window(qtbot, vault, vault_dir)
    view = window.main_view
    view.show_section("place")
    page = view.list_pages["place"]
    with qtbot.waitSignal(view.editor_page.loaded, timeout=10_000):
        page.new_button.click()
    assert view.stack.currentWidget() is view.editor_page
    view.editor_page.cancel()  # nothing typed: closes without asking
    assert view.stack.currentWidget() is page
    place = vault.records.add("place", {"name": "ИВС №5", "place_type": "police_station"})
    with qtbot.waitSignal(view.detail_page.loaded, timeout=10_000):
        view.open_record(place.record_id)
    assert view.detail_page.edit_button.isEnabled()
    with qtbot.waitSignal(view.editor_page.loaded, timeout=10_000):
        view.detail_page.edit_button.click()
    assert view.stack.currentWidget() is view.editor_page


# -- locking --------------------------------------------------------------------------------


def test_lock_clears_every_view_and_model(
    qtbot: QtBot, vault: UnlockedVault, vault_dir: Path
) -> None:
    made = add_canary_records(vault)
    window = open_window(qtbot, vault, vault_dir)
    view = window.main_view
    # Fill everything that can hold record text: each list, a filter, a record, the search.
    for type_name in ("place", "visit", "incident", "person"):
        show_list(qtbot, view, type_name)
    page = view.list_pages["incident"]
    with qtbot.waitSignal(page.model.loaded, timeout=TIMEOUT_MS):
        qtbot.keyClicks(page.filter_edit, CANARY)
        qtbot.keyClick(page.filter_edit, Qt.Key.Key_Return)
    with qtbot.waitSignal(view.detail_page.loaded, timeout=TIMEOUT_MS):
        double_click_row(qtbot, page, 0)
    with qtbot.waitSignal(view.overview_page.results_ready, timeout=TIMEOUT_MS):
        qtbot.keyClicks(view.search_edit, CANARY)
        qtbot.keyClick(view.search_edit, Qt.Key.Key_Return)
    before = list(widget_texts(window))
    assert any(CANARY in text for text in before)
    assert any(made["incident"] in text for text in before)

    with qtbot.waitSignal(window.vault_locked, timeout=TIMEOUT_MS):
        qtbot.keyClick(view.search_edit, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert vault.is_locked
    after = list(widget_texts(window))
    assert [t for t in after if CANARY in t] == []
    assert [t for t in after for i in made.values() if i in t] == []
    for list_page_ in view.list_pages.values():
        assert list_page_.model.rowCount() == 0
        assert list_page_.model.filter_text == ""
        assert not list_page_.filter_edit.isUndoAvailable(), "Ctrl+Z must not bring it back"
    assert not view.search_edit.isUndoAvailable()
    assert view.detail_page.record_id is None


def test_lock_during_a_load_drops_the_late_rows(
    qtbot: QtBot, many: UnlockedVault, many_dir: Path
) -> None:
    window = open_window(qtbot, many, many_dir)
    page = window.main_view.list_pages["incident"]
    window.main_view.show_section("incident")  # starts a background read
    assert page.model.loading
    with qtbot.waitSignal(window.vault_locked, timeout=TIMEOUT_MS):
        window.lock_now()
        assert window.vault is None and page.model.rowCount() == 0
    assert many.is_locked
    # The abandoned read ends, and whatever it reported is delivered: it is dropped.
    with qtbot.assertNotEmitted(page.model.loaded):
        qtbot.waitUntil(lambda: not page.model.reading, timeout=TIMEOUT_MS)
        QApplication.sendPostedEvents()
    assert page.model.rowCount() == 0


def test_cancelled_read_stops_mid_statement(vault: UnlockedVault) -> None:
    cancel = CancelToken()
    outcome: list[BaseException] = []

    def endless() -> None:
        try:
            with cancellable_read(vault, cancel), vault.reading() as conn:
                conn.execute(
                    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c)"
                    " SELECT count(*) FROM c"
                ).fetchone()
        except BaseException as exc:
            outcome.append(exc)

    reader = threading.Thread(target=endless)
    reader.start()
    # Cancelling before the statement starts ends it at its first step, so no need to wait.
    cancel.cancel()
    reader.join(timeout=10)
    assert not reader.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], Cancelled)
    # The handler is gone: the next read on the connection runs normally.
    assert vault.records.count() == 0


class Emitter(QObject):
    ping = Signal()


def test_many_signal_emits_do_not_exhaust_true() -> None:
    """PySide6 6.12.0's emit() drops a reference to True each time, and Python 3.11 aborts
    the app ("bool_dealloc") after a few thousand emits: pyproject.toml keeps PySide6 below
    6.12, and this fails on a version with the bug."""
    emitter = Emitter()
    before = sys.getrefcount(True)
    for _ in range(10_000):
        emitter.ping.emit()
    assert before - sys.getrefcount(True) < 1_000
