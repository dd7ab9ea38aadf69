"""The facets of one record list: a row of drop-down filter buttons above the table.

Each button opens a list of the facet's values, each with how many records the other filters
keep with it (``RecordStore.facet_counts``, read on a worker after every change, as a library
catalogue counts); the values checked within a facet are alternatives, facets combine. A row
of buttons that wraps (``FlowLayout``) fits a 1280x720 window in Russian and Kyrgyz, whose
words are long, better than a side panel that takes width from the table.

Place titles, regions, author and organisation names are record or contact text: they are
shown only in list items (painted as plain text), each through ``shown_line`` (controls made
visible, bidi-isolated from the count beside it).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from PySide6.QtCore import QLocale, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QFormLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
    QWidgetAction,
)

from monitor_app.errors import MonitorError, ValidationError
from monitor_app.i18n import _
from monitor_app.jobs import CancelToken, Progress
from monitor_app.messages import describe
from monitor_app.records import authorship
from monitor_app.records.dates import check_bound
from monitor_app.records.facets import NONE, Filters
from monitor_app.vault.session import UnlockedVault
from ui.common.widgets import ErrorLabel, FlowLayout, PlainTextLabel, isolate, shown_line, wipe
from ui.common.workers import JobRunner
from ui.records.record_table_model import cancellable_read

# The facets each type's records have (records/schema.py): case status only on incidents,
# reprisal risk on incidents and people, a place (and so a region) on visits and incidents.
TYPE_FACETS: dict[str, tuple[str, ...]] = {
    "place": ("region", "author", "organisation"),
    "visit": ("place", "region", "author", "organisation"),
    "incident": ("case_status", "reprisal_risk", "place", "region", "author", "organisation"),
    "person": ("reprisal_risk", "author", "organisation"),
}
DATED = ("visit", "incident")  # the types whose lists have a date to filter by
MAX_SHOWN = 500  # values listed per facet, most frequent first (chosen ones always)
VALUE_ROLE = Qt.ItemDataRole.UserRole


def _is_bound(text: str) -> bool:
    """The core's own check of a date range's bound (a calendar day, YYYY[-MM[-DD]])."""
    try:
        check_bound(text, "date")
    except ValidationError:
        return False
    return True


def facet_title(facet: str) -> str:
    titles = {
        "case_status": _("Case status"),
        "reprisal_risk": _("Reprisal risk"),
        "place": _("Place"),
        "region": _("Region"),
        "author": _("Author"),
        "organisation": _("Organisation"),
    }
    return titles.get(facet, facet)


Counts = dict[str, dict[str, int]]


class FacetPanel(QWidget):
    changed = Signal()  # the person checked or unchecked a value, or changed a date
    counts_refreshed = Signal()  # every facet shows its counts for the current filters
    failed = Signal(str)

    def __init__(self, type_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.type_name = type_name
        self.facets = TYPE_FACETS[type_name]
        self._chosen: dict[str, tuple[str, ...]] = {facet: () for facet in self.facets}
        self._dates: tuple[str | None, str | None] = (None, None)
        self._names: dict[str, dict[str, str]] = {}  # facet: value -> label as shown
        self._runner = JobRunner(self)
        self.buttons: dict[str, QPushButton] = {}
        self.lists: dict[str, QListWidget] = {}

        row = FlowLayout(self)
        for facet in self.facets:
            button, values = self._facet_button(facet)
            self.buttons[facet], self.lists[facet] = button, values
            row.addWidget(button)
        self.from_edit = QLineEdit()
        self.to_edit = QLineEdit()
        self.date_error = ErrorLabel()
        self.date_button: QPushButton | None = None
        if type_name in DATED:
            self.date_button = self._date_button()
            row.addWidget(self.date_button)
        self.clear_button = QPushButton(_("Clear filters"))
        self.clear_button.clicked.connect(self.clear_filters)
        row.addWidget(self.clear_button)
        self._update_buttons()

    # -- building ----------------------------------------------------------------------------
    def _facet_button(self, facet: str) -> tuple[QPushButton, QListWidget]:
        button = QPushButton()
        values = QListWidget()
        values.setObjectName(f"facet-{facet}")
        values.setUniformItemSizes(True)
        values.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        _fit(values)
        values.itemChanged.connect(lambda item, facet=facet: self._item_changed(facet, item))
        button.setMenu(_popup(button, values))
        return button, values

    def _date_button(self) -> QPushButton:
        button = QPushButton()
        body = QWidget()
        form = QFormLayout()
        hint = _("YYYY, YYYY-MM or YYYY-MM-DD")
        for edit in (self.from_edit, self.to_edit):
            edit.setPlaceholderText(hint)
            edit.setClearButtonEnabled(True)
            # The whole hint readable, with room for the clear button.
            edit.setMinimumWidth(edit.fontMetrics().horizontalAdvance(hint) + 48)
            edit.editingFinished.connect(self._dates_edited)
        form.addRow(PlainTextLabel(_("From")), self.from_edit)
        form.addRow(PlainTextLabel(_("To")), self.to_edit)
        layout = QVBoxLayout(body)
        layout.addLayout(form)
        layout.addWidget(self.date_error)
        button.setMenu(_popup(button, body))
        return button

    # -- what is chosen ------------------------------------------------------------------------
    def filters(self) -> Filters:
        """The facets and dates chosen here (no words, no type)."""
        values: dict[str, Any] = dict(self._chosen)
        return Filters(**values, date_from=self._dates[0], date_to=self._dates[1])

    def set_filters(self, filters: Filters) -> None:
        """Show ``filters`` as chosen (a saved search reopened); emits nothing."""
        for facet in self.facets:
            self._chosen[facet] = tuple(getattr(filters, facet))
        self._dates = (filters.date_from, filters.date_to)
        self.from_edit.setText(filters.date_from or "")
        self.to_edit.setText(filters.date_to or "")
        self.date_error.clear()
        for facet in self.facets:
            self._check_items(facet)
        self._update_buttons()

    @Slot()
    def clear_filters(self) -> None:
        if self.filters().is_empty:
            return
        self.set_filters(Filters())
        self.changed.emit()

    def clear(self) -> None:
        """Forget every choice, value and name (locking): nothing of a record stays here."""
        self._runner.cancel()
        self._chosen = {facet: () for facet in self.facets}
        self._dates = (None, None)
        self._names.clear()
        for values in self.lists.values():
            values.blockSignals(True)
            values.clear()
            values.blockSignals(False)
        wipe(self.from_edit)
        wipe(self.to_edit)
        self.date_error.clear()
        self._update_buttons()

    def shutdown(self) -> None:
        self.clear()
        self._runner.shutdown()

    def _item_changed(self, facet: str, item: QListWidgetItem) -> None:
        value = str(item.data(VALUE_ROLE))
        chosen = [v for v in self._chosen[facet] if v != value]
        if item.checkState() == Qt.CheckState.Checked:
            chosen.append(value)
        if tuple(chosen) == self._chosen[facet]:
            return
        self._chosen[facet] = tuple(chosen)
        self._update_buttons()
        self.changed.emit()

    @Slot()
    def _dates_edited(self) -> None:
        dates = []
        for edit in (self.from_edit, self.to_edit):
            text = edit.text().strip()
            if text and not _is_bound(text):
                self.date_error.show_message(_("Write a date as YYYY, YYYY-MM or YYYY-MM-DD."))
                return
            dates.append(text or None)
        self.date_error.clear()
        if (dates[0], dates[1]) == self._dates:
            return
        self._dates = (dates[0], dates[1])
        self._update_buttons()
        self.changed.emit()

    def _update_buttons(self) -> None:
        for facet, button in self.buttons.items():
            button.setText(_with_number(facet_title(facet), len(self._chosen[facet])))
        if self.date_button is not None:
            chosen = sum(1 for d in self._dates if d)
            self.date_button.setText(_with_number(_("Dates"), chosen))
        self.clear_button.setEnabled(not self.filters().is_empty)

    # -- counts --------------------------------------------------------------------------------
    def refresh(self, vault: UnlockedVault, filters: Filters) -> None:
        """Count each facet's values for ``filters`` (the list's, words and type included)."""
        self._runner.cancel()
        facets, type_name = self.facets, self.type_name
        filters = replace(filters, type=(type_name,))

        def count(cancel: CancelToken, progress: Progress) -> tuple[Counts, dict[str, str], Any]:
            with cancellable_read(vault, cancel):
                counts = {facet: vault.records.facet_counts(filters, facet) for facet in facets}
                places: dict[str, str] = {}
                if "place" in counts:
                    wanted = [v for v in counts["place"] if v != NONE]
                    wanted += [v for v in filters.place if v != NONE]
                    names = vault.records.names(wanted)
                    places = {place: name.display for place, name in names.items()}
                authors = vault.records.authors() if "author" in counts else {}
                return counts, places, authors

        vocabularies = vault.records.vocabularies

        def arrived(result: Any) -> None:
            counts, places, authors = result
            language = QLocale().name()
            for facet, found in counts.items():
                names: dict[str, str] = {}
                for value in {*found, *self._chosen[facet]}:
                    if value == NONE:
                        names[value] = _("(not set)")
                    elif facet in ("case_status", "reprisal_risk"):
                        names[value] = vocabularies.get(facet).label(value, language)
                    elif facet == "place":
                        title = places.get(value, "")
                        names[value] = shown_line(title) if title else _("(untitled)")
                    elif facet == "author":
                        names[value] = isolate(authorship.party_text(authors.get(value)))
                    else:
                        names[value] = shown_line(value)
                self._names[facet] = names
                self._fill(facet, found)
            self.counts_refreshed.emit()

        self._runner.start(count, on_success=arrived, on_failure=self._failed)

    def _failed(self, error: MonitorError) -> None:
        self.failed.emit(describe(error))

    def _fill(self, facet: str, counts: dict[str, int]) -> None:
        names = self._names.get(facet, {})
        chosen = set(self._chosen[facet])
        ranked = sorted(counts, key=lambda v: (-counts[v], (names.get(v) or v).casefold(), v))
        shown = ranked[:MAX_SHOWN] + [v for v in sorted(chosen) if v not in ranked[:MAX_SHOWN]]
        number = QLocale().toString
        values = self.lists[facet]
        values.blockSignals(True)
        values.clear()
        for value in shown:
            label = names.get(value) or shown_line(value)
            item = QListWidgetItem(f"{label} ({number(counts.get(value, 0))})")
            item.setData(VALUE_ROLE, value)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
            checked = Qt.CheckState.Checked if value in chosen else Qt.CheckState.Unchecked
            item.setCheckState(checked)
            values.addItem(item)
        values.blockSignals(False)
        _fit(values)

    def _check_items(self, facet: str) -> None:
        chosen = set(self._chosen[facet])
        values = self.lists[facet]
        values.blockSignals(True)
        for row in range(values.count()):
            item = values.item(row)
            checked = str(item.data(VALUE_ROLE)) in chosen
            item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
        values.blockSignals(False)

    def item_for(self, facet: str, value: str) -> QListWidgetItem | None:
        values = self.lists[facet]
        for row in range(values.count()):
            if values.item(row).data(VALUE_ROLE) == value:
                return values.item(row)
        return None


def _fit(values: QListWidget) -> None:
    """As wide as the longest value (within bounds) and as tall as the values, so a facet
    with two values is not a tall empty box and one with hundreds scrolls."""
    rows = max(values.count(), 1)
    row_height = max(values.sizeHintForRow(0), values.fontMetrics().height() + 6)
    width = values.sizeHintForColumn(0) + 2 * values.frameWidth() + 24
    values.setFixedWidth(max(240, min(width, 520)))
    values.setFixedHeight(min(rows, 14) * row_height + 2 * values.frameWidth() + 4)


def _popup(button: QPushButton, body: QWidget) -> QMenu:
    # Qt's menu indicator sits over the end of a padded button's text: a "▾" instead.
    button.setProperty("role", "menu")
    menu = QMenu(button)
    action = QWidgetAction(menu)
    action.setDefaultWidget(body)
    menu.addAction(action)
    return menu


def _with_number(title: str, chosen: int) -> str:
    shown = f"{title} ({QLocale().toString(chosen)})" if chosen else title
    return shown + " ▾"
