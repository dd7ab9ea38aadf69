"""The vault window end to end: create, recovery code, lock, unlock, main view, search."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QCheckBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QWidget,
)
from pytestqt.qtbot import QtBot

from monitor_app.demo import populate_demo
from monitor_app.errors import VaultError
from monitor_app.messages import describe
from monitor_app.vault import lifecycle
from monitor_app.vault.lifecycle import MIN_PASSPHRASE_LENGTH
from monitor_app.vault.session import UnlockedVault
from tests.conftest import HOSTILE_TEXTS, PASSPHRASE
from tests.host_tools import FakeKeyring
from tests.ui_tools import keep_windows, open_window, type_text
from ui.shell import vault_window
from ui.shell.vault_window import VaultWindow

__all__ = ["keep_windows"]  # an autouse fixture

pytestmark = pytest.mark.gui
TIMEOUT_MS = 30_000
# Texts from the demo records; none may remain on screen once the vault is locked.
RECORD_TEXTS = ["Избиение", "ИВС", "审讯", "遭受酷刑", "KG-2024", "ырайымсыз", "radiation", "Aida"]


@pytest.fixture
def window(qtbot: QtBot, vault_dir: Path) -> VaultWindow:
    return open_window(qtbot, vault_dir)


def visible_texts(root: QWidget) -> Iterator[str]:
    """Every piece of text any widget of ``root`` holds."""
    yield root.windowTitle()
    for widget in root.findChildren(QWidget):
        if isinstance(widget, QLabel | QLineEdit | QAbstractButton):
            yield widget.text()
        if isinstance(widget, QLineEdit):
            yield widget.placeholderText()
        if isinstance(widget, QListWidget):
            for row in range(widget.count()):
                item = widget.item(row)
                yield item.text()
                yield str(item.data(Qt.ItemDataRole.UserRole))
        yield widget.toolTip()


def fill_create_form(qtbot: QtBot, window: VaultWindow, passphrase: str, confirm: str) -> None:
    page = window.create_page
    qtbot.keyClicks(page.name_edit, "Aida K.")
    qtbot.keyClicks(page.organisation_edit, "Coalition member")
    qtbot.keyClicks(page.passphrase_edit, passphrase)
    qtbot.keyClicks(page.confirm_edit, confirm)


def tick(qtbot: QtBot, box: QCheckBox) -> None:
    """Tick a checkbox the way a keyboard user does (a click's position depends on style)."""
    box.setFocus()
    qtbot.keyClick(box, Qt.Key.Key_Space)
    assert box.isChecked()


def create_through_window(qtbot: QtBot, window: VaultWindow) -> str:
    assert window.current_page is window.create_page
    fill_create_form(qtbot, window, PASSPHRASE, PASSPHRASE)
    with qtbot.waitSignal(window.vault_opened, timeout=TIMEOUT_MS):
        qtbot.mouseClick(window.create_page.create_button, Qt.MouseButton.LeftButton)
    page = window.recovery_page
    assert window.current_page is page
    code = page.code_label.text()
    assert re.fullmatch(r"[0-9A-Z]{5}(-[0-9A-Z]{5}){6}", code)
    assert page.code_label.textFormat() == Qt.TextFormat.PlainText
    # Continue stays disabled until the person confirms writing the code down.
    assert not page.continue_button.isEnabled()
    qtbot.mouseClick(page.continue_button, Qt.MouseButton.LeftButton)
    assert window.current_page is page
    tick(qtbot, page.confirm_box)
    assert page.continue_button.isEnabled()
    qtbot.mouseClick(page.continue_button, Qt.MouseButton.LeftButton)
    assert window.current_page is window.main_view
    assert page.code_label.text() == "", "the recovery code is shown once only"
    return code


def search(qtbot: QtBot, window: VaultWindow, query: str) -> list[str]:
    """Type ``query`` into the global search box, press Enter, wait for the results."""
    edit, page = window.main_view.search_edit, window.main_view.overview_page
    edit.clear()
    type_text(qtbot, edit, query)
    assert edit.text() == query
    with qtbot.waitSignal(page.results_ready, timeout=TIMEOUT_MS):
        qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert window.main_view.current_section == "overview"
    return [page.results_list.item(row).text() for row in range(page.results_list.count())]


def counts(window: VaultWindow) -> dict[str, str]:
    labels = window.main_view.overview_page.count_labels
    return {name: label.text() for name, label in labels.items()}


def wait_for_counts(qtbot: QtBot, window: VaultWindow, expected: dict[str, str]) -> None:
    """The counts are read off the GUI thread; wait until they show ``expected``."""
    qtbot.waitUntil(lambda: counts(window) == expected, timeout=TIMEOUT_MS)


def test_create_lock_unlock_search(qtbot: QtBot, window: VaultWindow, vault_dir: Path) -> None:
    create_through_window(qtbot, window)
    vault = window.vault
    assert vault is not None and not vault.is_locked
    assert window.main_view.name_label.text() == "Aida K."
    assert window.main_view.organisation_label.text() == "Coalition member"
    wait_for_counts(qtbot, window, {"place": "0", "visit": "0", "incident": "0", "person": "0"})

    populate_demo(vault)
    window.main_view.overview_page.refresh_counts()
    hits = search(qtbot, window, "избиение")
    assert any("Избиение при допросе" in hit for hit in hits)

    # Ctrl+L locks at once: widgets blanked, vault locked, unlock page shown.
    with qtbot.waitSignal(window.vault_locked, timeout=TIMEOUT_MS):
        qtbot.keyClick(
            window.main_view.search_edit, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier
        )
    assert vault.is_locked
    assert window.vault is None
    assert window.current_page is window.unlock_page
    leftovers = [t for t in visible_texts(window) for r in RECORD_TEXTS if r in t]
    assert leftovers == []

    # A wrong passphrase: the one sentence messages.describe gives, as plain text.
    unlock = window.unlock_page
    qtbot.keyClicks(unlock.passphrase_edit, "not the passphrase at all")
    qtbot.mouseClick(unlock.unlock_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: unlock.error_label.isVisible(), timeout=TIMEOUT_MS)
    assert unlock.error_label.text() == describe(VaultError("wrong_passphrase"))
    assert unlock.error_label.textFormat() == Qt.TextFormat.PlainText
    assert unlock.passphrase_edit.text() == ""
    assert window.vault is None

    # The right one: the overview with its counts, and search works again.
    qtbot.keyClicks(unlock.passphrase_edit, PASSPHRASE)
    with qtbot.waitSignal(window.vault_opened, timeout=TIMEOUT_MS):
        qtbot.keyClick(unlock.passphrase_edit, Qt.Key.Key_Return)
    assert window.current_page is window.main_view
    assert not unlock.error_label.isVisible()
    reopened = window.vault
    assert reopened is not None
    expected = {name: str(reopened.records.count(name)) for name in counts(window)}
    wait_for_counts(qtbot, window, expected)
    assert expected["incident"] != "0"
    hits = search(qtbot, window, "酷刑")
    assert any("审讯期间遭受酷刑的指控" in hit for hit in hits)
    assert any(hit.startswith("Incident") for hit in hits)


def test_lock_button_locks(qtbot: QtBot, window: VaultWindow) -> None:
    create_through_window(qtbot, window)
    vault = window.vault
    assert vault is not None
    with qtbot.waitSignal(window.vault_locked, timeout=TIMEOUT_MS):
        qtbot.mouseClick(window.main_view.lock_button, Qt.MouseButton.LeftButton)
        assert window.vault is None  # forgotten at once; closed in the background
    assert vault.is_locked
    assert window.current_page is window.unlock_page


def test_short_passphrase_is_refused_with_the_minimum(
    qtbot: QtBot, window: VaultWindow, vault_dir: Path
) -> None:
    short = "x" * (MIN_PASSPHRASE_LENGTH - 1)
    fill_create_form(qtbot, window, short, short)
    qtbot.mouseClick(window.create_page.create_button, Qt.MouseButton.LeftButton)
    message = window.create_page.error_label.text()
    assert message == describe(VaultError("passphrase_too_short", minimum=MIN_PASSPHRASE_LENGTH))
    assert str(MIN_PASSPHRASE_LENGTH) in message
    assert window.current_page is window.create_page
    assert not vault_dir.exists()


def test_mismatched_passphrases_are_refused(
    qtbot: QtBot, window: VaultWindow, vault_dir: Path
) -> None:
    fill_create_form(qtbot, window, PASSPHRASE, PASSPHRASE + "!")
    qtbot.mouseClick(window.create_page.create_button, Qt.MouseButton.LeftButton)
    assert window.create_page.error_label.text() == describe(VaultError("passphrase_mismatch"))
    assert not vault_dir.exists()


def test_create_button_waits_for_name_and_passphrases(qtbot: QtBot, window: VaultWindow) -> None:
    page = window.create_page
    assert not page.create_button.isEnabled()
    qtbot.keyClicks(page.passphrase_edit, PASSPHRASE)
    qtbot.keyClicks(page.confirm_edit, PASSPHRASE)
    assert not page.create_button.isEnabled()
    qtbot.keyClicks(page.name_edit, "Aida K.")
    assert page.create_button.isEnabled()


def test_remember_on_this_computer_needs_a_keyring(qtbot: QtBot, tmp_path: Path) -> None:
    without = open_window(qtbot, tmp_path / "a", device_store=FakeKeyring(usable=False))
    assert not without.create_page.remember_box.isEnabled()
    assert "keyring" in without.create_page.remember_note.text()

    keyring = FakeKeyring(usable=True)
    with_keyring = open_window(qtbot, tmp_path / "b", device_store=keyring)
    page = with_keyring.create_page
    assert page.remember_box.isEnabled()
    tick(qtbot, page.remember_box)
    create_through_window(qtbot, with_keyring)
    assert len(keyring.secrets) == 1  # the vault is tied to this (fake) keyring


def test_opens_on_unlock_page_for_an_existing_vault(
    qtbot: QtBot, created_vault: tuple[UnlockedVault, str], vault_dir: Path
) -> None:
    created_vault[0].lock()
    window = open_window(qtbot, vault_dir)
    assert window.current_page is window.unlock_page
    assert not window.unlock_page.unlock_button.isEnabled()


def test_hostile_record_text_is_shown_as_plain_text(
    qtbot: QtBot, vault: UnlockedVault, vault_dir: Path
) -> None:
    markup = "<b>bold</b> <img src='x'> <a href='http://example.org'>link</a>"
    vault.records.add_many(
        "place",
        [{"name": text, "place_type": "other"} for text in [*HOSTILE_TEXTS, markup]],
    )
    window = open_window(qtbot, vault_dir, vault=vault)
    hits = search(qtbot, window, "bold")
    assert len(hits) == 1 and "<b>bold</b>" in hits[0]
    for label in window.main_view.findChildren(QLabel):
        assert label.textFormat() == Qt.TextFormat.PlainText
    assert search(qtbot, window, "酷刑")


def start_recorded_unlock(
    qtbot: QtBot,
    created_vault: tuple[UnlockedVault, str],
    vault_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[VaultWindow, list[UnlockedVault]]:
    """Lock the fixture's vault, then start unlocking it through a window; every vault the
    background job opens is recorded."""
    created_vault[0].lock()
    opened: list[UnlockedVault] = []
    real_unlock = lifecycle.unlock

    def recording_unlock(*args: Any, **kwargs: Any) -> UnlockedVault:
        opened.append(real_unlock(*args, **kwargs))
        return opened[-1]

    monkeypatch.setattr(vault_window.lifecycle, "unlock", recording_unlock)
    window = open_window(qtbot, vault_dir)
    qtbot.keyClicks(window.unlock_page.passphrase_edit, PASSPHRASE)
    qtbot.keyClick(window.unlock_page.passphrase_edit, Qt.Key.Key_Return)
    return window, opened


def test_lock_while_unlocking_discards_the_vault(
    qtbot: QtBot,
    created_vault: tuple[UnlockedVault, str],
    vault_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window, opened = start_recorded_unlock(qtbot, created_vault, vault_dir, monkeypatch)
    window.lock_now()
    # The abandoned job ends, its vault is locked, and every report it queued is delivered.
    qtbot.waitUntil(lambda: not window._runner.running, timeout=TIMEOUT_MS)
    QApplication.sendPostedEvents()
    assert len(opened) == 1 and opened[0].is_locked
    assert window.vault is None
    assert window.current_page is window.unlock_page


def test_closing_while_unlocking_locks_the_late_vault(
    qtbot: QtBot,
    created_vault: tuple[UnlockedVault, str],
    vault_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window, opened = start_recorded_unlock(qtbot, created_vault, vault_dir, monkeypatch)
    window.close()  # waits for the job
    assert len(opened) == 1 and opened[0].is_locked
    assert window.vault is None


def test_showing_a_vault_never_waits_behind_a_long_background_read(
    qtbot: QtBot, vault: UnlockedVault, vault_dir: Path
) -> None:
    # At a million records a background read (the word forms' catch-up, a count) holds the
    # vault for seconds; the window must not freeze waiting for it to show the vault.
    import threading

    window = open_window(qtbot, vault_dir, vault=vault)
    holding, release = threading.Event(), threading.Event()
    outcome: dict[str, bool] = {}

    def long_read() -> None:
        with vault.reading():
            holding.set()
            outcome["waited_out"] = not release.wait(10)

    holder = threading.Thread(target=long_read)
    holder.start()
    try:
        assert holding.wait(10)
        window.main_view.show_vault(vault)
        released_in_time = not release.is_set()
        assert window.main_view.name_label.text() == vault.name
    finally:
        release.set()
        holder.join()
    assert released_in_time and outcome == {"waited_out": False}
