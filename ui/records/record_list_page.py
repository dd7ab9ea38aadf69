"""One record type as a sortable, filterable table (places, visits, incidents or people).

The rows come from ``RecordTableModel``: loaded lazily off the GUI thread, sorted, filtered and
counted by the core. The filter box's words combine with the facets of ``FacetPanel``; saved
searches (``SavedSearchButton``) keep and restore both with the order. Optional columns are
shown and hidden from the header's context menu. Activating a row (double-click or Enter)
emits ``record_activated`` with the record id; the main view opens the record.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QLocale, QModelIndex, QPoint, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QKeySequence, QResizeEvent, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QMenu,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from monitor_app.i18n import _, ngettext
from monitor_app.records.facets import Filters
from monitor_app.records.saved_searches import SavedSearch
from monitor_app.vault.session import UnlockedVault
from ui.common.widgets import ErrorLabel, PlainTextLabel, wipe
from ui.records.facet_panel import FacetPanel
from ui.records.list_columns import (
    DEFAULT_SORT,
    OPTIONAL_COLUMNS,
    column_title,
    remember_columns,
    shown_columns,
    sortable,
)
from ui.records.record_table_model import RecordTableModel
from ui.records.saved_search_button import Query, SavedSearchButton
from ui.shell.overview_page import count_caption

FILTER_DELAY_MS = 300
MIN_TITLE_WIDTH = 260


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
        self._vault: UnlockedVault | None = None
        self._counts_stale = False  # the facet counts wait for the list to be shown
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

        self.facet_panel = FacetPanel(type_name)
        self.facet_panel.changed.connect(self._facets_changed)
        self.facet_panel.failed.connect(self._show_error)
        self.saved_searches = SavedSearchButton(type_name, self.current_query)
        self.saved_searches.opened.connect(self.open_saved_search)
        self.saved_searches.failed.connect(self._show_error)

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
        search = QHBoxLayout()
        search.addWidget(self.filter_edit, 1)
        search.addWidget(self.saved_searches)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(search)
        layout.addWidget(self.facet_panel)
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
        self._show_sort_indicator()
        # Sorting asks the model (and so the core); the model ignores the repeated order.
        self.view.setSortingEnabled(True)
        columns.ensurePolished()  # the style sheet's header font, before measuring titles
        stamp_width = self.fontMetrics().horizontalAdvance("2024-12-31 23:59") + 32
        for number, key in enumerate(self.model.columns):
            if key == "display":
                columns.setSectionResizeMode(number, QHeaderView.ResizeMode.Stretch)
            else:
                columns.setSectionResizeMode(number, QHeaderView.ResizeMode.Interactive)
                # Wide enough for a time stamp and for the title with its sort arrow (a
                # column title in Kyrgyz or French can be longer than its values).
                # An optional column (a status, a place) is as wide as its title, at least
                # 110 px: with every one shown, the title column still has room.
                needed = columns.sectionSizeFromContents(number).width()
                least = stamp_width if key in ("date", "modified") else 110
                columns.resizeSection(number, max(least, needed))
        # A click on a column the core cannot sort by (place, author) moves the indicator
        # only: put it back where the order really is.
        columns.sortIndicatorChanged.connect(self._sort_indicator_moved)
        columns.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        columns.customContextMenuRequested.connect(self._column_menu)
        self.apply_shown_columns(shown_columns(self.type_name))

    def _fit_title_column(self) -> None:
        """The title takes the room the other columns leave, but never less than
        ``MIN_TITLE_WIDTH``: with many columns shown the table scrolls sideways instead of
        squeezing every title to a few letters."""
        header = self.view.horizontalHeader()
        title = self.model.columns.index("display")
        others = sum(
            header.sectionSize(n)
            for n in range(len(self.model.columns))
            if n != title and not header.isSectionHidden(n)
        )
        room = self.view.viewport().width() - others
        if room >= MIN_TITLE_WIDTH:
            header.setSectionResizeMode(title, QHeaderView.ResizeMode.Stretch)
        else:
            header.setSectionResizeMode(title, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(title, MIN_TITLE_WIDTH)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_title_column()

    def _show_sort_indicator(self) -> None:
        order = (
            Qt.SortOrder.DescendingOrder if self.model.descending else Qt.SortOrder.AscendingOrder
        )
        header = self.view.horizontalHeader()
        header.blockSignals(True)
        header.setSortIndicator(self.model.sort_column, order)
        header.blockSignals(False)
        header.viewport().update()

    @Slot(int, Qt.SortOrder)
    def _sort_indicator_moved(self, column: int, order: Qt.SortOrder) -> None:
        if not 0 <= column < len(self.model.columns) or not sortable(self.model.columns[column]):
            self._show_sort_indicator()

    # -- columns -----------------------------------------------------------------------------
    def shown_optional_columns(self) -> tuple[str, ...]:
        return tuple(
            key
            for key in OPTIONAL_COLUMNS[self.type_name]
            if not self.view.isColumnHidden(self.model.columns.index(key))
        )

    def apply_shown_columns(self, keys: tuple[str, ...]) -> None:
        for key in OPTIONAL_COLUMNS[self.type_name]:
            self.view.setColumnHidden(self.model.columns.index(key), key not in keys)
        self._fit_title_column()

    def set_column_shown(self, key: str, shown: bool) -> None:
        """Show or hide an optional column, and remember the choice for this type."""
        if key not in OPTIONAL_COLUMNS[self.type_name]:
            return
        self.view.setColumnHidden(self.model.columns.index(key), not shown)
        self._fit_title_column()
        if not shown and self.model.sort_key == key:
            # A hidden column cannot show its order: back to the list's default.
            default = DEFAULT_SORT[self.type_name]
            self.view.sortByColumn(
                self.model.columns.index(default[0]),
                Qt.SortOrder.DescendingOrder if default[1] else Qt.SortOrder.AscendingOrder,
            )
        remember_columns(self.type_name, self.shown_optional_columns())

    @Slot(QPoint)
    def _column_menu(self, position: QPoint) -> None:
        menu = self.column_menu()
        menu.exec(self.view.horizontalHeader().mapToGlobal(position))
        menu.deleteLater()

    def column_menu(self) -> QMenu:
        """The header's context menu: one checkable entry per optional column."""
        menu = QMenu(self)
        shown = self.shown_optional_columns()
        for key in OPTIONAL_COLUMNS[self.type_name]:
            action = menu.addAction(column_title(self.type_name, key))
            action.setCheckable(True)
            action.setChecked(key in shown)
            action.toggled.connect(lambda on, key=key: self.set_column_shown(key, on))
        return menu

    # -- vault -----------------------------------------------------------------------------
    def set_vault(self, vault: UnlockedVault | None) -> None:
        self.clear()
        self._vault = vault
        self.model.set_vault(vault)
        self.saved_searches.set_vault(vault)

    def ensure_loaded(self) -> None:
        """Load the first page if this list has not been shown since unlocking."""
        if not self.model.started:
            self.model.ensure_loaded()
            self._refresh_counts()

    @Slot()
    def refresh(self) -> None:
        self.error_label.clear()
        self.model.reload()
        self._refresh_counts()

    def clear(self) -> None:
        """Drop every row, the filter text (and its undo history), the facets, the saved
        searches' names and the vault (locking); ``set_vault`` brings a vault back."""
        self._filter_timer.stop()
        wipe(self.filter_edit)
        self._vault = None
        self.model.clear()
        self.facet_panel.clear()
        self.saved_searches.set_vault(None)
        self.status_label.clear()
        self.error_label.clear()

    def shutdown(self) -> None:
        self.clear()
        self.saved_searches.shutdown()
        self.facet_panel.shutdown()
        self.model.shutdown()

    def _refresh_counts(self) -> None:
        # Every list is refreshed after each save; only a list on screen counts its facets
        # at once (a count per facet, on a hub's million records), the others when shown.
        self._counts_stale = True
        if self._vault is not None and self.model.started and self.isVisible():
            self._counts_stale = False
            self.facet_panel.refresh(self._vault, self.model.filters)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._counts_stale:
            self._refresh_counts()

    # -- filter ----------------------------------------------------------------------------
    @Slot()
    def apply_filter(self) -> None:
        self._filter_timer.stop()
        self.error_label.clear()
        before = self.model.filter_text
        self.model.set_filter(self.filter_edit.text())
        if self.model.filter_text != before:
            self._refresh_counts()

    @Slot(str)
    def _maybe_cleared(self, text: str) -> None:
        if not text and self.model.filter_text:
            self.apply_filter()

    @Slot()
    def _facets_changed(self) -> None:
        self.error_label.clear()
        self.model.set_facets(self.facet_panel.filters())
        self._refresh_counts()

    # -- saved searches ------------------------------------------------------------------------
    def current_query(self) -> Query:
        filters = replace(self.model.facets, text=self.model.filter_text, type=())
        return filters, self.model.sort_key, self.model.descending

    @Slot(object)
    def open_saved_search(self, search: SavedSearch) -> None:
        """Show the list as ``search`` keeps it: its filters, words and order."""
        self._filter_timer.stop()
        self.error_label.clear()
        filters: Filters = search.filters
        self.filter_edit.setText(filters.text)
        self.facet_panel.set_filters(filters)
        order_by, descending = search.order_by, search.descending
        if not order_by or order_by not in self.model.columns or not sortable(order_by):
            order_by, descending = DEFAULT_SORT[self.type_name]
        if order_by in OPTIONAL_COLUMNS[self.type_name]:
            self.view.setColumnHidden(self.model.columns.index(order_by), False)
        self.model.set_query(filters, filters.text, order_by, descending)
        self._show_sort_indicator()
        self._refresh_counts()

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
    """What the list holds, as plain numbers: never any record text. The total is always the
    exact count for the filters; until it arrives, the rows loaded so far."""
    locale = QLocale()
    if not model.started:
        return ""
    if model.loading and model.rowCount() == 0:
        return _("Loading…")
    shown = model.rowCount()
    total = model.total
    if total is None:
        return _("{shown} loaded; counting…").format(shown=locale.toString(shown))
    if model.filtered:
        if total == 0:
            return _("Nothing matches the filters.")
        if shown >= total:
            return ngettext("{n} match", "{n} matches", total).format(n=locale.toString(total))
        return ngettext(
            "{shown} of {n} match loaded; scroll for more",
            "{shown} of {n} matches loaded; scroll for more",
            total,
        ).format(shown=locale.toString(shown), n=locale.toString(total))
    if total == 0:
        return _("No records of this kind yet.")
    if shown >= total:
        return ngettext("{total} record", "{total} records", total).format(
            total=locale.toString(total)
        )
    return _("{shown} of {total} loaded; scroll for more").format(
        shown=locale.toString(shown), total=locale.toString(total)
    )
