"""A short form that creates the person (or the place) a record picker links to, without
leaving the record being edited (monitor_app/records/quick_create.py picks its fields).

The fields are the full editor's own editors (``make_editor``), so roles and consent look and
behave as they do there. Create runs ``RecordStore.add`` on a worker (through the page's
``RecordLookup``, which outlives the picker); the core's validation decides, and a refused
field is named by its label here while the dialog stays open with everything typed. On success
``created`` gives the picker the new record's id and title, and the dialog closes; the record
being edited is not touched beyond that link.

Closing, for whatever reason (Cancel, Escape, the vault locking), wipes every box: what was
typed is a pseudonym or a place, and must not stay on screen or in an undo history.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QVBoxLayout,
    QWidget,
)

from monitor_app.errors import MonitorError, ValidationError
from monitor_app.i18n import _
from monitor_app.jobs import CancelToken, Progress
from monitor_app.messages import describe
from monitor_app.records.quick_create import prefill, quick_data, quick_fields, title_of
from monitor_app.vault.session import UnlockedVault
from ui.common.widgets import ErrorLabel, PlainTextLabel, muted_note
from ui.records.editor.base import FieldRow, FormContext
from ui.records.editor.compound import make_editor
from ui.records.editor.form import field_message, split_path
from ui.records.editor.labels import editor_label, new_title


def intro_text(type_name: str) -> str:
    if type_name == "person":
        return _(
            "Only what is needed now; the rest can be added later in the person's own record. "
            "Use a pseudonym or case code, never the real name. The person is linked here "
            "once created; the record you are editing stays as it is, unsaved."
        )
    return _(
        "Only what is needed now; the rest can be added later in the place's own record. "
        "The place is linked here once created; the record you are editing stays as it is, "
        "unsaved."
    )


def create_linked(vault: UnlockedVault, type_name: str, data: dict[str, Any]) -> tuple[str, str]:
    """Add the record (validated, signed and audited by the core); its id and title."""
    view = vault.records.add(type_name, data)
    return view.record_id, title_of(type_name, view.fields)


class QuickCreateDialog(QDialog):
    created = Signal(str, str)  # record id, title

    def __init__(self, type_name: str, ctx: FormContext, typed: str, parent: QWidget) -> None:
        super().__init__(parent)
        self.type_name = type_name
        self._ctx = ctx  # the picker's: its vault and the page's lookup
        self.busy = False
        self.setWindowTitle(new_title(type_name))
        # Window-modal: the record behind stays as it is until this is answered.
        self.setWindowModality(Qt.WindowModality.WindowModal)

        # The editors get a context of their own: no picker here, no titles to share.
        own = FormContext(ctx.vocabularies, language=ctx.language)
        self.rows: dict[str, FieldRow] = {}
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        for spec in quick_fields(type_name):
            row = FieldRow(make_editor(spec, own))
            self.rows[spec.name] = row
            form.addRow(row.label, row)
        for name, value in prefill(type_name, typed).items():
            self.rows[name].editor.set_value(value)

        self.error_label = ErrorLabel()
        self.status_label = PlainTextLabel(role="muted")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setText(_("Cancel"))
        self.create_button = self.buttons.addButton(
            _("Create and link"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.create_button.setProperty("primary", True)
        self.create_button.setDefault(True)
        self.create_button.clicked.connect(self.submit)
        self.buttons.rejected.connect(self.reject)

        self._layout = layout = QVBoxLayout(self)
        layout.addWidget(PlainTextLabel(new_title(type_name), role="heading"))
        layout.addWidget(muted_note(intro_text(type_name)))
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.status_label)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        # The first field still empty: what was typed in the search box is kept as typed.
        rows = list(self.rows.values())
        empty = [row for row in rows if row.editor.value() is None]
        (empty or rows)[0].editor.focus_widget().setFocus()

    # -- creating --------------------------------------------------------------------------
    def values(self) -> dict[str, Any]:
        return quick_data(self.type_name, {n: r.editor.value() for n, r in self.rows.items()})

    @Slot()
    def submit(self) -> None:
        vault, lookup = self._ctx.vault, self._ctx.lookup
        if self.busy or vault is None or lookup is None:
            return
        self.clear_errors()
        data, type_name = self.values(), self.type_name

        def job(cancel: CancelToken, progress: Progress) -> tuple[str, str]:
            return create_linked(vault, type_name, data)

        self.set_busy(True)
        lookup.create(job, on_success=self._created, on_failure=self._failed)

    def _created(self, result: tuple[str, str]) -> None:
        self.set_busy(False)
        record_id, title = result
        self.created.emit(record_id, title)
        self.close_now(accepted=True)

    def _failed(self, error: MonitorError) -> None:
        self.set_busy(False)
        parts = split_path(str(error.params.get("field") or ""))
        row = self.rows.get(parts[0]) if parts and isinstance(error, ValidationError) else None
        if row is None or not isinstance(error, ValidationError):
            self.error_label.show_message(describe(error))
        else:
            row.show_error(field_message(error))
            self.error_label.show_message(
                _("Not created: check “{field}”.").format(field=editor_label(parts[0]))
            )
            row.editor.focus_widget().setFocus()
        self._grow()

    def _grow(self) -> None:
        """Make room for a message that appeared: taller, rather than squeezing the fields
        (a window manager keeps the dialog on the screen)."""
        layout = self._layout
        layout.activate()
        width = self.width()
        needed = layout.totalHeightForWidth(width) if layout.hasHeightForWidth() else -1
        needed = max(needed, layout.totalMinimumSize().height())
        needed = min(needed, self.screen().availableGeometry().height())
        if needed > self.height():
            self.resize(width, needed)

    def set_busy(self, busy: bool) -> None:
        self.busy = busy
        for row in self.rows.values():
            row.editor.setEnabled(not busy)
        self.buttons.setEnabled(not busy)
        self.status_label.setText(_("Creating…") if busy else "")

    def clear_errors(self) -> None:
        for row in self.rows.values():
            row.clear_error()
        self.error_label.clear()

    # -- closing ---------------------------------------------------------------------------
    def reject(self) -> None:
        # While the record is being added, Cancel could not take it back: wait for it. The
        # picker's clear (the vault locking) closes the dialog anyway (close_now).
        if not self.busy:
            self.close_now()

    def close_now(self, *, accepted: bool = False) -> None:
        """Wipe every box and close; a creation still running is no longer awaited."""
        if self.busy and self._ctx.lookup is not None:
            self._ctx.lookup.cancel_create()
        self.set_busy(False)
        self.clear_errors()
        for row in self.rows.values():
            row.editor.clear()
        self.done(QDialog.DialogCode.Accepted if accepted else QDialog.DialogCode.Rejected)
