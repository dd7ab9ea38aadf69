"""Long core work (the KDF in create and unlock, later imports and exports) off the GUI thread.

A ``Worker`` runs one callable on a ``QThread`` and reports through signals; it never touches a
widget. The ``JobRunner`` lives in the GUI thread, owns the thread, and calls the screen's
callbacks from there. Cancelling sets the core ``CancelToken`` directly: a queued signal would
wait behind the running job.

A job that was cancelled but still finished (the KDF cannot be interrupted) may hold something
that must not be left lying around, such as an unlocked vault: its result is handed to the
``discard`` callable instead of the success callback.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Qt, QThread, Signal, Slot

from monitor_app.errors import Cancelled, MonitorError
from monitor_app.jobs import CancelToken, Progress

log = logging.getLogger(__name__)

Job = Callable[[CancelToken, Progress], Any]
PROGRESS_INTERVAL = 0.1  # seconds: about ten repaints a second at most


class Worker(QObject):
    """Runs ``job(cancel, progress)`` once, in whatever thread it has been moved to."""

    succeeded = Signal(object)  # the job's result
    failed = Signal(object)  # a MonitorError (unexpected exceptions become "internal")
    progress = Signal(int, int)  # done, total (-1 when unknown)
    finished = Signal()

    def __init__(self, job: Job, *, discard: Callable[[Any], None] | None = None) -> None:
        super().__init__()
        self._job = job
        self._discard = discard
        self._token = CancelToken()
        self._last_progress = 0.0

    def cancel(self) -> None:
        """Thread-safe: may be called from the GUI thread while the job runs."""
        self._token.cancel()

    @property
    def cancelled(self) -> bool:
        return self._token.cancelled

    def discard(self, result: Any) -> None:
        if self._discard is not None:
            self._discard(result)

    @Slot()
    def run(self) -> None:
        try:
            result = self._job(self._token, self._report)
        except MonitorError as exc:
            self.failed.emit(exc)
        except Exception as exc:
            # Only the type: an exception message might quote record text.
            log.error("background job failed: %s", type(exc).__name__)
            self.failed.emit(MonitorError("internal"))
        else:
            if self._token.cancelled:
                self.discard(result)
                self.failed.emit(Cancelled())
            else:
                self.succeeded.emit(result)
        finally:
            self.finished.emit()
            # Hand the object back to the GUI thread, where its owner will release it.
            app = QCoreApplication.instance()
            if app is not None:
                self.moveToThread(app.thread())

    def _report(self, done: int, total: int | None) -> None:
        now = time.monotonic()
        if done != total and now - self._last_progress < PROGRESS_INTERVAL:
            return
        self._last_progress = now
        self.progress.emit(done, -1 if total is None else total)


class _ThreadKeeper(QObject):
    """Holds every job's thread and worker until the thread has finished.

    A screen (and the runner it owns) can be deleted while its job is still winding down:
    Qt deletes children with their parent, and pytest-qt holds pages weakly. Destroying a
    running QThread aborts the process, so the threads are not the runner's to drop.
    """

    def __init__(self) -> None:
        super().__init__()
        self._threads: dict[QThread, Worker] = {}

    def keep(self, thread: QThread, worker: Worker) -> None:
        self._threads[thread] = worker
        thread.finished.connect(self._release)

    def __len__(self) -> int:
        return len(self._threads)

    @Slot()
    def _release(self) -> None:
        thread = self.sender()
        if isinstance(thread, QThread):
            # Qt's QThread destructor waits out a thread that is inside its finished signal.
            self._threads.pop(thread, None)


_keeper: _ThreadKeeper | None = None


def _thread_keeper() -> _ThreadKeeper:
    global _keeper
    if _keeper is None:
        _keeper = _ThreadKeeper()
    return _keeper


def job_threads_alive() -> int:
    """How many job threads, of every runner, have not finished yet."""
    return 0 if _keeper is None else len(_keeper)


class JobRunner(QObject):
    """Runs one job at a time for a screen; create and use it in the GUI thread.

    ``busy`` means a job's result is still awaited. Cancelling frees the runner at once, so
    that locking and then unlocking again never waits for a KDF nobody wants any more; the
    abandoned thread winds down on its own and its result goes to ``discard``.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._current: Worker | None = None
        # Every thread still running (the current job's and abandoned ones), with its worker:
        # both must stay referenced until the thread has finished.
        self._threads: dict[QThread, Worker] = {}
        self._on_success: Callable[[Any], None] | None = None
        self._on_failure: Callable[[MonitorError], None] | None = None
        self._on_progress: Callable[[int, int], None] | None = None

    @property
    def busy(self) -> bool:
        """A job has been started and its result has not been delivered yet."""
        return self._current is not None

    @property
    def running(self) -> bool:
        """Some thread, current or abandoned, has not finished yet."""
        return bool(self._threads)

    def start(
        self,
        job: Job,
        *,
        on_success: Callable[[Any], None],
        on_failure: Callable[[MonitorError], None],
        on_progress: Callable[[int, int], None] | None = None,
        discard: Callable[[Any], None] | None = None,
    ) -> Worker:
        if self.busy:
            raise RuntimeError("a job is already running")
        worker = Worker(job, discard=discard)
        thread = QThread()
        thread.setObjectName("monitor_app-job")
        worker.moveToThread(thread)
        # Worker signals reach this object's slots queued, in the GUI thread.
        worker.succeeded.connect(self._succeeded)
        worker.failed.connect(self._failed)
        worker.progress.connect(self._progress)
        # QThread.quit is thread-safe: ending the thread's loop must not wait for the GUI.
        worker.finished.connect(thread.quit, Qt.ConnectionType.DirectConnection)
        thread.started.connect(worker.run)
        thread.finished.connect(self._thread_finished)
        self._threads[thread] = worker
        _thread_keeper().keep(thread, worker)
        self._current = worker
        self._on_success, self._on_failure, self._on_progress = on_success, on_failure, on_progress
        thread.start()
        return worker

    def cancel(self) -> None:
        """Cancel the current job; nothing it reports from now on reaches the screen."""
        worker, self._current = self._current, None
        self._on_success = self._on_failure = self._on_progress = None
        if worker is not None:
            worker.cancel()

    def shutdown(self) -> None:
        """Cancel, then wait for every thread; a late result (an unlocked vault) is
        discarded before this returns."""
        self.cancel()
        for thread in list(self._threads):
            thread.quit()
            thread.wait()
        QCoreApplication.sendPostedEvents(self, 0)
        self._threads.clear()

    @Slot(object)
    def _succeeded(self, result: Any) -> None:
        worker = self._sender_worker()
        if worker is None or worker is not self._current:
            if worker is not None:
                worker.discard(result)
            return
        callback = self._on_success
        self._finish()
        if callback is not None:
            callback(result)

    @Slot(object)
    def _failed(self, error: MonitorError) -> None:
        worker = self._sender_worker()
        if worker is None or worker is not self._current:
            return
        callback = self._on_failure
        self._finish()
        if callback is not None:
            callback(error)

    @Slot(int, int)
    def _progress(self, done: int, total: int) -> None:
        worker = self._sender_worker()
        if worker is not None and worker is self._current and self._on_progress is not None:
            self._on_progress(done, total)

    @Slot()
    def _thread_finished(self) -> None:
        thread = self.sender()
        if isinstance(thread, QThread):
            self._threads.pop(thread, None)

    def _finish(self) -> None:
        self._current = None
        self._on_success = self._on_failure = self._on_progress = None

    def _sender_worker(self) -> Worker | None:
        sender = self.sender()
        return sender if isinstance(sender, Worker) else None
