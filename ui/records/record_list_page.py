"""One record type as a sortable, filterable table (places, visits, incidents or people).

The rows come from ``RecordTableModel``: loaded lazily off the GUI thread, sorted by the core,
filtered through the core's full-text search. Activating a row (double-click or Enter) emits
``record_activated`` with the record id; the main view opens the record.
"""

from __future__ import annotations

from PySide6.QtCore import QLocale, QModelIndex, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from monitor_app.i18n import _, ngettext
from monitor_app.vault.session import UnlockedVault
from ui.common.widgets import ErrorLabel, PlainTextLabel, wipe
from ui.records.record_table_model import RecordTableModel
from ui.shell.overview_page import count_caption

FILTER_DELAY_MS = 300


def new_label(type_name: str) -> str:
    labels = {
        "place": _("New place…"),
        "visit": _("New visit…"),
        "incident": _("New incident…"),
        "person": _("New person…"),
    }
    return labels.get(type_name, _("New…"))


def filter_placeholder(type_name: str) -> str:
    texts = {
        "place": _("Filter places of detention: words in any language"),
        "visit": _("Filter visits: words in any language"),
        "incident": _("Filter incidents: words in any language, e.g. пытки, 酷刑"),
        "person": _("Filter people: pseudonym, case code or other words"),
    }
    return texts.get(type_name, _("Filter"))


class RecordListPage(QWidget):
    record_activated = Signal(str)
    new_requested = Signal(str)  # the record type

    def __init__(self, type_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.type_name = type_name
        self.model = RecordTableModel(type_name, parent=self)
        self.model.state_changed.connect(self._update_status)
        self.model.failed.connect(self._show_error)

        self.heading = PlainTextLabel(count_caption(type_name), role="heading")
        self.status_label = PlainTextLabel(role="muted")
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText(filter_placeholder(type_name))
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.returnPressed.connect(self.apply_filter)
        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(FILTER_DELAY_MS)
        self._filter_timer.timeout.connect(self.apply_filter)
        self.filter_edit.textEdited.connect(self._filter_timer.start)
        # The clear button changes the text without an edit signal.
        self.filter_edit.textChanged.connect(self._maybe_cleared)

        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setAlternatingRowColors(True)
        self.view.setWordWrap(False)
        self.view.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.view.setShowGrid(False)
        self.view.setTabKeyNavigation(False)
        self.view.activated.connect(self._activated)
        self._set_up_headers()

        self.error_label = ErrorLabel()
        self.refresh_shortcut = QShortcut(QKeySequence(QKeySequence.StandardKey.Refresh), self)
        self.refresh_shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.refresh_shortcut.activated.connect(self.refresh)

        self.new_button = QPushButton(new_label(type_name))
        self.new_button.clicked.connect(lambda: self.new_requested.emit(self.type_name))

        top = QHBoxLayout()
        top.addWidget(self.heading)
        top.addStretch(1)
        top.addWidget(self.status_label, 0, Qt.AlignmentFlag.AlignBottom)
        top.addWidget(self.new_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.filter_edit)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.error_label)

    def _set_up_headers(self) -> None:
        # Fixed row heights and column widths: sizing to contents would measure every
        # loaded row, and a list may hold 100 000 of them.
        rows = self.view.verticalHeader()
        rows.setVisible(False)
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(self.fontMetrics().height() + 10)
        columns = self.view.horizontalHeader()
        columns.setHighlightSections(False)
        columns.setSectionsClickable(True)
        stamp_width = self.fontMetrics().horizontalAdvance("2024-12-31 23:59") + 32
        for number, key in enumerate(self.model.columns):
            if key == "display":
                columns.setSectionResizeMode(number, QHeaderView.ResizeMode.Stretch)
            else:
                columns.setSectionResizeMode(number, QHeaderView.ResizeMode.Interactive)
                columns.resizeSection(number, stamp_width)
        order = (
            Qt.SortOrder.DescendingOrder if self.model.descending else (Qt.SortOrder.AscendingOrder)
        )
        columns.setSortIndicator(self.model.sort_column, order)
        # Sorting asks the model (and so the core); the model ignores the repeated order.
        self.view.setSortingEnabled(True)

    # -- vault -----------------------------------------------------------------------------
    def set_vault(self, vault: UnlockedVault | None) -> None:
        self.clear()
        self.model.set_vault(vault)

    def ensure_loaded(self) -> None:
        """Load the first page if this list has not been shown since unlocking."""
        self.model.ensure_loaded()

    @Slot()
    def refresh(self) -> None:
        self.error_label.clear()
        self.model.reload()

    def clear(self) -> None:
        """Drop every row and the filter text (and its undo history)."""
        self._filter_timer.stop()
        wipe(self.filter_edit)
        self.model.clear()
        self.status_label.clear()
        self.error_label.clear()

    def shutdown(self) -> None:
        self.clear()
        self.model.shutdown()

    # -- filter ----------------------------------------------------------------------------
    @Slot()
    def apply_filter(self) -> None:
        self._filter_timer.stop()
        self.error_label.clear()
        self.model.set_filter(self.filter_edit.text())

    @Slot(str)
    def _maybe_cleared(self, text: str) -> None:
        if not text and self.model.filter_text:
            self.apply_filter()

    # -- status ----------------------------------------------------------------------------
    @Slot()
    def _update_status(self) -> None:
        self.status_label.setText(status_text(self.model))

    @Slot(str)
    def _show_error(self, message: str) -> None:
        self.error_label.show_message(message)

    @Slot(QModelIndex)
    def _activated(self, index: QModelIndex) -> None:
        record_id = self.model.record_id(index.row())
        if record_id is not None:
            self.record_activated.emit(record_id)


def status_text(model: RecordTableModel) -> str:
    """What the list holds, as plain numbers: never any record text."""
    locale = QLocale()
    if not model.started:
        return ""
    if model.loading and model.rowCount() == 0:
        return _("Loading…")
    total = model.total or 0
    if model.filter_text:
        if total == 0:
            return _("Nothing matches the filter.")
        if model.capped:
            text = ngettext(
                "The first {n} match; add words to narrow the filter.",
                "The first {n} matches; add words to narrow the filter.",
                total,
            )
        else:
            text = ngettext("{n} match", "{n} matches", total)
        text = text.format(n=locale.toString(total))
        if model.sort_key == "modified":
            text += " " + _("(most relevant first)")
        return text
    if total == 0:
        return _("No records of this kind yet.")
    shown = model.rowCount()
    if shown >= total:
        return ngettext("{total} record", "{total} records", total).format(
            total=locale.toString(total)
        )
    return _("{shown} of {total} loaded; scroll for more").format(
        shown=locale.toString(shown), total=locale.toString(total)
    )
