"""Saved searches of one record list: save the current filters, words and order under a name,
reopen one, rename or delete it (``vault.saved_searches``, stored encrypted in the vault).

Every read and write runs on a worker. The name prompt and the "replace?" question are
attributes (``ask_name``, ``confirm``) so that tests answer them without a modal dialog.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QInputDialog, QLineEdit, QMenu, QMessageBox, QPushButton, QWidget

from monitor_app.errors import MonitorError
from monitor_app.i18n import _
from monitor_app.jobs import CancelToken, Progress
from monitor_app.messages import describe
from monitor_app.records.facets import Filters
from monitor_app.records.saved_searches import SavedSearch
from monitor_app.vault.session import UnlockedVault
from ui.common.workers import JobRunner

# The list's current search: filters (words included), sort key, descending.
Query = tuple[Filters, str, bool]


def _menu_text(name: str) -> str:
    # A name is the person's own text; "&" would otherwise mark a shortcut letter.
    return name.replace("\n", " ").replace("&", "&&")


class SavedSearchButton(QPushButton):
    opened = Signal(object)  # a SavedSearch to apply to the list
    saved = Signal(object)  # the SavedSearch just saved
    changed = Signal()  # the list of saved searches was read again
    failed = Signal(str)

    def __init__(
        self, type_name: str, current: Callable[[], Query], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.type_name = type_name
        self._current = current
        self._vault: UnlockedVault | None = None
        self.searches: list[SavedSearch] = []
        self._runner = JobRunner(self)
        self.ask_name: Callable[[str, str], str | None] = self._ask_name
        self.confirm: Callable[[str], bool] = self._confirm
        self.setText(_("Saved searches") + " ▾")
        self.setProperty("role", "menu")  # a "▾" in the text instead of Qt's indicator
        self.setMenu(QMenu(self))
        self.menu().aboutToShow.connect(self._build_menu)

    # -- vault ---------------------------------------------------------------------------------
    def set_vault(self, vault: UnlockedVault | None) -> None:
        self._runner.cancel()
        self._vault = vault
        self.searches = []
        self.menu().clear()
        if vault is not None:
            self.reload()

    def shutdown(self) -> None:
        self.set_vault(None)
        self._runner.shutdown()

    def reload(self) -> None:
        type_name = self.type_name
        self._run(lambda vault: vault.saved_searches.list(type_name), self._listed)

    def _listed(self, result: Any) -> None:
        self.searches = list(result)
        self.changed.emit()

    # -- actions ---------------------------------------------------------------------------------
    def save_current(self) -> None:
        """Ask a name and save the list's current search under it."""
        name = self.ask_name(_("Save search"), "")
        if name is not None and name.strip():
            self.save_as(name)

    def save_as(self, name: str, *, replace: bool = False) -> None:
        filters, order_by, descending = self._current()
        type_name = self.type_name

        def save(vault: UnlockedVault) -> SavedSearch:
            return vault.saved_searches.save(
                name,
                filters,
                record_type=type_name,
                order_by=order_by,
                descending=descending,
                replace=replace,
            )

        def failed(error: MonitorError) -> None:
            if error.params.get("reason") == "name_taken" and not replace:
                question = _("A saved search named “{name}” already exists. Replace it?")
                if self.confirm(question.format(name=name.strip())):
                    self.save_as(name, replace=True)
                return
            self.failed.emit(describe(error))

        self._run(save, self._saved, failed)

    def _saved(self, result: Any) -> None:
        self.saved.emit(result)
        self.reload()

    def reopen(self, search_id: str) -> None:
        self._run(lambda vault: vault.saved_searches.get(search_id), self.opened.emit)

    def rename(self, search: SavedSearch) -> None:
        name = self.ask_name(_("Rename saved search"), search.name)
        if name is None or not name.strip() or name.strip() == search.name:
            return
        self._run(lambda vault: vault.saved_searches.rename(search.search_id, name), self._done)

    def delete(self, search: SavedSearch) -> None:
        question = _("Delete the saved search “{name}”? The records stay as they are.")
        if not self.confirm(question.format(name=search.name)):
            return
        self._run(lambda vault: vault.saved_searches.delete(search.search_id), self._done)

    def _done(self, _result: Any) -> None:
        self.reload()

    def _run(
        self,
        work: Callable[[UnlockedVault], Any],
        on_success: Callable[[Any], None],
        on_failure: Callable[[MonitorError], None] | None = None,
    ) -> None:
        vault = self._vault
        if vault is None:
            return
        self._runner.cancel()

        def job(cancel: CancelToken, progress: Progress) -> Any:
            return work(vault)

        self._runner.start(
            job,
            on_success=on_success,
            on_failure=on_failure or (lambda error: self.failed.emit(describe(error))),
        )

    # -- the menu ----------------------------------------------------------------------------------
    def _build_menu(self) -> None:
        menu = self.menu()
        menu.clear()
        for search in self.searches:
            action = menu.addAction(_menu_text(search.name))
            action.triggered.connect(lambda _c=False, s=search: self.reopen(s.search_id))
        if self.searches:
            menu.addSeparator()
        menu.addAction(_("Save search…")).triggered.connect(self.save_current)
        if self.searches:
            rename = menu.addMenu(_("Rename"))
            delete = menu.addMenu(_("Delete"))
            for search in self.searches:
                item = rename.addAction(_menu_text(search.name))
                item.triggered.connect(lambda _c=False, s=search: self.rename(s))
                item = delete.addAction(_menu_text(search.name))
                item.triggered.connect(lambda _c=False, s=search: self.delete(s))

    def _ask_name(self, title: str, current: str) -> str | None:
        name, ok = QInputDialog.getText(self, title, _("Name:"), QLineEdit.EchoMode.Normal, current)
        return name if ok else None

    def _confirm(self, question: str) -> bool:
        box = QMessageBox(QMessageBox.Icon.Question, _("Saved searches"), question, parent=self)
        box.setTextFormat(Qt.TextFormat.PlainText)  # the name is the person's own text
        box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
        return box.exec() == QMessageBox.StandardButton.Yes
