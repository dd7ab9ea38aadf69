"""Drop a large collection a slice at a time from the event loop, not all at once.

A list scrolled to the end of a million records holds a million row tuples; dropping them on
a new sort or filter freed them all in one C call on the GUI thread (some 300 ms at a
million rows, seen in bench/bench_ui_lists.py). Handed here instead, they are freed a few
thousand per turn of the event loop, a millisecond each, in the GUI thread itself (no thread
shares them).
"""

from __future__ import annotations

from collections import deque
from typing import Any

from PySide6.QtCore import QTimer

SLICE = 5_000  # rows freed per turn: about a millisecond
SMALL = 20_000  # smaller collections are simply dropped

_pending: deque[list[Any] | set[Any]] = deque()
_timer: QTimer | None = None


def release(items: list[Any] | set[Any]) -> None:
    """Forget ``items`` (no longer referenced elsewhere) without a long pause."""
    global _timer
    if len(items) <= SMALL:
        return
    _pending.append(items)
    if _timer is None:
        _timer = QTimer()
        _timer.setInterval(0)
        _timer.timeout.connect(_release_slice)
    _timer.start()


def pending() -> int:
    """How many items still wait to be freed."""
    return sum(len(items) for items in _pending)


def _release_slice() -> None:
    if not _pending:
        if _timer is not None:
            _timer.stop()
        return
    items = _pending[0]
    if isinstance(items, list):
        del items[-SLICE:]
    else:
        for _ in range(min(SLICE, len(items))):
            items.pop()
    if not items:
        _pending.popleft()
