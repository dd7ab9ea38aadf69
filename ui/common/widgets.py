"""Small widgets and text helpers shared by the screens.

Anything that may show text from a record or a vault goes through ``PlainTextLabel``: Qt would
otherwise guess "rich text" from the content and render markup (and fetch nothing, but still
lay out links and images) from untrusted input.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QLineEdit, QVBoxLayout, QWidget

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
        if role:
            # Styled by the application style sheet: QLabel[role="heading"] and so on.
            self.setProperty("role", role)
        self.setText(text)


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
