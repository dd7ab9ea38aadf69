"""The main window: one screen at a time (create, recovery code, unlock, the main view) and Lock.

The window holds the one ``UnlockedVault`` reference of the app. Locking (the Lock button,
Ctrl+L, or closing the window) first blanks every widget and model that showed vault content
and abandons every background read, then shows the unlock screen and locks the vault in the
background: closing the database wipes SQLCipher's page cache, which takes a third of a second
once the lists have read a large vault, and the blank screen must not wait for it.

While a vault is unlocked, ``AutoLock`` (ui/auto_lock.py) locks it through ``lock_now`` after
the delay chosen in Settings without input, or when the computer has been asleep.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QDialog, QMainWindow, QStackedWidget, QVBoxLayout, QWidget

from monitor_app import settings
from monitor_app.errors import MonitorError
from monitor_app.i18n import _
from monitor_app.jobs import CancelToken, Progress
from monitor_app.vault import database, keyslots, lifecycle
from monitor_app.vault.device_secret import DeviceSecretStore, default_store
from monitor_app.vault.session import UnlockedVault
from ui.auto_lock import AutoLock
from ui.create_page import CreatePage, CreateRequest
from ui.main_view import MainView
from ui.recovery_page import RecoveryCodePage
from ui.unlock_page import UnlockPage
from ui.widgets import PlainTextLabel
from ui.workers import JobRunner

APP_TITLE = "monitor_app"
LOCK_SHORTCUT = QKeySequence("Ctrl+L")


def is_vault_dir(path: Path) -> bool:
    """Whether ``path`` holds a vault (or what is left of one, which unlock will explain)."""
    names = (keyslots.FILE_NAME, keyslots.NEXT_NAME, keyslots.PREV_NAME, database.DB_NAME)
    return path.is_dir() and any((path / name).exists() for name in names)


def _lock_quietly(vault: UnlockedVault) -> None:
    vault.lock()


def _lock_created(result: tuple[UnlockedVault, str]) -> None:
    result[0].lock()


class VaultWindow(QMainWindow):
    vault_opened = Signal()
    vault_locked = Signal()

    def __init__(
        self,
        vault_path: Path,
        *,
        device_store: DeviceSecretStore | None = None,
        vault: UnlockedVault | None = None,
        demo_banner: str = "",
        unlock_hint: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.vault_path = vault_path
        self._vault: UnlockedVault | None = None
        self._device_store = device_store or default_store()
        self._runner = JobRunner(self)
        self._closer = JobRunner(self)  # locks (closes) vaults off the GUI thread
        title = APP_TITLE + (" — DEMO" if demo_banner else "")
        self.setWindowTitle(title)
        self.resize(1100, 720)

        self.banner = PlainTextLabel(demo_banner, role="banner")
        self.banner.setWordWrap(True)
        self.banner.setVisible(bool(demo_banner))

        self.create_page = CreatePage(vault_path, self._device_store)
        self.recovery_page = RecoveryCodePage()
        self.unlock_page = UnlockPage(vault_path)
        self.unlock_page.set_hint(unlock_hint)
        self.main_view = MainView(device_store=self._device_store)
        self.stack = QStackedWidget()
        for page in (self.create_page, self.recovery_page, self.unlock_page, self.main_view):
            page.setProperty("role", "page")
            page_layout = page.layout()
            if page_layout is not None:
                page_layout.setContentsMargins(32, 24, 32, 24)
            self.stack.addWidget(page)

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.banner)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self.lock_action = QAction(_("Lock"), self)
        self.lock_action.setShortcut(LOCK_SHORTCUT)
        self.lock_action.triggered.connect(self.lock_now)
        self.addAction(self.lock_action)

        self.create_page.create_requested.connect(self._create)
        self.recovery_page.continued.connect(self._show_overview)
        self.unlock_page.unlock_requested.connect(self._unlock)
        self.main_view.lock_requested.connect(self.lock_now)
        self.auto_lock = AutoLock(self.lock_now, settings.load().auto_lock_minutes, self)
        self.main_view.settings_page.auto_lock_changed.connect(self.auto_lock.set_minutes)

        if vault is not None:
            self._vault = vault
            self._show_overview()
        elif is_vault_dir(vault_path):
            self._show(self.unlock_page)
        else:
            self._show(self.create_page)

    # -- state -----------------------------------------------------------------------------
    @property
    def vault(self) -> UnlockedVault | None:
        return self._vault

    @property
    def current_page(self) -> QWidget | None:
        return self.stack.currentWidget()

    def _show(self, page: QWidget) -> None:
        self.stack.setCurrentWidget(page)
        focus = {
            self.create_page: self.create_page.name_edit,
            self.unlock_page: self.unlock_page.passphrase_edit,
            self.main_view: self.main_view.search_edit,
        }.get(page)
        if focus is not None:
            focus.setFocus()

    # -- create ----------------------------------------------------------------------------
    @Slot(object)
    def _create(self, request: CreateRequest) -> None:
        if self._runner.busy:
            return
        path, store = self.vault_path, self._device_store

        def job(cancel: CancelToken, progress: Progress) -> tuple[UnlockedVault, str]:
            return lifecycle.create_vault(
                path,
                request.passphrase,
                name=request.name,
                organisation=request.organisation,
                use_device_secret=request.remember_on_device,
                device_store=store,
            )

        self.create_page.set_busy(True)
        self._runner.start(
            job, on_success=self._created, on_failure=self._create_failed, discard=_lock_created
        )

    def _created(self, result: Any) -> None:
        vault, code = result
        self._vault = vault
        self.auto_lock.start()  # the recovery code on screen is as secret as the records
        self.create_page.set_busy(False)
        self.create_page.clear()
        self.recovery_page.show_code(code)
        self._show(self.recovery_page)
        self.vault_opened.emit()

    def _create_failed(self, error: MonitorError) -> None:
        self.create_page.set_busy(False)
        self.create_page.show_error(error)

    # -- unlock ----------------------------------------------------------------------------
    @Slot(str)
    def _unlock(self, passphrase: str) -> None:
        if self._runner.busy:
            return
        path, store = self.vault_path, self._device_store

        def job(cancel: CancelToken, progress: Progress) -> UnlockedVault:
            # An abandoned unlock may still be deriving: kdf.derive_key makes this one wait.
            return lifecycle.unlock(path, passphrase, device_store=store)

        self.unlock_page.set_busy(True)
        self._runner.start(
            job, on_success=self._unlocked, on_failure=self._unlock_failed, discard=_lock_quietly
        )

    def _unlocked(self, vault: Any) -> None:
        self._vault = vault
        self.unlock_page.set_busy(False)
        self.unlock_page.clear()
        self._show_overview()
        self.vault_opened.emit()

    def _unlock_failed(self, error: MonitorError) -> None:
        self.unlock_page.set_busy(False)
        self.unlock_page.show_error(error)

    # -- main view and lock ----------------------------------------------------------------
    @Slot()
    def _show_overview(self) -> None:
        if self._vault is None or self._vault.is_locked:
            self.lock_now()
            return
        self.main_view.show_vault(self._vault)
        self._show(self.main_view)
        self.auto_lock.start()

    @Slot()
    def lock_now(self) -> None:
        """Blank every screen, show the unlock screen, and lock the vault. Never asks.

        The window forgets the vault at once; the vault itself is locked in the background,
        and ``vault_locked`` is emitted when its database is closed and its key wiped."""
        self.auto_lock.stop()  # until the next unlock; also takes its event filter off
        # A create or unlock still running is cancelled: its vault is locked when it arrives.
        self._runner.cancel()
        self.create_page.set_busy(False)
        self.unlock_page.set_busy(False)
        # Every page, model and box that showed the vault; background reads are abandoned
        # mid-statement, so locking below does not wait for them.
        self.main_view.clear()
        self.recovery_page.clear()
        self.unlock_page.clear()
        # A question still open (a reason being typed, a file being chosen) goes too, so that
        # nothing typed into it stays on screen; its caller sees it cancelled.
        for dialog in self.findChildren(QDialog):
            if dialog.isVisible():
                dialog.reject()
        vault, self._vault = self._vault, None
        self._show(self.unlock_page if is_vault_dir(self.vault_path) else self.create_page)
        if vault is not None:
            self._close(vault)

    def _close(self, vault: UnlockedVault) -> None:
        if self._closer.busy:
            # Locked again while the previous vault is still closing (an unlock takes a
            # second, so hardly ever): this one closes here.
            vault.lock()
            self.vault_locked.emit()
            return

        def close(cancel: CancelToken, progress: Progress) -> None:
            vault.lock()

        self._closer.start(close, on_success=self._closed, on_failure=self._closed)

    def _closed(self, _result: object) -> None:
        self.vault_locked.emit()

    def shutdown(self) -> None:
        """Stop any running job (waiting for it) and lock, waiting until the vault is closed.
        Safe to call more than once."""
        self._runner.shutdown()
        self.lock_now()
        self._closer.shutdown()  # the vault is locked when this returns
        self.main_view.shutdown()  # waits for the abandoned reads' threads to end

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)
