"""Small widgets and text helpers shared by the screens.

Anything that may show text from a record or a vault goes through ``PlainTextLabel``: Qt would
otherwise guess "rich text" from the content and render markup (and fetch nothing, but still
lay out links and images) from untrusted input.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QLayout,
    QLayoutItem,
    QLineEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

# The one place the screens take untrusted text from (the core's rules, shared with the CLI):
# ``isolate`` for any piece of record or bundle text composed into a line, ``shown_line`` for a
# title or a name (one line, hidden characters made visible, isolated), ``shown_alone`` for a
# title that is the whole text of a cell or a heading.
from monitor_app.display_text import isolate, one_line, shown_alone, shown_line, visible_text

__all__ = ["isolate", "one_line", "shown_alone", "shown_line", "visible_text"]


def date_text(sort_date: str | None) -> str:
    """A record's date as stored: a day, a month or a year; a visit's start with its time as
    recorded (the wall clock at the place)."""
    if not sort_date:
        return ""
    return sort_date[:16].replace("T", " ")


def modified_text(stamp: str | None) -> str:
    """A modification time in this computer's time zone, to the minute."""
    if not stamp:
        return ""
    try:
        return datetime.fromisoformat(stamp).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return stamp[:16].replace("T", " ")


def wipe(edit: QLineEdit) -> None:
    """Empty a line edit for good. ``QLineEdit.clear()`` can be undone (Ctrl+Z would bring a
    search back after locking); ``setText`` also drops the undo history."""
    edit.setText("")
    edit.setModified(False)


class PlainTextLabel(QLabel):
    """A label that never interprets its text as markup."""

    def __init__(self, text: str = "", parent: QWidget | None = None, *, role: str = "") -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        if role == "heading":
            # A heading in Kyrgyz or French can be twice as long as in English: it wraps
            # rather than widening the window.
            self.setWordWrap(True)
        if role:
            # Styled by the application style sheet: QLabel[role="heading"] and so on.
            self.setProperty("role", role)
        self.setText(text)


def scrolling_layout(page: QWidget) -> QVBoxLayout:
    """The layout of ``page``'s content, inside a scroll area that fills the page: on a short
    screen, in a long language, the page scrolls up and down instead of squeezing its labels
    and fields below their height (it never scrolls sideways: the content takes its width)."""
    area = QScrollArea(page)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    content = QWidget()
    content.setProperty("role", "page")  # the page's background, not the scroll area's grey
    area.setWidget(content)
    outer = QVBoxLayout(page)
    outer.setContentsMargins(0, 0, 0, 0)
    outer.addWidget(area)
    return QVBoxLayout(content)


class FormLabel(PlainTextLabel):
    """A form row's label that wraps, and is always as tall as its wrapped lines.

    QFormLayout sizes a row by its field and the label's first guess at its height; a
    Russian label that wraps beside a one-line field would lose the bottom of its second
    line. The label's minimum height follows its width instead."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent, role="muted")
        self.setWordWrap(True)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        needed = self.heightForWidth(self.width())
        if needed > 0 and needed != self.minimumHeight():
            self.setMinimumHeight(needed)


class ElidedLabel(PlainTextLabel):
    """One line of plain text that, when there is not room for all of it, ends in "…"
    instead of being cut mid-word; ``text()`` is always the whole text. It asks for room
    for its text but can be squeezed to a few characters."""

    MIN_CHARS = 8

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        margins = self.contentsMargins()
        room = self.fontMetrics().horizontalAdvance("x" * self.MIN_CHARS + "…")
        return QSize(min(hint.width(), room + margins.left() + margins.right()), hint.height())

    def elided_text(self) -> str:
        """The text as drawn: whole, or cut at the end with "…"."""
        return self.fontMetrics().elidedText(
            one_line(self.text()), Qt.TextElideMode.ElideRight, self.contentsRect().width()
        )

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        self.style().drawItemText(
            painter,
            self.contentsRect(),
            int(self.alignment()),
            self.palette(),
            self.isEnabled(),
            self.elided_text(),
            self.foregroundRole(),
        )


class ErrorLabel(PlainTextLabel):
    """A plain-text, word-wrapped error message, hidden while empty."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("", parent, role="error")
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setVisible(False)

    def show_message(self, text: str) -> None:
        self.setText(text)
        self.setVisible(bool(text))

    def clear(self) -> None:
        self.show_message("")


class PassphraseEdit(QLineEdit):
    """A password-mode line edit; ``take()`` returns the text and clears the field."""

    def __init__(self, placeholder: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setEchoMode(QLineEdit.EchoMode.Password)
        self.setPlaceholderText(placeholder)
        # Keep the passphrase out of input-method prediction and the clipboard history.
        self.setInputMethodHints(
            Qt.InputMethodHint.ImhHiddenText
            | Qt.InputMethodHint.ImhSensitiveData
            | Qt.InputMethodHint.ImhNoPredictiveText
        )
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)

    def take(self) -> str:
        text = self.text()
        self.clear()
        return text


def muted_note(text: str = "") -> PlainTextLabel:
    """A wrapped, muted line of explanation under a control or a heading."""
    label = PlainTextLabel(text, role="muted")
    label.setWordWrap(True)
    return label


def titled_card(title: str, note: str = "") -> tuple[QFrame, QVBoxLayout]:
    """A framed group (the style sheet's "card" role) headed by ``title`` in bold, with an
    optional muted ``note`` under it; returns the frame and the layout to fill."""
    frame = QFrame()
    frame.setProperty("role", "card")
    layout = QVBoxLayout(frame)
    heading = PlainTextLabel(title)
    heading.setStyleSheet("font-weight: 600;")
    layout.addWidget(heading)
    if note:
        layout.addWidget(muted_note(note))
    return frame, layout


class FlowLayout(QLayout):
    """A row of buttons that wraps onto more rows when the window is narrow, so that long
    labels (Kyrgyz, Russian, French) never widen the window or get cut off."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 6) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._spacing = spacing
        self.setContentsMargins(0, 0, 0, 0)

    def addItem(self, item: QLayoutItem) -> None:
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._arrange(QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._arrange(rect, move=True)

    def sizeHint(self) -> QSize:
        shown = [item.sizeHint() for item in self._visible()]
        width = sum(s.width() for s in shown) + self._spacing * max(len(shown) - 1, 0)
        height = max((s.height() for s in shown), default=0)
        return QSize(width, height)

    def minimumSize(self) -> QSize:
        size = QSize()
        for item in self._visible():
            size = size.expandedTo(item.minimumSize())
        return size

    def _visible(self) -> list[QLayoutItem]:
        return [item for item in self._items if not item.isEmpty()]

    def _arrange(self, rect: QRect, *, move: bool) -> int:
        x, y, line = rect.x(), rect.y(), 0
        for item in self._visible():
            hint = item.sizeHint()
            if x > rect.x() and x + hint.width() > rect.right() + 1:
                x, y, line = rect.x(), y + line + self._spacing, 0
            if move:
                width = min(hint.width(), rect.width())
                item.setGeometry(QRect(QPoint(x, y), QSize(width, hint.height())))
            x += hint.width() + self._spacing
            line = max(line, hint.height())
        return y + line - rect.y()
