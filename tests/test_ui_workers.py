"""The background worker: results and errors arrive in the GUI thread; cancel discards."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from monitor_app.errors import Cancelled, MonitorError, VaultError
from monitor_app.jobs import CancelToken, Progress
from ui.common.workers import JobRunner, job_threads_alive

pytestmark = pytest.mark.gui
TIMEOUT_MS = 10_000


class Recorder:
    def __init__(self) -> None:
        self.successes: list[Any] = []
        self.failures: list[MonitorError] = []
        self.progress: list[tuple[int, int]] = []
        self.discarded: list[Any] = []
        self.threads: set[str] = set()

    def success(self, result: Any) -> None:
        self.threads.add(threading.current_thread().name)
        self.successes.append(result)

    def failure(self, error: MonitorError) -> None:
        self.threads.add(threading.current_thread().name)
        self.failures.append(error)

    def on_progress(self, done: int, total: int) -> None:
        self.progress.append((done, total))

    def discard(self, result: Any) -> None:
        self.discarded.append(result)


def start(runner: JobRunner, job: Any, rec: Recorder) -> None:
    runner.start(
        job,
        on_success=rec.success,
        on_failure=rec.failure,
        on_progress=rec.on_progress,
        discard=rec.discard,
    )


@pytest.fixture
def runner() -> Any:
    runner = JobRunner()
    yield runner
    runner.shutdown()


def test_result_and_progress_arrive_in_the_gui_thread(qtbot: QtBot, runner: JobRunner) -> None:
    rec = Recorder()
    worker_threads: list[str] = []

    def job(cancel: CancelToken, progress: Progress) -> int:
        worker_threads.append(threading.current_thread().name)
        for done in range(1, 101):
            progress(done, 100)
        return 42

    start(runner, job, rec)
    assert runner.busy
    qtbot.waitUntil(lambda: not runner.busy, timeout=TIMEOUT_MS)
    assert rec.successes == [42]
    assert rec.failures == []
    assert rec.threads == {threading.main_thread().name}
    assert worker_threads and worker_threads[0] != threading.main_thread().name
    # Throttled, but the final report always arrives.
    assert rec.progress[-1] == (100, 100)
    assert len(rec.progress) < 100


def test_core_errors_are_passed_on_and_others_become_internal(
    qtbot: QtBot, runner: JobRunner
) -> None:
    rec = Recorder()

    def wrong(cancel: CancelToken, progress: Progress) -> None:
        raise VaultError("wrong_passphrase")

    start(runner, wrong, rec)
    qtbot.waitUntil(lambda: not runner.busy, timeout=TIMEOUT_MS)

    def broken(cancel: CancelToken, progress: Progress) -> None:
        raise RuntimeError("secret record text must not travel")

    start(runner, broken, rec)
    qtbot.waitUntil(lambda: not runner.busy, timeout=TIMEOUT_MS)
    assert [e.code for e in rec.failures] == ["wrong_passphrase", "internal"]
    assert "secret" not in str(rec.failures[1])
    assert rec.successes == []


def test_cancel_reaches_the_running_job_directly(qtbot: QtBot, runner: JobRunner) -> None:
    rec = Recorder()
    started = threading.Event()
    saw_cancel = threading.Event()

    def job(cancel: CancelToken, progress: Progress) -> None:
        started.set()
        # Wait for the flag itself: a queued signal could never arrive while this runs.
        if cancel.wait(10):
            saw_cancel.set()
        cancel.raise_if_cancelled()

    start(runner, job, rec)
    assert started.wait(5)
    runner.cancel()
    # The screen is free at once; the abandoned thread winds down on its own.
    assert not runner.busy
    qtbot.waitUntil(lambda: not runner.running, timeout=TIMEOUT_MS)
    assert saw_cancel.is_set()
    # A cancelled job reports nothing: the screen that started it has moved on.
    assert rec.successes == [] and rec.failures == []


def test_a_result_arriving_after_cancel_is_discarded(qtbot: QtBot, runner: JobRunner) -> None:
    rec = Recorder()
    release = threading.Event()
    token = object()

    def job(cancel: CancelToken, progress: Progress) -> object:
        release.wait(5)  # like the KDF: cannot be interrupted
        return token

    start(runner, job, rec)
    runner.cancel()
    release.set()
    qtbot.waitUntil(lambda: not runner.running, timeout=TIMEOUT_MS)
    assert rec.discarded == [token]
    assert rec.successes == []
    assert not any(isinstance(e, Cancelled) for e in rec.failures)


def test_shutdown_waits_and_discards_a_late_result(runner: JobRunner) -> None:
    rec = Recorder()
    started = threading.Event()
    token = object()

    def job(cancel: CancelToken, progress: Progress) -> object:
        started.set()
        cancel.wait(10)  # like the KDF: finishes even though it was cancelled
        return token

    start(runner, job, rec)
    assert started.wait(5)
    runner.shutdown()
    assert not runner.busy and not runner.running
    assert rec.discarded == [token]
    assert rec.successes == []


def test_a_new_job_may_start_right_after_cancel(qtbot: QtBot, runner: JobRunner) -> None:
    rec = Recorder()
    release = threading.Event()
    stale = object()
    start(runner, lambda cancel, progress: (release.wait(5), stale)[1], rec)
    runner.cancel()
    start(runner, lambda cancel, progress: "fresh", rec)
    qtbot.waitUntil(lambda: rec.successes == ["fresh"], timeout=TIMEOUT_MS)
    release.set()
    qtbot.waitUntil(lambda: not runner.running, timeout=TIMEOUT_MS)
    assert rec.successes == ["fresh"]
    assert rec.discarded == [stale]


def test_one_job_at_a_time(qtbot: QtBot, runner: JobRunner) -> None:
    rec = Recorder()
    release = threading.Event()
    start(runner, lambda cancel, progress: release.wait(5), rec)
    with pytest.raises(RuntimeError):
        start(runner, lambda cancel, progress: None, rec)
    release.set()
    qtbot.waitUntil(lambda: not runner.busy, timeout=TIMEOUT_MS)
    assert rec.successes == [True]


def test_a_screen_deleted_while_its_job_runs_does_not_take_the_thread_down(
    qtbot: QtBot,
) -> None:
    # pytest-qt holds pages weakly and Qt deletes children with their parent, so a page and
    # its runner may go while the job is still finishing; destroying a running QThread
    # aborts the whole process.
    import shiboken6
    from PySide6.QtWidgets import QWidget

    release = threading.Event()
    page = QWidget()
    rec = Recorder()

    def job(cancel: CancelToken, progress: Progress) -> str:
        release.wait(TIMEOUT_MS / 1000)
        return "late"

    start(JobRunner(page), job, rec)
    shiboken6.delete(page)
    release.set()
    qtbot.waitUntil(lambda: job_threads_alive() == 0, timeout=TIMEOUT_MS)
    assert rec.successes == [] and rec.failures == []
