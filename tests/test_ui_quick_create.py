"""Creating the linked person or place from inside the record picker ("New person…"), without
leaving the incident or visit being written: the short form, its errors, Cancel, and what
happens to the record being edited (nothing, beyond the link)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit
from pytestqt.qtbot import QtBot

from monitor_app.records import audit
from monitor_app.vault import lifecycle
from monitor_app.vault.session import UnlockedVault
from tests.conftest import PASSPHRASE
from tests.test_ui_editor import ed, open_new, page, pick, save, type_text
from tests.ui_tools import keep_windows, open_window, widget_texts
from ui.records.editor.compound import ObjectListEditor
from ui.records.editor.quick_create_dialog import QuickCreateDialog
from ui.records.editor.record_editor_page import RecordEditorPage
from ui.records.editor.record_picker import RecordPicker

__all__ = ["keep_windows", "page"]  # an autouse fixture; the editor page
pytestmark = pytest.mark.gui
TIMEOUT_MS = 30_000
PSEUDONYM = "KG-zqx-017"


def search(qtbot: QtBot, picker: RecordPicker, query: str) -> None:
    with qtbot.waitSignal(picker.results_ready, timeout=TIMEOUT_MS):
        picker.open_chooser()
    if query:
        with qtbot.waitSignal(picker.results_ready, timeout=TIMEOUT_MS):
            qtbot.keyClicks(picker.search_edit, query)
            qtbot.keyClick(picker.search_edit, Qt.Key.Key_Return)


def open_short_form(qtbot: QtBot, picker: RecordPicker) -> QuickCreateDialog:
    assert picker.new_button.isVisibleTo(picker)
    qtbot.mouseClick(picker.new_button, Qt.MouseButton.LeftButton)
    dialog = picker.quick_dialog
    assert dialog is not None
    qtbot.waitExposed(dialog)
    dialog.activateWindow()  # as a window manager does with a new dialog
    qtbot.waitUntil(dialog.isActiveWindow)
    return dialog


def create(qtbot: QtBot, picker: RecordPicker, dialog: QuickCreateDialog) -> None:
    qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: picker.quick_dialog is None, timeout=TIMEOUT_MS)


def refused(qtbot: QtBot, dialog: QuickCreateDialog) -> None:
    qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.busy and dialog.error_label.text() != "", timeout=TIMEOUT_MS)


def person_search(
    qtbot: QtBot, page: RecordEditorPage, vault: UnlockedVault, query: str
) -> RecordPicker:
    """A new incident with a title and a description, whose first person is being searched."""
    open_new(qtbot, page, vault, "incident")
    type_text(ed(page, "title"), "Beaten at the station")
    type_text(ed(page, "description"), "Told during the interview")
    people: ObjectListEditor = ed(page, "people")
    qtbot.mouseClick(people.add_button, Qt.MouseButton.LeftButton)
    picker: RecordPicker = people.items[0][1].rows["person_id"].editor
    search(qtbot, picker, query)
    return picker


def created_entries(vault: UnlockedVault) -> list[tuple[str, str | None, Any]]:
    with vault.reading() as conn:
        return [(e.action, e.record_id, e.details.get("type")) for e in audit.entries(conn)]


# -- a person from an incident ---------------------------------------------------------------
def test_a_new_person_is_created_and_linked_and_the_incident_keeps_its_values(
    qtbot: QtBot, page: RecordEditorPage, vault: UnlockedVault
) -> None:
    picker = person_search(qtbot, page, vault, PSEUDONYM)
    assert picker.results.count() == 0
    assert "New person…" in picker.error_label.text()  # the way out is named

    dialog = open_short_form(qtbot, picker)
    assert dialog.rows["pseudonym"].editor.value() == PSEUDONYM  # as typed in the search box
    dialog.rows["roles"].editor.boxes["witness"].setChecked(True)
    pick(dialog.rows["consent"].editor.combos["record_interview"], "given")
    pick(dialog.rows["consent"].editor.combos["use_in_court"], "refused")
    create(qtbot, picker, dialog)

    (person,) = vault.records.list("person")
    assert vault.records.get(person.record_id).fields == {
        "pseudonym": PSEUDONYM,
        "roles": ["witness"],
        "consent": {"record_interview": "given", "use_in_court": "refused"},
    }
    assert ("record_created", person.record_id, "person") in created_entries(vault)
    # Linked as if chosen from the list, and the incident is still the unsaved one.
    assert picker.value() == person.record_id
    assert PSEUDONYM in picker.choice_label.text()
    assert not picker.panel.isVisible()
    form = page.form
    assert form is not None and form.is_new and page.record_id is None
    assert ed(page, "title").edit.text() == "Beaten at the station"
    assert ed(page, "description").edit.toPlainText() == "Told during the interview"
    assert vault.records.count("incident") == 0
    # The draft keeper holds it, with the link.
    assert page.save_draft_now()
    (draft,) = vault.drafts.list()
    assert draft.data["fields"]["title"] == "Beaten at the station"
    assert draft.data["fields"]["people"] == [{"person_id": person.record_id}]

    # Saving the incident links it: the reference resolves to the new person.
    people: ObjectListEditor = ed(page, "people")
    pick(people.items[0][1].rows["role"].editor.combo, "victim")
    pick(ed(page, "incident_type").combo, "torture")
    type_text(ed(page, "occurred_on"), "2024-03")
    rid = save(qtbot, page)
    (link,) = vault.records.get(rid).fields["people"]
    assert link == {"person_id": person.record_id, "role": "victim"}
    assert vault.records.get(link["person_id"]).fields["pseudonym"] == PSEUDONYM


# -- a place from a visit --------------------------------------------------------------------
def test_a_new_place_is_created_and_linked_from_a_visit(
    qtbot: QtBot, page: RecordEditorPage, vault: UnlockedVault
) -> None:
    open_new(qtbot, page, vault, "visit")
    type_text(ed(page, "summary"), "Ad hoc visit after the complaint")
    picker: RecordPicker = ed(page, "place_id")
    search(qtbot, picker, "Colony")
    assert "New place…" in picker.error_label.text()
    dialog = open_short_form(qtbot, picker)
    assert list(dialog.rows) == ["name", "place_type", "region"]
    assert dialog.rows["name"].editor.value() == "Colony"
    type_text(dialog.rows["name"].editor, "Colony 47")
    pick(dialog.rows["place_type"].editor.combo, "prison_or_penal_colony")
    type_text(dialog.rows["region"].editor, "Chüy")
    create(qtbot, picker, dialog)

    (place,) = vault.records.list("place")
    assert vault.records.get(place.record_id).fields == {
        "name": "Colony 47",
        "place_type": "prison_or_penal_colony",
        "region": "Chüy",
    }
    assert ("record_created", place.record_id, "place") in created_entries(vault)
    assert picker.value() == place.record_id and "Colony 47" in picker.choice_label.text()
    assert ed(page, "summary").edit.toPlainText() == "Ad hoc visit after the complaint"
    assert page.record_id is None and vault.records.count("visit") == 0

    type_text(ed(page, "started_at"), "2024-05-20T10:00+06:00")
    pick(ed(page, "visit_type").combo, "ad_hoc")
    rid = save(qtbot, page)
    assert vault.records.get(rid).fields["place_id"] == place.record_id


# -- errors, Cancel, lock --------------------------------------------------------------------
def test_a_required_field_left_empty_is_named_and_nothing_is_lost(
    qtbot: QtBot, page: RecordEditorPage, vault: UnlockedVault
) -> None:
    picker = person_search(qtbot, page, vault, "")
    dialog = open_short_form(qtbot, picker)
    assert dialog.rows["pseudonym"].editor.value() is None  # nothing typed, nothing filled
    dialog.rows["roles"].editor.boxes["victim"].setChecked(True)
    refused(qtbot, dialog)
    assert dialog.isVisible() and picker.quick_dialog is dialog
    assert dialog.rows["pseudonym"].error.text() == "This field is required."
    assert "Pseudonym" in dialog.error_label.text()  # by its label, not "pseudonym"
    assert vault.records.count() == 0
    assert dialog.rows["roles"].editor.boxes["victim"].isChecked()  # kept
    assert dialog.rows["pseudonym"].editor.focus_widget().hasFocus()

    # Fixed, it goes through.
    type_text(dialog.rows["pseudonym"].editor, PSEUDONYM)
    create(qtbot, picker, dialog)
    (person,) = vault.records.list("person")
    assert vault.records.get(person.record_id).fields["roles"] == ["victim"]


def test_a_place_without_its_type_is_refused_by_the_label(
    qtbot: QtBot, page: RecordEditorPage, vault: UnlockedVault
) -> None:
    open_new(qtbot, page, vault, "visit")
    picker: RecordPicker = ed(page, "place_id")
    search(qtbot, picker, "Colony 47")
    dialog = open_short_form(qtbot, picker)
    refused(qtbot, dialog)
    assert dialog.rows["place_type"].error.text() == "This field is required."
    assert "Type of place" in dialog.error_label.text()
    # The dialog grew for the messages rather than squeezing them and the fields.
    QApplication.processEvents()
    for label in (dialog.error_label, dialog.rows["place_type"].error):
        assert label.height() >= label.heightForWidth(label.width())
    combo = dialog.rows["place_type"].editor.combo
    assert combo.height() >= combo.minimumSizeHint().height()
    assert dialog.rows["name"].editor.value() == "Colony 47"
    assert dialog.isVisible() and vault.records.count() == 0
    dialog.reject()


def test_cancel_creates_nothing_and_leaves_the_incident_as_it_was(
    qtbot: QtBot, page: RecordEditorPage, vault: UnlockedVault
) -> None:
    picker = person_search(qtbot, page, vault, PSEUDONYM)
    assert page.form is not None
    before = page.form.values()
    dialog = open_short_form(qtbot, picker)
    dialog.rows["roles"].editor.boxes["witness"].setChecked(True)
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: picker.quick_dialog is None, timeout=TIMEOUT_MS)
    assert not dialog.isVisible()
    assert vault.records.count() == 0
    assert picker.value() is None
    assert page.form.values() == before
    # The search is still there, to choose or create again.
    assert picker.panel.isVisible() and picker.search_edit.text() == PSEUDONYM

    # Escape is Cancel too.
    dialog = open_short_form(qtbot, picker)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: picker.quick_dialog is None, timeout=TIMEOUT_MS)
    assert vault.records.count() == 0 and page.form.values() == before


def test_clearing_the_page_closes_the_short_form_and_wipes_it(
    qtbot: QtBot, page: RecordEditorPage, vault: UnlockedVault
) -> None:
    """What the main view does before the vault locks."""
    picker = person_search(qtbot, page, vault, PSEUDONYM)
    dialog = open_short_form(qtbot, picker)
    edit = dialog.rows["pseudonym"].editor.focus_widget()
    assert isinstance(edit, QLineEdit)
    page.clear()
    assert picker.quick_dialog is None and not dialog.isVisible()
    assert edit.text() == "" and not edit.isUndoAvailable()
    qtbot.waitUntil(lambda: not any(PSEUDONYM in t for t in widget_texts(page)))
    assert vault.records.count() == 0


def test_links_to_visits_and_incidents_offer_no_short_form(
    qtbot: QtBot, page: RecordEditorPage, vault: UnlockedVault
) -> None:
    open_new(qtbot, page, vault, "incident")
    picker: RecordPicker = ed(page, "visit_id")
    search(qtbot, picker, "")
    assert not picker.new_button.isVisibleTo(picker)
    assert picker.error_label.text() == "Nothing found. Add the record first, then link it."


def test_locking_closes_the_short_form_and_leaves_nothing_on_screen(
    qtbot: QtBot, vault_dir: Path
) -> None:
    vault, _code = lifecycle.create_vault(vault_dir, PASSPHRASE, name="M", organisation="O")
    vault.lock()
    window = open_window(qtbot, vault_dir)
    qtbot.keyClicks(window.unlock_page.passphrase_edit, PASSPHRASE)
    with qtbot.waitSignal(window.vault_opened, timeout=TIMEOUT_MS):
        qtbot.keyClick(window.unlock_page.passphrase_edit, Qt.Key.Key_Return)
    page = window.main_view.editor_page
    with qtbot.waitSignal(page.loaded, timeout=TIMEOUT_MS):
        window.main_view.new_record("visit")
    picker: RecordPicker = ed(page, "place_id")
    search(qtbot, picker, f"Colony {PSEUDONYM}")
    dialog = open_short_form(qtbot, picker)
    assert dialog.rows["name"].editor.value() == f"Colony {PSEUDONYM}"

    with qtbot.waitSignal(window.vault_locked, timeout=TIMEOUT_MS):
        window.lock_now()
    assert picker.quick_dialog is None
    qtbot.waitUntil(lambda: not window.findChildren(QuickCreateDialog))
    assert not any(PSEUDONYM in t for t in widget_texts(window))
    again = lifecycle.unlock(vault_dir, PASSPHRASE)
    try:
        assert again.records.count() == 0
    finally:
        again.lock()
