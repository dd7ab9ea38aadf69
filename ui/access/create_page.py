"""The first screen on a computer without a vault: name, organisation, passphrase.

The passphrase's strength is shown as it is typed (ui/access/strength_meter.py). Only the minimum
length is a rule: a weak passphrase is warned about, not refused, because the estimate is
rough, a passphrase the person can remember under stress beats one written down, and a
blocking meter teaches "Password1!" more than it teaches good passphrases.

A vault carried elsewhere (a USB stick) is opened with "Open an existing vault folder…": the
window asks for the folder (ui/shell/vault_window.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QWidget,
)

from monitor_app.errors import MonitorError, VaultError
from monitor_app.i18n import _, ngettext
from monitor_app.messages import describe
from monitor_app.vault.device_secret import DeviceSecretStore
from monitor_app.vault.lifecycle import MIN_PASSPHRASE_LENGTH
from ui.access.strength_meter import StrengthMeter
from ui.common.widgets import ErrorLabel, PassphraseEdit, PlainTextLabel, scrolling_layout


def keyring_explanation(reason: str) -> str:
    """Why "remember on this computer" cannot be offered, for OsKeyringStore's reason code."""
    if reason == "no_keyring_backend":
        return _(
            "Not available: this computer has no system keyring (such as GNOME Keyring, "
            "KWallet, the macOS Keychain or the Windows Credential Manager). The vault works "
            "well without it."
        )
    if reason == "no_os_keyring":
        return _(
            "Not available: this computer has no system keyring the app can trust (the only "
            "one found keeps secrets in a plain file). The vault works well without it."
        )
    if reason == "portable_mode":
        return _(
            "Not available in portable mode: the app leaves nothing on the computer it runs "
            "on, not even in its keyring."
        )
    return _("Not available: this computer has no usable system keyring.")


@dataclass(frozen=True)
class CreateRequest:
    name: str
    organisation: str | None
    passphrase: str = field(repr=False)
    remember_on_device: bool


def accept_new_passphrase(
    passphrase_edit: QLineEdit, confirm_edit: QLineEdit, show_error: Callable[[VaultError], None]
) -> bool:
    """The checks on a new passphrase that need no key derivation (length, the two typed the
    same), with the refusal shown and the cursor where the fix goes; also used by recovery."""
    passphrase = passphrase_edit.text()
    if len(passphrase) < MIN_PASSPHRASE_LENGTH:
        show_error(VaultError("passphrase_too_short", minimum=MIN_PASSPHRASE_LENGTH))
        passphrase_edit.setFocus()
        return False
    if passphrase != confirm_edit.text():
        show_error(VaultError("passphrase_mismatch"))
        confirm_edit.clear()
        confirm_edit.setFocus()
        return False
    return True


class CreatePage(QWidget):
    """Collects what ``lifecycle.create_vault`` needs; the window runs it off the GUI thread."""

    create_requested = Signal(object)  # CreateRequest
    open_folder_requested = Signal()  # "Open an existing vault folder…"

    def __init__(
        self, vault_path: Path, device_store: DeviceSecretStore, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.heading = PlainTextLabel(_("Create a vault"), role="heading")
        where = PlainTextLabel(
            _("Records are kept encrypted in this folder: {path}").format(path=vault_path),
            role="muted",
        )
        where.setWordWrap(True)
        elsewhere = PlainTextLabel(_("Already have a vault, for example on a USB stick?"))
        elsewhere.setWordWrap(True)
        self.open_folder_button = QPushButton(_("Open an existing vault folder…"))
        self.open_folder_button.clicked.connect(self.open_folder_requested)
        elsewhere_row = QHBoxLayout()
        elsewhere_row.addWidget(elsewhere, 1)
        elsewhere_row.addWidget(self.open_folder_button)

        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText(_("Your name or monitor code, shown as the author"))
        self.organisation_edit = QLineEdit()
        self.organisation_edit.setPlaceholderText(_("Optional"))
        self.passphrase_edit = PassphraseEdit(
            ngettext(
                "At least {n} character", "At least {n} characters", MIN_PASSPHRASE_LENGTH
            ).format(n=MIN_PASSPHRASE_LENGTH)
        )
        self.confirm_edit = PassphraseEdit(_("The same passphrase again"))
        self.strength_meter = StrengthMeter()
        hint = PlainTextLabel(
            _("A few unrelated words you can remember work well. It cannot be reset by anyone."),
            role="muted",
        )
        hint.setWordWrap(True)

        form = QFormLayout()
        form.addRow(_("Name"), self.name_edit)
        form.addRow(_("Organisation"), self.organisation_edit)
        form.addRow(_("Passphrase"), self.passphrase_edit)
        form.addRow("", self.strength_meter)
        form.addRow(_("Repeat passphrase"), self.confirm_edit)
        form.addRow("", hint)

        self.remember_box = QCheckBox(_("Remember on this computer (system keyring)"))
        self.remember_note = PlainTextLabel(role="muted")
        self.remember_note.setWordWrap(True)
        self._set_up_device_secret(device_store)

        recovery_note = PlainTextLabel(
            _(
                "Next you will see a recovery code, once. Write it on paper and keep it away "
                "from this computer: it is the only way back in if the passphrase is lost."
            ),
            role="note",
        )
        recovery_note.setWordWrap(True)

        self.error_label = ErrorLabel()
        self.status_label = PlainTextLabel(role="muted")
        self.create_button = QPushButton(_("Create vault"))
        self.create_button.setProperty("primary", True)
        self.create_button.setDefault(True)
        self.create_button.setEnabled(False)
        self.create_button.clicked.connect(self._submit)
        for edit in (self.name_edit, self.passphrase_edit, self.confirm_edit):
            edit.textChanged.connect(self._update_button)
            edit.returnPressed.connect(self._submit)
        for edit in (self.name_edit, self.organisation_edit, self.passphrase_edit):
            edit.textChanged.connect(self._update_strength)

        buttons = QHBoxLayout()
        buttons.addWidget(self.status_label, 1)
        buttons.addWidget(self.create_button)

        layout = scrolling_layout(self)
        layout.addWidget(self.heading)
        layout.addWidget(where)
        layout.addLayout(elsewhere_row)
        layout.addSpacing(8)
        layout.addLayout(form)
        layout.addWidget(self.remember_box)
        layout.addWidget(self.remember_note)
        layout.addSpacing(8)
        layout.addWidget(recovery_note)
        layout.addWidget(self.error_label)
        layout.addStretch(1)
        layout.addLayout(buttons)
        self._busy = False

    def _set_up_device_secret(self, store: DeviceSecretStore) -> None:
        try:
            usable, reason = store.available()
        except Exception:
            usable, reason = False, ""
        self.remember_box.setEnabled(usable)
        self.remember_box.setChecked(False)
        if usable:
            self.remember_note.setText(
                _(
                    "A copy of the vault taken off this computer then also needs this "
                    "computer's keyring. On another computer, use the recovery code."
                )
            )
        else:
            self.remember_note.setText(keyring_explanation(reason))

    # -- state -----------------------------------------------------------------------------
    def set_busy(self, busy: bool) -> None:
        self._busy = busy
        for widget in (
            self.name_edit,
            self.organisation_edit,
            self.passphrase_edit,
            self.confirm_edit,
            self.open_folder_button,
        ):
            widget.setEnabled(not busy)
        self.status_label.setText(
            _("Creating the vault. This takes a few seconds…") if busy else ""
        )
        self._update_button()

    def show_error(self, error: MonitorError) -> None:
        self.error_label.show_message(describe(error))

    def clear(self) -> None:
        for edit in (
            self.name_edit,
            self.organisation_edit,
            self.passphrase_edit,
            self.confirm_edit,
        ):
            edit.clear()
        self.error_label.clear()

    @Slot()
    def _update_strength(self) -> None:
        personal = (self.name_edit.text(), self.organisation_edit.text())
        self.strength_meter.show_for(self.passphrase_edit.text(), personal)

    @Slot()
    def _update_button(self) -> None:
        ready = bool(
            self.name_edit.text().strip()
            and self.passphrase_edit.text()
            and self.confirm_edit.text()
        )
        self.create_button.setEnabled(ready and not self._busy)

    @Slot()
    def _submit(self) -> None:
        if not self.create_button.isEnabled():
            return
        if not accept_new_passphrase(self.passphrase_edit, self.confirm_edit, self.show_error):
            return
        self.error_label.clear()
        request = CreateRequest(
            name=self.name_edit.text().strip(),
            organisation=self.organisation_edit.text().strip() or None,
            passphrase=self.passphrase_edit.take(),
            remember_on_device=self.remember_box.isEnabled() and self.remember_box.isChecked(),
        )
        self.confirm_edit.clear()
        self.create_requested.emit(request)
