"""Progress and cancellation for long work, shared by the CLI and the GUI.

Core functions that may run long take ``progress`` (a plain callable) and ``cancel`` (a
CancelToken) and check the token between chunks. The GUI sets the token directly from its
own thread; a queued signal would wait behind the running job.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from monitor_app.errors import Cancelled

# progress(done, total): total is None when unknown.
Progress = Callable[[int, int | None], None]


class CancelToken:
    """A thread-safe cancellation flag."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until cancelled or ``timeout`` seconds pass; True if cancelled."""
        return self._event.wait(timeout)

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled()


def no_progress(done: int, total: int | None) -> None:
    """Progress sink for callers that do not report progress."""


def check(cancel: CancelToken | None) -> None:
    if cancel is not None:
        cancel.raise_if_cancelled()
