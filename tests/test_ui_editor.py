"""The record editor: forms for every type, validation at the field, patches and history,
protected fields behind Reveal, encrypted drafts across a lock, a clean clear(), and a
clipboard that forgets copied protected values."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
)
from pytestqt.qtbot import QtBot

from monitor_app.errors import ValidationError
from monitor_app.records import audit
from monitor_app.vault import lifecycle
from monitor_app.vault.session import UnlockedVault
from tests.conftest import PASSPHRASE
from tests.ui_tools import widget_texts
from ui.records.editor import clipboard, dialogs, draft_keeper
from ui.records.editor.base import FieldEditor
from ui.records.editor.compound import ObjectEditor, ObjectListEditor
from ui.records.editor.fields import BoolEditor, FuzzyDateEditor, VocabEditor, VocabListEditor
from ui.records.editor.form import split_path
from ui.records.editor.record_editor_page import RecordEditorPage
from ui.records.editor.record_picker import RecordPicker

pytestmark = pytest.mark.gui
TIMEOUT_MS = 30_000
CANARY = "zqxcanary"
SECRET = "zqxsecretname"  # a protected field's value


# -- helpers ---------------------------------------------------------------------------------
@pytest.fixture
def page(qtbot: QtBot) -> RecordEditorPage:
    page = RecordEditorPage()
    qtbot.addWidget(page, before_close_func=lambda p: p.shutdown())
    page.resize(1000, 800)
    page.show()
    return page


def open_new(qtbot: QtBot, page: RecordEditorPage, vault: UnlockedVault, type_name: str) -> None:
    with qtbot.waitSignal(page.loaded, timeout=TIMEOUT_MS):
        page.new_record(vault, type_name)
    assert page.form is not None and page.form.isEnabled()


def open_record(qtbot: QtBot, page: RecordEditorPage, vault: UnlockedVault, rid: str) -> None:
    with qtbot.waitSignal(page.loaded, timeout=TIMEOUT_MS):
        page.open_record(vault, rid)


def ed(page: RecordEditorPage, name: str) -> Any:
    assert page.form is not None
    return page.form.rows[name].editor


def type_text(editor: FieldEditor, text: str) -> None:
    widget = editor.focus_widget()
    if isinstance(widget, QPlainTextEdit):
        widget.setPlainText(text)
    else:
        assert isinstance(widget, QLineEdit)
        widget.setText(text)


def pick(combo: QComboBox, code: Any) -> None:
    index = combo.findData(code)
    assert index >= 0, code
    combo.setCurrentIndex(index)


def choose(qtbot: QtBot, picker: RecordPicker, query: str, record_id: str) -> None:
    with qtbot.waitSignal(picker.results_ready, timeout=TIMEOUT_MS):
        picker.open_chooser()
    if query:
        with qtbot.waitSignal(picker.results_ready, timeout=TIMEOUT_MS):
            qtbot.keyClicks(picker.search_edit, query)
            qtbot.keyClick(picker.search_edit, Qt.Key.Key_Return)
    for row in range(picker.results.count()):
        item = picker.results.item(row)
        if item.data(Qt.ItemDataRole.UserRole) == record_id:
            rect = picker.results.visualItemRect(item)
            qtbot.mouseClick(
                picker.results.viewport(), Qt.MouseButton.LeftButton, pos=rect.center()
            )
            break
    assert picker.value() == record_id
    assert not picker.panel.isVisible()


def save(qtbot: QtBot, page: RecordEditorPage) -> str:
    with qtbot.waitSignal(page.saved, timeout=TIMEOUT_MS) as blocker:
        qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    return str(blocker.args[0])


def save_refused(qtbot: QtBot, page: RecordEditorPage) -> None:
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not page.busy and page.error_label.text() != "", timeout=TIMEOUT_MS)


def add_place(vault: UnlockedVault, name: str = f"ИВС {CANARY}") -> str:
    return vault.records.add("place", {"name": name, "place_type": "other"}).record_id


def add_person(vault: UnlockedVault) -> str:
    return vault.records.add(
        "person", {"pseudonym": f"KG-{CANARY}", "real_name": SECRET, "roles": ["victim"]}
    ).record_id


def audit_actions(vault: UnlockedVault, record_id: str) -> list[str]:
    with vault.reading() as conn:
        return [e.action for e in audit.entries(conn) if e.record_id == record_id]


# -- creating every type ---------------------------------------------------------------------
def test_create_a_place(qtbot: QtBot, page: RecordEditorPage, vault: UnlockedVault) -> None:
    open_new(qtbot, page, vault, "place")
    type_text(ed(page, "name"), "ИВС ГУВД Бишкек")
    pick(ed(page, "place_type").combo, "temporary_detention_facility")
    type_text(ed(page, "capacity"), "40")
    type_text(ed(page, "notes"), "Two floors.\nBasement cells.")
    rid = save(qtbot, page)
    assert vault.records.get(rid).fields == {
        "name": "ИВС ГУВД Бишкек",
        "place_type": "temporary_detention_facility",
        "capacity": 40,
        "notes": "Two floors.\nBasement cells.",
    }
    # The page goes on editing the saved record: history and attachments become available.
    assert page.record_id == rid and not page.form.is_new  # type: ignore[union-attr]
    assert page.tabs.isTabEnabled(2)


def test_create_a_visit_linked_to_its_place(
    qtbot: QtBot, page: RecordEditorPage, vault: UnlockedVault
) -> None:
    place = add_place(vault)
    add_place(vault, "Another colony")
    open_new(qtbot, page, vault, "visit")
    choose(qtbot, ed(page, "place_id"), "", place)
    assert CANARY in ed(page, "place_id").choice_label.text()  # the title, not the id
    type_text(ed(page, "started_at"), "2024-05-20T10:00+06:00")
    pick(ed(page, "visit_type").combo, "ad_hoc")
    bool_editor: BoolEditor = ed(page, "announced")
    assert bool_editor.combo is not None
    bool_editor.combo.setCurrentIndex(2)  # no
    team: ObjectListEditor = ed(page, "team")
    qtbot.mouseClick(team.add_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(team.add_button, Qt.MouseButton.LeftButton)  # left empty: not sent
    type_text(team.items[0][1].rows["name"].editor, "Aida")
    type_text(ed(page, "areas_inspected"), "Cells\n\nYard\n")
    rid = save(qtbot, page)
    assert vault.records.get(rid).fields == {
        "place_id": place,
        "started_at": "2024-05-20T10:00:00+06:00",
        "visit_type": "ad_hoc",
        "announced": False,
        "team": [{"name": "Aida"}],
        "areas_inspected": ["Cells", "Yard"],
    }


def test_create_an_incident_with_its_place_people_and_consent(
    qtbot: QtBot, page: RecordEditorPage, vault: UnlockedVault
) -> None:
    place, person = add_place(vault), add_person(vault)
    open_new(qtbot, page, vault, "incident")
    form = page.form
    assert form is not None and form.risk_card is not None
    # Consent and reprisal risk come first, above every other field.
    assert form.risk_card.geometry().top() < form.rows["title"].geometry().top()
    type_text(ed(page, "title"), "Beating during interrogation")
    pick(ed(page, "incident_type").combo, "torture")
    type_text(ed(page, "description"), "Line one\nline two")
    when: FuzzyDateEditor = ed(page, "occurred_on")
    qtbot.keyClicks(when.edit, "2024-03")
    assert when.precision.code() == "month"  # guessed from the shape typed
    choose(qtbot, ed(page, "place_id"), CANARY, place)
    people: ObjectListEditor = ed(page, "people")
    qtbot.mouseClick(people.add_button, Qt.MouseButton.LeftButton)
    item: ObjectEditor = people.items[0][1]
    choose(qtbot, item.rows["person_id"].editor, "", person)
    pick(item.rows["role"].editor.combo, "victim")
    medical: ObjectEditor = ed(page, "medical")
    medical.rows["examined"].editor.combo.setCurrentIndex(1)  # yes
    pick(ed(page, "consent").combos["share_with_coalition"], "given")
    pick(ed(page, "consent").combos["use_in_court"], "refused")
    pick(ed(page, "reprisal_risk").combo, "high")
    assert form.risk_warning.isVisibleTo(page)
    ed(page, "do_not_contact").check.setChecked(True)
    rid = save(qtbot, page)
    assert vault.records.get(rid).fields == {
        "title": "Beating during interrogation",
        "incident_type": "torture",
        "description": "Line one\nline two",
        "occurred_on": {"date": "2024-03", "precision": "month"},
        "place_id": place,
        "people": [{"person_id": person, "role": "victim"}],
        "medical": {"examined": True},
        "consent": {"share_with_coalition": "given", "use_in_court": "refused"},
        "reprisal_risk": "high",
        "do_not_contact": True,
    }


def test_create_a_person_with_protected_fields(
    qtbot: QtBot, page: RecordEditorPage, vault: UnlockedVault
) -> None:
    open_new(qtbot, page, vault, "person")
    form = page.form
    assert form is not None and not form.revealed
    type_text(ed(page, "pseudonym"), "KG-2024-017")
    roles: VocabListEditor = ed(page, "roles")
    roles.boxes["witness"].setChecked(True)
    roles.boxes["victim"].setChecked(True)
    type_text(ed(page, "age"), "34")
    pick(ed(page, "gender").combo, "female")
    pick(ed(page, "consent").combos["record_interview"], "given")
    qtbot.mouseClick(form.reveal_button, Qt.MouseButton.LeftButton)  # "Show": nothing stored
    assert form.revealed
    type_text(ed(page, "real_name"), SECRET)
    birth: FuzzyDateEditor = ed(page, "date_of_birth")
    pick(birth.precision, "approximate")
    type_text(birth, "1990")
    rid = save(qtbot, page)
    view = vault.records.get(rid, reveal_sensitive=True)
    assert view.fields == {
        "pseudonym": "KG-2024-017",
        "roles": ["victim", "witness"],  # vocabulary order
        "age": 34,
        "gender": "female",
        "consent": {"record_interview": "given"},
    }
    assert view.sensitive == {
        "real_name": SECRET,
        "date_of_birth": {"date": "1990", "precision": "approximate"},
    }
    assert not form.revealed, "saving hides the protected fields again"
    assert SECRET not in list(widget_texts(page))


# -- validation ------------------------------------------------------------------------------
def test_a_refused_field_shows_its_message_there_and_nothing_is_saved(
    qtbot: QtBot, page: RecordEditorPage, vault: UnlockedVault
) -> None:
    open_new(qtbot, page, vault, "incident")
    type_text(ed(page, "title"), "No description")
    pick(ed(page, "incident_type").combo, "torture")
    type_text(ed(page, "occurred_on"), "2024-02-30")
    with qtbot.assertNotEmitted(page.saved):
        save_refused(qtbot, page)
    form = page.form
    assert form is not None
    # The core checks fields in schema order: the description (required) comes first.
    row = form.rows["description"]
    assert row.error.isVisibleTo(page)
    assert row.error.text() == "This field is required."
    # messages.describe's sentence, naming the field by its label on the form
    assert page.error_label.text().startswith("Description: ")
    assert not form.rows["title"].error.isVisibleTo(page)
    assert vault.records.count() == 0

    type_text(ed(page, "description"), "Now described")
    save_refused(qtbot, page)
    assert not row.error.isVisibleTo(page), "the old message goes"
    assert form.rows["occurred_on"].error.text().startswith("This is not a date")
    assert vault.records.count() == 0


def test_an_error_inside_a_list_item_shows_at_that_item(
    qtbot: QtBot, page: RecordEditorPage, vault: UnlockedVault
) -> None:
    person = add_person(vault)
    open_new(qtbot, page, vault, "incident")
    type_text(ed(page, "title"), "T")
    pick(ed(page, "incident_type").combo, "torture")
    type_text(ed(page, "description"), "D")
    type_text(ed(page, "occurred_on"), "2024")
    people: ObjectListEditor = ed(page, "people")
    people.add_item()  # left empty: skipped, so the core's "people.0" is the next one
    second = people.add_item({"person_id": person})
    save_refused(qtbot, page)
    assert second.rows["role"].error.text() == "This field is required."
    assert not people.items[0][1].rows["role"].error.isVisibleTo(page)
    assert second.rows["role"].editor.focus_widget().hasFocus()
    assert vault.records.count("incident") == 0


def test_a_number_out_of_range_is_refused_at_the_field(
    qtbot: QtBot, page: RecordEditorPage, vault: UnlockedVault
) -> None:
    open_new(qtbot, page, vault, "person")
    type_text(ed(page, "pseudonym"), "P")
    type_text(ed(page, "age"), "200")
    save_refused(qtbot, page)
    assert page.form is not None
    assert page.form.rows["age"].error.text() == "The number is out of range (0 to 130)."


def test_paths_in_either_notation_name_the_same_field() -> None:
    assert split_path("people[0].role") == split_path("people.0.role") == ["people", "0", "role"]
    assert split_path("") == []
    error = ValidationError(field="people[1].role", reason="required")
    assert error.params["field"] == "people[1].role"


# -- editing, history ------------------------------------------------------------------------
def test_editing_sends_a_patch_and_the_history_shows_the_change(
    qtbot: QtBot, page: RecordEditorPage, vault: UnlockedVault
) -> None:
    rid = vault.records.add(
        "place", {"name": "Old name", "place_type": "other", "region": "Chüy"}
    ).record_id
    open_record(qtbot, page, vault, rid)
    form = page.form
    assert form is not None and form.patch() == {}
    type_text(ed(page, "name"), "New name")
    type_text(ed(page, "region"), "")
    assert form.patch() == {"name": "New name", "region": None}  # None removes
    assert save(qtbot, page) == rid
    view = vault.records.get(rid)
    assert view.revision == 2
    assert view.fields == {"name": "New name", "place_type": "other"}
    assert page.revision == 2 and form.patch() == {}

    history = page.history
    qtbot.waitUntil(lambda: history.tree.topLevelItemCount() == 2, timeout=TIMEOUT_MS)
    newest = history.tree.topLevelItem(0)
    assert newest.text(0).startswith("Revision 2")
    changes = [newest.child(i).text(0) for i in range(newest.childCount())]
    assert "Name: \u2068Old name\u2069 → \u2068New name\u2069" in changes
    assert "Region: \u2068Chüy\u2069 → \u2068(not set)\u2069" in changes
    history.tree.setCurrentItem(newest.child(0))
    assert "Before:\nOld name" in history.detail.toPlainText()


def test_delete_asks_for_a_reason(
    qtbot: QtBot, page: RecordEditorPage, vault: UnlockedVault, monkeypatch: pytest.MonkeyPatch
) -> None:
    rid = add_place(vault)
    open_record(qtbot, page, vault, rid)
    monkeypatch.setattr(dialogs, "ask_delete_reason", lambda parent: None)
    qtbot.mouseClick(page.delete_button, Qt.MouseButton.LeftButton)
    assert vault.records.count("place") == 1
    monkeypatch.setattr(dialogs, "ask_delete_reason", lambda parent: "duplicate")
    with qtbot.waitSignals([page.deleted, page.closed], timeout=TIMEOUT_MS):
        qtbot.mouseClick(page.delete_button, Qt.MouseButton.LeftButton)
    assert vault.records.get(rid).deleted_reason == "duplicate"
    assert page.record_id is None


# -- protected fields ------------------------------------------------------------------------
def test_protected_fields_show_nothing_until_revealed_and_reveal_is_audited(
    qtbot: QtBot, page: RecordEditorPage, vault: UnlockedVault
) -> None:
    rid = add_person(vault)
    open_record(qtbot, page, vault, rid)
    form = page.form
    assert form is not None and not form.revealed
    assert SECRET not in list(widget_texts(page))
    assert "sensitive_revealed" not in audit_actions(vault, rid)

    with qtbot.waitSignal(page.revealed, timeout=TIMEOUT_MS):
        qtbot.mouseClick(form.reveal_button, Qt.MouseButton.LeftButton)
    assert form.revealed and ed(page, "real_name").edit.text() == SECRET
    assert audit_actions(vault, rid).count("sensitive_revealed") == 1

    qtbot.mouseClick(form.hide_button, Qt.MouseButton.LeftButton)
    assert SECRET not in list(widget_texts(page))


def test_an_edit_without_reveal_keeps_the_protected_fields(
    qtbot: QtBot, page: RecordEditorPage, vault: UnlockedVault
) -> None:
    rid = add_person(vault)
    open_record(qtbot, page, vault, rid)
    type_text(ed(page, "pseudonym"), "KG-renamed")
    assert page.form is not None and page.form.patch() == {"pseudonym": "KG-renamed"}
    save(qtbot, page)
    assert vault.records.get(rid, reveal_sensitive=True).sensitive == {"real_name": SECRET}


def test_history_names_protected_changes_without_their_values(
    qtbot: QtBot, page: RecordEditorPage, vault: UnlockedVault
) -> None:
    rid = add_person(vault)
    vault.records.edit(rid, {"real_name": "zqxsecondname"})
    open_record(qtbot, page, vault, rid)
    history = page.history
    qtbot.waitUntil(lambda: history.tree.topLevelItemCount() == 2, timeout=TIMEOUT_MS)
    texts = list(widget_texts(history))
    assert "Real name: \u2068(protected)\u2069 → \u2068(protected)\u2069" in texts
    assert not [t for t in texts if "zqxsecond" in t or SECRET in t]
    before = audit_actions(vault, rid).count("sensitive_revealed")
    with qtbot.waitSignal(history.loaded, timeout=TIMEOUT_MS):
        qtbot.mouseClick(history.reveal_button, Qt.MouseButton.LeftButton)
    texts = list(widget_texts(history))
    assert any(SECRET in t and "zqxsecondname" in t for t in texts)
    assert audit_actions(vault, rid).count("sensitive_revealed") == before + 2


def test_a_copied_protected_value_leaves_the_clipboard(
    qtbot: QtBot, page: RecordEditorPage, vault: UnlockedVault, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(clipboard, "CLIPBOARD_CLEAR_MS", 20)
    rid = add_person(vault)
    open_record(qtbot, page, vault, rid)
    assert page.form is not None
    with qtbot.waitSignal(page.revealed, timeout=TIMEOUT_MS):
        qtbot.mouseClick(page.form.reveal_button, Qt.MouseButton.LeftButton)
    board = QApplication.clipboard()
    edit: QLineEdit = ed(page, "real_name").edit
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert board.text() == SECRET
    assert board.mimeData().data(clipboard.CLIPBOARD_MANAGER_HINT).data() == b"secret"
    qtbot.waitUntil(lambda: board.text() == "", timeout=TIMEOUT_MS)

    # Something the user copied afterwards is theirs: it stays.
    qtbot.keyClick(edit, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    board.setText("copied later")
    guard = page.form.guard
    qtbot.waitUntil(lambda: not guard.pending, timeout=TIMEOUT_MS)
    assert board.text() == "copied later"

    # Clearing (before a lock) empties the clipboard at once.
    monkeypatch.setattr(clipboard, "CLIPBOARD_CLEAR_MS", 60_000)
    with qtbot.waitSignal(page.revealed, timeout=TIMEOUT_MS):
        qtbot.mouseClick(page.form.reveal_button, Qt.MouseButton.LeftButton)
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert board.text() == SECRET
    page.clear()
    assert board.text() == ""


def test_selected_protected_text_cannot_be_dragged_out(
    qtbot: QtBot, page: RecordEditorPage, vault: UnlockedVault
) -> None:
    open_new(qtbot, page, vault, "person")
    assert page.form is not None
    qtbot.mouseClick(page.form.reveal_button, Qt.MouseButton.LeftButton)
    contact: QPlainTextEdit = ed(page, "contact").edit
    contact.setPlainText("+996 555 000 000")
    contact.selectAll()
    inside = QTextCursor(contact.document())
    inside.setPosition(5)
    rect = contact.cursorRect(inside)
    # A press inside the selection would start a drag; here it just places the cursor.
    qtbot.mousePress(contact.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert not contact.textCursor().hasSelection()
    qtbot.mouseRelease(contact.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_ordinary_fields_copy_normally(
    qtbot: QtBot, page: RecordEditorPage, vault: UnlockedVault
) -> None:
    open_new(qtbot, page, vault, "place")
    edit: QLineEdit = ed(page, "name").edit
    edit.setText("plain")
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.clipboard().text() == "plain"
    assert page.form is not None and not page.form.guard.pending


# -- drafts and clearing ---------------------------------------------------------------------
def test_a_draft_is_kept_through_a_lock_and_restored(
    qtbot: QtBot,
    page: RecordEditorPage,
    vault: UnlockedVault,
    vault_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(draft_keeper, "AUTOSAVE_MS", 10)
    rid = add_place(vault, "Saved name")
    open_record(qtbot, page, vault, rid)
    with qtbot.waitSignal(page.keeper.saved, timeout=TIMEOUT_MS):
        type_text(ed(page, "name"), f"Typed {CANARY}")
    draft = vault.drafts.for_record(rid)
    assert draft is not None and draft.data["fields"]["name"] == f"Typed {CANARY}"
    assert draft.base_revision == 1

    # The lock path: clear() writes what the timer has not written yet, then blanks it all.
    monkeypatch.setattr(draft_keeper, "AUTOSAVE_MS", 60_000)
    type_text(ed(page, "notes"), f"Notes {CANARY}")
    page.clear()
    draft = vault.drafts.for_record(rid)
    assert draft is not None and draft.data["fields"]["notes"] == f"Notes {CANARY}"
    assert not [t for t in widget_texts(page) if CANARY in t or rid in t]
    vault.lock()

    again = lifecycle.unlock(vault_dir, PASSPHRASE)
    try:
        open_record(qtbot, page, again, rid)
        assert page.draft_banner.isVisibleTo(page)
        assert page.form is not None and not page.form.isEnabled(), "decide first"
        assert ed(page, "name").edit.text() == "Saved name"
        qtbot.mouseClick(page.draft_banner.restore_button, Qt.MouseButton.LeftButton)
        assert page.form.isEnabled() and not page.draft_banner.isVisibleTo(page)
        assert ed(page, "name").edit.text() == f"Typed {CANARY}"
        assert page.form.patch() == {"name": f"Typed {CANARY}", "notes": f"Notes {CANARY}"}
        save(qtbot, page)
        assert again.records.get(rid).fields["notes"] == f"Notes {CANARY}"
        assert again.drafts.list() == []
    finally:
        page.clear()
        again.lock()


def test_a_new_records_draft_is_offered_when_starting_another(
    qtbot: QtBot, page: RecordEditorPage, vault: UnlockedVault
) -> None:
    open_new(qtbot, page, vault, "person")
    type_text(ed(page, "pseudonym"), "KG-draft")
    assert page.form is not None
    qtbot.mouseClick(page.form.reveal_button, Qt.MouseButton.LeftButton)
    type_text(ed(page, "real_name"), SECRET)
    page.clear()
    (draft,) = vault.drafts.list()
    assert draft.record_id is None
    assert draft.data == {"fields": {"pseudonym": "KG-draft"}, "sensitive": {"real_name": SECRET}}

    with qtbot.waitSignal(page.loaded, timeout=TIMEOUT_MS):
        page.new_record(vault, "person")
    assert page.draft_banner.isVisibleTo(page)
    qtbot.mouseClick(page.draft_banner.restore_button, Qt.MouseButton.LeftButton)
    # Restored protected values stay hidden until shown.
    assert not page.form.revealed and SECRET not in list(widget_texts(page))
    rid = save(qtbot, page)
    assert vault.records.get(rid, reveal_sensitive=True).sensitive == {"real_name": SECRET}
    assert vault.drafts.list() == []


def test_a_draft_listed_at_start_opens_and_can_wait(
    qtbot: QtBot, page: RecordEditorPage, vault: UnlockedVault
) -> None:
    vault.drafts.save("place", {"fields": {"name": f"Draft {CANARY}"}})
    (draft,) = vault.drafts.list()  # what the main view finds after unlocking
    with qtbot.waitSignal(page.loaded, timeout=TIMEOUT_MS):
        page.open_draft(vault, draft)
    assert page.draft_banner.later_button.isVisibleTo(page)
    qtbot.mouseClick(page.draft_banner.later_button, Qt.MouseButton.LeftButton)
    assert page.form is not None and page.form.isEnabled()
    assert ed(page, "name").edit.text() == "" and len(vault.drafts.list()) == 1
    with qtbot.waitSignal(page.loaded, timeout=TIMEOUT_MS):
        page.open_draft(vault, draft)
    qtbot.mouseClick(page.draft_banner.restore_button, Qt.MouseButton.LeftButton)
    assert ed(page, "name").edit.text() == f"Draft {CANARY}"
    assert page.keeper.draft_id == draft.draft_id  # writes go on to the same draft


def test_cancel_throws_the_changes_and_their_draft_away(
    qtbot: QtBot, page: RecordEditorPage, vault: UnlockedVault, monkeypatch: pytest.MonkeyPatch
) -> None:
    rid = add_place(vault)
    open_record(qtbot, page, vault, rid)
    type_text(ed(page, "name"), "Changed")
    assert page.save_draft_now()
    monkeypatch.setattr(dialogs, "confirm_discard", lambda parent: False)
    qtbot.mouseClick(page.cancel_button, Qt.MouseButton.LeftButton)
    assert page.record_id == rid, "not confirmed: still editing"
    monkeypatch.setattr(dialogs, "confirm_discard", lambda parent: True)
    with qtbot.waitSignal(page.closed, timeout=TIMEOUT_MS):
        qtbot.mouseClick(page.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: vault.drafts.list() == [], timeout=TIMEOUT_MS)
    assert vault.records.get(rid).revision == 1


def test_clear_leaves_no_record_text_in_any_widget(
    qtbot: QtBot, page: RecordEditorPage, vault: UnlockedVault
) -> None:
    place, person = add_place(vault), add_person(vault)
    rid = vault.records.add(
        "incident",
        {
            "title": f"<b>{CANARY}</b>",
            "incident_type": "torture",
            "description": f"Described {CANARY}",
            "occurred_on": "2024-03-10",
            "place_id": place,
            "people": [{"person_id": person, "role": "victim"}],
            "methods": [f"method {CANARY}"],
            "perpetrators": [{"unit": f"unit {CANARY}"}],
        },
    ).record_id
    vault.records.edit(rid, {"location_text": f"Yard {CANARY}"})
    open_record(qtbot, page, vault, rid)
    picker: RecordPicker = ed(page, "place_id")
    with qtbot.waitSignal(picker.results_ready, timeout=TIMEOUT_MS):
        picker.open_chooser()  # its list holds other records' titles
    qtbot.waitUntil(lambda: page.history.tree.topLevelItemCount() == 2, timeout=TIMEOUT_MS)
    before = list(widget_texts(page))
    assert any(CANARY in t for t in before)
    assert page.title_label.textFormat() == Qt.TextFormat.PlainText
    assert page.title_label.text() == f"<b>{CANARY}</b>"

    page.clear()
    after = list(widget_texts(page))
    assert [t for t in after if CANARY in t] == []
    assert [t for t in after for i in (rid, place, person) if i in t] == []
    for edit in page.findChildren(QLineEdit):
        assert not edit.isUndoAvailable(), "Ctrl+Z must not bring text back"
    for plain in page.findChildren(QPlainTextEdit):
        assert not plain.document().isUndoAvailable()
    for box in page.findChildren(QCheckBox):
        assert not box.isChecked()
    assert page.record_id is None and page.form is not None and not page.form.isEnabled()
    for label in page.findChildren(QLabel):
        assert label.textFormat() == Qt.TextFormat.PlainText or not label.text()


def test_every_type_opens_with_its_own_reused_form(
    qtbot: QtBot, page: RecordEditorPage, vault: UnlockedVault
) -> None:
    for type_name in ("place", "visit", "incident", "person"):
        open_new(qtbot, page, vault, type_name)
        assert page.form is not None and page.form.type_name == type_name
        assert page.scroll_area.widget() is page.form
        assert not page.tabs.isTabEnabled(1) and not page.tabs.isTabEnabled(2)
    forms = dict(page._forms)
    open_new(qtbot, page, vault, "place")
    assert page.form is forms["place"]
    assert isinstance(ed(page, "place_type"), VocabEditor)
