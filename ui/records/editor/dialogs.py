"""The editor's modal questions, in one module so that tests can replace them.

Every text is plain (``Qt.PlainText``): a file name or a reason may come from a record.
The file dialogs are ui/common/file_dialogs.py's: Qt's own, not the desktop's (a desktop dialog may
keep the file's name in its "recent files" list, or make a thumbnail of an image, outside the
vault), and they forget the folders they visited.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QInputDialog, QMessageBox, QWidget

from monitor_app.i18n import _
from ui.common import file_dialogs
from ui.common.widgets import shown_line


# -- record editor ---------------------------------------------------------------------------
def ask_delete_reason(parent: QWidget) -> str | None:
    text, ok = QInputDialog.getText(
        parent,
        _("Delete this record"),
        _(
            "Why is this record deleted (for example, a duplicate of another)? The reason is "
            "kept in the audit log, and the record's history stays readable."
        ),
    )
    return text if ok and text.strip() else None


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
