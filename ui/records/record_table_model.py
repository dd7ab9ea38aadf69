"""The rows of one record type for a QTableView, loaded lazily off the GUI thread.

Why it is shaped like this:

- Every read runs in a background job, and a read can be abandoned mid-statement
  (``cancellable_read``), so a new sort, a new filter or locking never waits for a stale
  query to finish.
- Everything, filtered or not, is read through the core's keyset listing
  (``RecordStore.list`` with ``filters``): the filter box's words become ``Filters.text`` and
  combine with the facets, each page starts where the last ended in every sort order, and
  the total is always the exact ``RecordStore.count`` for the same filters. The count runs as
  its own job, so the first rows never wait for it.
- Pages grow geometrically (one page, one page, then twice what is loaded, up to
  ``MAX_PAGE``): fewer round trips to reach the end of a long list.

Record text is only ever returned for ``Qt.DisplayRole``, as a plain string: item views paint
it as plain text. There are no tooltips: Qt guesses whether a tooltip is rich text.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QLocale,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from monitor_app.errors import Cancelled, MonitorError
from monitor_app.jobs import CancelToken, Progress
from monitor_app.messages import describe
from monitor_app.records import authorship, listing
from monitor_app.records.facets import Filters
from monitor_app.records.store import RecordSummary
from monitor_app.vault.session import UnlockedVault
from ui.common import gradual_release
from ui.common.workers import JobRunner
from ui.records.list_columns import (
    CASE_STATUS,
    COLUMNS,
    DATE,
    DEFAULT_SORT,
    DISPLAY,
    ID,
    MODIFIED,
    PLACE,
    REGION,
    REPRISAL_RISK,
    CellLabels,
    Row,
    all_columns,
    cell_text,
    column_title,
    sortable,
)

__all__ = ["COLUMNS", "PAGE_SIZE", "RECORD_ID_ROLE", "RecordTableModel", "Row", "cell_text"]

PAGE_SIZE = 200
MAX_PAGE = 25_000
# SQLite calls the progress handler every this many virtual-machine steps: about every
# millisecond, so a cancelled read stops at once and an ordinary one is not slowed down.
PROGRESS_STEPS = 20_000
RECORD_ID_ROLE = Qt.ItemDataRole.UserRole

ModelIndex = QModelIndex | QPersistentModelIndex


@contextlib.contextmanager
def cancellable_read(vault: UnlockedVault, cancel: CancelToken) -> Iterator[None]:
    """Hold the vault for the reads inside; once ``cancel`` is set, SQLite abandons the
    running statement and this raises ``Cancelled``.

    The handler is installed only while this thread holds the vault's lock, so it can only
    ever stop these reads, never a write of another job. Without it, locking the vault would
    wait for the slowest page query (seconds on a large vault) on the GUI thread.
    """
    with vault.reading() as conn:
        conn.set_progress_handler(lambda: int(cancel.cancelled), PROGRESS_STEPS)
        try:
            yield
        except Exception:
            if cancel.cancelled:
                raise Cancelled() from None
            raise
        finally:
            conn.set_progress_handler(None, 0)


def row_of(summary: RecordSummary) -> Row:
    s = summary
    return (
        s.record_id,
        s.display,
        s.sort_date,
        s.modified_at,
        s.place_id,
        s.case_status,
        s.reprisal_risk,
        s.region,
        s.created_by,
    )


def cursor_of(key: str, row: Row) -> listing.Cursor:
    """Where the page after ``row`` starts in ``key`` order (the row's own values)."""
    return listing.cursor_after(
        key,
        row[ID],
        row[DATE],
        row[MODIFIED] or "",
        row[DISPLAY],
        case_status=row[CASE_STATUS],
        reprisal_risk=row[REPRISAL_RISK],
        region=row[REGION],
    )


def read_page(
    vault: UnlockedVault,
    type_name: str,
    key: str,
    descending: bool,
    after: Row | None,
    limit: int,
    filters: Filters | None = None,
) -> list[Row]:
    """The page after the row ``after`` (the first page for None): each page is a range of an
    index from where the last ended, as quick at the end of a million rows as at the top."""
    cursor = cursor_of(key, after) if after is not None else None
    summaries = vault.records.list(
        type_name,
        limit=limit,
        order_by=key,
        descending=descending,
        after=cursor,
        filters=filters if filters is not None and not filters.is_empty else None,
    )
    return [row_of(s) for s in summaries]


PageResult = tuple[int, list[Row], dict[str, str], dict[str, authorship.Party] | None]


class RecordTableModel(QAbstractTableModel):
    """One record type, newest or alphabetical first; see the module docstring."""

    loaded = Signal()  # rows arrived: a first page or a further page
    counted = Signal()  # the exact total for the current filters arrived
    failed = Signal(str)  # a sentence for the person (messages.describe)
    state_changed = Signal()  # loading or counting started or ended, or the rows were dropped

    def __init__(
        self,
        type_name: str,
        *,
        page_size: int = PAGE_SIZE,
        max_page: int = MAX_PAGE,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.type_name = type_name
        self.columns = all_columns(type_name)
        self.page_size = page_size
        self.max_page = max(max_page, page_size)
        self._vault: UnlockedVault | None = None
        self._rows: list[Row] = []
        self._ids: set[str] = set()
        self._total: int | None = None  # RecordStore.count for the current filters
        self._exhausted = False  # a page came back short: nothing more to fetch
        self._first_done = False
        self._started = False
        self._filter = ""
        self._facets = Filters()  # the facet panel's choices (no text, no type)
        self._labels = CellLabels(vocabulary=self._vocabulary_label)
        self._language = QLocale().name()
        self._sort_key, self._descending = DEFAULT_SORT[type_name]
        self._runner = JobRunner(self)
        self._count_runner = JobRunner(self)

    # -- state -----------------------------------------------------------------------------
    @property
    def loading(self) -> bool:
        return self._runner.busy

    @property
    def counting(self) -> bool:
        return self._count_runner.busy

    @property
    def reading(self) -> bool:
        """Some read is still running, the current one or an abandoned one."""
        return self._runner.running or self._count_runner.running

    @property
    def started(self) -> bool:
        return self._started

    @property
    def total(self) -> int | None:
        """The exact number of records the filters keep (None until counted)."""
        return self._total

    @property
    def filter_text(self) -> str:
        return self._filter

    @property
    def facets(self) -> Filters:
        return self._facets

    @property
    def filtered(self) -> bool:
        return bool(self._filter) or not self._facets.is_empty

    @property
    def filters(self) -> Filters:
        """Everything the list is narrowed by, as the core takes it (the type included)."""
        return replace(self._facets, text=self._filter, type=(self.type_name,))

    @property
    def sort_key(self) -> str:
        return self._sort_key

    @property
    def descending(self) -> bool:
        return self._descending

    @property
    def sort_column(self) -> int:
        return self.columns.index(self._sort_key)

    def record_id(self, row: int) -> str | None:
        return self._rows[row][ID] if 0 <= row < len(self._rows) else None

    # -- control ---------------------------------------------------------------------------
    def set_vault(self, vault: UnlockedVault | None) -> None:
        """Forget everything shown; rows load on ``ensure_loaded`` (when the list is shown)."""
        self.clear()
        self._vault = vault

    def ensure_loaded(self) -> None:
        if not self._started:
            self.reload()

    def set_filter(self, text: str) -> None:
        text = text.strip()
        if text == self._filter:
            return
        self._filter = text
        if self._started:
            self.reload()

    def set_facets(self, facets: Filters) -> None:
        facets = replace(facets, text="", type=())
        if facets == self._facets:
            return
        self._facets = facets
        if self._started:
            self.reload()

    def set_query(self, facets: Filters, text: str, sort_key: str, descending: bool) -> None:
        """Filters, words and order at once (a saved search): one reload, not three."""
        self._facets = replace(facets, text="", type=())
        self._filter = text.strip()
        if sort_key in self.columns and sortable(sort_key):
            self._sort_key, self._descending = sort_key, descending
        if self._started:
            self.reload()

    def clear(self) -> None:
        """Drop every row, the filters and the vault; reads still running are abandoned."""
        self._runner.cancel()
        self._count_runner.cancel()
        self.beginResetModel()
        self._reset_rows()
        self._vault = None
        self._started = False
        self._filter = ""
        self._facets = Filters()
        self._labels.places.clear()
        self._labels.authors.clear()
        self.endResetModel()
        self.state_changed.emit()

    def shutdown(self) -> None:
        """Clear, then wait for abandoned reads (they stop within milliseconds)."""
        self.clear()
        self._runner.shutdown()
        self._count_runner.shutdown()

    def reload(self) -> None:
        """Start again from the first page, and count again."""
        self._runner.cancel()
        self._count_runner.cancel()
        self.beginResetModel()
        self._reset_rows()
        self.endResetModel()
        vault = self._vault
        if vault is None:
            self.state_changed.emit()
            return
        self._started = True
        self._language = QLocale().name()
        type_name, filters = self.type_name, self.filters
        key, descending, size = self._sort_key, self._descending, self.page_size
        want_authors = "author" in self.columns

        def first(cancel: CancelToken, progress: Progress) -> PageResult:
            with cancellable_read(vault, cancel):
                rows = read_page(vault, type_name, key, descending, None, size, filters)
                places = _place_names(vault, rows)
                authors = vault.records.authors() if want_authors else None
                return size, rows, places, authors

        def count(cancel: CancelToken, progress: Progress) -> int:
            with cancellable_read(vault, cancel):
                return vault.records.count(type_name, filters=filters)

        self._runner.start(first, on_success=self._page_arrived, on_failure=self._failed)
        self._count_runner.start(count, on_success=self._count_arrived, on_failure=self._failed)
        self.state_changed.emit()

    def _reset_rows(self) -> None:
        gradual_release.release(self._rows)
        gradual_release.release(self._ids)
        self._rows, self._ids = [], set()
        self._total = None
        self._exhausted = self._first_done = False

    # -- lazy loading ----------------------------------------------------------------------
    def canFetchMore(self, parent: ModelIndex = QModelIndex()) -> bool:  # noqa: B008
        if parent.isValid() or not self._first_done or self._runner.busy or self._exhausted:
            return False
        return self._total is None or len(self._rows) < self._total

    def fetchMore(self, parent: ModelIndex = QModelIndex()) -> None:  # noqa: B008
        """Ask for the next page; it is inserted when it arrives (``loaded``)."""
        vault = self._vault
        if vault is None or not self.canFetchMore(parent):
            return
        type_name, key, descending = self.type_name, self._sort_key, self._descending
        filters = self.filters
        last = self._rows[-1] if self._rows else None
        size = min(max(self.page_size, len(self._rows)), self.max_page)

        def page(cancel: CancelToken, progress: Progress) -> PageResult:
            with cancellable_read(vault, cancel):
                rows = read_page(vault, type_name, key, descending, last, size, filters)
                return size, rows, _place_names(vault, rows), None

        self._runner.start(page, on_success=self._page_arrived, on_failure=self._failed)
        self.state_changed.emit()

    def _page_arrived(self, result: Any) -> None:
        size, rows, places, authors = result
        first, self._first_done = not self._first_done, True
        if first and len(rows) < size and self._total is None:
            # A short first page is the whole list: its length is the exact count.
            self._count_runner.cancel()
            self._total = len(rows)
            self.counted.emit()
        self._labels.places.update(places)
        if authors is not None:
            self._labels.authors = {
                author: authorship.party_text(party) for author, party in authors.items()
            }
        self._append(rows, short=len(rows) < size)

    def _count_arrived(self, total: Any) -> None:
        self._total = int(total)
        self.counted.emit()
        self.state_changed.emit()

    def _append(self, rows: list[Row], *, short: bool) -> None:
        # A record edited meanwhile can move past the cursor: never show a row twice.
        fresh = [row for row in rows if row[ID] not in self._ids]
        self._exhausted = self._exhausted or short
        if fresh:
            start = len(self._rows)
            self.beginInsertRows(QModelIndex(), start, start + len(fresh) - 1)
            self._rows.extend(fresh)
            self._ids.update(row[ID] for row in fresh)
            self.endInsertRows()
        self.loaded.emit()
        self.state_changed.emit()

    def _failed(self, error: MonitorError) -> None:
        self.state_changed.emit()
        self.failed.emit(describe(error))

    def _vocabulary_label(self, vocabulary: str, code: str) -> str:
        vault = self._vault
        if vault is None:
            return code
        return vault.records.vocabularies.get(vocabulary).label(code, self._language)

    # -- sorting ---------------------------------------------------------------------------
    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort as the core does (``RecordStore.list`` order_by/descending): the rows are
        dropped and fetched again from the first page. Columns the core has no order for
        (place, author) are ignored."""
        if not 0 <= column < len(self.columns) or not sortable(self.columns[column]):
            return
        key, descending = self.columns[column], order == Qt.SortOrder.DescendingOrder
        if (key, descending) == (self._sort_key, self._descending):
            return  # the view repeats the current order when sorting is switched on
        self._sort_key, self._descending = key, descending
        if self._started:
            self.reload()

    # -- QAbstractTableModel ---------------------------------------------------------------
    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return cell_text(self.columns[index.column()], row, self._labels)
        if role == RECORD_ID_ROLE:
            return row[ID]
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.columns):
            return None
        key = self.columns[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return column_title(self.type_name, key)
        if role == Qt.ItemDataRole.InitialSortOrderRole:
            # A first click on a date column shows the newest first; on text, A to Z.
            if key in ("date", "modified"):
                return Qt.SortOrder.DescendingOrder
            return Qt.SortOrder.AscendingOrder
        return None

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable


def _place_names(vault: UnlockedVault, rows: list[Row]) -> dict[str, str]:
    """The titles of the places the rows name, for the place column."""
    wanted = {row[PLACE] for row in rows if row[PLACE]}
    if not wanted:
        return {}
    names = vault.records.names(place for place in wanted if place)
    return {place: name.display for place, name in names.items()}
