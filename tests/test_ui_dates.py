"""The editor's dates in the interface language's format: typed as "15.11.2026" in Russian,
saved as the core stores them, shown again as typed; a calendar fills the text box; a refused
date names its field by its label, in words a monitor understands."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QTableView
from pytestqt.qtbot import QtBot

from monitor_app.vault.session import UnlockedVault
from tests.test_ui_editor import TIMEOUT_MS, ed, open_new, pick, save, save_refused
from ui.records.editor import dialogs
from ui.records.editor.labels import editor_label
from ui.records.editor.record_editor_page import RecordEditorPage
from ui.shell.app import use_language

pytestmark = pytest.mark.gui


@pytest.fixture
def russian(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The interface in Russian, on a computer in Bishkek (UTC+6, no summer time)."""
    monkeypatch.setenv("TZ", "Asia/Bishkek")
    time.tzset()
    use_language("ru")
    yield
    use_language("en")
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def page(qtbot: QtBot, russian: None) -> RecordEditorPage:
    page = RecordEditorPage()  # built in Russian: labels are translated when made
    qtbot.addWidget(page, before_close_func=lambda p: p.shutdown())
    page.resize(1000, 800)
    page.show()
    return page


def reopen(qtbot: QtBot, page: RecordEditorPage, vault: UnlockedVault, rid: str) -> None:
    with qtbot.waitSignal(page.loaded, timeout=TIMEOUT_MS):
        page.open_record(vault, rid)


def new_incident(qtbot: QtBot, page: RecordEditorPage, vault: UnlockedVault) -> None:
    open_new(qtbot, page, vault, "incident")
    ed(page, "title").edit.setText("Избиение в ИВС")
    pick(ed(page, "incident_type").combo, "torture")
    ed(page, "description").edit.setPlainText("Описание")


def new_visit(qtbot: QtBot, page: RecordEditorPage, vault: UnlockedVault) -> None:
    place = vault.records.add("place", {"name": "ИВС", "place_type": "other"}).record_id
    open_new(qtbot, page, vault, "visit")
    ed(page, "place_id").choose(place, "ИВС")
    pick(ed(page, "visit_type").combo, "ad_hoc")


def test_russian_dates_are_typed_saved_and_shown_as_russians_write_them(
    qtbot: QtBot, page: RecordEditorPage, vault: UnlockedVault
) -> None:
    new_incident(qtbot, page, vault)
    when = ed(page, "occurred_on")
    assert when.edit.placeholderText() == "ДД.ММ.ГГГГ, ММ.ГГГГ или ГГГГ"
    qtbot.keyClicks(when.edit, "15.11.2026")
    assert when.precision.code() == "day"  # read from what was typed
    qtbot.keyClicks(ed(page, "ended_on").edit, "11.2026")
    rid = save(qtbot, page)
    fields = vault.records.get(rid).fields
    assert fields["occurred_on"] == {"date": "2026-11-15", "precision": "day"}
    assert fields["ended_on"] == {"date": "2026-11", "precision": "month"}
    reopen(qtbot, page, vault, rid)
    assert ed(page, "occurred_on").edit.text() == "15.11.2026"
    assert ed(page, "ended_on").edit.text() == "11.2026"
    assert page.form is not None and not page.form.is_dirty(), "showing a date is not an edit"

    new_visit(qtbot, page, vault)
    started = ed(page, "started_at")
    assert started.edit.placeholderText() == "ДД.ММ.ГГГГ чч:мм"
    qtbot.keyClicks(started.edit, "15.11.2026 10:30")
    rid = save(qtbot, page)
    # This computer's time zone on that day: Bishkek, UTC+6.
    assert vault.records.get(rid).fields["started_at"] == "2026-11-15T10:30:00+06:00"
    reopen(qtbot, page, vault, rid)
    assert ed(page, "started_at").edit.text() == "15.11.2026 10:30"
    assert page.form is not None and not page.form.is_dirty()


def test_a_refused_date_names_its_field_by_label_in_plain_words(
    qtbot: QtBot, page: RecordEditorPage, vault: UnlockedVault
) -> None:
    new_incident(qtbot, page, vault)
    qtbot.keyClicks(ed(page, "occurred_on").edit, "31.02.2026")
    save_refused(qtbot, page)
    assert page.form is not None
    message, at_field = page.error_label.text(), page.form.rows["occurred_on"].error.text()
    assert message.startswith(editor_label("occurred_on") + ": ")
    assert "occurred_on" not in message and "Field" not in message
    for text in (message, at_field):
        assert "ISO" not in text and "UTC" not in text
        assert "15.11.2026" in text and "11.2026" in text  # an example in the Russian format
    assert vault.records.count("incident") == 0

    new_visit(qtbot, page, vault)
    qtbot.keyClicks(ed(page, "started_at").edit, "15.11.2026 25:00")
    save_refused(qtbot, page)
    message = page.error_label.text()
    assert message.startswith(editor_label("started_at") + ": ")
    assert "started_at" not in message and "ISO" not in message and "UTC" not in message
    assert "15.11.2026 10:30" in message
    assert vault.records.count("visit") == 0


def choose_on_calendar(qtbot: QtBot, editor: Any, day: QDate) -> None:
    qtbot.mouseClick(editor.calendar_button, Qt.MouseButton.LeftButton)
    popup = editor.calendar_button.popup
    qtbot.waitUntil(popup.isVisible, timeout=TIMEOUT_MS)
    popup.calendar.setSelectedDate(day)
    view = popup.calendar.findChild(QTableView)
    qtbot.keyClick(view, Qt.Key.Key_Return)  # as a click on the day does
    qtbot.waitUntil(lambda: not popup.isVisible(), timeout=TIMEOUT_MS)


def test_the_calendar_fills_the_date_in_the_language_format(
    qtbot: QtBot, page: RecordEditorPage, vault: UnlockedVault
) -> None:
    new_incident(qtbot, page, vault)
    when = ed(page, "occurred_on")
    choose_on_calendar(qtbot, when, QDate(2026, 11, 15))
    assert when.edit.text() == "15.11.2026" and when.precision.code() == "day"
    rid = save(qtbot, page)
    assert vault.records.get(rid).fields["occurred_on"] == {
        "date": "2026-11-15",
        "precision": "day",
    }

    new_visit(qtbot, page, vault)
    started = ed(page, "started_at")
    qtbot.keyClicks(started.edit, "16.11.2026 10:30")
    choose_on_calendar(qtbot, started, QDate(2026, 11, 20))
    assert started.edit.text() == "20.11.2026 10:30", "a new day keeps the time typed"
    assert started.value() == "2026-11-20T10:30:00+06:00"


def test_a_refused_value_inside_a_list_names_the_item_by_its_labels(
    qtbot: QtBot, page: RecordEditorPage, vault: UnlockedVault
) -> None:
    new_incident(qtbot, page, vault)
    qtbot.keyClicks(ed(page, "occurred_on").edit, "2026")
    actions = ed(page, "legal_actions")
    actions.add_item({"action": "complaint_filed"})
    qtbot.keyClicks(actions.items[0][1].rows["date"].editor.edit, "15.13.2026")
    save_refused(qtbot, page)
    # "Правовые действия 1 › Дата: это не дата. ..."
    wanted = f"{editor_label('legal_actions')} 1 › {editor_label('date')}: "
    assert page.error_label.text().startswith(wanted)
    assert "legal_actions" not in page.error_label.text()


def test_a_refused_deletion_reason_is_named_in_words(
    qtbot: QtBot, page: RecordEditorPage, vault: UnlockedVault, monkeypatch: pytest.MonkeyPatch
) -> None:
    rid = vault.records.add("place", {"name": "ИВС", "place_type": "other"}).record_id
    reopen(qtbot, page, vault, rid)
    monkeypatch.setattr(dialogs, "ask_delete_reason", lambda parent: "дубль\x07")
    qtbot.mouseClick(page.delete_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not page.busy and page.error_label.text() != "", timeout=TIMEOUT_MS)
    assert page.error_label.text().startswith("Причина удаления: ")
    assert vault.records.get(rid).deleted_reason is None
