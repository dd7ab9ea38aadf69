"""Indexing the word forms of records stored before they were indexed, after the unlock.

A hub's vault from before schema version 10 holds up to a million index rows without their
word forms (see monitor_app/records/word_forms.py). They are added in the background while
the vault is in use; a line under the search box says how far it has got, and that until
then a search finds those records by the words as written.
"""

from __future__ import annotations

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QWidget

from monitor_app.errors import MonitorError
from monitor_app.i18n import _
from monitor_app.jobs import CancelToken, Progress
from monitor_app.records import word_forms
from monitor_app.vault.session import UnlockedVault
from ui.common.widgets import PlainTextLabel
from ui.common.workers import JobRunner


class WordFormsUpkeep(PlainTextLabel):
    """The line that shows the indexing's progress, and the job that does it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(role="muted", parent=parent)
        self._runner = JobRunner(self)
        self.hide()

    def start(self, vault: UnlockedVault) -> None:
        self.stop()

        def job(cancel: CancelToken, progress: Progress) -> int:
            return word_forms.catch_up(vault, progress, cancel)

        self._runner.start(
            job, on_success=self._finished, on_failure=self._failed, on_progress=self._progress
        )

    def stop(self) -> None:
        self._runner.cancel()
        self.hide()
        self.clear()

    def shutdown(self) -> None:
        self.stop()
        self._runner.shutdown()

    @Slot(int, int)
    def _progress(self, done: int, total: int) -> None:
        percent = 100 * done // total if total > 0 else 0
        self.setText(
            _(
                "Preparing the search for other forms of words: {percent} % done. Until then "
                "older records are found by the words as written."
            ).format(percent=percent)
        )
        self.show()

    def _finished(self, _count: object) -> None:
        self.hide()
        self.clear()

    def _failed(self, _error: MonitorError) -> None:
        # Searching still works without the forms; the next unlock tries again.
        self.hide()
        self.clear()
