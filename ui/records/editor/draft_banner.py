"""The offer to restore an encrypted draft: what it is, from when, and three choices.

Shown by the record editor above the form when the record (or a new record of the type) has
a draft. "Not now" exists only for new records: an existing record has at most one draft, so
editing it afresh would overwrite the one offered.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QPushButton, QWidget

from monitor_app.i18n import _
from monitor_app.records.drafts import Draft
from monitor_app.records.store import RecordView
from ui.common.widgets import PlainTextLabel, modified_text


def saved_since(draft: Draft, view: RecordView | None) -> bool:
    """The record has a newer revision than the one the draft's edit started from."""
    return view is not None and draft.base_revision not in (None, view.revision)


def offer_text(draft: Draft, view: RecordView | None) -> str:
    text = _("Unsaved changes from {when} were kept in an encrypted draft.").format(
        when=modified_text(draft.updated_at)
    )
    if view is not None and saved_since(draft, view):
        text += " " + _(
            "The record has been saved again since (now revision {n}): restoring brings back "
            "the draft's version of every field."
        ).format(n=view.revision)
    return text


class DraftBanner(QFrame):
    restore_requested = Signal()
    later_requested = Signal()
    discard_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty("role", "card")
        self.label = PlainTextLabel()
        self.label.setWordWrap(True)
        self.restore_button = QPushButton(_("Restore"))
        self.restore_button.setProperty("primary", True)
        self.restore_button.clicked.connect(self.restore_requested)
        self.later_button = QPushButton(_("Not now"))
        self.later_button.setToolTip(_("Keep the draft for later and start an empty record"))
        self.later_button.clicked.connect(self.later_requested)
        self.discard_button = QPushButton(_("Discard the draft"))
        self.discard_button.clicked.connect(self.discard_requested)
        layout = QHBoxLayout(self)
        layout.addWidget(self.label, 1)
        for button in (self.restore_button, self.later_button, self.discard_button):
            layout.addWidget(button)
        self.setVisible(False)

    def offer(self, draft: Draft, view: RecordView | None) -> None:
        self.label.setText(offer_text(draft, view))
        self.later_button.setVisible(view is None)
        self.setVisible(True)

    def clear(self) -> None:
        self.label.clear()
        self.setVisible(False)
