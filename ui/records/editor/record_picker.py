"""A link to another record (a visit's place, an incident's people): a picker that searches.

The field shows the chosen record's display text, never its id alone where the title is known.
"Choose…" opens a search box and a list right under the field (not a dialog: nothing modal
to get stuck behind when the vault locks). With an empty box the list shows the records of the
linked type (places and people by name, visits and incidents newest first); typing searches
them through the core's full-text search, restricted to that type. Every read runs off the GUI
thread; only display text (titles, pseudonyms) is shown, never a snippet or a protected field.

A link to a person or a place also offers "New person…" / "New place…": a short form
(quick_create_dialog.py), started with what was typed in the search box, that creates the
record and links it, so that a monitor in the middle of an interview never has to leave the
incident to add the person. The record being edited keeps every unsaved value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from monitor_app.errors import MonitorError
from monitor_app.i18n import _
from monitor_app.jobs import CancelToken, Progress
from monitor_app.messages import describe
from monitor_app.records.quick_create import can_quick_create
from monitor_app.records.schema import Field
from monitor_app.vault.session import UnlockedVault
from ui.common.widgets import (
    ElidedLabel,
    ErrorLabel,
    date_text,
    shown_line,
    wipe,
)
from ui.common.workers import Job, JobRunner
from ui.records.editor.base import FieldEditor, FormContext
from ui.records.record_table_model import cancellable_read

if TYPE_CHECKING:
    from ui.records.editor.quick_create_dialog import QuickCreateDialog

PICKER_LIMIT = 50
SEARCH_DELAY_MS = 250
RECORD_ID_ROLE = Qt.ItemDataRole.UserRole
TITLE_ROLE = Qt.ItemDataRole.UserRole + 1


def choice_text(display: str, sort_date: str | None) -> str:
    title = shown_line(display) if display.strip() else _("(untitled)")
    when = date_text(sort_date)
    return f"{title} · {when}" if when else title


def find_records(
    vault: UnlockedVault, ref_type: str, query: str, limit: int = PICKER_LIMIT
) -> list[tuple[str, str, str]]:
    """(record id, list text, title) of records of ``ref_type`` matching ``query``."""
    records = vault.records
    if query.strip():
        hits = records.search(query, record_type=ref_type, limit=limit)
        return [(h.record_id, choice_text(h.display, h.sort_date), h.display) for h in hits]
    by_name = ref_type in ("place", "person")
    rows = records.list(
        ref_type, limit=limit, order_by="display" if by_name else "date", descending=not by_name
    )
    return [(r.record_id, choice_text(r.display, r.sort_date), r.display) for r in rows]


def search_placeholder(ref_type: str | None) -> str:
    return {
        "place": _("Search places of detention"),
        "visit": _("Search visits"),
        "incident": _("Search incidents"),
        "person": _("Search people by pseudonym or other words"),
    }.get(ref_type or "", _("Search"))


def new_record_text(ref_type: str | None) -> str:
    """The button that creates the linked record on the spot (quick_create.py's types)."""
    return {"person": _("New person…"), "place": _("New place…")}.get(ref_type or "", "")


class RecordLookup(QObject):
    """Runs the pickers' searches, one at a time, for every picker of a page.

    It lives as long as the page, not the picker: pickers sit in list rows that are removed
    and deleted, and a thread must never lose its owner while it runs. A newer search (from
    any picker) replaces the running one, whose result is dropped. The short forms' record
    creations run here too, for the same reason, on a runner of their own.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._runner = JobRunner(self)
        self._creator = JobRunner(self)
        self._owner: RecordPicker | None = None

    @property
    def busy(self) -> bool:
        return self._runner.busy or self._creator.busy

    def find(self, owner: RecordPicker, vault: UnlockedVault, ref_type: str, query: str) -> None:
        self._runner.cancel()

        def job(cancel: CancelToken, progress: Progress) -> list[tuple[str, str, str]]:
            with cancellable_read(vault, cancel):
                return find_records(vault, ref_type, query)

        self._owner = owner
        self._runner.start(job, on_success=owner.arrived, on_failure=owner.failed)

    def create(
        self,
        job: Job,
        *,
        on_success: Callable[[Any], None],
        on_failure: Callable[[MonitorError], None],
    ) -> None:
        """Run a short form's creation (one at a time: its dialog is modal)."""
        self._creator.cancel()
        self._creator.start(job, on_success=on_success, on_failure=on_failure)

    def cancel_create(self) -> None:
        """Drop the running creation's report (the record may still be added)."""
        self._creator.cancel()

    def cancel(self, owner: RecordPicker | None = None) -> None:
        """Drop ``owner``'s search; without an owner, every search and creation (the page
        is being cleared)."""
        if owner is None or owner is self._owner:
            self._runner.cancel()
            self._owner = None
        if owner is None:
            self._creator.cancel()

    def shutdown(self) -> None:
        self._owner = None
        self._runner.shutdown()
        self._creator.shutdown()


class RecordPicker(FieldEditor):
    results_ready = Signal()  # the list shows the latest search (or why it failed)

    def __init__(self, spec: Field, ctx: FormContext, parent: QWidget | None = None) -> None:
        super().__init__(spec, ctx, parent)
        self._record_id: str | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SEARCH_DELAY_MS)
        self._timer.timeout.connect(self.search)

        # A long title ends in "…" rather than widening the form (or being cut mid-word).
        self.choice_label = ElidedLabel()
        self.choice_label.setProperty("role", "muted")
        self.choose_button = QPushButton(_("Choose…"))
        self.choose_button.clicked.connect(self.toggle_chooser)
        self.remove_button = QPushButton(_("Remove link"))
        self.remove_button.clicked.connect(self._remove)

        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText(search_placeholder(spec.ref_type))
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.textEdited.connect(self._timer.start)
        self.search_edit.returnPressed.connect(self.search)
        self.new_button = QPushButton(new_record_text(spec.ref_type))
        self.new_button.clicked.connect(self.open_quick_create)
        self.quick_dialog: QuickCreateDialog | None = None
        self.results = QListWidget()
        self.results.setMaximumHeight(180)
        self.results.itemActivated.connect(self._activated)
        self.results.itemClicked.connect(self._activated)
        self.error_label = ErrorLabel()
        self.panel = QWidget()
        panel_layout = QVBoxLayout(self.panel)
        panel_layout.setContentsMargins(0, 0, 0, 0)
        search_row = QHBoxLayout()
        search_row.addWidget(self.search_edit, 1)
        search_row.addWidget(self.new_button)
        panel_layout.addLayout(search_row)
        # Only once it has a parent: a parentless widget shown becomes a window of its own.
        self.new_button.setVisible(can_quick_create(spec.ref_type))
        panel_layout.addWidget(self.results)
        panel_layout.addWidget(self.error_label)
        self.panel.setVisible(False)
        close = QShortcut(QKeySequence(Qt.Key.Key_Escape), self.panel)
        close.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        close.activated.connect(self.close_chooser)

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.choice_label, 1)
        top.addWidget(self.choose_button)
        top.addWidget(self.remove_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.panel)
        self._show(None)

    # -- value -----------------------------------------------------------------------------
    def value(self) -> Any:
        return self._record_id

    def _show(self, value: Any) -> None:
        self._record_id = value if isinstance(value, str) and value else None
        if self._record_id is None:
            self.choice_label.setText(_("Not linked"))
        else:
            title = self.ctx.titles.get(self._record_id)
            self.choice_label.setText(
                choice_text(title, None) if title is not None else self._record_id
            )
        self.remove_button.setEnabled(self._record_id is not None)

    def choose(self, record_id: str, title: str) -> None:
        self.ctx.titles[record_id] = title
        self._show(record_id)
        self.close_chooser()
        self._emit_changed()

    def clear(self) -> None:
        if self.quick_dialog is not None:
            self.quick_dialog.close_now()  # wiped: the vault may be locking
        self.close_chooser()
        super().clear()

    def focus_widget(self) -> QWidget:
        return self.choose_button

    # -- chooser ---------------------------------------------------------------------------
    @Slot()
    def toggle_chooser(self) -> None:
        if self.panel.isVisible():
            self.close_chooser()
        else:
            self.open_chooser()

    def open_chooser(self) -> None:
        self.panel.setVisible(True)
        self.choose_button.setText(_("Close"))
        self.search_edit.setFocus()
        self.search()

    @Slot()
    def close_chooser(self) -> None:
        """Hide the list and forget it: it holds other records' titles."""
        self._timer.stop()
        if self.ctx.lookup is not None:
            self.ctx.lookup.cancel(self)
        self.results.clear()
        wipe(self.search_edit)
        self.error_label.clear()
        self.panel.setVisible(False)
        self.choose_button.setText(_("Choose…"))

    @Slot()
    def search(self) -> None:
        self._timer.stop()
        vault, ref_type, lookup = self.ctx.vault, self.spec.ref_type, self.ctx.lookup
        if vault is not None and ref_type is not None and lookup is not None:
            lookup.find(self, vault, ref_type, self.search_edit.text())

    def arrived(self, rows: list[tuple[str, str, str]]) -> None:
        self.results.clear()
        self.error_label.clear()
        for record_id, text, title in rows:
            item = QListWidgetItem(text)
            item.setData(RECORD_ID_ROLE, record_id)
            item.setData(TITLE_ROLE, title)
            self.results.addItem(item)
        if not rows and can_quick_create(self.spec.ref_type):
            self.error_label.show_message(
                _("Nothing found. Create it with “{button}”.").format(button=self.new_button.text())
            )
        elif not rows:
            self.error_label.show_message(_("Nothing found. Add the record first, then link it."))
        self.results_ready.emit()

    def failed(self, error: MonitorError) -> None:
        self.results.clear()
        self.error_label.show_message(describe(error))
        self.results_ready.emit()

    @Slot(QListWidgetItem)
    def _activated(self, item: QListWidgetItem) -> None:
        record_id = item.data(RECORD_ID_ROLE)
        if isinstance(record_id, str):
            self.choose(record_id, str(item.data(TITLE_ROLE) or ""))

    # -- creating the linked record -------------------------------------------------------
    @Slot()
    def open_quick_create(self) -> None:
        """The short form, started with what was typed in the search box."""
        # Imported here: the dialog is made of the form's editors (compound.py), and
        # compound.py imports this module for its link fields.
        from ui.records.editor.quick_create_dialog import QuickCreateDialog

        ref_type = self.spec.ref_type
        if (
            ref_type is None
            or not can_quick_create(ref_type)
            or self.ctx.vault is None
            or self.ctx.lookup is None
            or self.quick_dialog is not None
        ):
            return
        dialog = QuickCreateDialog(ref_type, self.ctx, self.search_edit.text(), self)
        dialog.created.connect(self.choose)
        dialog.finished.connect(self._quick_closed)
        self.quick_dialog = dialog
        dialog.open()

    @Slot()
    def _quick_closed(self) -> None:
        dialog, self.quick_dialog = self.quick_dialog, None
        if dialog is not None:
            dialog.deleteLater()
        if self.panel.isVisible():
            self.search_edit.setFocus()
        else:
            self.choose_button.setFocus()

    @Slot()
    def _remove(self) -> None:
        self._show(None)
        self._emit_changed()
