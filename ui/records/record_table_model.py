"""The rows of one record type for a QTableView, loaded lazily off the GUI thread.

Why it is shaped like this (figures from bench/bench_ui_lists.py at 100 000 incidents):

- Every read runs in a background job: ``RecordStore.count`` takes about 0.1 s, and a page
  sorted by title or by modification time takes up to 2 s deep in the list, because the core
  pages with OFFSET and has no index for those orders.
- Pages grow geometrically (one page, one page, then twice what is loaded, up to
  ``MAX_PAGE``): a deep OFFSET costs about as much as sorting everything, so a few large pages
  reach the end far sooner than hundreds of small ones. ``rowCount()`` still starts at one page.
- A read can be abandoned mid-statement (``cancellable_read``), so a new sort, a new filter or
  locking never waits for a stale two-second query to finish.
- A filter goes through the core full-text search restricted to the type (every language the
  search knows), not through the loaded rows: with 100 000 records most rows are never loaded.
  The search ranks matches and has neither a sort order nor a count, so a filter loads at most
  ``FILTER_LIMIT`` matches at once and sorts them here, the way the core sorts the list.

Record text is only ever returned for ``Qt.DisplayRole``, as a plain string: item views paint
it as plain text. There are no tooltips: Qt guesses whether a tooltip is rich text.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any, Final

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from monitor_app.errors import Cancelled, MonitorError
from monitor_app.i18n import _
from monitor_app.jobs import CancelToken, Progress
from monitor_app.messages import describe
from monitor_app.records import listing
from monitor_app.records.store import SORT_COLUMNS
from monitor_app.vault.session import UnlockedVault
from ui.common.widgets import date_text, modified_text, shown_alone
from ui.common.workers import JobRunner

PAGE_SIZE = 200
MAX_PAGE = 25_000
FILTER_LIMIT = 1_000
# SQLite calls the progress handler every this many virtual-machine steps: about every
# millisecond, so a cancelled read stops at once and an ordinary one is not slowed down.
PROGRESS_STEPS = 20_000
RECORD_ID_ROLE = Qt.ItemDataRole.UserRole

# The column keys are the core's sort keys (store.SORT_COLUMNS): sorting maps one to one.
COLUMNS: dict[str, tuple[str, ...]] = {
    "place": ("display", "modified"),
    "visit": ("date", "display", "modified"),
    "incident": ("date", "display", "modified"),
    "person": ("display", "modified"),
}
# Names read best alphabetically; visits and incidents newest first.
DEFAULT_SORT: dict[str, tuple[str, bool]] = {
    "place": ("display", False),
    "visit": ("date", True),
    "incident": ("date", True),
    "person": ("display", False),
}

ModelIndex = QModelIndex | QPersistentModelIndex


# A row is a plain tuple of strings, not a named tuple or dataclass: CPython's garbage
# collector stops tracking such tuples, so 100 000 loaded rows do not lengthen every full
# collection (the bench measured 30-50 ms pauses, taken while holding the GIL, without this).
Row = tuple[str, str, str | None, str | None]
ID: Final = 0
DISPLAY: Final = 1
DATE: Final = 2
MODIFIED: Final = 3


def column_title(type_name: str, key: str) -> str:
    if key == "display":
        titles = {
            "place": _("Name"),
            "visit": _("Title"),  # the summary, or (without one) the place and date
            "incident": _("Title"),
            "person": _("Pseudonym"),
        }
        return titles.get(type_name, _("Title"))
    if key == "date":
        return {"visit": _("Started"), "incident": _("Occurred")}.get(type_name, _("Date"))
    return _("Modified")


def cell_text(key: str, row: Row) -> str:
    if key == "display":
        return shown_alone(row[DISPLAY]) or _("(untitled)")
    if key == "date":
        return date_text(row[DATE])
    return modified_text(row[MODIFIED])


def sort_rows(rows: list[Row], key: str, descending: bool) -> list[Row]:
    """``rows`` in the order ``RecordStore.list`` gives: NULL first when ascending, then the
    record id."""
    column = {"display": DISPLAY, "date": DATE}.get(key, MODIFIED)

    def sort_key(row: Row) -> tuple[bool, str, str]:
        value = row[column]
        return (value is not None, value or "", row[ID])

    return sorted(rows, key=sort_key, reverse=descending)


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


def read_page(
    vault: UnlockedVault,
    type_name: str,
    key: str,
    descending: bool,
    after: Row | None,
    limit: int,
) -> list[Row]:
    """The page after the row ``after`` (the first page for None): each page is a range of an
    index from where the last ended, as quick at the end of a million rows as at the top."""
    cursor = None
    if after is not None:
        # Pages are read only for the unfiltered list, whose rows all carry their times.
        modified = after[MODIFIED] or ""
        cursor = listing.cursor_after(key, after[ID], after[DATE], modified, after[DISPLAY])
    summaries = vault.records.list(
        type_name, limit=limit, order_by=key, descending=descending, after=cursor
    )
    return [(s.record_id, s.display, s.sort_date, s.modified_at) for s in summaries]


class RecordTableModel(QAbstractTableModel):
    """One record type, newest or alphabetical first; see the module docstring."""

    loaded = Signal()  # rows arrived: a first page, a further page, or the filter's matches
    failed = Signal(str)  # a sentence for the person (messages.describe)
    state_changed = Signal()  # loading started or ended, or the rows were dropped

    def __init__(
        self,
        type_name: str,
        *,
        page_size: int = PAGE_SIZE,
        max_page: int = MAX_PAGE,
        filter_limit: int = FILTER_LIMIT,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.type_name = type_name
        self.columns = COLUMNS[type_name]
        self.page_size = page_size
        self.max_page = max(max_page, page_size)
        self.filter_limit = filter_limit
        self._vault: UnlockedVault | None = None
        self._rows: list[Row] = []
        self._ids: set[str] = set()
        self._total: int | None = None  # live records of the type, from RecordStore.count
        self._exhausted = False  # a page came back short: nothing more to fetch
        self._capped = False  # the filter found more than filter_limit matches
        self._started = False
        self._filter = ""
        self._sort_key, self._descending = DEFAULT_SORT[type_name]
        self._runner = JobRunner(self)

    # -- state -----------------------------------------------------------------------------
    @property
    def loading(self) -> bool:
        return self._runner.busy

    @property
    def reading(self) -> bool:
        """Some read is still running, the current one or an abandoned one."""
        return self._runner.running

    @property
    def started(self) -> bool:
        return self._started

    @property
    def total(self) -> int | None:
        """Records of the type (unfiltered), or the number of matches while filtered."""
        return len(self._rows) if self._filter and self._started else self._total

    @property
    def filter_text(self) -> str:
        return self._filter

    @property
    def capped(self) -> bool:
        """The filter found more matches than ``filter_limit``; only the best are shown."""
        return self._capped

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

    def clear(self) -> None:
        """Drop every row, the filter and the vault; a read still running is abandoned."""
        self._runner.cancel()
        self.beginResetModel()
        self._reset_rows()
        self._vault = None
        self._started = False
        self._filter = ""
        self.endResetModel()
        self.state_changed.emit()

    def shutdown(self) -> None:
        """Clear, then wait for abandoned reads (they stop within milliseconds)."""
        self.clear()
        self._runner.shutdown()

    def reload(self) -> None:
        """Start again from the first page (or the filter's matches)."""
        self._runner.cancel()
        self.beginResetModel()
        self._reset_rows()
        self.endResetModel()
        vault = self._vault
        if vault is None:
            self.state_changed.emit()
            return
        self._started = True
        type_name, query, limit = self.type_name, self._filter, self.filter_limit
        key, descending, size = self._sort_key, self._descending, self.page_size
        if query:

            def find(cancel: CancelToken, progress: Progress) -> list[Row]:
                with cancellable_read(vault, cancel):
                    # One more than shown: whether there are more matches than the limit.
                    hits = vault.records.search(query, record_type=type_name, limit=limit + 1)
                return [(h.record_id, h.display, h.sort_date, h.modified_at) for h in hits]

            self._runner.start(find, on_success=self._matches_arrived, on_failure=self._failed)
        else:

            def first(cancel: CancelToken, progress: Progress) -> tuple[int, list[Row]]:
                with cancellable_read(vault, cancel):
                    total = vault.records.count(type_name)
                    return total, read_page(vault, type_name, key, descending, None, size)

            self._runner.start(first, on_success=self._first_arrived, on_failure=self._failed)
        self.state_changed.emit()

    def _reset_rows(self) -> None:
        self._rows, self._ids = [], set()
        self._total = None
        self._exhausted = self._capped = False

    # -- lazy loading ----------------------------------------------------------------------
    def canFetchMore(self, parent: ModelIndex = QModelIndex()) -> bool:  # noqa: B008
        if parent.isValid() or self._filter or self._runner.busy or self._exhausted:
            return False
        return self._total is not None and len(self._rows) < self._total

    def fetchMore(self, parent: ModelIndex = QModelIndex()) -> None:  # noqa: B008
        """Ask for the next page; it is inserted when it arrives (``loaded``)."""
        vault = self._vault
        if vault is None or not self.canFetchMore(parent):
            return
        type_name, key, descending = self.type_name, self._sort_key, self._descending
        last = self._rows[-1] if self._rows else None
        size = min(max(self.page_size, len(self._rows)), self.max_page)

        def page(cancel: CancelToken, progress: Progress) -> tuple[int, list[Row]]:
            with cancellable_read(vault, cancel):
                return size, read_page(vault, type_name, key, descending, last, size)

        self._runner.start(page, on_success=self._page_arrived, on_failure=self._failed)
        self.state_changed.emit()

    def _first_arrived(self, result: Any) -> None:
        total, rows = result
        self._total = total
        self._append(rows, short=len(rows) < self.page_size)

    def _page_arrived(self, result: Any) -> None:
        size, rows = result
        self._append(rows, short=len(rows) < size)

    def _matches_arrived(self, result: Any) -> None:
        rows: list[Row] = result
        self._capped = len(rows) > self.filter_limit
        rows = rows[: self.filter_limit]
        self._append(sort_rows(rows, self._sort_key, self._descending), short=True)

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

    # -- sorting ---------------------------------------------------------------------------
    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort as the core does (``RecordStore.list`` order_by/descending): the rows are
        dropped and fetched again from the first page."""
        if not 0 <= column < len(self.columns) or self.columns[column] not in SORT_COLUMNS:
            return
        key, descending = self.columns[column], order == Qt.SortOrder.DescendingOrder
        if (key, descending) == (self._sort_key, self._descending):
            return  # the view repeats the current order when sorting is switched on
        self._sort_key, self._descending = key, descending
        if self._filter:
            # The matches are all here already: sort them in place.
            self.beginResetModel()
            self._rows = sort_rows(self._rows, key, descending)
            self.endResetModel()
        elif self._started:
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
            return cell_text(self.columns[index.column()], row)
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
            # A first click on a date column shows the newest first; on names, A to Z.
            if key == "display":
                return Qt.SortOrder.AscendingOrder
            return Qt.SortOrder.DescendingOrder
        return None

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
