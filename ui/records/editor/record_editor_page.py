"""The page that creates or edits one record: the form, its history, its attachments.

Save adds the record (``RecordStore.add``) or writes the changed fields as a new revision
(``RecordStore.edit`` with a patch), then discards the draft, in the same background job.
Cancel throws the changes (and their draft) away after asking; Delete asks for the reason the
core requires and keeps in the audit log.

Drafts: a change is written to an encrypted draft a few seconds later (``DraftKeeper``), and
``clear()`` (called by the main view before the vault locks) writes it at once. Opening a
record that has a draft, or a new record of a type with a draft, offers to restore it; until
the user decides, the form cannot be edited, so that nothing overwrites the draft unseen.
A draft chosen from the overview's "Unsaved work" (``open_draft`` with ``restore``) is
restored at once, as if Restore had been pressed, unless its record has been saved again since:
then the offer stays, with its warning. ``drafts_changed`` tells the overview to list the
drafts again.

Nothing from a record goes into a window title, a tooltip or a notification; everything shown
is plain text, and ``clear()`` blanks it all (protected fields, pickers' lists, history,
attachment previews) and clears the clipboard if it still holds a copied protected value.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from monitor_app.errors import MonitorError, ValidationError
from monitor_app.i18n import _
from monitor_app.jobs import CancelToken, Progress
from monitor_app.messages import describe
from monitor_app.records.drafts import Draft, DraftSummary
from monitor_app.records.store import RecordView
from monitor_app.vault.session import UnlockedVault
from ui.common.widgets import ErrorLabel, PlainTextLabel
from ui.common.workers import JobRunner
from ui.records.editor import dialogs
from ui.records.editor.attachments_panel import AttachmentsPanel
from ui.records.editor.base import FormContext
from ui.records.editor.draft_banner import DraftBanner, saved_since
from ui.records.editor.draft_keeper import DraftKeeper
from ui.records.editor.editor_jobs import (
    EditLoad,
    add_record,
    delete_record,
    edit_record,
    load_for_edit,
    load_for_new,
)
from ui.records.editor.form import RecordForm
from ui.records.editor.header import EditorHeader
from ui.records.editor.history_view import HistoryView
from ui.records.editor.record_picker import RecordLookup

RECORD_TAB, HISTORY_TAB, ATTACHMENTS_TAB = range(3)


class RecordEditorPage(QWidget):
    saved = Signal(str)  # record id: added, or a new revision written
    deleted = Signal(str)
    closed = Signal()  # Cancel, or after Delete: the main view goes back
    loaded = Signal()  # the record (or the new form) and any draft offer are on screen
    revealed = Signal()  # the protected fields are shown
    drafts_changed = Signal()  # a draft was kept, restored or discarded

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._vault: UnlockedVault | None = None
        self.record_id: str | None = None
        self.type_name: str | None = None
        self.revision: int | None = None
        self.form: RecordForm | None = None
        self._forms: dict[str, RecordForm] = {}  # one per type, reused: see _forget
        self._offered: Draft | None = None
        self._restore_on_load: str | None = None  # a draft id: see open_draft
        self._loader, self._saver = JobRunner(self), JobRunner(self)
        self._revealer, self._discarder = JobRunner(self), JobRunner(self)
        self.lookup = RecordLookup(self)
        self.keeper = DraftKeeper(self._draft_data, self)
        self.keeper.saved.connect(self._draft_written)
        self.keeper.saved.connect(self.drafts_changed)
        self.keeper.failed.connect(self._draft_failed)

        self.header = EditorHeader()
        self.title_label = self.header.title_label
        self.save_button = self.header.save_button
        self.save_button.clicked.connect(self.save)
        self.cancel_button = self.header.cancel_button
        self.cancel_button.clicked.connect(self.cancel)
        self.delete_button = self.header.delete_button
        self.delete_button.clicked.connect(self.delete)
        self.status_label = PlainTextLabel(role="muted")
        self.error_label = ErrorLabel()
        save_shortcut = QShortcut(QKeySequence(QKeySequence.StandardKey.Save), self)
        save_shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        save_shortcut.activated.connect(self.save)

        self.draft_banner = DraftBanner()
        self.draft_banner.restore_requested.connect(self.restore_draft)
        self.draft_banner.later_requested.connect(self.postpone_draft)
        self.draft_banner.discard_requested.connect(self.discard_offered_draft)

        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QScrollArea.Shape.NoFrame)
        self.history = HistoryView()
        self.attachments = AttachmentsPanel()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.scroll_area, _("Record"))
        self.tabs.addTab(self.history, _("History"))
        self.tabs.addTab(self.attachments, _("Attachments"))

        layout = QVBoxLayout(self)
        layout.addWidget(self.header)
        layout.addWidget(self.status_label)
        layout.addWidget(self.error_label)
        layout.addWidget(self.draft_banner)
        layout.addWidget(self.tabs, 1)
        self._forget()

    # -- opening ---------------------------------------------------------------------------
    def open_record(self, vault: UnlockedVault, record_id: str) -> None:
        """Edit an existing record (offering its draft, if it has one)."""
        self.clear()
        self._vault, self.record_id = vault, record_id
        self.header.show_loading()

        def job(cancel: CancelToken, progress: Progress) -> EditLoad:
            return load_for_edit(vault, record_id)

        self._loader.start(job, on_success=self._arrived, on_failure=self._load_failed)

    def new_record(self, vault: UnlockedVault, type_name: str, draft_id: str | None = None) -> None:
        """A new record of ``type_name``, offering the latest unsaved new one (or ``draft_id``)."""
        self.clear()
        self._vault, self.type_name = vault, type_name
        self._show_form(type_name, {}, None)
        self.keeper.start(vault, type_name, None, None)
        self.form_enabled(False)  # until we know whether there is a draft to offer

        def job(cancel: CancelToken, progress: Progress) -> EditLoad:
            return load_for_new(vault, type_name, draft_id)

        self._loader.start(job, on_success=self._arrived, on_failure=self._load_failed)

    def open_draft(
        self, vault: UnlockedVault, draft: Draft | DraftSummary, *, restore: bool = False
    ) -> None:
        """Open a listed draft; with ``restore``, restore it once loaded (``restore_draft``),
        unless its record has been saved again since the draft was begun."""
        if draft.record_id is not None:
            self.open_record(vault, draft.record_id)
        else:
            self.new_record(vault, draft.record_type, draft.draft_id)
        self._restore_on_load = draft.draft_id if restore else None

    def _arrived(self, loaded: EditLoad) -> None:
        vault = self._vault
        assert vault is not None
        view = loaded.view
        if view is not None:
            self.type_name, self.revision = view.type, view.revision
            self._show_form(view.type, view.fields, view, loaded.titles)
            self.keeper.start(vault, view.type, view.record_id, view.revision)
            self.history.show_record(vault, view.record_id, view.type)
            self.attachments.show_record(vault, view.record_id)
        assert self.form is not None
        self.form.ctx.titles.update(loaded.titles)  # a draft's links, for a restore
        self._set_busy(False)
        if view is not None and view.deleted_at:
            self.form_enabled(False)
            self.delete_button.setEnabled(False)
            self.error_label.show_message(describe(MonitorError("record_deleted")))
        elif loaded.draft is not None:
            self._offer(loaded.draft, view)
            wanted = loaded.draft.draft_id == self._restore_on_load
            if wanted and not saved_since(loaded.draft, view):
                self.restore_draft()
        self._restore_on_load = None
        self._start_at_top()
        self.loaded.emit()

    def _start_at_top(self) -> None:
        """A record opens at its first section (consent and reprisal risk, where the type has
        it), in its first field: the form is reused per type, and would otherwise keep where
        the last record was left, or where focus last went."""
        self.scroll_area.verticalScrollBar().setValue(0)
        form = self.form
        if form is not None and form.isEnabled() and form.rows:
            next(iter(form.rows.values())).editor.focus_widget().setFocus()

    def _load_failed(self, error: MonitorError) -> None:
        self._restore_on_load = None
        self.header.clear()
        self.error_label.show_message(describe(error))
        self.loaded.emit()

    def _show_form(
        self,
        type_name: str,
        fields: dict[str, Any],
        view: RecordView | None,
        titles: dict[str, str] | None = None,
    ) -> None:
        form = self._forms.get(type_name)
        if form is None:
            assert self._vault is not None
            ctx = FormContext(self._vault.records.vocabularies, lookup=self.lookup)
            form = self._forms[type_name] = RecordForm(type_name, ctx)
            form.changed.connect(self._changed)
            form.reveal_requested.connect(self._reveal)
        if self.scroll_area.widget() is not form:
            self.scroll_area.takeWidget()  # the cached form stays ours (takeWidget does not delete)
            self.scroll_area.setWidget(form)
        self.form = form
        form.ctx.vault = self._vault
        form.ctx.titles.update(titles or {})  # before loading: the pickers show the titles
        form.load(fields, is_new=view is None)
        self._update_header(view)

    def _update_header(self, view: RecordView | None) -> None:
        if view is None:
            self.header.show_new(self.type_name or "")
        else:
            self.header.show_record(view)
        for tab in (HISTORY_TAB, ATTACHMENTS_TAB):
            self.tabs.setTabEnabled(tab, view is not None)
            self.tabs.setTabToolTip(tab, _("Save the record first") if view is None else "")

    # -- drafts ----------------------------------------------------------------------------
    def _offer(self, draft: Draft, view: RecordView | None) -> None:
        self._offered = draft
        self.draft_banner.offer(draft, view)
        self.form_enabled(False)

    def _close_offer(self) -> None:
        self._offered = None
        self.draft_banner.clear()
        self.form_enabled(True)

    @Slot()
    def restore_draft(self) -> None:
        draft, form = self._offered, self.form
        if draft is None or form is None:
            return
        self._close_offer()
        self.keeper.adopt(draft.draft_id, draft.base_revision if draft.record_id else None)
        form.apply_draft(draft.data)  # a change: the keeper writes it back in a few seconds
        self.status_label.setText(_("Draft restored. Save to keep it as a revision."))
        self.drafts_changed.emit()

    @Slot()
    def postpone_draft(self) -> None:
        self._close_offer()

    @Slot()
    def discard_offered_draft(self) -> None:
        draft, vault = self._offered, self._vault
        self._close_offer()
        if draft is not None and vault is not None:
            self._discard_draft(vault, draft.draft_id)

    def _discard_draft(self, vault: UnlockedVault, draft_id: str) -> None:
        self._discarder.cancel()  # an earlier discard goes on; only its report is dropped

        def job(cancel: CancelToken, progress: Progress) -> None:
            vault.drafts.discard(draft_id)

        self._discarder.start(
            job, on_success=lambda _r: self.drafts_changed.emit(), on_failure=self._show_error
        )

    def _draft_data(self) -> dict[str, Any] | None:
        form = self.form
        if form is None or self._offered is not None or not form.is_dirty():
            return None
        return form.draft_data()

    def save_draft_now(self) -> bool:
        """Write unsaved changes to the encrypted draft now (before a lock). True if written."""
        vault, form = self._vault, self.form
        if form is None or vault is None or vault.is_locked or self._offered is not None:
            return False
        return form.is_dirty() and self.keeper.save_now()

    @Slot()
    def _changed(self) -> None:
        if self._offered is None and self._vault is not None:
            self.keeper.note_change()
            self.status_label.setText(_("Unsaved changes. They are kept in an encrypted draft."))

    def _draft_written(self) -> None:
        if self._vault is not None:
            stamp = datetime.now().strftime("%H:%M:%S")
            self.status_label.setText(_("Draft kept (encrypted) at {time}.").format(time=stamp))

    def _draft_failed(self, error: MonitorError) -> None:
        self.error_label.show_message(
            _("The draft could not be kept: {reason}").format(reason=describe(error))
        )

    # -- reveal ----------------------------------------------------------------------------
    @Slot()
    def _reveal(self) -> None:
        vault, record_id = self._vault, self.record_id
        if vault is None or record_id is None or self._revealer.busy:
            return

        def job(cancel: CancelToken, progress: Progress) -> dict[str, Any]:
            return vault.records.get(record_id, reveal_sensitive=True).sensitive or {}

        self._revealer.start(job, on_success=self._revealed, on_failure=self._show_error)

    def _revealed(self, values: dict[str, Any]) -> None:
        if self.form is not None:
            self.form.show_sensitive(values)
            self.revealed.emit()

    # -- save, cancel, delete --------------------------------------------------------------
    @Slot()
    def save(self) -> None:
        vault, form, record_id = self._vault, self.form, self.record_id
        if vault is None or form is None or self._saver.busy or not form.isEnabled():
            return
        form.clear_errors()
        self.error_label.clear()
        keeper, type_name = self.keeper, form.type_name
        if form.is_new:
            data = form.values()

            def job(cancel: CancelToken, progress: Progress) -> RecordView:
                return add_record(vault, keeper, type_name, data)
        else:
            patch = form.patch()
            if not patch or record_id is None:
                self.status_label.setText(_("Nothing to save: nothing was changed."))
                return

            def job(cancel: CancelToken, progress: Progress) -> RecordView:
                return edit_record(vault, keeper, record_id, patch)

        self.keeper.pause()
        self._set_busy(True)
        self._saver.start(job, on_success=self._saved, on_failure=self._save_failed)

    def _saved(self, view: RecordView) -> None:
        vault, form = self._vault, self.form
        assert vault is not None and form is not None
        was_new = form.is_new
        self._set_busy(False)
        self.record_id, self.revision = view.record_id, view.revision
        form.load(view.fields, is_new=False)  # protected fields are hidden again
        self.keeper.start(vault, view.type, view.record_id, view.revision)
        self._update_header(view)
        self.history.show_record(vault, view.record_id, view.type)
        if was_new:
            self.attachments.show_record(vault, view.record_id)
        self.status_label.setText(_("Saved as revision {n}.").format(n=view.revision))
        self.saved.emit(view.record_id)
        self.drafts_changed.emit()  # saving discarded the record's draft

    def _save_failed(self, error: MonitorError) -> None:
        self._set_busy(False)
        self.error_label.show_message(describe(error))
        if isinstance(error, ValidationError) and self.form is not None:
            target = self.form.show_error(error)
            if target is not None:
                self.tabs.setCurrentIndex(RECORD_TAB)
                self.scroll_area.ensureWidgetVisible(target)
        self.keeper.note_change()  # the changes are still unsaved

    @Slot()
    def cancel(self) -> None:
        form, vault, draft_id = self.form, self._vault, self.keeper.draft_id
        dirty = form is not None and self._offered is None and form.is_dirty()
        if dirty and not dialogs.confirm_discard(self):
            return
        self._forget()
        if vault is not None and draft_id is not None and not vault.is_locked:
            self._discard_draft(vault, draft_id)
        self.closed.emit()

    @Slot()
    def delete(self) -> None:
        vault, record_id = self._vault, self.record_id
        if vault is None or record_id is None or self._saver.busy:
            return
        reason = dialogs.ask_delete_reason(self)
        if not reason:
            return
        keeper = self.keeper

        def job(cancel: CancelToken, progress: Progress) -> str:
            return delete_record(vault, keeper, record_id, reason)

        self.keeper.pause()
        self._set_busy(True)
        self._saver.start(job, on_success=self._deleted, on_failure=self._save_failed)

    def _deleted(self, record_id: str) -> None:
        self._forget()
        self.deleted.emit(record_id)
        self.drafts_changed.emit()
        self.closed.emit()

    # -- state -----------------------------------------------------------------------------
    def form_enabled(self, enabled: bool) -> None:
        if self.form is not None:
            self.form.setEnabled(enabled)
        self.save_button.setEnabled(enabled and self.form is not None)

    def _set_busy(self, busy: bool) -> None:
        self.form_enabled(not busy and self.form is not None)
        self.cancel_button.setEnabled(not busy)
        self.delete_button.setEnabled(not busy and self.record_id is not None)

    @property
    def busy(self) -> bool:
        return self._saver.busy or self._loader.busy

    def _show_error(self, error: MonitorError) -> None:
        self.error_label.show_message(describe(error))

    def clear(self) -> None:
        """Keep unsaved changes in the draft, then blank everything (call before locking)."""
        self.save_draft_now()
        self._forget()

    def _forget(self) -> None:
        """Blank every widget and forget the record, without saving anything."""
        for runner in (self._loader, self._saver, self._revealer, self._discarder):
            runner.cancel()
        self.keeper.stop()
        self.lookup.cancel()
        for form in self._forms.values():
            form.clear()  # also clears the clipboard if it holds a copied protected value
            form.ctx.vault = None
        self.history.clear()
        self.attachments.clear()
        self.header.clear()
        self.status_label.clear()
        self.error_label.clear()
        self.draft_banner.clear()
        self._offered = self._restore_on_load = None
        self._vault, self.record_id, self.type_name, self.revision = None, None, None, None
        self.tabs.setCurrentIndex(RECORD_TAB)
        self._set_busy(False)
        self.form_enabled(False)

    def shutdown(self) -> None:
        self.clear()
        self.keeper.shutdown()
        self.lookup.shutdown()
        for runner in (self._loader, self._saver, self._revealer, self._discarder):
            runner.shutdown()
        self.history.shutdown()
        self.attachments.shutdown()
