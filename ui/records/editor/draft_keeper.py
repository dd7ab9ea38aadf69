"""Keeping an editor's unsaved values in an encrypted draft (monitor_app/records/drafts.py).

A change starts a timer; ``AUTOSAVE_MS`` later the form's values go to ``DraftStore.save`` on
a worker thread (a write waits for the vault, and the vault may be busy with a long read of
another page). Typing on keeps saving every ``AUTOSAVE_MS``, so an hour of typing never rests
on one save at the end. Before the vault locks, ``save_now`` writes synchronously: the vault
is about to go away, and there is nothing to wait for in the background any more.

Writes can overlap (a timed save still running when the lock comes, or when a save of the
record removes the draft), so each write carries a sequence number taken on the GUI thread,
and a write runs only if nothing newer has been written: under ``_lock``, the newest wins.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from monitor_app.errors import MonitorError
from monitor_app.jobs import CancelToken, Progress
from monitor_app.vault.session import UnlockedVault
from ui.common.workers import JobRunner

AUTOSAVE_MS = 3_000  # after a change; tests monkeypatch this

Collect = Callable[[], dict[str, Any] | None]  # the draft's data; None: nothing unsaved


class DraftKeeper(QObject):
    saved = Signal()  # a draft was written (or removed, as nothing was unsaved any more)
    failed = Signal(object)  # a MonitorError

    def __init__(self, collect: Collect, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._collect = collect
        self._runner = JobRunner(self)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._tick)
        self._lock = threading.Lock()
        self._sequence = itertools.count(1)
        self._written = 0  # sequence number of the newest write (or discard); under _lock
        self._vault: UnlockedVault | None = None
        self._record_type = ""
        self._record_id: str | None = None
        self._base_revision: int | None = None
        self._draft_id: str | None = None  # under _lock: workers set it

    def start(
        self,
        vault: UnlockedVault,
        record_type: str,
        record_id: str | None,
        base_revision: int | None,
    ) -> None:
        """Keep drafts of this record (``record_id`` None: a record not created yet)."""
        self.stop()
        self._vault, self._record_type = vault, record_type
        self._record_id, self._base_revision = record_id, base_revision

    def adopt(self, draft_id: str, base_revision: int | None) -> None:
        """Go on writing to a restored draft (a new record's draft keeps its id)."""
        with self._lock:
            self._draft_id = draft_id
        self._base_revision = base_revision

    def stop(self) -> None:
        """Forget the record; a write still running may finish, nothing newer starts."""
        self._timer.stop()
        self._runner.cancel()
        with self._lock:
            self._written = next(self._sequence)
            self._draft_id = None
        self._vault = None

    @property
    def draft_id(self) -> str | None:
        with self._lock:
            return self._draft_id

    @property
    def busy(self) -> bool:
        return self._runner.busy

    # -- saving ----------------------------------------------------------------------------
    def note_change(self) -> None:
        if self._vault is not None and not self._timer.isActive():
            self._timer.start(AUTOSAVE_MS)

    def pause(self) -> None:
        self._timer.stop()

    @Slot()
    def _tick(self) -> None:
        vault = self._vault
        if vault is None:
            return
        if self._runner.busy:
            self._timer.start(AUTOSAVE_MS)  # the previous write is still waiting for the vault
            return
        data, number = self._collect(), next(self._sequence)

        def job(cancel: CancelToken, progress: Progress) -> None:
            self._write(vault, number, data)

        self._runner.start(job, on_success=self._written_ok, on_failure=self.failed.emit)

    def save_now(self) -> bool:
        """Write the draft here and now (before a lock); False if there is no vault."""
        self._timer.stop()
        vault = self._vault
        if vault is None or vault.is_locked:
            return False
        try:
            self._write(vault, next(self._sequence), self._collect())
        except MonitorError as error:
            self.failed.emit(error)
            return False
        self.saved.emit()
        return True

    def _write(self, vault: UnlockedVault, number: int, data: dict[str, Any] | None) -> None:
        with self._lock:
            if number <= self._written:
                return  # something newer was written (or the draft was discarded) meanwhile
            self._written = number
            drafts = vault.drafts
            if data is None:
                if self._draft_id is not None:
                    drafts.discard(self._draft_id)
                    self._draft_id = None
                return
            self._draft_id = drafts.save(
                self._record_type,
                data,
                draft_id=self._draft_id,
                record_id=self._record_id,
                base_revision=self._base_revision,
            )

    def _written_ok(self, _result: Any) -> None:
        self.saved.emit()

    def discard_in_job(self, vault: UnlockedVault) -> None:
        """Called by the job that saved the record (on its thread): the draft is done with,
        and any timed write still pending must not bring it back."""
        with self._lock:
            self._written = max(self._written, next(self._sequence))
            if self._draft_id is not None:
                vault.drafts.discard(self._draft_id)
                self._draft_id = None

    def shutdown(self) -> None:
        self.stop()
        self._runner.shutdown()
