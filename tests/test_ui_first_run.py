"""The screens of a locked app: the passphrase strength shown while creating a vault, and
opening a vault kept in another folder (a USB stick) for this run only."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from monitor_app import locations
from monitor_app.vault import lifecycle
from monitor_app.vault.lifecycle import MIN_PASSPHRASE_LENGTH
from tests.conftest import PASSPHRASE
from tests.host_tools import activate_portable
from tests.ui_tools import keep_windows, open_window, type_text
from ui.access.create_page import CreatePage
from ui.access.strength_meter import advice, level_text
from ui.access.unlock_page import UnlockPage
from ui.shell.vault_window import VaultWindow, no_vault_message

__all__ = ["keep_windows"]  # an autouse fixture

pytestmark = pytest.mark.gui
TIMEOUT_MS = 30_000
STRONG = "purple lantern quietly ferment orbit"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """The folder the app starts with; it holds no vault."""
    return tmp_path / "home" / "vault"


@pytest.fixture
def window(qtbot: QtBot, home: Path) -> VaultWindow:
    return open_window(qtbot, home)


@pytest.fixture
def stick_vault(tmp_path: Path) -> Path:
    """A locked vault on a "USB stick", set up as the app's portable mode leaves it."""
    path = tmp_path / "stick" / locations.PORTABLE_DIR_NAME / "vault"
    vault, _code = lifecycle.create_vault(path, PASSPHRASE, name="Stick")
    vault.lock()
    return path


def label_texts(window: VaultWindow) -> list[str]:
    return [label.text() for label in window.findChildren(QLabel)]


def choose(window: VaultWindow, folder: Path | str) -> list[str]:
    """Make the window's folder chooser answer ``folder``; returns the captions it was
    asked with."""
    asked: list[str] = []

    def chooser(parent: object, caption: str) -> str:
        asked.append(caption)
        return str(folder)

    window.choose_folder = chooser
    return asked


def open_folder(
    qtbot: QtBot, window: VaultWindow, page: CreatePage | UnlockPage, folder: Path | str
) -> None:
    """Press the page's "Open an existing vault folder…", the chooser answering ``folder``."""
    choose(window, folder)
    qtbot.mouseClick(page.open_folder_button, Qt.MouseButton.LeftButton)


# -- passphrase strength ---------------------------------------------------------------------
def test_strength_follows_typing(qtbot: QtBot, window: VaultWindow) -> None:
    page = window.create_page
    meter = page.strength_meter
    assert meter.strength is None and meter.level_label.text() == ""
    assert not meter.bar.isVisible()

    qtbot.keyClicks(page.passphrase_edit, "qwerty")
    assert meter.strength is not None and meter.strength.level == "too_short"
    assert meter.level_label.text() == level_text("too_short")
    assert str(MIN_PASSPHRASE_LENGTH) in meter.advice_label.text()
    assert meter.bar.isVisible() and meter.bar.value() == 1

    qtbot.keyClicks(page.passphrase_edit, "uiop")  # qwertyuiop: long enough, a keyboard row
    assert (meter.strength.level, meter.strength.reason) == ("weak", "sequence")
    assert meter.level_label.text() == level_text("weak")
    assert meter.advice_label.text() == advice(meter.strength)
    assert meter.bar.value() == 2

    page.passphrase_edit.clear()
    assert meter.strength is None and meter.advice_label.text() == ""
    qtbot.keyClicks(page.passphrase_edit, "purple lantern quietly ferment")
    assert meter.strength.level == "fair"
    assert "one more" in meter.advice_label.text()
    qtbot.keyClicks(page.passphrase_edit, " orbit")
    assert meter.strength.level == "strong"
    assert meter.level_label.text() == level_text("strong")
    assert meter.bar.value() == 4
    for word in STRONG.split():
        assert not any(word in text for text in label_texts(window)), "never shown"


def test_strength_counts_code_points_in_any_script(qtbot: QtBot, window: VaultWindow) -> None:
    page, meter = window.create_page, window.create_page.strength_meter
    type_text(qtbot, page.passphrase_edit, "我们的祖国是花园花")  # 9 characters
    assert meter.strength is not None and meter.strength.level == "too_short"
    type_text(qtbot, page.passphrase_edit, "园")
    assert meter.strength.level != "too_short"
    page.passphrase_edit.clear()
    type_text(qtbot, page.passphrase_edit, "синий трамвай молчит утром вдали")
    assert meter.strength.level == "strong"


def test_strength_knows_the_name_typed_above(qtbot: QtBot, window: VaultWindow) -> None:
    page, meter = window.create_page, window.create_page.strength_meter
    qtbot.keyClicks(page.passphrase_edit, "aida loves mountains")
    assert meter.strength is not None and meter.strength.reason != "personal"
    qtbot.keyClicks(page.name_edit, "Aida K.")  # the feedback follows the name too
    assert meter.strength.reason == "personal"
    assert meter.advice_label.text() == advice(meter.strength)


def test_a_weak_passphrase_is_warned_about_but_allowed(
    qtbot: QtBot, window: VaultWindow, home: Path
) -> None:
    page = window.create_page
    qtbot.keyClicks(page.name_edit, "Aida K.")
    qtbot.keyClicks(page.passphrase_edit, PASSPHRASE)  # a famous one: weak
    qtbot.keyClicks(page.confirm_edit, PASSPHRASE)
    assert page.strength_meter.strength is not None
    assert page.strength_meter.strength.level == "weak"
    assert page.create_button.isEnabled()
    with qtbot.waitSignal(window.vault_opened, timeout=TIMEOUT_MS):
        qtbot.mouseClick(page.create_button, Qt.MouseButton.LeftButton)
    assert lifecycle.is_vault_dir(home)
    # The field was emptied on submit, and the feedback with it.
    assert page.strength_meter.strength is None
    assert page.strength_meter.level_label.text() == ""


# -- another vault folder --------------------------------------------------------------------
def test_open_a_vault_folder_from_the_create_screen(
    qtbot: QtBot, window: VaultWindow, home: Path, stick_vault: Path
) -> None:
    assert window.current_page is window.create_page
    asked = choose(window, stick_vault)
    qtbot.mouseClick(window.create_page.open_folder_button, Qt.MouseButton.LeftButton)
    assert len(asked) == 1
    assert window.current_page is window.unlock_page
    assert window.vault_path == stick_vault
    assert window.unlock_page.where_label.text() == str(stick_vault)
    assert window.unlock_page.create_button.isVisible()  # the usual folder has no vault

    unlock_page = window.unlock_page
    qtbot.keyClicks(unlock_page.passphrase_edit, PASSPHRASE)
    with qtbot.waitSignal(window.vault_opened, timeout=TIMEOUT_MS):
        qtbot.keyClick(unlock_page.passphrase_edit, Qt.Key.Key_Return)
    assert window.vault is not None and window.vault.path == stick_vault
    assert window.current_page is window.main_view

    with qtbot.waitSignal(window.vault_locked, timeout=TIMEOUT_MS):
        window.lock_now()
    assert window.current_page is window.unlock_page  # still the stick's vault
    assert window.vault_path == stick_vault
    assert not home.exists(), "nothing was written to the usual folder"


def test_a_folder_without_a_vault_is_explained(
    qtbot: QtBot, window: VaultWindow, home: Path, tmp_path: Path
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    open_folder(qtbot, window, window.create_page, empty)
    assert window.current_page is window.create_page
    assert window.vault_path == home
    error = window.create_page.error_label
    assert error.isVisible()
    assert error.text() == no_vault_message(empty)
    assert str(empty) in error.text() and "keyslots.json" in error.text()

    open_folder(qtbot, window, window.create_page, "")  # cancelled: nothing changes
    assert window.current_page is window.create_page
    assert error.text() == no_vault_message(empty)


def test_the_stick_itself_can_be_chosen(
    qtbot: QtBot, window: VaultWindow, stick_vault: Path
) -> None:
    stick = stick_vault.parents[1]  # the stick's root, as people tend to pick it
    open_folder(qtbot, window, window.create_page, stick)
    assert window.current_page is window.unlock_page
    assert window.vault_path == stick_vault


def test_open_another_vault_folder_from_the_unlock_screen(
    qtbot: QtBot, tmp_path: Path, stick_vault: Path
) -> None:
    usual = tmp_path / "usual"
    vault, _code = lifecycle.create_vault(usual, PASSPHRASE, name="Usual")
    vault.lock()
    window = open_window(qtbot, usual)
    page = window.unlock_page
    assert window.current_page is page

    empty = tmp_path / "empty"
    empty.mkdir()
    open_folder(qtbot, window, page, empty)
    assert window.vault_path == usual
    assert page.error_label.text() == no_vault_message(empty)

    open_folder(qtbot, window, page, stick_vault)
    assert window.vault_path == stick_vault
    assert page.where_label.text() == str(stick_vault)
    assert page.error_label.text() == ""
    assert not page.create_button.isVisible()  # the usual folder holds a vault

    open_folder(qtbot, window, page, usual)  # and back
    assert window.vault_path == usual
    qtbot.keyClicks(page.passphrase_edit, PASSPHRASE)
    with qtbot.waitSignal(window.vault_opened, timeout=TIMEOUT_MS):
        qtbot.keyClick(page.passphrase_edit, Qt.Key.Key_Return)
    assert window.vault is not None and window.vault.path == usual


def test_back_to_creating_a_vault(
    qtbot: QtBot, window: VaultWindow, home: Path, stick_vault: Path
) -> None:
    open_folder(qtbot, window, window.create_page, stick_vault)
    assert window.current_page is window.unlock_page
    qtbot.mouseClick(window.unlock_page.create_button, Qt.MouseButton.LeftButton)
    assert window.current_page is window.create_page
    assert window.vault_path == home


def test_a_vanished_stick_leads_back_to_the_usual_folder(
    qtbot: QtBot, window: VaultWindow, home: Path, stick_vault: Path
) -> None:
    open_folder(qtbot, window, window.create_page, stick_vault)
    assert window.current_page is window.unlock_page
    shutil.rmtree(stick_vault.parents[1])  # the stick was pulled out
    window.lock_now()
    assert window.current_page is window.create_page
    assert window.vault_path == home


def test_the_chosen_folder_is_not_remembered(
    qtbot: QtBot, tmp_path: Path, stick_vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    portable = activate_portable(tmp_path / "app", monkeypatch)
    home = portable.vault_dir
    window = open_window(qtbot, home)
    open_folder(qtbot, window, window.create_page, stick_vault)
    qtbot.keyClicks(window.unlock_page.passphrase_edit, PASSPHRASE)
    with qtbot.waitSignal(window.vault_opened, timeout=TIMEOUT_MS):
        qtbot.keyClick(window.unlock_page.passphrase_edit, Qt.Key.Key_Return)
    with qtbot.waitSignal(window.vault_locked, timeout=TIMEOUT_MS):
        window.lock_now()
    window.close()

    # Nothing the app keeps names the stick's folder, and the next start is a first run.
    data = portable.settings_dir.parent
    written = [path for path in data.rglob("*") if path.is_file()]
    for path in written:
        assert b"stick" not in path.read_bytes(), path
    again = open_window(qtbot, home)
    assert again.current_page is again.create_page
    assert again.vault_path == home


def test_the_demo_hint_belongs_to_the_usual_vault_only(
    qtbot: QtBot, tmp_path: Path, stick_vault: Path
) -> None:
    usual = tmp_path / "usual"
    vault, _code = lifecycle.create_vault(usual, PASSPHRASE, name="Usual")
    vault.lock()
    window = open_window(qtbot, usual, unlock_hint="Demo vault passphrase: demo")
    page = window.unlock_page
    assert page.hint_label.isVisible()
    open_folder(qtbot, window, page, stick_vault)
    assert not page.hint_label.isVisible()
    open_folder(qtbot, window, page, usual)
    assert page.hint_label.isVisible()
