"""The main window: one screen at a time (create, recovery code, unlock, recover, the main view)
and Lock.

The window holds the one ``UnlockedVault`` reference of the app. Locking (the Lock button,
Ctrl+L, or closing the window) first blanks every widget and model that showed vault content
and abandons every background read, then shows the unlock screen and locks the vault in the
background: closing the database wipes SQLCipher's page cache, which takes a third of a second
once the lists have read a large vault, and the blank screen must not wait for it.

The window starts on the vault folder the app was given (``--vault``, portable mode, or the
per-user default): the unlock screen if it holds a vault, the create screen if not. "Open an
existing vault folder…" (create screen) and "Open another vault folder…" (unlock screen)
switch to a vault elsewhere, such as on a USB stick, for this run only: the choice is not
remembered, so that a seized laptop does not say where a vault is carried (the app in
portable mode on the stick is the way to keep it there). A new vault is always created in the
folder the app started with.

While a vault is unlocked, ``AutoLock`` (ui/shell/auto_lock.py) locks it through ``lock_now`` after
the delay chosen in Settings without input, or when the computer has been asleep; the unlock
screen then says which, and whether unsaved work was kept as a draft.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QDialog, QMainWindow, QStackedWidget, QVBoxLayout, QWidget

from monitor_app import locations, settings
from monitor_app.errors import MonitorError
from monitor_app.i18n import _
from monitor_app.jobs import CancelToken, Progress
from monitor_app.vault import lifecycle
from monitor_app.vault.device_secret import DeviceSecretStore, default_store
from monitor_app.vault.session import UnlockedVault
from ui.access.create_page import CreatePage, CreateRequest
from ui.access.recover_page import RecoverPage, RecoverRequest
from ui.access.recovery_page import RecoveryCodePage
from ui.access.unlock_page import UnlockPage
from ui.common import file_dialogs
from ui.common.widgets import PlainTextLabel, isolate
from ui.common.workers import JobRunner
from ui.shell.auto_lock import AutoLock, lock_reason_text
from ui.shell.main_view import MainView

APP_TITLE = "monitor_app"
LOCK_SHORTCUT = QKeySequence("Ctrl+L")


def vault_in(folder: Path) -> Path | None:
    """The vault in the folder someone chose: the folder itself, or, when they chose the
    folder above it or a portable stick's folder, its ``vault`` or
    ``monitor_app-data/vault``. None if there is none."""
    candidates = (folder, folder / "vault", folder / locations.PORTABLE_DIR_NAME / "vault")
    return next((path for path in candidates if lifecycle.is_vault_dir(path)), None)


def no_vault_message(folder: Path) -> str:
    return _(
        "There is no vault in this folder: {path}. Choose the folder that holds the vault's "
        "files, keyslots.json and vault.db. On a USB stick set up for portable use, it is "
        "the folder monitor_app-data/vault."
    ).format(path=isolate(str(folder)))


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
        self.home_path = vault_path  # where a new vault is created
        self.vault_path = vault_path  # the vault to unlock: home_path or one chosen this run
        self._vault: UnlockedVault | None = None
        self._device_store = device_store or default_store()
        self._runner = JobRunner(self)
        # Asks for a vault folder; tests replace it instead of opening a modal dialog.
        self.choose_folder: Callable[[QWidget, str], str] = file_dialogs.existing_directory
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
        self._unlock_hint = unlock_hint  # the demo vault's passphrase: for home_path only
        self.unlock_page.set_hint(unlock_hint)
        self.recover_page = RecoverPage()
        self.main_view = MainView(device_store=self._device_store)
        self.stack = QStackedWidget()
        pages = (
            self.create_page,
            self.recovery_page,
            self.unlock_page,
            self.recover_page,
            self.main_view,
        )
        for page in pages:
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
        self.create_page.open_folder_requested.connect(self._choose_vault_folder)
        self.unlock_page.open_folder_requested.connect(self._choose_vault_folder)
        self.unlock_page.create_requested.connect(self._back_to_create)
        self.unlock_page.recover_requested.connect(self._show_recover)
        self.recover_page.recover_requested.connect(self._recover)
        self.recover_page.back_requested.connect(self._back_to_unlock)
        self.main_view.lock_requested.connect(self.lock_now)
        self.auto_lock = AutoLock(self._auto_locked, settings.load().auto_lock_minutes, self)
        self.main_view.settings_page.auto_lock_changed.connect(self.auto_lock.set_minutes)

        if vault is not None:
            self._vault = vault
            self._show_overview()
        else:
            self._show_locked_screen()

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
            self.recover_page: self.recover_page.code_edit,
            self.main_view: self.main_view.search_edit,
        }.get(page)
        if focus is not None:
            focus.setFocus()

    def _show_locked_screen(self) -> None:
        """The unlock screen for ``vault_path``, or, when no vault is there (none was ever
        made, or the stick it was on is gone), the folder the app started with."""
        if not lifecycle.is_vault_dir(self.vault_path) and self.vault_path != self.home_path:
            self._use_folder(self.home_path)
        self._show(
            self.unlock_page if lifecycle.is_vault_dir(self.vault_path) else self.create_page
        )

    def _use_folder(self, path: Path) -> None:
        self.vault_path = path
        can_create = path != self.home_path and not lifecycle.is_vault_dir(self.home_path)
        self.unlock_page.set_vault_path(path, can_create=can_create)
        self.unlock_page.set_hint(self._unlock_hint if path == self.home_path else "")

    # -- another vault folder --------------------------------------------------------------
    @Slot()
    def _choose_vault_folder(self) -> None:
        page = self.current_page
        if self._runner.busy or self._vault is not None or page is None:
            return
        chosen = self.choose_folder(page, _("Choose the vault folder"))
        if not chosen:
            return  # cancelled
        if self._vault is not None or self.current_page is not page:
            return  # the screen changed meanwhile
        self.open_vault_folder(Path(chosen))

    def open_vault_folder(self, folder: Path) -> bool:
        """Switch to the unlock screen for the vault in ``folder`` (see ``vault_in``), or say
        on the current screen that there is none there. Only for this run."""
        found = vault_in(folder)
        page = self.unlock_page if self.current_page is self.unlock_page else self.create_page
        if found is None:
            page.error_label.show_message(no_vault_message(folder))
            return False
        self.create_page.error_label.clear()
        self._use_folder(found)
        self._show(self.unlock_page)
        return True

    @Slot()
    def _back_to_create(self) -> None:
        if self._runner.busy or self._vault is not None:
            return
        self._use_folder(self.home_path)
        self._show_locked_screen()

    # -- create ----------------------------------------------------------------------------
    @Slot(object)
    def _create(self, request: CreateRequest) -> None:
        if self._runner.busy:
            return
        path, store = self.home_path, self._device_store

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
        self._use_folder(self.home_path)
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

    # -- recovery code -----------------------------------------------------------------------
    @Slot()
    def _show_recover(self) -> None:
        if self._runner.busy or self._vault is not None:
            return
        self.unlock_page.clear()
        self.recover_page.start()
        self._show(self.recover_page)

    @Slot()
    def _back_to_unlock(self) -> None:
        if self._runner.busy or self._vault is not None:
            return
        self.recover_page.clear()
        self._show_locked_screen()

    @Slot(object)
    def _recover(self, request: RecoverRequest) -> None:
        if self._runner.busy:
            return
        path, store = self.vault_path, self._device_store

        def job(cancel: CancelToken, progress: Progress) -> UnlockedVault:
            # What `monitorctl recover` does: the code opens the vault, then the passphrase
            # slot is replaced. A vault whose new passphrase could not be set is locked
            # again, so that it is never open without a passphrase that works.
            vault = lifecycle.unlock_with_recovery_code(path, request.code)
            try:
                lifecycle.change_passphrase(vault, request.passphrase, device_store=store)
            except BaseException:
                vault.lock()
                raise
            return vault

        self.recover_page.set_busy(True)
        self._runner.start(
            job, on_success=self._recovered, on_failure=self._recover_failed, discard=_lock_quietly
        )

    def _recovered(self, vault: Any) -> None:
        self._vault = vault
        self.recover_page.set_busy(False)
        self.recover_page.clear()
        self._show_overview()
        self.vault_opened.emit()

    def _recover_failed(self, error: MonitorError) -> None:
        self.recover_page.set_busy(False)
        self.recover_page.show_error(error)

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
        self.recover_page.set_busy(False)
        # Every page, model and box that showed the vault; background reads are abandoned
        # mid-statement, so locking below does not wait for them.
        self.main_view.clear()
        self.recovery_page.clear()
        self.unlock_page.clear()
        self.recover_page.clear()
        # A question still open (a reason being typed, a file being chosen) goes too, so that
        # nothing typed into it stays on screen; its caller sees it cancelled.
        for dialog in self.findChildren(QDialog):
            if dialog.isVisible():
                dialog.reject()
        vault, self._vault = self._vault, None
        self.unlock_page.set_lock_reason("")  # a lock by hand needs no explaining
        self._show_locked_screen()
        if vault is not None:
            self._close(vault)

    @Slot()
    def _auto_locked(self) -> None:
        """Lock as ``lock_now`` does, then say why on the unlock screen, and whether what was
        being typed is kept (the editor keeps it in an encrypted draft as the view clears)."""
        kept = self.main_view.editor_page.save_draft_now()
        self.lock_now()
        reason = lock_reason_text(self.auto_lock.expired_because, self.auto_lock.minutes, kept)
        self.unlock_page.set_lock_reason(reason)

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
