"""Passphrase entry for an existing vault, and a way to another vault folder (a USB stick)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from monitor_app.errors import MonitorError
from monitor_app.i18n import _
from monitor_app.messages import describe
from ui.common.widgets import ErrorLabel, PassphraseEdit, PlainTextLabel


class UnlockPage(QWidget):
    """Emits the passphrase; the window runs ``lifecycle.unlock`` off the GUI thread."""

    unlock_requested = Signal(str)
    open_folder_requested = Signal()  # "Open another vault folder…": the window asks which
    create_requested = Signal()  # back to creating a vault, when the usual folder has none
    recover_requested = Signal()  # the passphrase is lost: to the recovery code page

    def __init__(self, vault_path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        heading = PlainTextLabel(_("Unlock the vault"), role="heading")
        self.where_label = PlainTextLabel(str(vault_path), role="muted")
        self.where_label.setWordWrap(True)
        self.hint_label = PlainTextLabel(role="note")
        self.hint_label.setWordWrap(True)
        self.hint_label.setVisible(False)
        self.locked_label = PlainTextLabel(role="note")  # why it locked by itself, if it did
        self.locked_label.setWordWrap(True)
        self.locked_label.setVisible(False)

        self.passphrase_edit = PassphraseEdit(_("Passphrase"))
        self.passphrase_edit.returnPressed.connect(self._submit)
        self.passphrase_edit.textChanged.connect(self._update_button)
        form = QFormLayout()
        form.addRow(_("Passphrase"), self.passphrase_edit)

        self.error_label = ErrorLabel()
        self.status_label = PlainTextLabel(role="muted")
        self.unlock_button = QPushButton(_("Unlock"))
        self.unlock_button.setProperty("primary", True)
        self.unlock_button.setDefault(True)
        self.unlock_button.setEnabled(False)
        self.unlock_button.clicked.connect(self._submit)
        self.open_folder_button = QPushButton(_("Open another vault folder…"))
        self.open_folder_button.clicked.connect(self.open_folder_requested)
        self.create_button = QPushButton(_("Create a new vault instead"))
        self.create_button.clicked.connect(self.create_requested)
        self.create_button.setVisible(False)
        # Under the field, not in the button row: the wrong-passphrase message points here,
        # and the row has no room left for it in Kyrgyz or Russian on a small screen.
        self.recover_button = QPushButton(_("Lost the passphrase? Use the recovery code…"))
        self.recover_button.setFlat(True)
        self.recover_button.clicked.connect(self.recover_requested)
        recover_row = QHBoxLayout()
        recover_row.addWidget(self.recover_button)
        recover_row.addStretch(1)

        buttons = QHBoxLayout()
        buttons.addWidget(self.open_folder_button)
        buttons.addWidget(self.create_button)
        buttons.addWidget(self.status_label, 1)
        buttons.addWidget(self.unlock_button)

        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.where_label)
        layout.addWidget(self.hint_label)
        layout.addWidget(self.locked_label)
        layout.addSpacing(8)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addLayout(recover_row)
        layout.addStretch(1)
        layout.addLayout(buttons)
        self._busy = False

    def set_hint(self, text: str) -> None:
        """A standing note above the field (the demo passphrase, in demo mode)."""
        self.hint_label.setText(text)
        self.hint_label.setVisible(bool(text))

    def set_lock_reason(self, text: str) -> None:
        """Why the vault locked by itself ("" after a lock by hand): stays until the next
        lock or another vault folder, through wrong passphrases."""
        self.locked_label.setText(text)
        self.locked_label.setVisible(bool(text))

    def set_vault_path(self, vault_path: Path, *, can_create: bool = False) -> None:
        """Unlock the vault in ``vault_path`` from now on; ``can_create``: offer to create a
        vault instead (the folder the app started with holds none)."""
        self.where_label.setText(str(vault_path))
        self.create_button.setVisible(can_create)
        self.set_lock_reason("")
        self.clear()

    def set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.passphrase_edit.setEnabled(not busy)
        self.open_folder_button.setEnabled(not busy)
        self.create_button.setEnabled(not busy)
        self.recover_button.setEnabled(not busy)
        self.status_label.setText(_("Unlocking…") if busy else "")
        self._update_button()
        if not busy:
            self.passphrase_edit.setFocus()

    def show_error(self, error: MonitorError) -> None:
        self.error_label.show_message(describe(error))

    def clear(self) -> None:
        self.passphrase_edit.clear()
        self.error_label.clear()

    @Slot()
    def _update_button(self) -> None:
        self.unlock_button.setEnabled(bool(self.passphrase_edit.text()) and not self._busy)

    @Slot()
    def _submit(self) -> None:
        if not self.unlock_button.isEnabled():
            return
        self.error_label.clear()
        self.unlock_requested.emit(self.passphrase_edit.take())
