"""Shows the new vault's recovery code, once, until the person confirms writing it down."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from monitor_app.i18n import _
from ui.common.widgets import PlainTextLabel


class RecoveryCodePage(QWidget):
    continued = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        heading = PlainTextLabel(_("Write down your recovery code"), role="heading")
        explanation = PlainTextLabel(
            _(
                "If the passphrase is ever lost, this code is the only way to open the vault. "
                "It is shown only now. Write it on paper, check every group, and keep the paper "
                "somewhere safe and apart from this computer. Do not photograph it."
            )
        )
        explanation.setWordWrap(True)

        self.code_label = PlainTextLabel(role="code")
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setPointSize(max(font.pointSize(), 10) * 2)
        font.setStyleHint(QFont.StyleHint.Monospace)
        self.code_label.setFont(font)
        self.code_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.code_label.setWordWrap(True)

        self.confirm_box = QCheckBox(_("I have written down the recovery code"))
        self.continue_button = QPushButton(_("Continue"))
        self.continue_button.setProperty("primary", True)
        self.continue_button.setEnabled(False)
        self.confirm_box.toggled.connect(self.continue_button.setEnabled)
        self.continue_button.clicked.connect(self._continue)

        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.continue_button)

        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(explanation)
        layout.addSpacing(16)
        layout.addWidget(self.code_label)
        layout.addSpacing(16)
        layout.addWidget(self.confirm_box)
        layout.addStretch(1)
        layout.addLayout(buttons)

    def show_code(self, code: str) -> None:
        self.confirm_box.setChecked(False)
        self.code_label.setText(code)

    def clear(self) -> None:
        self.code_label.clear()
        self.confirm_box.setChecked(False)

    @Slot()
    def _continue(self) -> None:
        if not self.confirm_box.isChecked():
            return
        self.clear()  # shown once: the code leaves the screen for good
        self.continued.emit()
