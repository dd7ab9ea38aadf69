"""The overview's "Unsaved work": every encrypted draft (monitor_app/records/drafts.py), so
that a monitor interrupted by an auto-lock, a crash or a closed lid finds what was being typed.

An entry shows the record type, when the draft was last kept and, for a draft of a saved
record, that record's title as the record lists show it. A draft of a record not created yet
shows what it would be called once saved (its title, or a visit's place and date), or "New
incident (draft)" while nothing it is called by is filled in: two new incidents must be told
apart by more than the minute they were kept. Nothing else of a draft's values is read here
(``DraftStore.summaries``: never a sensitive field), and the block is hidden while there are
no drafts.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QFrame, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from monitor_app.i18n import _
from monitor_app.records.drafts import DraftSummary
from ui.common.widgets import PlainTextLabel, isolate, modified_text, shown_alone

DRAFT_ID_ROLE = Qt.ItemDataRole.UserRole
VISIBLE_ROWS = 4  # more scroll: the block stays compact above the search results


def new_draft_title(type_name: str) -> str:
    """A draft of a new record in which nothing it is called by is filled in yet."""
    titles = {
        "place": _("New place of detention (draft)"),
        "visit": _("New visit (draft)"),
        "incident": _("New incident (draft)"),
        "person": _("New person (draft)"),
    }
    return titles.get(type_name, _("New record (draft)"))


def draft_text(draft: DraftSummary, type_label: str) -> str:
    """One plain-text row: type, title (the saved record's, or the one a new record would
    have, and "not saved yet"), and when."""
    when = _("kept {when}").format(when=modified_text(draft.updated_at))
    if draft.record_id is not None:
        title = shown_alone(draft.display or "") or _("(untitled)")
        return " · ".join((type_label, isolate(title), when))
    title = shown_alone(draft.draft_title or "")
    if not title:
        return " · ".join((new_draft_title(draft.record_type), when))
    return " · ".join((type_label, isolate(title), _("not saved yet"), when))


class UnsavedWork(QFrame):
    activated = Signal(object)  # the DraftSummary of the entry opened

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty("role", "card")
        self._drafts: dict[str, DraftSummary] = {}
        self.title_label = PlainTextLabel(_("Unsaved work"))
        font = self.title_label.font()
        font.setBold(True)
        self.title_label.setFont(font)
        self.hint_label = PlainTextLabel(
            _(
                "Kept in encrypted drafts until saved or discarded. Double-click one, or "
                "select it and press Enter, to go on with it."
            ),
            role="muted",
        )
        self.hint_label.setWordWrap(True)
        self.list = QListWidget()
        self.list.setUniformItemSizes(True)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.itemActivated.connect(self._activated)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title_label)
        layout.addWidget(self.hint_label)
        layout.addWidget(self.list)
        self.setVisible(False)

    def show_drafts(self, drafts: list[DraftSummary], type_label: Callable[[str], str]) -> None:
        """List ``drafts`` (``type_label`` names a record type); hidden if there are none."""
        self.list.clear()
        self._drafts = {draft.draft_id: draft for draft in drafts}
        for draft in drafts:
            item = QListWidgetItem(draft_text(draft, type_label(draft.record_type)))
            item.setData(DRAFT_ID_ROLE, draft.draft_id)
            self.list.addItem(item)
        if drafts:
            self.list.ensurePolished()  # the style sheet's border and padding: frameWidth
            rows = min(len(drafts), VISIBLE_ROWS)
            frame = 2 * self.list.frameWidth() + 2
            self.list.setFixedHeight(rows * self.list.sizeHintForRow(0) + frame)
        self.setVisible(bool(drafts))

    def clear(self) -> None:
        self.list.clear()
        self._drafts = {}
        self.setVisible(False)

    @Slot(QListWidgetItem)
    def _activated(self, item: QListWidgetItem) -> None:
        draft = self._drafts.get(str(item.data(DRAFT_ID_ROLE)))
        if draft is not None:
            self.activated.emit(draft)
