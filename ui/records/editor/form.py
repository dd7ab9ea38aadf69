"""A record's form, generated from the schema (monitor_app/records/schema.py).

Three parts, top to bottom:

* for people and incidents, **consent and reprisal risk** first, in a card of their own: the
  field guide's first principle is "do no harm", and a monitor must see that a person refused
  sharing, or must not be contacted, before reading or writing anything else;
* every other non-sensitive field, in schema order;
* for people, **Protected identity** (the schema's sensitive fields), collapsed. It shows
  nothing until the user clicks Reveal, which asks the core for the values
  (``RecordStore.get(reveal_sensitive=True)``, written to the audit log); Hide, and clearing
  the form on lock, blank it again. Copying from it goes through ``ClipboardGuard``.

The form produces the whole record for ``RecordStore.add`` (``values``), or a patch of what
changed since it was loaded for ``RecordStore.edit`` (``patch``: a field emptied is ``None``,
which removes it). Protected fields that were never revealed are left out of the patch, so an
edit cannot remove values the user never saw. ``draft_data``/``apply_draft`` carry the form's
state to and from an encrypted draft. ``show_error`` puts a core ``ValidationError`` next to
the field its path names (``people.0.role`` or ``people[0].role``).
"""

from __future__ import annotations

import re
from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from monitor_app.errors import ValidationError
from monitor_app.i18n import _
from monitor_app.messages import reason_text
from monitor_app.records.schema import RECORD_TYPES
from ui.common.widgets import ErrorLabel, PlainTextLabel, titled_card
from ui.records.editor.base import FieldRow, FormContext
from ui.records.editor.clipboard import ClipboardGuard
from ui.records.editor.compound import make_editor

# Shown first, in this order, where the type has them.
RISK_FIELDS = ("reprisal_risk", "do_not_contact", "follow_up_on", "reprisal_follow_up_on")
RISK_TYPES = ("person", "incident")


def split_path(path: str) -> list[str]:
    """``people[0].role`` and ``people.0.role`` both give ``["people", "0", "role"]``."""
    return [part for part in re.sub(r"\[(\d+)\]", r".\1", path).split(".") if part]


def field_message(error: ValidationError) -> str:
    """The reason as a sentence for the field it is shown under (the field is named there)."""
    detail = reason_text(error)
    return detail[:1].upper() + detail[1:] + "."


def _form_layout() -> QFormLayout:
    form = QFormLayout()
    form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
    return form


class RecordForm(QWidget):
    changed = Signal()
    reveal_requested = Signal()  # an existing record's protected fields: the page asks the core

    def __init__(self, type_name: str, ctx: FormContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.record_type = RECORD_TYPES[type_name]
        self.ctx = ctx
        self.guard = ClipboardGuard(self)
        self.rows: dict[str, FieldRow] = {}
        self.is_new = True
        self._baseline: dict[str, Any] = {}
        self._sensitive_baseline: dict[str, Any] | None = {}
        self._pending_sensitive: dict[str, Any] | None = None

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        fields = self.record_type.fields
        self.risk_card: QFrame | None = None
        self.risk_warning = PlainTextLabel(role="error")
        self.risk_warning.setWordWrap(True)
        self.risk_warning.setVisible(False)
        if type_name in RISK_TYPES:
            self.risk_card, card = titled_card(
                _("Consent and reprisal risk"),
                _("Check these first. Record only what is needed and what consent allows."),
            )
            form = _form_layout()
            for name in (*RISK_FIELDS, "consent"):
                if name in self.record_type.by_name:
                    self._add_row(form, name)
            card.addLayout(form)
            card.addWidget(self.risk_warning)
            layout.addWidget(self.risk_card)
        main = _form_layout()
        for spec in fields:
            if not spec.sensitive and spec.name not in self.rows:
                self._add_row(main, spec.name)
        layout.addLayout(main)

        # Parented to the form even for types without protected fields, where they stay
        # hidden: a parentless widget that is shown becomes a window of its own.
        self.protected_card: QFrame | None = None
        self.protected_fields = QWidget(self)
        self.protected_error = ErrorLabel(self)
        self.pending_label = PlainTextLabel(role="muted", parent=self)
        self.pending_label.setWordWrap(True)
        self.reveal_button = QPushButton(_("Reveal"), self)
        self.reveal_button.clicked.connect(self._reveal_clicked)
        self.hide_button = QPushButton(_("Hide"), self)
        self.hide_button.clicked.connect(self.hide_sensitive)
        if self.record_type.sensitive_fields:
            self.protected_card, card = titled_card(
                _("Protected identity"),
                _(
                    "Real name, date of birth, documents, contact details and address. They "
                    "stay hidden until you reveal them, and each reveal is written to the "
                    "audit log. They leave the vault only with the person's consent. "
                    "A copied value is cleared from the clipboard after 30 seconds."
                ),
            )
            buttons = QHBoxLayout()
            buttons.addWidget(self.reveal_button)
            buttons.addWidget(self.hide_button)
            buttons.addStretch(1)
            card.addLayout(buttons)
            card.addWidget(self.pending_label)
            card.addWidget(self.protected_error)
            form = _form_layout()
            for spec in self.record_type.sensitive_fields:
                self._add_row(form, spec.name)
            self.protected_fields.setLayout(form)
            card.addWidget(self.protected_fields)
            layout.addWidget(self.protected_card)
            for widget in self.protected_fields.findChildren(QLineEdit):
                self.guard.protect(widget)
            for plain in self.protected_fields.findChildren(QPlainTextEdit):
                self.guard.protect(plain)
        layout.addStretch(1)
        self._set_revealed(False)

    def _add_row(self, form: QFormLayout, name: str) -> None:
        editor = make_editor(self.record_type.by_name[name], self.ctx)
        editor.changed.connect(self._edited)
        row = FieldRow(editor)
        self.rows[name] = row
        form.addRow(row.label, row)

    # -- state -----------------------------------------------------------------------------
    @property
    def type_name(self) -> str:
        return self.record_type.name

    @property
    def revealed(self) -> bool:
        return self.protected_card is not None and not self.protected_fields.isHidden()

    def load(self, fields: dict[str, Any], *, is_new: bool) -> None:
        """Show a record's non-sensitive fields (an existing record) or an empty form."""
        self.is_new = is_new
        self._baseline = dict(fields)
        self._sensitive_baseline = {} if is_new else None
        self._pending_sensitive = None
        for spec in self.record_type.fields:
            self.rows[spec.name].editor.set_value(None if spec.sensitive else fields.get(spec.name))
        self.clear_errors()
        self._set_revealed(False)
        self._update_risk()

    def show_sensitive(self, values: dict[str, Any]) -> None:
        """The protected fields as the core revealed them (or empty, for a new record);
        values kept from a draft are shown on top of them."""
        self._sensitive_baseline = dict(values)
        shown = self._pending_sensitive if self._pending_sensitive is not None else values
        self._pending_sensitive = None
        for spec in self.record_type.sensitive_fields:
            self.rows[spec.name].editor.set_value(shown.get(spec.name))
        self._set_revealed(True)
        if shown is not values:
            self._edited()

    @Slot()
    def hide_sensitive(self) -> None:
        """Blank the protected fields; unsaved changes to them are kept (not shown)."""
        if self.revealed:
            current = self._sensitive_now()
            if current != (self._sensitive_baseline or {}):
                self._pending_sensitive = current
        self._sensitive_baseline = {} if self.is_new else None
        for spec in self.record_type.sensitive_fields:
            self.rows[spec.name].editor.clear()
        self.guard.expire()
        self._set_revealed(False)

    def _set_revealed(self, revealed: bool) -> None:
        has_card = self.protected_card is not None
        self.protected_fields.setVisible(has_card and revealed)
        self.reveal_button.setVisible(has_card and not revealed)
        self.reveal_button.setText(_("Show") if self.is_new else _("Reveal"))
        self.hide_button.setVisible(has_card and revealed)
        self.pending_label.setText(
            ""
            if revealed or self._pending_sensitive is None
            else _("There are unsaved changes to these fields. Reveal them to check them.")
        )
        self.pending_label.setVisible(has_card and bool(self.pending_label.text()))

    @Slot()
    def _reveal_clicked(self) -> None:
        self.protected_error.clear()
        if self.is_new:
            self.show_sensitive({})  # nothing stored yet: nothing to reveal or to log
        else:
            self.reveal_requested.emit()

    def _sensitive_now(self) -> dict[str, Any]:
        names = [spec.name for spec in self.record_type.sensitive_fields]
        given = {name: self.rows[name].editor.value() for name in names}
        return {name: value for name, value in given.items() if value is not None}

    def sensitive_values(self) -> dict[str, Any] | None:
        """The protected fields as they should be saved; None when they are not known here."""
        if self.revealed:
            return self._sensitive_now()
        return self._pending_sensitive

    def public_values(self) -> dict[str, Any]:
        given = {
            spec.name: self.rows[spec.name].editor.value()
            for spec in self.record_type.fields
            if not spec.sensitive
        }
        return {name: value for name, value in given.items() if value is not None}

    def values(self) -> dict[str, Any]:
        """The whole record, for ``RecordStore.add``."""
        return {**self.public_values(), **(self.sensitive_values() or {})}

    def patch(self) -> dict[str, Any]:
        """What changed since ``load``, for ``RecordStore.edit``; None removes a field."""
        changes: dict[str, Any] = {}
        current = self.public_values()
        for spec in self.record_type.fields:
            if not spec.sensitive and current.get(spec.name) != self._baseline.get(spec.name):
                changes[spec.name] = current.get(spec.name)
        sensitive = self.sensitive_values()
        if sensitive is not None:
            base = self._sensitive_baseline if self.revealed else None
            for spec in self.record_type.sensitive_fields:
                # Kept from a draft without a reveal: the draft holds the whole set.
                if base is None or sensitive.get(spec.name) != base.get(spec.name):
                    changes[spec.name] = sensitive.get(spec.name)
        return changes

    def is_dirty(self) -> bool:
        return bool(self.values() if self.is_new else self.patch())

    # -- drafts ----------------------------------------------------------------------------
    def draft_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"fields": self.public_values()}
        sensitive = self.sensitive_values()
        if sensitive is not None:
            data["sensitive"] = sensitive
        return data

    def apply_draft(self, data: dict[str, Any]) -> None:
        fields = data.get("fields")
        fields = fields if isinstance(fields, dict) else {}
        for spec in self.record_type.fields:
            if not spec.sensitive:
                self.rows[spec.name].editor.set_value(fields.get(spec.name))
        sensitive = data.get("sensitive")
        if isinstance(sensitive, dict):
            if self.revealed:
                for spec in self.record_type.sensitive_fields:
                    self.rows[spec.name].editor.set_value(sensitive.get(spec.name))
            else:
                self._pending_sensitive = dict(sensitive)
                self._set_revealed(False)
        self._edited()

    # -- errors ----------------------------------------------------------------------------
    def show_error(self, error: ValidationError) -> QWidget | None:
        """Show ``error`` at its field; returns the widget to scroll to (None: no field)."""
        self.clear_errors()
        parts = split_path(str(error.params.get("field") or ""))
        top = self.rows.get(parts[0]) if parts else None
        if top is None:
            return None
        row = top.editor.row_for(parts[1:]) or top
        if self.record_type.by_name[parts[0]].sensitive and not self.revealed:
            self.protected_error.show_message(field_message(error))
            return self.protected_card
        row.show_error(field_message(error))
        row.editor.focus_widget().setFocus()
        return row

    def clear_errors(self) -> None:
        for row in self.findChildren(FieldRow):
            row.clear_error()
        self.protected_error.clear()

    # -- clearing --------------------------------------------------------------------------
    def clear(self) -> None:
        """Blank every widget (protected ones included) and forget the record."""
        for row in self.rows.values():
            row.editor.clear()
        self.clear_errors()
        self._baseline, self._sensitive_baseline, self._pending_sensitive = {}, None, None
        self.ctx.titles.clear()
        self.guard.expire()
        self._set_revealed(False)
        self._update_risk()

    # -- risk ------------------------------------------------------------------------------
    @Slot()
    def _edited(self) -> None:
        self._update_risk()
        self.changed.emit()

    def _update_risk(self) -> None:
        risk = self.rows.get("reprisal_risk")
        stop = self.rows.get("do_not_contact")
        high = risk is not None and risk.editor.value() == "high"
        no_contact = stop is not None and stop.editor.value() is True
        texts = []
        if high:
            texts.append(_("High risk of reprisals: record only what is needed."))
        if no_contact:
            texts.append(_("Do not contact: no calls, messages or visits about this record."))
        self.risk_warning.setText(" ".join(texts))
        self.risk_warning.setVisible(bool(texts))
