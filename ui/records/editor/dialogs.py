"""The editor's modal questions, in one module so that tests can replace them.

Every text is plain (``Qt.PlainText``): a file name or a reason may come from a record.
The file dialogs are ui/common/file_dialogs.py's: Qt's own, not the desktop's (a desktop dialog may
keep the file's name in its "recent files" list, or make a thumbnail of an image, outside the
vault), and they forget the folders they visited.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLineEdit,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from monitor_app.errors import ValidationError
from monitor_app.i18n import _
from monitor_app.messages import describe
from monitor_app.records.validation import check_text
from ui.common import file_dialogs
from ui.common.widgets import ErrorLabel, PlainTextLabel, shown_line


# -- record editor ---------------------------------------------------------------------------
class DeleteReasonDialog(QDialog):
    """Asks why a record is deleted. The core refuses a deletion without a reason; this dialog
    says so itself and stays open, instead of closing as if the person had cancelled."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Delete this record"))
        prompt = PlainTextLabel(
            _(
                "Why is this record deleted (for example, a duplicate of another)? The reason "
                "is kept in the audit log, and the record's history stays readable."
            )
        )
        prompt.setWordWrap(True)
        self.error_label = ErrorLabel()
        self.reason_edit = QLineEdit()
        self.reason_edit.textEdited.connect(lambda _text: self.error_label.clear())
        self.buttons = QDialogButtonBox()
        # Our own words, not Qt's: Qt ships no Kyrgyz for its standard buttons.
        self.buttons.addButton(_("Cancel"), QDialogButtonBox.ButtonRole.RejectRole)
        self.delete_button = self.buttons.addButton(
            _("Delete"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(prompt)
        layout.addWidget(self.reason_edit)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(460)

    @property
    def reason(self) -> str:
        return self.reason_edit.text().strip()

    def accept(self) -> None:
        if not self.reason:
            self.error_label.show_message(
                _("Write the reason first: a record is not deleted without one.")
            )
            self.reason_edit.setFocus()
            return
        try:
            check_text(self.reason, "reason")
        except ValidationError as error:
            self.error_label.show_message(describe(error))
            self.reason_edit.setFocus()
            return
        super().accept()


def ask_delete_reason(parent: QWidget) -> str | None:
    dialog = DeleteReasonDialog(parent)
    try:
        accepted = dialog.exec() == QDialog.DialogCode.Accepted
        return dialog.reason if accepted else None
    finally:
        dialog.deleteLater()


def confirm_discard(parent: QWidget) -> bool:
    answer = QMessageBox.question(
        parent,
        _("Discard changes"),
        _("Throw away the changes made since the record was last saved?"),
        QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
        QMessageBox.StandardButton.Cancel,
    )
    return answer == QMessageBox.StandardButton.Discard


# -- attachments -----------------------------------------------------------------------------
def choose_files(parent: QWidget) -> list[Path]:
    names = file_dialogs.open_files(parent, _("Add files to this record"))
    return [Path(name) for name in names]


def confirm_save_copy(parent: QWidget, name: str) -> bool:
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setWindowTitle(_("Save an unencrypted copy"))
    box.setText(
        _(
            "The copy of “{name}” will NOT be encrypted. Anyone who gets the disk or the USB "
            "stick it is on can open it. Saving it is recorded in the audit log."
        ).format(name=shown_line(name))
    )
    box.setInformativeText(
        _("Save it only to encrypted storage, and delete it when it is no longer needed.")
    )
    save = box.addButton(_("Save an unencrypted copy"), QMessageBox.ButtonRole.AcceptRole)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel)
    box.exec()
    return box.clickedButton() is save


def choose_destination(parent: QWidget, name: str) -> Path | None:
    chosen = file_dialogs.save_file(parent, _("Save an unencrypted copy"), name)
    return Path(chosen) if chosen else None
