"""Tables that fit their width: every column title whole, no sideways scrolling.

A small screen in Russian or Kyrgyz cannot show every column of a table at its content's
width. Rather than scroll sideways (which hides the columns a reviewer scans for) or cut the
titles, the columns are given widths here, on every resize and every change of the rows:

1. each column wants its content's width (never less than its title's);
2. when that is too wide, the *shrinkable* columns (free text: names, recipients) give up
   width down to their title's, their cells cut short with "…" (the whole text is in the
   tooltip the page puts on each cell);
3. when even that is too wide, the *optional* columns are hidden, least needed first (what
   they show is elsewhere on the page too);
4. what is left over goes to the first shrinkable column, so the table fills its width.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QHeaderView, QTableView


class ColumnFitter(QObject):
    """Keeps ``table``'s columns fitted to its viewport (see the module's rules)."""

    def __init__(
        self,
        table: QTableView,
        *,
        shrinkable: Sequence[int],
        optional: Sequence[int] = (),
    ) -> None:
        super().__init__(table)
        self.table = table
        self.shrinkable = tuple(shrinkable)
        self.optional = tuple(optional)  # least needed first
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header.setStretchLastSection(False)
        header.setMinimumSectionSize(1)
        table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        table.setTextElideMode(Qt.TextElideMode.ElideRight)
        # Coalesced: filling a table row by row must not refit it once per cell.
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.fit)
        table.viewport().installEventFilter(self)
        model = table.model()
        for signal in (
            model.rowsInserted,
            model.rowsRemoved,
            model.modelReset,
            model.dataChanged,
            model.layoutChanged,
            model.headerDataChanged,
        ):
            signal.connect(self._later)
        self.fit()

    def _later(self, *_args: object) -> None:
        self._timer.start()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self.fit()
        return False

    def fit(self) -> None:
        header = self.table.horizontalHeader()
        count = header.count()
        if count == 0:
            return
        titles = [header.sectionSizeFromContents(c).width() for c in range(count)]
        wanted = [max(titles[c], self.table.sizeHintForColumn(c)) for c in range(count)]
        room = self.table.viewport().width()
        shown = list(range(count))
        for column in self.optional:
            if self._least(shown, wanted, titles) <= room:
                break
            shown.remove(column)
        widths = self._share(shown, wanted, titles, room)
        for column in range(count):
            header.setSectionHidden(column, column not in shown)
            if column in shown:
                header.resizeSection(column, widths[column])

    def _least(self, shown: list[int], wanted: list[int], titles: list[int]) -> int:
        """The narrowest ``shown`` can be: shrinkable columns at their titles' width."""
        return sum(titles[c] if c in self.shrinkable else wanted[c] for c in shown)

    def _share(
        self, shown: list[int], wanted: list[int], titles: list[int], room: int
    ) -> dict[int, int]:
        widths = {c: wanted[c] for c in shown}
        shrink = [c for c in shown if c in self.shrinkable]
        over = sum(widths.values()) - room
        if over > 0 and shrink:
            # Shrink the widest free-text columns first, never below their titles.
            slack = {c: wanted[c] - titles[c] for c in shrink}
            total = sum(slack.values())
            if total > 0:
                taken = min(over, total)
                for c in shrink:
                    widths[c] -= -(-taken * slack[c] // total)  # rounded up: never over
        left = room - sum(widths.values())
        if left > 0:
            widths[shrink[0] if shrink else shown[-1]] += left
        return widths
