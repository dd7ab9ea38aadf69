"""The record editor's header: what is being edited (type, revision, title) and its buttons.

The title is record text, so it is a ``PlainTextLabel`` in the page, never the window title.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from monitor_app.i18n import _
from monitor_app.records.schema import RECORD_TYPES
from monitor_app.records.store import RecordView
from ui.common.widgets import PlainTextLabel, modified_text, shown_alone
from ui.records.editor.labels import new_title
from ui.shell.overview_page import type_label


class EditorHeader(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind_label = PlainTextLabel(role="muted")
        self.kind_label.setWordWrap(True)  # long in Kyrgyz: wraps, never widens the window
        self.title_label = PlainTextLabel(role="heading")
        self.title_label.setWordWrap(True)
        self.save_button = QPushButton(_("Save"))
        self.save_button.setProperty("primary", True)
        self.save_button.setToolTip(_("Save (Ctrl+S)"))
        self.cancel_button = QPushButton(_("Cancel"))
        self.delete_button = QPushButton(_("Delete…"))
        titles = QVBoxLayout()
        titles.addWidget(self.kind_label)
        titles.addWidget(self.title_label)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(titles, 1)
        for button in (self.save_button, self.cancel_button, self.delete_button):
            layout.addWidget(button, 0, Qt.AlignmentFlag.AlignTop)

    def show_loading(self) -> None:
        self.clear()
        self.kind_label.setText(_("Loading…"))

    def show_new(self, type_name: str) -> None:
        self.kind_label.setText(type_label(type_name) + " · " + _("not saved yet"))
        self.title_label.setText(new_title(type_name))
        self.delete_button.setVisible(False)

    def show_record(self, view: RecordView) -> None:
        self.kind_label.setText(
            _("{kind} · revision {n} · last changed {when}").format(
                kind=type_label(view.type), n=view.revision, when=modified_text(view.modified_at)
            )
        )
        record_type = RECORD_TYPES[view.type]
        # As its list names it: a visit without a summary, by its place and date.
        title = shown_alone(view.display or str(view.fields.get(record_type.title_field) or ""))
        self.title_label.setText(title or _("(untitled)"))
        self.delete_button.setVisible(True)

    def clear(self) -> None:
        self.kind_label.clear()
        self.title_label.clear()
