"""The app's file dialogs, all in one place, made to leave no trace of the files they choose.

A desktop's own dialog (GTK, the KDE or GNOME portal) adds every file chosen to the desktop's
"recently used" list and may make thumbnails of images, outside the vault: names of bundles,
contact cards, attachments and the vault's folder. So the dialogs here are Qt's own
(``DontUseNativeDialog``). Qt's dialog in turn remembers the folders it visited ("history",
"lastVisited") in its settings file, which ``ui.shell.app.contain_qt_settings`` keeps in the app's
settings folder; ``forget_folders`` empties that memory after each dialog, so that nothing
on disk says where a bundle went or where a vault is carried.

Screens keep these functions as attributes (``page.open_file``...) so that tests replace them
instead of opening modal dialogs; tests/test_file_dialogs.py checks that no other module of
ui/ uses QFileDialog.

Every function returns the chosen path as a string, or "" (an empty list) when cancelled.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QFileDialog, QWidget

OPTIONS = QFileDialog.Option.DontUseNativeDialog
# Where Qt's file dialog keeps its state: QSettings(UserScope, "QtProject"), group FileDialog.
QT_ORGANISATION = "QtProject"
QT_GROUP = "FileDialog"


def open_file(parent: QWidget, caption: str, directory: str = "") -> str:
    try:
        return QFileDialog.getOpenFileName(parent, caption, directory, "", "", OPTIONS)[0]
    finally:
        forget_folders()


def open_files(parent: QWidget, caption: str, directory: str = "") -> list[str]:
    try:
        return QFileDialog.getOpenFileNames(parent, caption, directory, "", "", OPTIONS)[0]
    finally:
        forget_folders()


def save_file(parent: QWidget, caption: str, suggested: str = "") -> str:
    try:
        return QFileDialog.getSaveFileName(parent, caption, suggested, "", "", OPTIONS)[0]
    finally:
        forget_folders()


def existing_directory(parent: QWidget, caption: str, directory: str = "") -> str:
    options = OPTIONS | QFileDialog.Option.ShowDirsOnly
    try:
        return QFileDialog.getExistingDirectory(parent, caption, directory, options)
    finally:
        forget_folders()


def forget_folders() -> None:
    """Remove what Qt's file dialog saved when it closed: the folders visited, the last one,
    and the sidebar (a folder can be dragged onto it). Its layout goes too; it is restored
    from Qt's defaults next time."""
    settings = QSettings(QSettings.Scope.UserScope, QT_ORGANISATION)
    settings.remove(QT_GROUP)
    settings.sync()
