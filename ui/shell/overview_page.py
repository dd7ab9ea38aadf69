"""What an unlocked vault holds: counts per record type, unsaved work kept in encrypted drafts
(ui/shell/unsaved_work.py), and the results of the global search.

The search box itself sits in the main view's header (ui/shell/main_view.py), above every page, and
hands its text to ``search``. Every read runs off the GUI thread: on a large vault the counts,
the "recently changed" list (no index on the modification time) and a search for a common word
each take from a tenth of a second to most of a second.

Drafts change while the overview is out of sight (the editor keeps one every few seconds while
someone types): ``refresh_drafts`` then only notes that the list is stale, and the list is read
again when the overview is shown.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from monitor_app.errors import MonitorError
from monitor_app.i18n import _, ngettext
from monitor_app.jobs import CancelToken, Progress
from monitor_app.messages import describe
from monitor_app.records.drafts import DraftSummary
from monitor_app.vault.session import UnlockedVault
from ui.common.widgets import ErrorLabel, PlainTextLabel, isolate, shown_alone
from ui.common.workers import JobRunner
from ui.records.record_table_model import cancellable_read
from ui.shell.unsaved_work import UnsavedWork

RECORD_TYPES = ("place", "visit", "incident", "person")
SEARCH_LIMIT = 100
RECENT_LIMIT = 20
RECORD_ID_ROLE = Qt.ItemDataRole.UserRole

ResultRow = tuple[str, str, str, str | None]  # record id, type, display, date


def type_label(type_name: str) -> str:
    labels = {
        "place": _("Place of detention"),
        "visit": _("Visit"),
        "incident": _("Incident"),
        "person": _("Person"),
    }
    return labels.get(type_name, type_name)


def count_caption(type_name: str) -> str:
    captions = {
        "place": _("Places of detention"),
        "visit": _("Visits"),
        "incident": _("Incidents"),
        "person": _("People"),
    }
    return captions.get(type_name, type_name)


class OverviewPage(QWidget):
    record_activated = Signal(str)
    draft_activated = Signal(object)  # a DraftSummary: open the editor on it
    counts_ready = Signal()
    drafts_ready = Signal()  # the "Unsaved work" block shows the drafts as last read
    results_ready = Signal()  # the results list shows the latest search (or its error)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._vault: UnlockedVault | None = None
        self._counts_runner = JobRunner(self)
        self._search_runner = JobRunner(self)
        self._drafts_runner = JobRunner(self)
        self._drafts_stale = False
        self._query = ""

        self.count_labels: dict[str, PlainTextLabel] = {}
        counts = QGridLayout()
        for column, type_name in enumerate(RECORD_TYPES):
            card = QFrame()
            card.setProperty("role", "card")
            number = PlainTextLabel("–", role="count")
            caption = PlainTextLabel(count_caption(type_name), role="muted")
            card_layout = QVBoxLayout(card)
            card_layout.addWidget(number)
            card_layout.addWidget(caption)
            counts.addWidget(card, 0, column)
            self.count_labels[type_name] = number

        self.unsaved_work = UnsavedWork()
        self.unsaved_work.activated.connect(self.draft_activated)

        self.results_label = PlainTextLabel(role="muted")
        self.results_list = QListWidget()
        self.results_list.setUniformItemSizes(True)
        self.results_list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.results_list.itemActivated.connect(self._activated)
        self.error_label = ErrorLabel()

        layout = QVBoxLayout(self)
        layout.addLayout(counts)
        layout.addSpacing(12)
        layout.addWidget(self.unsaved_work)
        layout.addWidget(self.results_label)
        layout.addWidget(self.results_list, 1)
        layout.addWidget(self.error_label)

    # -- showing and forgetting a vault ----------------------------------------------------
    def show_vault(self, vault: UnlockedVault) -> None:
        self.clear()
        self._vault = vault
        self.refresh_counts()
        self._read_drafts()
        self.search("")

    def refresh_counts(self) -> None:
        vault = self._vault
        if vault is None:
            return

        def count(cancel: CancelToken, progress: Progress) -> dict[str, int]:
            with cancellable_read(vault, cancel):
                return {name: vault.records.count(name) for name in RECORD_TYPES}

        self._counts_runner.cancel()
        self._counts_runner.start(count, on_success=self._counted, on_failure=self._count_failed)

    @Slot()
    def refresh_drafts(self) -> None:
        """Drafts were kept, restored or discarded: list them again (when next shown)."""
        if self._vault is None:
            return
        if self.isVisible():
            self._read_drafts()
        else:
            self._drafts_stale = True

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._drafts_stale:
            self._read_drafts()

    def _read_drafts(self) -> None:
        self._drafts_stale = False
        self._drafts_runner.cancel()
        vault = self._vault
        if vault is None:
            return

        def read(cancel: CancelToken, progress: Progress) -> list[DraftSummary]:
            with cancellable_read(vault, cancel):
                return vault.drafts.summaries()

        self._drafts_runner.start(
            read, on_success=self._drafts_read, on_failure=self._drafts_failed
        )

    def clear(self) -> None:
        """Forget the vault and blank every widget that showed anything from it."""
        self._counts_runner.cancel()
        self._search_runner.cancel()
        self._drafts_runner.cancel()
        self._drafts_stale = False
        self._vault = None
        self._query = ""
        self.unsaved_work.clear()
        for label in self.count_labels.values():
            label.setText("–")
        self.results_list.clear()
        self.results_label.clear()
        self.error_label.clear()

    def shutdown(self) -> None:
        self.clear()
        self._counts_runner.shutdown()
        self._search_runner.shutdown()
        self._drafts_runner.shutdown()

    @property
    def searching(self) -> bool:
        return self._search_runner.busy

    # -- search ----------------------------------------------------------------------------
    @Slot(str)
    def search(self, query: str) -> None:
        """Search every record for ``query``; an empty query lists recently changed records.
        The results replace the list when they arrive (``results_ready``)."""
        self._search_runner.cancel()
        self._query = query
        vault = self._vault
        if vault is None:
            return
        self.results_label.setText(_("Searching…") if query.strip() else "")

        def find(cancel: CancelToken, progress: Progress) -> list[ResultRow]:
            with cancellable_read(vault, cancel):
                if query.strip():
                    hits = vault.records.search(query, limit=SEARCH_LIMIT)
                    return [(h.record_id, h.type, h.display, h.sort_date) for h in hits]
                rows = vault.records.list(order_by="modified", limit=RECENT_LIMIT)
                return [(r.record_id, r.type, r.display, r.sort_date) for r in rows]

        self._search_runner.start(find, on_success=self._found, on_failure=self._search_failed)

    def _found(self, result: Any) -> None:
        rows: list[ResultRow] = result
        query = self._query.strip()
        self.error_label.clear()
        self.results_list.clear()
        for record_id, type_name, display, sort_date in rows:
            self.results_list.addItem(result_item(record_id, type_name, display, sort_date))
        if not query:
            self.results_label.setText(_("Recently changed") if rows else _("No records yet."))
        elif not rows:
            self.results_label.setText(_("Nothing found."))
        elif len(rows) >= SEARCH_LIMIT:
            self.results_label.setText(
                ngettext(
                    "The first {n} match; add words to narrow the search.",
                    "The first {n} matches; add words to narrow the search.",
                    len(rows),
                ).format(n=len(rows))
            )
        else:
            self.results_label.setText(
                ngettext("{n} record found", "{n} records found", len(rows)).format(n=len(rows))
            )
        self.results_ready.emit()

    def _search_failed(self, error: MonitorError) -> None:
        self.results_list.clear()
        self.results_label.clear()
        self.error_label.show_message(describe(error))
        self.results_ready.emit()

    def _counted(self, result: Any) -> None:
        counts: dict[str, int] = result
        for type_name, label in self.count_labels.items():
            label.setText(str(counts.get(type_name, "–")))
        self.counts_ready.emit()

    def _count_failed(self, error: MonitorError) -> None:
        self.error_label.show_message(describe(error))
        self.counts_ready.emit()

    def _drafts_read(self, result: Any) -> None:
        drafts: list[DraftSummary] = result
        self.unsaved_work.show_drafts(drafts, type_label)
        self.drafts_ready.emit()

    def _drafts_failed(self, error: MonitorError) -> None:
        self.unsaved_work.clear()
        self.error_label.show_message(describe(error))
        self.drafts_ready.emit()

    @Slot(QListWidgetItem)
    def _activated(self, item: QListWidgetItem) -> None:
        record_id = item.data(RECORD_ID_ROLE)
        if isinstance(record_id, str):
            self.record_activated.emit(record_id)


def result_item(
    record_id: str, type_name: str, display: str, sort_date: str | None
) -> QListWidgetItem:
    """One plain-text row: type, date, and the record's display text (bidi-isolated)."""
    parts = [type_label(type_name)]
    if sort_date:
        parts.append(sort_date[:10])
    title = shown_alone(display) or _("(untitled)")
    item = QListWidgetItem(" · ".join(parts) + " — " + isolate(title))
    item.setData(RECORD_ID_ROLE, record_id)
    return item
