"""A page for a part of the app that is not built yet (Handoff, Contacts): its name and a
plain sentence, nothing from the vault."""

from __future__ import annotations

from PySide6.QtWidgets import QVBoxLayout, QWidget

from ui.widgets import PlainTextLabel


class PlaceholderPage(QWidget):
    def __init__(self, title: str, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.heading = PlainTextLabel(title, role="heading")
        self.note = PlainTextLabel(text, role="note")
        self.note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.note)
        layout.addStretch(1)

    def set_vault(self, vault: object) -> None:
        """Nothing to show: the page holds no vault content."""

    def clear(self) -> None:
        """Nothing to forget."""
