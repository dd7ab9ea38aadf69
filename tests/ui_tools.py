"""Looking into widgets from tests: every text the screens hold, to prove that locking or
clearing leaves no record content behind."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QAbstractItemModel, QAbstractListModel, QModelIndex, Qt
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
)
from pytestqt.qtbot import QtBot

ROLES = (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.UserRole)


def widget_texts(root: QWidget) -> Iterator[str]:
    """Every text a widget under ``root`` holds (titles, tooltips, labels, boxes, combo items
    and their data), and everything its item models hold."""
    for widget in [root, *root.findChildren(QWidget)]:
        yield widget.windowTitle()
        yield widget.toolTip()
        if isinstance(widget, QLabel | QLineEdit | QAbstractButton):
            yield widget.text()
        if isinstance(widget, QLineEdit):
            yield widget.placeholderText()
        if isinstance(widget, QPlainTextEdit):
            yield widget.toPlainText()
        if isinstance(widget, QComboBox):
            yield from (widget.itemText(i) for i in range(widget.count()))
            yield from (str(widget.itemData(i)) for i in range(widget.count()))
    for model in root.findChildren(QAbstractItemModel):
        yield from model_texts(model)


def model_texts(model: QAbstractItemModel, parent: QModelIndex | None = None) -> Iterator[str]:
    """Every cell (in every role of ROLES, children included) and header of ``model``."""
    parent = parent or QModelIndex()
    # A list model (QListWidget's, QComboBox's) hides columnCount: it has one column.
    columns = 1 if isinstance(model, QAbstractListModel) else model.columnCount(parent)
    for row in range(model.rowCount(parent)):
        for column in range(max(columns, 1)):
            index = model.index(row, column, parent)
            for role in ROLES:
                yield str(index.data(role))
            yield from model_texts(model, index)
    if not parent.isValid():
        for section in range(columns):
            yield str(model.headerData(section, Qt.Orientation.Horizontal))


# qtbot holds widgets by weak reference: a window that went out of scope mid-test would be
# destroyed with its background reads still running, which aborts the process (QThread).
KEPT: list[Any] = []


@pytest.fixture(autouse=True)
def keep_windows() -> Iterator[None]:
    """Use in a module (import it by name): closes every window open_window kept."""
    yield
    while KEPT:
        KEPT.pop().close()  # closing waits for the window's background reads


def open_window(qtbot: QtBot, path: Path, **kwargs: Any) -> Any:
    """A shown, active VaultWindow on ``path``, with a keyring that is never the real one."""
    from tests.host_tools import FakeKeyring
    from ui.shell.vault_window import VaultWindow

    kwargs.setdefault("device_store", FakeKeyring(usable=False))
    window = VaultWindow(path, **kwargs)
    qtbot.addWidget(window)  # closed (and so locked) at the end of the test
    KEPT.append(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    return window


def type_text(qtbot: QtBot, edit: QLineEdit, text: str) -> None:
    """Type ASCII key by key; commit other scripts as an input method does (QTest only
    knows ASCII keys)."""
    if text.isascii():
        qtbot.keyClicks(edit, text)
        return
    event = QInputMethodEvent("", [])
    event.setCommitString(text)
    QApplication.sendEvent(edit, event)
