"""Auto-lock (ui/shell/auto_lock.py) and the Settings page (ui/shell/settings_page.py): the vault
locks itself after the delay and after a suspend, leaving nothing on screen and the unsaved edit
in an encrypted draft; settings persist; the passphrase slot is changed only with the passphrase.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import shiboken6
from PySide6.QtCore import QEvent, QPointF, Qt, QTimer
from PySide6.QtGui import QInputMethodEvent, QKeyEvent, QMouseEvent
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QInputDialog, QLineEdit, QWidget
from pytestqt.qtbot import QtBot

from monitor_app import locations, settings
from monitor_app.crypto import kdf
from monitor_app.errors import MonitorError, VaultError
from monitor_app.messages import describe
from monitor_app.vault import keyslots, lifecycle
from monitor_app.vault.session import UnlockedVault
from tests.conftest import PASSPHRASE
from tests.host_tools import FakeKeyring, activate_portable
from tests.ui_tools import keep_windows, open_window, widget_texts
from ui.access.create_page import keyring_explanation
from ui.records.editor import draft_keeper
from ui.shell import auto_lock
from ui.shell.auto_lock import AutoLock
from ui.shell.settings_page import SettingsPage
from ui.shell.vault_window import VaultWindow

__all__ = ["keep_windows"]  # an autouse fixture

pytestmark = pytest.mark.gui
TIMEOUT_MS = 30_000
TITLE_CANARY = "zqxtitlecanary"  # a saved record's title
EDIT_CANARY = "zqxunsavededit"  # typed into the editor, never saved
NEW_PASSPHRASE = "a brand new passphrase zqx"


@pytest.fixture(autouse=True)
def portable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> locations.Locations:
    """Settings go to tmp_path (portable mode), never to this user's real settings."""
    return activate_portable(tmp_path / "app", monkeypatch)


def unlock(qtbot: QtBot, window: VaultWindow) -> UnlockedVault:
    assert window.current_page is window.unlock_page
    qtbot.keyClicks(window.unlock_page.passphrase_edit, PASSPHRASE)
    with qtbot.waitSignal(window.vault_opened, timeout=TIMEOUT_MS):
        qtbot.keyClick(window.unlock_page.passphrase_edit, Qt.Key.Key_Return)
    assert window.vault is not None
    return window.vault


def texts_with(root: QWidget, *needles: str) -> list[str]:
    return [text for text in widget_texts(root) if any(n in text for n in needles)]


@pytest.fixture
def page(qtbot: QtBot) -> SettingsPage:
    page = SettingsPage(FakeKeyring(usable=False))
    qtbot.addWidget(page, before_close_func=lambda p: p.shutdown())
    page.show()
    return page


# -- auto-lock: the acceptance test ----------------------------------------------------------
def test_auto_lock_blanks_everything_closes_the_vault_and_keeps_the_edit(
    qtbot: QtBot, vault_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(draft_keeper, "AUTOSAVE_MS", 600_000)  # only the lock writes a draft
    created, _code = lifecycle.create_vault(vault_dir, PASSPHRASE, name="Test Monitor")
    record = created.records.add("place", {"name": f"ИВС {TITLE_CANARY}", "place_type": "other"})
    created.lock()

    window = open_window(qtbot, vault_dir)
    vault = unlock(qtbot, window)
    assert window.auto_lock.active
    view = window.main_view
    places = view.list_pages["place"]
    with qtbot.waitSignal(places.model.loaded, timeout=TIMEOUT_MS):
        view.show_section("place")
    with qtbot.waitSignal(view.editor_page.loaded, timeout=TIMEOUT_MS):
        view.edit_record(record.record_id)
    assert texts_with(window, TITLE_CANARY), "the list and the editor show the title"
    editor = view.editor_page
    assert editor.form is not None
    name_edit = editor.form.rows["name"].editor.focus_widget()
    assert isinstance(name_edit, QLineEdit)
    name_edit.setFocus()
    name_edit.end(False)
    qtbot.keyClicks(name_edit, f" {EDIT_CANARY}")
    assert editor.form.is_dirty()

    # The person walks away; a "minute" is 200 ms here.
    monkeypatch.setattr(auto_lock, "MS_PER_MINUTE", 200)
    with qtbot.waitSignal(window.vault_locked, timeout=TIMEOUT_MS):
        window.auto_lock.set_minutes(1)

    assert vault.is_locked and window.vault is None
    assert window.current_page is window.unlock_page
    assert not window.auto_lock.active
    assert texts_with(window, TITLE_CANARY, EDIT_CANARY) == []
    again = lifecycle.unlock(vault_dir, PASSPHRASE)
    try:
        draft = again.drafts.for_record(record.record_id)
        assert draft is not None
        assert draft.data["fields"]["name"] == f"ИВС {TITLE_CANARY} {EDIT_CANARY}"
        assert again.records.get(record.record_id).fields["name"] == f"ИВС {TITLE_CANARY}"
    finally:
        again.lock()


def test_typing_keeps_the_vault_open_until_the_person_stops(
    qtbot: QtBot, vault: UnlockedVault, vault_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(auto_lock, "MS_PER_MINUTE", 1_000)
    window = open_window(qtbot, vault_dir, vault=vault)
    window.auto_lock.set_minutes(1)  # one second
    assert window.auto_lock.active and window.auto_lock.interval_ms == 1_000
    presses: list[float] = []

    def press() -> None:
        qtbot.keyClick(window.main_view.nav, Qt.Key.Key_Shift)  # a key that changes nothing
        presses.append(time.monotonic())
        if len(presses) == 30:
            typist.stop()

    typist = QTimer()
    typist.setInterval(50)
    typist.timeout.connect(press)
    typist.start()
    # 1.5 s of typing, longer than the delay: the vault stays open while keys come.
    qtbot.waitUntil(lambda: len(presses) == 30, timeout=TIMEOUT_MS)
    assert window.vault is vault and not vault.is_locked
    with qtbot.waitSignal(window.vault_locked, timeout=TIMEOUT_MS):
        pass
    idle = time.monotonic() - presses[-1]
    assert idle >= 0.9, "locked only a delay after the last key (coarse timers: 5% early)"
    assert vault.is_locked


def test_input_restarts_the_countdown_and_other_events_do_not(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(auto_lock, "MS_PER_MINUTE", 2_000)
    calls: list[int] = []
    lock = AutoLock(lambda: calls.append(1), minutes=1)
    assert lock.remaining_ms == -1
    lock.start()
    target = QWidget()
    qtbot.addWidget(target)
    try:
        for event in (
            QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_Shift, Qt.KeyboardModifier.NoModifier),
            QMouseEvent(
                QEvent.Type.MouseMove,
                QPointF(1, 1),
                QPointF(1, 1),
                Qt.MouseButton.NoButton,
                Qt.MouseButton.NoButton,
                Qt.KeyboardModifier.NoModifier,
            ),
            QInputMethodEvent("", []),
        ):
            qtbot.waitUntil(lambda: 0 <= lock.remaining_ms < 1_500, timeout=TIMEOUT_MS)
            QApplication.sendEvent(target, event)
            assert lock.remaining_ms > 1_800, event.type()
        qtbot.waitUntil(lambda: 0 <= lock.remaining_ms < 1_500, timeout=TIMEOUT_MS)
        QApplication.sendEvent(target, QEvent(QEvent.Type.User))
        QApplication.sendEvent(target, QEvent(QEvent.Type.LayoutRequest))
        assert lock.remaining_ms < 1_500
    finally:
        lock.stop()
    assert lock.remaining_ms == -1 and calls == []


def test_never_never(qtbot: QtBot) -> None:
    lock = AutoLock(lambda: None, minutes=0)
    assert lock.minutes == settings.MIN_AUTO_LOCK_MINUTES
    lock.set_minutes(-5)
    assert lock.minutes == 1
    lock.set_minutes(100_000)
    assert lock.minutes == settings.MAX_AUTO_LOCK_MINUTES


def test_a_suspended_computer_locks_at_once(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    asleep = [100.0]
    monkeypatch.setattr(auto_lock, "asleep_seconds", lambda: asleep[0])
    monkeypatch.setattr(auto_lock, "HEARTBEAT_MS", 20)
    calls: list[int] = []
    lock = AutoLock(lambda: calls.append(1), minutes=60)
    lock.start()
    asleep[0] += 1.0  # clock jitter, or a busy second: not a suspend
    qtbot.waitUntil(lambda: lock._asleep == asleep[0], timeout=TIMEOUT_MS)
    assert calls == [] and lock.active
    asleep[0] += 3600.0  # the lid was closed for an hour
    qtbot.waitUntil(lambda: calls == [1], timeout=TIMEOUT_MS)
    assert not lock.active


# -- settings --------------------------------------------------------------------------------
def test_settings_are_saved_and_the_auto_lock_follows(
    qtbot: QtBot, vault: UnlockedVault, vault_dir: Path, portable: locations.Locations
) -> None:
    window = open_window(qtbot, vault_dir, vault=vault)
    page = window.main_view.settings_page
    window.main_view.show_section("settings")
    assert page.language_combo.currentData() is None  # the system's
    assert page.auto_lock_spin.value() == settings.DEFAULT_AUTO_LOCK_MINUTES
    page.language_combo.setCurrentIndex(page.language_combo.findData("ky"))
    page.auto_lock_spin.setValue(15)
    with qtbot.waitSignal(page.auto_lock_changed, timeout=TIMEOUT_MS) as changed:
        qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    assert changed.args == [15]
    assert window.auto_lock.minutes == 15
    assert window.auto_lock.interval_ms == 15 * auto_lock.MS_PER_MINUTE
    assert "next start" in page.settings_status.text()
    assert settings.load() == settings.Settings(language="ky", auto_lock_minutes=15)
    assert (portable.settings_dir / settings.FILE_NAME).is_file()
    assert settings.startup_language() == "ky"

    # The next window starts with them.
    window.lock_now()
    later = open_window(qtbot, vault_dir)
    assert later.auto_lock.minutes == 15
    unlock(qtbot, later)
    later.main_view.show_section("settings")
    assert later.main_view.settings_page.language_combo.currentData() == "ky"
    assert later.main_view.settings_page.auto_lock_spin.value() == 15


def test_a_damaged_settings_file_gives_the_defaults(
    qtbot: QtBot, page: SettingsPage, vault: UnlockedVault, portable: locations.Locations
) -> None:
    (portable.settings_dir / settings.FILE_NAME).write_bytes(b'{"auto_lock_minutes": ')
    page.set_vault(vault)
    assert page.language_combo.currentData() is None
    assert page.auto_lock_spin.value() == settings.DEFAULT_AUTO_LOCK_MINUTES
    assert page.auto_lock_spin.minimum() == 1, "no 'never'"


def test_a_settings_folder_that_cannot_be_written_is_explained(
    qtbot: QtBot, page: SettingsPage, vault: UnlockedVault, portable: locations.Locations
) -> None:
    page.set_vault(vault)
    (portable.settings_dir / settings.FILE_NAME).mkdir()  # the file cannot be replaced
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    assert page.error_label.isVisibleTo(page)
    assert page.error_label.text() == describe(
        MonitorError("storage_failed", path=str(portable.settings_dir / settings.FILE_NAME))
    )


def test_the_key_strength_and_its_time_are_shown(
    qtbot: QtBot, page: SettingsPage, vault: UnlockedVault
) -> None:
    page.set_vault(vault)
    assert page.kdf_label.text() == "Argon2id, 64 MiB of memory, 3 passes"
    with qtbot.waitSignal(page.timed, timeout=TIMEOUT_MS):
        page.refresh()
    assert "s on this computer" in page.kdf_time_label.text()


# -- the passphrase slot ---------------------------------------------------------------------
def fill(qtbot: QtBot, page: SettingsPage, *texts: str) -> None:
    dialog = page.dialog
    assert dialog is not None and dialog.isVisible()
    for edit, text in zip(dialog.edits, texts, strict=True):
        qtbot.keyClicks(edit, text)


def submit(qtbot: QtBot, page: SettingsPage) -> None:
    assert page.dialog is not None
    with qtbot.waitSignal(page.work_done, timeout=TIMEOUT_MS):
        qtbot.mouseClick(page.dialog.ok_button, Qt.MouseButton.LeftButton)


def test_changing_the_passphrase(
    qtbot: QtBot, page: SettingsPage, vault: UnlockedVault, vault_dir: Path
) -> None:
    page.set_vault(vault)
    qtbot.mouseClick(page.change_button, Qt.MouseButton.LeftButton)
    fill(qtbot, page, PASSPHRASE, NEW_PASSPHRASE, NEW_PASSPHRASE)
    submit(qtbot, page)
    assert page.dialog is None
    assert "Passphrase changed" in page.status_label.text()
    assert texts_with(page, PASSPHRASE, NEW_PASSPHRASE) == []
    vault.lock()
    lifecycle.unlock(vault_dir, NEW_PASSPHRASE).lock()
    with pytest.raises(VaultError, match="wrong_passphrase"):
        lifecycle.unlock(vault_dir, PASSPHRASE)


def test_a_wrong_passphrase_changes_nothing(
    qtbot: QtBot, page: SettingsPage, vault: UnlockedVault, vault_dir: Path
) -> None:
    page.set_vault(vault)
    before = (vault_dir / keyslots.FILE_NAME).read_bytes()
    qtbot.mouseClick(page.change_button, Qt.MouseButton.LeftButton)
    fill(qtbot, page, "not the passphrase", NEW_PASSPHRASE, NEW_PASSPHRASE)
    submit(qtbot, page)
    dialog = page.dialog
    assert dialog is not None and dialog.isVisible(), "open, to try again"
    assert dialog.error_label.text() == describe(VaultError("wrong_passphrase"))
    assert texts_with(page, "not the passphrase", NEW_PASSPHRASE) == []
    assert (vault_dir / keyslots.FILE_NAME).read_bytes() == before
    cancel = dialog.buttons.button(QDialogButtonBox.StandardButton.Cancel)
    qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
    assert page.dialog is None
    vault.lock()
    lifecycle.unlock(vault_dir, PASSPHRASE).lock()


@pytest.mark.parametrize(
    ("new", "repeat", "error"),
    [
        ("short", "short", VaultError("passphrase_too_short", minimum=10)),
        (NEW_PASSPHRASE, NEW_PASSPHRASE + "x", VaultError("passphrase_mismatch")),
    ],
)
def test_a_new_passphrase_is_checked_before_any_work(
    qtbot: QtBot, page: SettingsPage, vault: UnlockedVault, new: str, repeat: str, error: Any
) -> None:
    page.set_vault(vault)
    qtbot.mouseClick(page.change_button, Qt.MouseButton.LeftButton)
    fill(qtbot, page, PASSPHRASE, new, repeat)
    assert page.dialog is not None
    qtbot.mouseClick(page.dialog.ok_button, Qt.MouseButton.LeftButton)
    assert page.dialog.error_label.text() == describe(error)
    assert page.dialog.repeat_edit.text() == "" and not page.dialog.busy


def test_the_keyring_option_explains_why_it_is_off(qtbot: QtBot, vault: UnlockedVault) -> None:
    portable_page = SettingsPage()  # portable mode: the default store never uses the keyring
    no_keyring = SettingsPage(FakeKeyring(usable=False, reason="no_os_keyring"))
    for shown, reason in ((portable_page, "portable_mode"), (no_keyring, "no_os_keyring")):
        qtbot.addWidget(shown, before_close_func=lambda p: p.shutdown())
        shown.set_vault(vault)
        assert not shown.remember_box.isEnabled() and not shown.remember_box.isChecked()
        assert shown.remember_note.text() == keyring_explanation(reason)


def test_turning_the_keyring_on_and_off(
    qtbot: QtBot, vault: UnlockedVault, vault_dir: Path
) -> None:
    keyring = FakeKeyring(usable=True)
    page = SettingsPage(keyring)
    qtbot.addWidget(page, before_close_func=lambda p: p.shutdown())
    page.show()
    page.set_vault(vault)
    assert page.remember_box.isEnabled() and not page.remember_box.isChecked()

    # Cancelled: nothing changes, and the box says so.
    qtbot.mouseClick(page.remember_box, Qt.MouseButton.LeftButton)
    assert page.dialog is not None
    page.dialog.reject()
    assert page.dialog is None and not page.remember_box.isChecked() and not keyring.secrets

    qtbot.mouseClick(page.remember_box, Qt.MouseButton.LeftButton)
    fill(qtbot, page, PASSPHRASE)
    submit(qtbot, page)
    slot = vault.slots.slot_of_type("passphrase")
    assert slot is not None and slot.device_secret and page.remember_box.isChecked()
    assert vault.vault_id in keyring.secrets
    with pytest.raises(MonitorError, match="device_secret_missing"):
        lifecycle.unlock(vault_dir, PASSPHRASE, device_store=FakeKeyring(usable=True))
    lifecycle.unlock(vault_dir, PASSPHRASE, device_store=keyring).lock()

    qtbot.mouseClick(page.remember_box, Qt.MouseButton.LeftButton)
    fill(qtbot, page, PASSPHRASE)
    submit(qtbot, page)
    slot = vault.slots.slot_of_type("passphrase")
    assert slot is not None and not slot.device_secret and not page.remember_box.isChecked()
    assert keyring.secrets == {}
    lifecycle.unlock(vault_dir, PASSPHRASE, device_store=FakeKeyring(usable=False)).lock()


def test_recalibrating_rewraps_for_this_computer(
    qtbot: QtBot, page: SettingsPage, vault: UnlockedVault, vault_dir: Path
) -> None:
    page.set_vault(vault)
    old = vault.slots.slot_of_type("passphrase")
    qtbot.mouseClick(page.recalibrate_button, Qt.MouseButton.LeftButton)
    fill(qtbot, page, PASSPHRASE)
    submit(qtbot, page)
    new = vault.slots.slot_of_type("passphrase")
    assert old is not None and new is not None and new.slot_id != old.slot_id
    assert new.kdf_params == kdf.calibrate()  # the minimum profile in tests
    assert "Argon2id" in page.status_label.text()
    vault.lock()
    lifecycle.unlock(vault_dir, PASSPHRASE).lock()


def test_locking_closes_and_wipes_the_passphrase_dialog(
    qtbot: QtBot, vault: UnlockedVault, vault_dir: Path
) -> None:
    window = open_window(qtbot, vault_dir, vault=vault)
    page = window.main_view.settings_page
    window.main_view.show_section("settings")
    qtbot.mouseClick(page.change_button, Qt.MouseButton.LeftButton)
    dialog = page.dialog
    assert dialog is not None
    qtbot.keyClicks(dialog.current_edit, PASSPHRASE)
    with qtbot.waitSignal(window.vault_locked, timeout=TIMEOUT_MS):
        window.lock_now()
    assert page.dialog is None
    # Closed, wiped, and (once the event loop has run) deleted.
    assert not shiboken6.isValid(dialog) or (
        not dialog.isVisible() and dialog.current_edit.text() == ""
    )
    assert texts_with(window, PASSPHRASE) == []


def test_locking_closes_any_question_still_open(
    qtbot: QtBot, vault: UnlockedVault, vault_dir: Path
) -> None:
    window = open_window(qtbot, vault_dir, vault=vault)
    reason = QInputDialog(window.main_view.editor_page)
    reason.setTextValue(f"typed reason {EDIT_CANARY}")
    reason.open()  # as the editor's "why delete?" question, still waiting for an answer
    assert reason.isVisible()
    with qtbot.waitSignal(reason.rejected, timeout=TIMEOUT_MS):
        window.lock_now()
    assert not reason.isVisible()
