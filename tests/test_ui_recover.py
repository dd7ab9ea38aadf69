"""Unlocking with the recovery code from the unlock screen, and setting a new passphrase."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from monitor_app.errors import MonitorError, VaultError
from monitor_app.messages import describe
from monitor_app.vault import lifecycle
from monitor_app.vault.session import UnlockedVault
from tests.conftest import PASSPHRASE
from tests.ui_tools import keep_windows, open_window

__all__ = ["keep_windows"]  # an autouse fixture

pytestmark = pytest.mark.gui
TIMEOUT_MS = 30_000
NEW_PASSPHRASE = "a brand new passphrase for the vault"


def _typo(code: str, group: int) -> str:
    """The code with one character of ``group`` (1-based) changed."""
    groups = code.split("-")
    first = groups[group - 1][0]
    groups[group - 1] = ("1" if first != "1" else "2") + groups[group - 1][1:]
    return "-".join(groups)


def test_wrong_passphrase_leads_to_recovery_and_a_new_passphrase(
    qtbot: QtBot, created_vault: tuple[UnlockedVault, str], vault_dir: Path
) -> None:
    vault, code = created_vault
    vault.lock()
    window = open_window(qtbot, vault_dir)
    unlock = window.unlock_page
    qtbot.keyClicks(unlock.passphrase_edit, "not the passphrase at all")
    qtbot.keyClick(unlock.passphrase_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(unlock.error_label.text()), timeout=TIMEOUT_MS)
    assert unlock.error_label.text() == describe(VaultError("wrong_passphrase"))

    # The message names the recovery code: the screen offers it.
    assert unlock.recover_button.isVisible()
    qtbot.mouseClick(unlock.recover_button, Qt.MouseButton.LeftButton)
    page = window.recover_page
    assert window.current_page is page

    # A typing mistake is named, group by group, before any key derivation runs.
    qtbot.keyClicks(page.code_edit, _typo(code, 3))
    assert page.code_status.text() == describe(MonitorError("recovery_code_typo", group=3))
    qtbot.keyClicks(page.passphrase_edit, NEW_PASSPHRASE)
    qtbot.keyClicks(page.confirm_edit, NEW_PASSPHRASE)
    assert not page.recover_button.isEnabled()
    page.code_edit.clear()
    qtbot.keyClicks(page.code_edit, code.lower().replace("-", " "))  # forgiving input
    assert page.recover_button.isEnabled()

    with qtbot.waitSignal(window.vault_opened, timeout=TIMEOUT_MS):
        qtbot.mouseClick(page.recover_button, Qt.MouseButton.LeftButton)
        assert page.status_label.text()  # busy, while the work runs on a worker
    assert window.current_page is window.main_view
    assert page.code_edit.text() == page.passphrase_edit.text() == ""

    # The new passphrase works, the old one no longer does.
    with qtbot.waitSignal(window.vault_locked, timeout=TIMEOUT_MS):
        window.lock_now()
    with pytest.raises(VaultError) as refused:
        lifecycle.unlock(vault_dir, PASSPHRASE)
    assert refused.value.code == "wrong_passphrase"
    lifecycle.unlock(vault_dir, NEW_PASSPHRASE).lock()


def test_a_code_of_another_vault_is_refused_and_back_returns(
    qtbot: QtBot, created_vault: tuple[UnlockedVault, str], vault_dir: Path, tmp_path: Path
) -> None:
    created_vault[0].lock()
    other, other_code = lifecycle.create_vault(
        tmp_path / "other", PASSPHRASE, name="Other", organisation="O"
    )
    other.lock()
    window = open_window(qtbot, vault_dir)
    qtbot.mouseClick(window.unlock_page.recover_button, Qt.MouseButton.LeftButton)
    page = window.recover_page
    qtbot.keyClicks(page.code_edit, other_code)
    qtbot.keyClicks(page.passphrase_edit, NEW_PASSPHRASE)
    qtbot.keyClicks(page.confirm_edit, NEW_PASSPHRASE)
    qtbot.mouseClick(page.recover_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(page.error_label.text()), timeout=TIMEOUT_MS)
    assert page.error_label.text() == describe(VaultError("wrong_recovery_code"))
    assert window.vault is None
    lifecycle.unlock(vault_dir, PASSPHRASE).lock()  # nothing changed

    qtbot.mouseClick(page.back_button, Qt.MouseButton.LeftButton)
    assert window.current_page is window.unlock_page
