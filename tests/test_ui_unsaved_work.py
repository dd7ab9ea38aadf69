"""The overview's "Unsaved work" (ui/shell/unsaved_work.py): drafts left by a lock are listed after
unlocking, open restored in the editor, leave the list when saved or discarded, and leave no
trace in any widget once the vault locks."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QListWidget, QWidget
from pytestqt.qtbot import QtBot

from monitor_app.vault import lifecycle
from monitor_app.vault.session import UnlockedVault
from tests.conftest import PASSPHRASE
from tests.ui_tools import keep_windows, open_window, widget_texts
from ui.records.editor import dialogs, draft_keeper
from ui.records.editor.record_editor_page import RecordEditorPage
from ui.shell.main_view import MainView
from ui.shell.overview_page import OverviewPage
from ui.shell.vault_window import VaultWindow

__all__ = ["keep_windows"]  # an autouse fixture

pytestmark = pytest.mark.gui
TIMEOUT_MS = 30_000
TITLE_CANARY = "zqxtitlecanary"  # a saved record's title: the overview may show it
EDIT_CANARY = "zqxunsavededit"  # typed into a draft: the overview shows it only as a title


@pytest.fixture(autouse=True)
def only_the_lock_keeps_drafts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(draft_keeper, "AUTOSAVE_MS", 600_000)


def unlock(qtbot: QtBot, window: VaultWindow) -> UnlockedVault:
    """Unlock as a person does; returns once the overview has read the drafts."""
    assert window.current_page is window.unlock_page
    qtbot.keyClicks(window.unlock_page.passphrase_edit, PASSPHRASE)
    overview = window.main_view.overview_page
    with qtbot.waitSignals([window.vault_opened, overview.drafts_ready], timeout=TIMEOUT_MS):
        qtbot.keyClick(window.unlock_page.passphrase_edit, Qt.Key.Key_Return)
    assert window.vault is not None
    return window.vault


def lock(qtbot: QtBot, window: VaultWindow) -> None:
    with qtbot.waitSignal(window.vault_locked, timeout=TIMEOUT_MS):
        window.lock_now()


def entries(overview: OverviewPage) -> list[str]:
    box = overview.unsaved_work.list
    return [box.item(row).text() for row in range(box.count())]


def texts_with(root: QWidget, *needles: str) -> list[str]:
    return [text for text in widget_texts(root) if any(n in text for n in needles)]


def open_entry(qtbot: QtBot, view: MainView, row: int) -> RecordEditorPage:
    """Select an entry and press Enter; returns the editor once it is loaded."""
    box: QListWidget = view.overview_page.unsaved_work.list
    box.setFocus()
    box.setCurrentRow(row)
    with qtbot.waitSignal(view.editor_page.loaded, timeout=TIMEOUT_MS):
        qtbot.keyClick(box, Qt.Key.Key_Return)
    assert view.stack.currentWidget() is view.editor_page
    return view.editor_page


def line_edit(page: RecordEditorPage, name: str) -> QLineEdit:
    assert page.form is not None
    widget = page.form.rows[name].editor.focus_widget()
    assert isinstance(widget, QLineEdit)
    return widget


def test_a_new_records_draft_left_by_a_lock_opens_restored_and_saving_removes_it(
    qtbot: QtBot, vault_dir: Path
) -> None:
    created, _code = lifecycle.create_vault(vault_dir, PASSPHRASE, name="Test Monitor")
    created.lock()
    window = open_window(qtbot, vault_dir)
    view, overview = window.main_view, window.main_view.overview_page
    vault = unlock(qtbot, window)
    assert not overview.unsaved_work.isVisible() and entries(overview) == []

    # Typing a new place when the vault locks (a checkpoint, a closed lid, auto-lock).
    with qtbot.waitSignal(view.editor_page.loaded, timeout=TIMEOUT_MS):
        view.new_record("place")
    name = line_edit(view.editor_page, "name")
    name.setFocus()
    qtbot.keyClicks(name, f"IVS {EDIT_CANARY}")
    lock(qtbot, window)
    assert texts_with(window, EDIT_CANARY) == []

    vault = unlock(qtbot, window)
    assert view.stack.currentWidget() is overview and overview.unsaved_work.isVisible()
    (entry,) = entries(overview)
    # Listed by what it would be called (its name), and nothing else typed into it.
    assert entry.startswith(f"Place of detention · \u2068IVS {EDIT_CANARY}\u2069 · not saved yet")
    assert texts_with(window, EDIT_CANARY) == [entry]
    (draft,) = vault.drafts.list()

    editor = open_entry(qtbot, view, 0)
    assert editor.form is not None and editor.form.isEnabled() and editor.form.is_new
    assert not editor.draft_banner.isVisibleTo(editor), "restored, not offered again"
    assert name.text() == f"IVS {EDIT_CANARY}"
    assert editor.keeper.draft_id == draft.draft_id  # writes go on to the same draft
    assert editor.status_label.text() == "Draft restored. Save to keep it as a revision."

    combo = editor.form.rows["place_type"].editor.combo
    combo.setCurrentIndex(combo.findData("other"))
    with qtbot.waitSignal(editor.saved, timeout=TIMEOUT_MS):
        qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    assert vault.drafts.list() == []
    view.show_section("overview")
    qtbot.waitUntil(lambda: entries(overview) == [], timeout=TIMEOUT_MS)
    assert not overview.unsaved_work.isVisible()


def test_an_existing_records_draft_opens_restored_and_discarding_removes_it(
    qtbot: QtBot, vault_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    created, _code = lifecycle.create_vault(vault_dir, PASSPHRASE, name="Test Monitor")
    place = created.records.add("place", {"name": f"ИВС {TITLE_CANARY}", "place_type": "other"})
    rid = place.record_id
    created.lock()
    window = open_window(qtbot, vault_dir)
    view, overview = window.main_view, window.main_view.overview_page
    unlock(qtbot, window)
    with qtbot.waitSignal(view.editor_page.loaded, timeout=TIMEOUT_MS):
        view.edit_record(rid)
    notes = view.editor_page.form.rows["notes"].editor.focus_widget()  # type: ignore[union-attr]
    notes.setFocus()
    qtbot.keyClicks(notes, f"Notes {EDIT_CANARY}")
    lock(qtbot, window)

    vault = unlock(qtbot, window)
    (entry,) = entries(overview)
    assert entry.startswith(f"Place of detention · \u2068ИВС {TITLE_CANARY}\u2069 · kept ")
    assert texts_with(window, EDIT_CANARY) == []

    editor = open_entry(qtbot, view, 0)
    assert editor.record_id == rid and editor.form is not None
    assert editor.form.isEnabled() and not editor.draft_banner.isVisibleTo(editor)
    assert editor.form.patch() == {"notes": f"Notes {EDIT_CANARY}"}

    # Cancel throws the changes and their draft away; the entry goes with them.
    monkeypatch.setattr(dialogs, "confirm_discard", lambda parent: True)
    with qtbot.waitSignal(editor.closed, timeout=TIMEOUT_MS):
        qtbot.mouseClick(editor.cancel_button, Qt.MouseButton.LeftButton)
    assert view.stack.currentWidget() is overview
    qtbot.waitUntil(lambda: entries(overview) == [], timeout=TIMEOUT_MS)
    assert not overview.unsaved_work.isVisible() and vault.drafts.list() == []


def test_a_draft_of_a_record_saved_again_since_is_offered_with_the_warning(
    qtbot: QtBot, vault_dir: Path
) -> None:
    created, _code = lifecycle.create_vault(vault_dir, PASSPHRASE, name="Test Monitor")
    rid = created.records.add("place", {"name": "ИВС", "place_type": "other"}).record_id
    created.drafts.save("place", {"fields": {"notes": "old"}}, record_id=rid, base_revision=1)
    created.records.edit(rid, {"notes": "newer"})
    created.lock()
    window = open_window(qtbot, vault_dir)
    unlock(qtbot, window)

    editor = open_entry(qtbot, window.main_view, 0)
    assert editor.draft_banner.isVisibleTo(editor), "the person decides, knowing"
    assert "now revision 2" in editor.draft_banner.label.text()
    assert editor.form is not None and not editor.form.isEnabled()


def test_lock_leaves_nothing_of_the_unsaved_work(qtbot: QtBot, vault_dir: Path) -> None:
    created, _code = lifecycle.create_vault(vault_dir, PASSPHRASE, name="Test Monitor")
    place = created.records.add("place", {"name": f"ИВС {TITLE_CANARY}", "place_type": "other"})
    rid = place.record_id
    kept = created.drafts.save(
        "place", {"fields": {"notes": EDIT_CANARY}}, record_id=rid, base_revision=1
    )
    new = created.drafts.save("incident", {"fields": {"title": EDIT_CANARY}})
    created.lock()
    window = open_window(qtbot, vault_dir)
    overview = window.main_view.overview_page
    unlock(qtbot, window)
    assert len(entries(overview)) == 2
    assert [t for t in texts_with(window, TITLE_CANARY) if "kept" in t], "the title is listed"

    lock(qtbot, window)
    assert texts_with(window, TITLE_CANARY, EDIT_CANARY, kept, new, rid) == []
    assert entries(overview) == [] and not overview.unsaved_work.isVisibleTo(overview)
