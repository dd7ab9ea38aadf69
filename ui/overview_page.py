"""What an unlocked vault holds: its name, counts per record type, and a search box."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from monitor_app.errors import MonitorError
from monitor_app.i18n import _
from monitor_app.messages import describe
from monitor_app.vault.session import UnlockedVault
from ui.widgets import ErrorLabel, PlainTextLabel, isolate, one_line

RECORD_TYPES = ("place", "visit", "incident", "person")
SEARCH_DELAY_MS = 250
SEARCH_LIMIT = 100
RECENT_LIMIT = 20
RECORD_ID_ROLE = Qt.ItemDataRole.UserRole


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
    lock_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._vault: UnlockedVault | None = None

        self.name_label = PlainTextLabel(role="heading")
        self.organisation_label = PlainTextLabel(role="muted")
        self.lock_button = QPushButton(_("Lock"))
        self.lock_button.setToolTip(_("Lock the vault now (Ctrl+L)"))
        self.lock_button.clicked.connect(self.lock_requested)
        titles = QVBoxLayout()
        titles.addWidget(self.name_label)
        titles.addWidget(self.organisation_label)
        header = QHBoxLayout()
        header.addLayout(titles, 1)
        header.addWidget(self.lock_button, 0, Qt.AlignmentFlag.AlignTop)

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

        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText(
            _("Search all records: any language, e.g. пытки, кыйноо, torture, 酷刑")
        )
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.returnPressed.connect(self.run_search)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.run_search)
        self.search_edit.textChanged.connect(self._search_timer.start)

        self.results_label = PlainTextLabel(role="muted")
        self.results_list = QListWidget()
        self.results_list.setUniformItemSizes(True)
        self.results_list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.error_label = ErrorLabel()

        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addSpacing(8)
        layout.addLayout(counts)
        layout.addSpacing(12)
        layout.addWidget(self.search_edit)
        layout.addWidget(self.results_label)
        layout.addWidget(self.results_list, 1)
        layout.addWidget(self.error_label)

    # -- showing and forgetting a vault ----------------------------------------------------
    def show_vault(self, vault: UnlockedVault) -> None:
        self._vault = vault
        self.error_label.clear()
        try:
            author = vault.author
            self.name_label.setText(one_line(vault.meta("name") or author.name))
            self.organisation_label.setText(one_line(author.organisation or ""))
            self.refresh_counts()
        except MonitorError as exc:
            self.error_label.show_message(describe(exc))
        self.search_edit.clear()
        self.run_search()

    def refresh_counts(self) -> None:
        if self._vault is None:
            return
        records = self._vault.records
        for type_name, label in self.count_labels.items():
            label.setText(str(records.count(type_name)))

    def clear(self) -> None:
        """Forget the vault and blank every widget that showed anything from it."""
        self._search_timer.stop()
        self._vault = None
        self.name_label.clear()
        self.organisation_label.clear()
        for label in self.count_labels.values():
            label.setText("–")
        self.search_edit.clear()
        self._search_timer.stop()  # clearing the box restarted it
        self.results_list.clear()
        self.results_label.clear()
        self.error_label.clear()

    # -- search ----------------------------------------------------------------------------
    @Slot()
    def run_search(self) -> None:
        """Search for the text in the box; with an empty box, list recently changed records."""
        self._search_timer.stop()
        self.results_list.clear()
        self.results_label.clear()
        self.error_label.clear()
        if self._vault is None:
            return
        query = self.search_edit.text()
        try:
            if query.strip():
                rows = [
                    (hit.record_id, hit.type, hit.display, hit.sort_date)
                    for hit in self._vault.records.search(query, limit=SEARCH_LIMIT)
                ]
            else:
                rows = [
                    (row.record_id, row.type, row.display, row.sort_date)
                    for row in self._vault.records.list(order_by="modified", limit=RECENT_LIMIT)
                ]
        except MonitorError as exc:
            self.error_label.show_message(describe(exc))
            return
        for record_id, type_name, display, sort_date in rows:
            self.results_list.addItem(result_item(record_id, type_name, display, sort_date))
        if not query.strip():
            self.results_label.setText(_("Recently changed") if rows else _("No records yet."))
        elif not rows:
            self.results_label.setText(_("Nothing found."))
        elif len(rows) >= SEARCH_LIMIT:
            self.results_label.setText(
                _("The first {n} matches; add words to narrow the search.").format(n=len(rows))
            )
        else:
            self.results_label.setText(_("{n} found").format(n=len(rows)))


def result_item(
    record_id: str, type_name: str, display: str, sort_date: str | None
) -> QListWidgetItem:
    """One plain-text row: type, date, and the record's display text (bidi-isolated)."""
    parts = [type_label(type_name)]
    if sort_date:
        parts.append(sort_date[:10])
    title = one_line(display) or _("(untitled)")
    item = QListWidgetItem(" · ".join(parts) + " — " + isolate(title))
    item.setData(RECORD_ID_ROLE, record_id)
    return item
