"""Unlocking with the recovery code when the passphrase is lost, then setting a new one.

The code is checked group by group as it is typed (crypto/recovery_code.py: each group carries
a check character), so a typing mistake is named before the slow key derivation runs. The new
passphrase gets the same strength meter and minimum length as at creation. The window runs
``lifecycle.unlock_with_recovery_code`` and ``lifecycle.change_passphrase`` off the GUI thread.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import Signal, Slot
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from monitor_app.crypto import recovery_code
from monitor_app.errors import MonitorError
from monitor_app.i18n import _, ngettext
from monitor_app.messages import describe
from monitor_app.vault.lifecycle import MIN_PASSPHRASE_LENGTH
from ui.access.create_page import accept_new_passphrase
from ui.access.strength_meter import StrengthMeter
from ui.common.widgets import ErrorLabel, PassphraseEdit, PlainTextLabel

# Seven groups of five characters and six dashes: a complete code, as printed.
_FULL_LENGTH = recovery_code.GROUPS * recovery_code.GROUP_CHARS


@dataclass(frozen=True)
class RecoverRequest:
    code: str = field(repr=False)
    passphrase: str = field(repr=False)


def _typed_chars(text: str) -> int:
    return sum(1 for ch in text if ch not in " -\t\r\n")


class RecoverPage(QWidget):
    """Collects the recovery code and a new passphrase."""

    recover_requested = Signal(object)  # RecoverRequest
    back_requested = Signal()  # back to the passphrase

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        heading = PlainTextLabel(_("Unlock with the recovery code"), role="heading")
        explanation = PlainTextLabel(
            _(
                "Type the recovery code written down when the vault was created: seven groups "
                "of five characters. Then choose a new passphrase; the old one stops working."
            )
        )
        explanation.setWordWrap(True)

        # Shown as typed, unlike a passphrase: it is copied from paper, and a group named as
        # mistyped must be readable to be corrected. It keeps the passphrase field's other
        # guards (no prediction, no context menu) and is wiped on lock and after use.
        self.code_edit = PassphraseEdit(_("Seven groups of five characters, as written down"))
        self.code_edit.setEchoMode(QLineEdit.EchoMode.Normal)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setStyleHint(QFont.StyleHint.Monospace)
        self.code_edit.setFont(font)
        self.code_status = PlainTextLabel(role="muted")
        self.code_status.setWordWrap(True)
        self.passphrase_edit = PassphraseEdit(
            ngettext(
                "At least {n} character", "At least {n} characters", MIN_PASSPHRASE_LENGTH
            ).format(n=MIN_PASSPHRASE_LENGTH)
        )
        self.confirm_edit = PassphraseEdit(_("The same passphrase again"))
        self.strength_meter = StrengthMeter()

        form = QFormLayout()
        form.addRow(_("Recovery code"), self.code_edit)
        form.addRow("", self.code_status)
        form.addRow(_("New passphrase"), self.passphrase_edit)
        form.addRow("", self.strength_meter)
        form.addRow(_("Repeat passphrase"), self.confirm_edit)

        self.error_label = ErrorLabel()
        self.status_label = PlainTextLabel(role="muted")
        self.back_button = QPushButton(_("Back"))
        self.back_button.clicked.connect(self.back_requested)
        self.recover_button = QPushButton(_("Unlock and set the new passphrase"))
        self.recover_button.setProperty("primary", True)
        self.recover_button.setDefault(True)
        self.recover_button.setEnabled(False)
        self.recover_button.clicked.connect(self._submit)
        self.code_edit.textChanged.connect(self._check_code)
        for edit in (self.code_edit, self.passphrase_edit, self.confirm_edit):
            edit.textChanged.connect(self._update_button)
            edit.returnPressed.connect(self._submit)
        self.passphrase_edit.textChanged.connect(self._update_strength)

        buttons = QHBoxLayout()
        buttons.addWidget(self.back_button)
        buttons.addWidget(self.status_label, 1)
        buttons.addWidget(self.recover_button)

        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(explanation)
        layout.addSpacing(8)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addStretch(1)
        layout.addLayout(buttons)
        self._busy = False
        self._code_ok = False

    # -- state -----------------------------------------------------------------------------
    def set_busy(self, busy: bool) -> None:
        self._busy = busy
        for widget in (self.code_edit, self.passphrase_edit, self.confirm_edit, self.back_button):
            widget.setEnabled(not busy)
        self.status_label.setText(
            _("Unlocking and setting the new passphrase. This takes a few seconds…") if busy else ""
        )
        self._update_button()

    def show_error(self, error: MonitorError) -> None:
        self.error_label.show_message(describe(error))

    def start(self) -> None:
        """Shown afresh: nothing left from an earlier attempt, the cursor in the code."""
        self.clear()
        self.code_edit.setFocus()

    def clear(self) -> None:
        for edit in (self.code_edit, self.passphrase_edit, self.confirm_edit):
            edit.clear()
        self.code_status.clear()
        self.error_label.clear()
        self._code_ok = False
        self._update_button()

    # -- checks as typed ---------------------------------------------------------------------
    @Slot()
    def _check_code(self) -> None:
        """Name a mistyped group as soon as the whole code is there; parse is instant."""
        text = self.code_edit.text()
        self._code_ok = False
        if _typed_chars(text) < _FULL_LENGTH:
            self.code_status.setText(
                _("Characters: {typed} of {total}").format(
                    typed=_typed_chars(text), total=_FULL_LENGTH
                )
                if text
                else ""
            )
            return
        try:
            recovery_code.parse(text)
        except MonitorError as exc:
            self.code_status.setText(describe(exc))
            return
        self._code_ok = True
        self.code_status.setText(_("Every group checks out."))

    @Slot()
    def _update_strength(self) -> None:
        self.strength_meter.show_for(self.passphrase_edit.text(), ())

    @Slot()
    def _update_button(self) -> None:
        ready = self._code_ok and bool(self.passphrase_edit.text() and self.confirm_edit.text())
        self.recover_button.setEnabled(ready and not self._busy)

    @Slot()
    def _submit(self) -> None:
        if not self.recover_button.isEnabled():
            return
        if not accept_new_passphrase(self.passphrase_edit, self.confirm_edit, self.show_error):
            return
        self.error_label.clear()
        request = RecoverRequest(code=self.code_edit.take(), passphrase=self.passphrase_edit.take())
        self.confirm_edit.clear()
        self.recover_requested.emit(request)
