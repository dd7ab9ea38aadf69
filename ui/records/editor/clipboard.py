"""Copying from protected fields: the text reaches the clipboard, and leaves it again.

A real name or an address left on the clipboard outlives the editor, the lock and the app:
any program may read it, and clipboard managers keep histories. So copy and cut in a protected
field go through ``ClipboardGuard``, which

* marks the data with ``x-kde-passwordManagerHint: secret`` (KDE's Klipper and several other
  clipboard managers then keep it out of their history),
* clears the clipboard ``CLIPBOARD_CLEAR_MS`` after the copy, but only if it still holds that
  text (the user may have copied something else since, which is theirs),
* clears it at once when the editor is cleared (on lock), under the same condition.

On X11 selecting text also sets the primary selection; that is cleared the same way.
Dragging is the other way out of a field: a one-line field never starts a drag (Qt's
default), and in a multi-line field a press inside the selection drops the selection first,
so the text cannot be dragged to another program, past the clipboard and its timer.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QMimeData, QObject, QPoint, Qt, QTimer, Slot
from PySide6.QtGui import QClipboard, QGuiApplication, QKeyEvent, QKeySequence, QMouseEvent
from PySide6.QtWidgets import QLineEdit, QMenu, QPlainTextEdit, QWidget

from monitor_app.i18n import _

CLIPBOARD_CLEAR_MS = 30_000  # tests monkeypatch this to a few milliseconds
CLIPBOARD_MANAGER_HINT = "x-kde-passwordManagerHint"

TextInput = QLineEdit | QPlainTextEdit


def selected_text(widget: TextInput) -> str:
    if isinstance(widget, QLineEdit):
        return widget.selectedText()
    # QPlainTextEdit uses U+2029 between paragraphs in a selection.
    return widget.textCursor().selectedText().replace("\u2029", "\n")


def remove_selection(widget: TextInput) -> None:
    if isinstance(widget, QLineEdit):
        widget.del_()
    else:
        widget.textCursor().removeSelectedText()


class ClipboardGuard(QObject):
    """Routes copy and cut of the widgets given to ``protect`` through a timed clipboard."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._text: str | None = None  # what we put on the clipboard, until it is gone
        self._selection: str | None = None
        self._viewports: dict[QObject, QPlainTextEdit] = {}
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.expire)

    def protect(self, widget: TextInput) -> None:
        widget.installEventFilter(self)
        if isinstance(widget, QPlainTextEdit):
            self._viewports[widget.viewport()] = widget
            widget.viewport().installEventFilter(self)
        widget.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        widget.customContextMenuRequested.connect(lambda pos, w=widget: self._context_menu(w, pos))
        widget.selectionChanged.connect(lambda w=widget: self._selected(w))

    # -- copying ---------------------------------------------------------------------------
    def copy(self, text: str) -> None:
        if not text:
            return
        data = QMimeData()
        data.setText(text)
        data.setData(CLIPBOARD_MANAGER_HINT, b"secret")
        QGuiApplication.clipboard().setMimeData(data, QClipboard.Mode.Clipboard)
        self._text = text
        self._timer.start(CLIPBOARD_CLEAR_MS)

    def copy_from(self, widget: TextInput, *, cut: bool = False) -> None:
        text = selected_text(widget)
        self.copy(text)
        if cut and text and not widget.isReadOnly():
            remove_selection(widget)

    @Slot()
    def expire(self) -> None:
        """Clear what we copied, if the clipboard (or the selection) still holds it."""
        self._timer.stop()
        clipboard = QGuiApplication.clipboard()
        if self._text is not None and clipboard.text(QClipboard.Mode.Clipboard) == self._text:
            clipboard.clear(QClipboard.Mode.Clipboard)
        if (
            self._selection is not None
            and clipboard.supportsSelection()
            and clipboard.text(QClipboard.Mode.Selection) == self._selection
        ):
            clipboard.clear(QClipboard.Mode.Selection)
        self._text = self._selection = None

    @property
    def pending(self) -> bool:
        return self._text is not None or self._selection is not None

    # -- events ----------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        plain = self._viewports.get(watched)
        if plain is not None and event.type() == QEvent.Type.MouseButtonPress:
            assert isinstance(event, QMouseEvent)
            self._no_drag(plain, event)
            return False
        if not isinstance(watched, QLineEdit | QPlainTextEdit):
            return False
        kind = event.type()
        if kind in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress) and isinstance(
            event, QKeyEvent
        ):
            copy = event.matches(QKeySequence.StandardKey.Copy)
            cut = event.matches(QKeySequence.StandardKey.Cut)
            if copy or cut:
                if kind == QEvent.Type.ShortcutOverride:
                    event.accept()  # deliver the key press to us, not to a window shortcut
                else:
                    self.copy_from(watched, cut=cut)
                return True
        return False

    @staticmethod
    def _no_drag(edit: QPlainTextEdit, event: QMouseEvent) -> None:
        cursor = edit.textCursor()
        if event.button() != Qt.MouseButton.LeftButton or not cursor.hasSelection():
            return
        at = edit.cursorForPosition(event.position().toPoint()).position()
        if cursor.selectionStart() <= at < cursor.selectionEnd():
            cursor.clearSelection()  # the press then just places the cursor, as usual
            edit.setTextCursor(cursor)

    def _selected(self, widget: TextInput) -> None:
        clipboard = QGuiApplication.clipboard()
        if clipboard.supportsSelection():
            text = selected_text(widget)
            if text:
                self._selection = text
                self._timer.start(CLIPBOARD_CLEAR_MS)

    def _context_menu(self, widget: TextInput, pos: QPoint) -> None:
        # The standard menu's Copy and Cut call the widget's own copy(), past this guard.
        menu = QMenu(widget)
        has_selection = bool(selected_text(widget))
        writable = not widget.isReadOnly()
        cut = menu.addAction(_("Cut (cleared from the clipboard after 30 seconds)"))
        cut.setEnabled(has_selection and writable)
        cut.triggered.connect(lambda: self.copy_from(widget, cut=True))
        copy = menu.addAction(_("Copy (cleared from the clipboard after 30 seconds)"))
        copy.setEnabled(has_selection)
        copy.triggered.connect(lambda: self.copy_from(widget))
        paste = menu.addAction(_("Paste"))
        paste.setEnabled(writable)
        paste.triggered.connect(widget.paste)
        menu.addSeparator()
        menu.addAction(_("Select all"), widget.selectAll)
        menu.exec(widget.mapToGlobal(pos))
        menu.deleteLater()


def protect_all(guard: ClipboardGuard, root: QWidget) -> None:
    """Protect every text input under ``root``."""
    for widget in root.findChildren(QLineEdit) + root.findChildren(QPlainTextEdit):
        guard.protect(widget)
