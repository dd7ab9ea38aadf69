"""Small things a new user hit: a delete dialog that refuses an empty reason, an editor that
opens at its first field, the highlighted section leading back to its list, modification times
in a filtered list, titles for drafts, why the vault locked, and a record page that lists its
attachments."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QLocale, Qt, QTimer
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication, QDialog, QDialogButtonBox, QLabel, QLineEdit
from pytestqt.qtbot import QtBot

from monitor_app.display_text import shown_alone
from monitor_app.vault import lifecycle
from monitor_app.vault.session import UnlockedVault
from tests.conftest import PASSPHRASE
from tests.ui_tools import keep_windows, open_window, widget_texts
from ui.records.editor import draft_keeper
from ui.records.editor.record_editor_page import RecordEditorPage
from ui.records.record_detail_page import RecordDetailPage
from ui.records.record_table_model import RecordTableModel
from ui.shell import auto_lock
from ui.shell.main_view import MainView
from ui.shell.overview_page import type_label
from ui.shell.unsaved_work import UnsavedWork
from ui.shell.vault_window import VaultWindow

__all__ = ["keep_windows"]  # an autouse fixture

pytestmark = pytest.mark.gui
TIMEOUT_MS = 30_000
INCIDENT = {
    "title": "Избиение при допросе",
    "incident_type": "torture",
    "description": "Избит во время допроса.",
    "occurred_on": {"date": "2026-11-15", "precision": "day"},
}


@pytest.fixture
def editor(qtbot: QtBot) -> RecordEditorPage:
    page = RecordEditorPage()
    qtbot.addWidget(page, before_close_func=lambda p: p.shutdown())
    page.resize(1000, 700)
    page.show()
    return page


def add_place(vault: UnlockedVault, name: str = "ИВС Северного района") -> str:
    return vault.records.add("place", {"name": name, "place_type": "other"}).record_id


def open_place(qtbot: QtBot, editor: RecordEditorPage, vault: UnlockedVault) -> str:
    rid = add_place(vault)
    with qtbot.waitSignal(editor.loaded, timeout=TIMEOUT_MS):
        editor.open_record(vault, rid)
    return rid


def while_modal(handle: Callable[[QDialog], None]) -> dict[str, Any]:
    """Run ``handle`` on the modal dialog once it is open, then close it whatever happened
    (an assertion failing inside the dialog's event loop must not leave it open)."""
    seen: dict[str, Any] = {}

    def run() -> None:
        dialog = QApplication.activeModalWidget()
        try:
            assert isinstance(dialog, QDialog)
            handle(dialog)
        except Exception as error:  # reported after the dialog closed
            seen["error"] = error
        finally:
            if isinstance(dialog, QDialog) and dialog.isVisible():
                dialog.reject()

    QTimer.singleShot(0, run)
    return seen


def accept_button(dialog: QDialog) -> Any:
    box = dialog.findChild(QDialogButtonBox)
    assert box is not None
    (button,) = [
        b for b in box.buttons() if box.buttonRole(b) == QDialogButtonBox.ButtonRole.AcceptRole
    ]
    return button


# -- a. delete refuses an empty reason -------------------------------------------------------
def test_delete_with_an_empty_reason_says_so_and_deletes_nothing(
    qtbot: QtBot, editor: RecordEditorPage, vault: UnlockedVault
) -> None:
    rid = open_place(qtbot, editor, vault)

    def try_blank(dialog: QDialog) -> None:
        edit = dialog.findChild(QLineEdit)
        assert edit is not None
        for blank in ("", "   "):
            edit.setText(blank)
            qtbot.mouseClick(accept_button(dialog), Qt.MouseButton.LeftButton)
            assert dialog.isVisible(), f"the dialog closed on {blank!r}"
            shown = [label.text() for label in dialog.findChildren(QLabel) if label.isVisible()]
            assert any("reason" in text and "Write" in text for text in shown), shown

    seen = while_modal(try_blank)
    qtbot.mouseClick(editor.delete_button, Qt.MouseButton.LeftButton)
    assert "error" not in seen, seen.get("error")
    assert vault.records.get(rid).deleted_at is None
    assert editor.record_id == rid and editor.error_label.text() == ""


def test_delete_with_a_reason_deletes_from_the_dialog(
    qtbot: QtBot, editor: RecordEditorPage, vault: UnlockedVault
) -> None:
    rid = open_place(qtbot, editor, vault)

    def give_reason(dialog: QDialog) -> None:
        edit = dialog.findChild(QLineEdit)
        assert edit is not None
        edit.setText("  a duplicate  ")
        qtbot.mouseClick(accept_button(dialog), Qt.MouseButton.LeftButton)

    seen = while_modal(give_reason)
    with qtbot.waitSignal(editor.deleted, timeout=TIMEOUT_MS):
        qtbot.mouseClick(editor.delete_button, Qt.MouseButton.LeftButton)
    assert "error" not in seen, seen.get("error")
    assert vault.records.get(rid).deleted_reason == "a duplicate"


# -- b. the editor opens at the top, in its first field ---------------------------------------
def first_field(editor: RecordEditorPage) -> Any:
    assert editor.form is not None
    return next(iter(editor.form.rows.values())).editor.focus_widget()


def at_the_top(qtbot: QtBot, editor: RecordEditorPage) -> None:
    bar = editor.scroll_area.verticalScrollBar()
    assert bar.maximum() > 0, "the form must be taller than the page for this test"
    qtbot.waitUntil(lambda: first_field(editor).hasFocus(), timeout=TIMEOUT_MS)
    assert bar.value() == 0
    assert editor.form is not None and editor.form.risk_card is not None
    assert editor.form.risk_card.visibleRegion().boundingRect().top() == 0


def test_the_editor_opens_new_and_existing_records_at_the_top_in_the_first_field(
    qtbot: QtBot, editor: RecordEditorPage, vault: UnlockedVault
) -> None:
    qtbot.waitExposed(editor)
    editor.activateWindow()
    qtbot.waitUntil(editor.isActiveWindow)
    rid = vault.records.add("incident", INCIDENT).record_id
    for _round in range(2):  # the second time, the form is the one left scrolled down
        with qtbot.waitSignal(editor.loaded, timeout=TIMEOUT_MS):
            editor.new_record(vault, "incident")
        at_the_top(qtbot, editor)
        # Scrolled down to the end, then another record: it opens at the top again.
        last = list(editor.form.rows.values())[-1].editor.focus_widget()  # type: ignore[union-attr]
        last.setFocus()
        editor.scroll_area.ensureWidgetVisible(last)
        assert editor.scroll_area.verticalScrollBar().value() > 0
        with qtbot.waitSignal(editor.loaded, timeout=TIMEOUT_MS):
            editor.open_record(vault, rid)
        at_the_top(qtbot, editor)
        last.setFocus()
        editor.scroll_area.ensureWidgetVisible(last)


# -- c. the highlighted section leads back to its list ---------------------------------------
def unlocked_window(
    qtbot: QtBot, vault_dir: Path, window: VaultWindow | None = None
) -> tuple[VaultWindow, UnlockedVault]:
    """A window on ``vault_dir`` (``window``, locked, or a new one), unlocked by typing."""
    window = window or open_window(qtbot, vault_dir)
    qtbot.keyClicks(window.unlock_page.passphrase_edit, PASSPHRASE)
    with qtbot.waitSignal(window.vault_opened, timeout=TIMEOUT_MS):
        qtbot.keyClick(window.unlock_page.passphrase_edit, Qt.Key.Key_Return)
    assert window.vault is not None
    return window, window.vault


def click_section(qtbot: QtBot, view: MainView, key: str) -> None:
    item = view.nav.item(view.nav_row(key))
    center = view.nav.visualItemRect(item).center()
    qtbot.mouseClick(view.nav.viewport(), Qt.MouseButton.LeftButton, pos=center)


def test_clicking_the_highlighted_section_in_the_editor_goes_back_to_its_list(
    qtbot: QtBot, vault_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(draft_keeper, "AUTOSAVE_MS", 600_000)
    lifecycle.create_vault(vault_dir, PASSPHRASE, name="Test Monitor")[0].lock()
    window, vault = unlocked_window(qtbot, vault_dir)
    view = window.main_view
    click_section(qtbot, view, "incident")
    incidents = view.list_pages["incident"]
    assert view.stack.currentWidget() is incidents
    with qtbot.waitSignal(view.editor_page.loaded, timeout=TIMEOUT_MS):
        qtbot.mouseClick(incidents.new_button, Qt.MouseButton.LeftButton)
    assert view.stack.currentWidget() is view.editor_page
    assert view.current_section == "incident", "the section stays highlighted"
    title = first_field_named(view.editor_page, "title")
    title.setFocus()
    qtbot.keyClicks(title, "Half-typed")

    click_section(qtbot, view, "incident")
    assert view.stack.currentWidget() is incidents
    (draft,) = vault.drafts.list()  # the unsaved work is kept, as by any other navigation
    assert draft.data["fields"]["title"] == "Half-typed"
    assert view.editor_page.form is None or not view.editor_page.form.isEnabled()

    # On the record page, too.
    rid = vault.records.add("incident", INCIDENT).record_id
    view.open_record(rid)
    assert view.stack.currentWidget() is view.detail_page
    click_section(qtbot, view, "incident")
    assert view.stack.currentWidget() is incidents


def first_field_named(editor: RecordEditorPage, name: str) -> QLineEdit:
    assert editor.form is not None
    widget = editor.form.rows[name].editor.focus_widget()
    assert isinstance(widget, QLineEdit)
    return widget


# -- d. a filtered list shows when each row was modified --------------------------------------
def rows_of(model: RecordTableModel) -> dict[str, list[str]]:
    columns = range(model.columnCount())
    return {
        str(model.index(r, 0).data(Qt.ItemDataRole.UserRole)): [
            model.index(r, c).data() for c in columns
        ]
        for r in range(model.rowCount())
    }


def test_a_filtered_list_shows_the_modification_time_as_the_whole_list_does(
    qtbot: QtBot, vault: UnlockedVault
) -> None:
    for name in ("ИВС Северного района", "СИЗО-1 Бишкек", "ИВС Октябрьского района"):
        add_place(vault, name)
    model = RecordTableModel("place")
    try:
        model.set_vault(vault)
        with qtbot.waitSignal(model.loaded, timeout=TIMEOUT_MS):
            model.ensure_loaded()
        whole = rows_of(model)
        assert len(whole) == 3 and all(cells[-1] for cells in whole.values())
        with qtbot.waitSignal(model.loaded, timeout=TIMEOUT_MS):
            model.set_filter("ИВС")
        filtered = rows_of(model)
        assert len(filtered) == 2
        assert filtered == {rid: whole[rid] for rid in filtered}
    finally:
        model.shutdown()


# -- e. a visit without a summary is called by its place and date, on its page too ----------
def add_visit(vault: UnlockedVault, place_id: str) -> str:
    data = {"place_id": place_id, "started_at": "2026-11-15T09:30+06:00", "visit_type": "ad_hoc"}
    return vault.records.add("visit", data).record_id


@pytest.fixture
def detail(qtbot: QtBot) -> RecordDetailPage:
    # Held by the fixture until teardown: qtbot holds widgets by weak reference, and a page
    # deleted with an abandoned read still running would abort the process.
    page = RecordDetailPage()
    qtbot.addWidget(page, before_close_func=lambda p: p.shutdown())
    return page


def test_a_visits_page_is_titled_by_its_place_and_date(
    qtbot: QtBot, detail: RecordDetailPage, vault: UnlockedVault
) -> None:
    visit = add_visit(vault, add_place(vault))
    incident = vault.records.add("incident", {**INCIDENT, "visit_id": visit}).record_id
    page = detail
    with qtbot.waitSignal(page.loaded, timeout=TIMEOUT_MS):
        page.show_record(vault, visit)
    assert page.title_label.text() == "ИВС Северного района, 2026-11-15"
    with qtbot.waitSignal(page.loaded, timeout=TIMEOUT_MS):
        page.show_record(vault, incident)  # the incident names its visit the same way
    shown = [label.text() for label in page.fields_widget.findChildren(QLabel)]
    assert "\u2068ИВС Северного района, 2026-11-15\u2069" in shown


# -- f. a new record's draft is listed by what it would be called ----------------------------
def test_unsaved_work_lists_a_new_records_draft_by_its_would_be_title(
    qtbot: QtBot, vault: UnlockedVault
) -> None:
    place = add_place(vault)
    vault.drafts.save("incident", {"fields": {"title": "Избиение при допросе"}})
    vault.drafts.save("incident", {"fields": {"description": "half a sentence"}})
    vault.drafts.save("visit", {"fields": {"place_id": place, "started_at": "2026-11-15"}})
    vault.drafts.save("person", {"fields": {}, "sensitive": {"real_name": "zqxsecret"}})
    block = UnsavedWork()
    qtbot.addWidget(block)
    block.show_drafts(vault.drafts.summaries(), type_label)
    entries = sorted(
        block.list.item(row).text().split(" · kept ")[0] for row in range(block.list.count())
    )
    assert entries == [
        "Incident · \u2068Избиение при допросе\u2069 · not saved yet",
        "New incident (draft)",
        "New person (draft)",
        "Visit · \u2068ИВС Северного района, 2026-11-15\u2069 · not saved yet",
    ]
    assert not [t for t in widget_texts(block) if "zqxsecret" in t or "half a" in t]


# -- g. the unlock screen says why the vault locked ------------------------------------------
def test_after_an_auto_lock_the_unlock_screen_says_why_and_after_lock_it_does_not(
    qtbot: QtBot, vault_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(draft_keeper, "AUTOSAVE_MS", 600_000)
    lifecycle.create_vault(vault_dir, PASSPHRASE, name="Test Monitor")[0].lock()
    window, _vault = unlocked_window(qtbot, vault_dir)
    view = window.main_view
    with qtbot.waitSignal(view.editor_page.loaded, timeout=TIMEOUT_MS):
        view.new_record("incident")
    title = first_field_named(view.editor_page, "title")
    title.setFocus()
    qtbot.keyClicks(title, "Half-typed")

    monkeypatch.setattr(auto_lock, "MS_PER_MINUTE", 100)  # a "minute" is 100 ms here
    with qtbot.waitSignal(window.vault_locked, timeout=TIMEOUT_MS):
        window.auto_lock.set_minutes(2)
    unlock_page = window.unlock_page
    assert window.current_page is unlock_page
    shown = [label.text() for label in unlock_page.findChildren(QLabel) if label.isVisible()]
    assert "Locked after 2 minutes without activity. Your draft is kept." in shown

    # Unlocked again, nothing typed: one minute, no draft to speak of.
    window, _vault = unlocked_window(qtbot, vault_dir, window)
    with qtbot.waitSignal(window.vault_locked, timeout=TIMEOUT_MS):
        window.auto_lock.set_minutes(1)
    shown = [label.text() for label in unlock_page.findChildren(QLabel) if label.isVisible()]
    assert "Locked after 1 minute without activity." in shown

    # Locked by hand: nothing about inactivity.
    window, _vault = unlocked_window(qtbot, vault_dir, window)
    monkeypatch.setattr(auto_lock, "MS_PER_MINUTE", 60_000)
    window.auto_lock.set_minutes(5)
    with qtbot.waitSignal(window.vault_locked, timeout=TIMEOUT_MS):
        qtbot.mouseClick(view.lock_button, Qt.MouseButton.LeftButton)
    shown = [label.text() for label in unlock_page.findChildren(QLabel) if label.isVisible()]
    assert not [text for text in shown if "Locked" in text or "draft" in text], shown


def test_a_lock_after_sleep_says_so(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    asleep = [100.0]
    monkeypatch.setattr(auto_lock, "asleep_seconds", lambda: asleep[0])
    monkeypatch.setattr(auto_lock, "HEARTBEAT_MS", 20)
    lock = auto_lock.AutoLock(lambda: None, minutes=60)
    lock.start()
    asleep[0] += 3600.0  # the lid was closed for an hour
    qtbot.waitUntil(lambda: not lock.active, timeout=TIMEOUT_MS)
    assert lock.expired_because == "asleep"
    text = auto_lock.lock_reason_text(lock.expired_because, lock.minutes, False)
    assert text == "Locked while the computer was asleep."
    assert auto_lock.lock_reason_text(None, 5, True) == ""  # locked by hand


# -- h. the record page lists its attachments and opens them ---------------------------------
def test_the_record_page_lists_its_attachments_and_opens_them(
    qtbot: QtBot, detail: RecordDetailPage, vault: UnlockedVault, tmp_path: Path
) -> None:
    rid = vault.records.add("incident", INCIDENT).record_id
    image = QImage(64, 48, QImage.Format.Format_RGB32)
    image.fill(QColor("darkred"))
    photo = tmp_path / "photo.png"
    assert image.save(str(photo))
    spoofed = "cell \u202egnp.exe"  # reads "cell exe.png" unless its hidden character shows
    vault.attachments.add_stream(
        rid, io.BytesIO(photo.read_bytes()), original_name=spoofed, media_type="image/png"
    )
    vault.attachments.add_stream(rid, io.BytesIO(b"notes"), original_name="notes.txt")
    detail.resize(1000, 700)
    detail.show()
    with qtbot.waitSignals([detail.loaded, detail.attachments.listed], timeout=TIMEOUT_MS):
        detail.show_record(vault, rid)

    panel = detail.attachments
    tab = detail.tabs.indexOf(panel)
    assert detail.tabs.isTabEnabled(tab) and detail.tabs.tabText(tab) == "Attachments (2)"
    detail.tabs.setCurrentIndex(tab)
    assert panel.isVisibleTo(detail) and not panel.add_button.isVisibleTo(detail)
    rows = sorted(
        [panel.tree.topLevelItem(r).text(c) for c in range(3)]
        for r in range(panel.tree.topLevelItemCount())
    )
    assert rows == [
        [shown_alone(spoofed), "image/png", QLocale().formattedDataSize(photo.stat().st_size)],
        ["notes.txt", "text/plain", QLocale().formattedDataSize(5)],
    ]
    assert "\u202e" not in rows[0][0] and "U+202E" in rows[0][0]
    # Opened as in the editor: an image is shown from memory.
    with qtbot.waitSignal(panel.preview_ready, timeout=TIMEOUT_MS):
        panel.tree.setCurrentItem(
            panel.tree.findItems(shown_alone(spoofed), Qt.MatchFlag.MatchExactly)[0]
        )
    assert not panel.preview_image.isNull()

    detail.clear()  # before a lock: nothing of the attachments stays
    assert panel.tree.topLevelItemCount() == 0 and panel.preview_image.isNull()
    assert not detail.tabs.isTabEnabled(tab) and detail.tabs.currentIndex() == 0


def test_the_editor_heads_a_visit_without_a_summary_by_its_place_and_date(
    qtbot: QtBot, editor: RecordEditorPage, vault: UnlockedVault
) -> None:
    visit = add_visit(vault, add_place(vault))
    with qtbot.waitSignal(editor.loaded, timeout=TIMEOUT_MS):
        editor.open_record(vault, visit)
    assert editor.title_label.text() == "ИВС Северного района, 2026-11-15"
    ended = editor.form.rows["ended_at"].editor.focus_widget()  # type: ignore[union-attr]
    assert isinstance(ended, QLineEdit)
    ended.setText("2026-11-15T13:00+06:00")
    with qtbot.waitSignal(editor.saved, timeout=TIMEOUT_MS):
        editor.save()
    assert editor.title_label.text() == "ИВС Северного района, 2026-11-15"


def test_people_of_an_incident_are_named_without_escaped_isolates(
    qtbot: QtBot, detail: RecordDetailPage, vault: UnlockedVault
) -> None:
    person = vault.records.add("person", {"pseudonym": "KG-2024-017"}).record_id
    people = [{"person_id": person, "role": "victim"}]
    incident = vault.records.add("incident", {**INCIDENT, "people": people}).record_id
    with qtbot.waitSignal(detail.loaded, timeout=TIMEOUT_MS):
        detail.show_record(vault, incident)
    shown = "\n".join(label.text() for label in detail.fields_widget.findChildren(QLabel))
    assert "Person: \u2068KG-2024-017\u2069" in shown
    assert "U+2068" not in shown and "U+2069" not in shown
