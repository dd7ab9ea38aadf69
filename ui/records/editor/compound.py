"""Editors made of other editors: consent per use, objects, lists of objects; and
``make_editor``, which picks the editor for each kind of field (schema.py ``Kind``).

A list of objects leaves out items the user added and left empty, so the core's item numbers
(``people.2.role``) count only the items that were sent: ``row_for`` maps them back through
the items of the last ``value()``.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from monitor_app.i18n import _
from monitor_app.records.schema import Field
from ui.common.widgets import PlainTextLabel
from ui.records.editor.base import FieldEditor, FieldRow, FormContext
from ui.records.editor.date_field import TimestampEditor
from ui.records.editor.fields import (
    BoolEditor,
    FuzzyDateEditor,
    LongTextEditor,
    TextEditor,
    VocabCombo,
    VocabEditor,
    VocabListEditor,
)
from ui.records.editor.labels import add_item_text
from ui.records.editor.record_picker import RecordPicker


class ConsentEditor(FieldEditor):
    """One status per use (record the interview, share with the coalition, ...)."""

    def __init__(self, spec: Field, ctx: FormContext, parent: QWidget | None = None) -> None:
        super().__init__(spec, ctx, parent)
        self.combos: dict[str, VocabCombo] = {}
        self._extra: dict[str, tuple[QWidget, VocabCombo]] = {}  # uses this version lacks
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setColumnStretch(2, 1)
        for code, _label in ctx.entries("consent_use"):
            self.combos[code] = self._add_use(code)[1]

    def _add_use(self, code: str) -> tuple[QWidget, VocabCombo]:
        row = self.grid.rowCount()
        label = PlainTextLabel(self.ctx.label("consent_use", code))
        combo = VocabCombo(self.ctx, "consent_status", _("Not recorded"))
        combo.currentIndexChanged.connect(self._emit_changed)
        self.grid.addWidget(label, row, 0)
        self.grid.addWidget(combo, row, 1)
        return label, combo

    def value(self) -> Any:
        combos = {**self.combos, **{code: pair[1] for code, pair in self._extra.items()}}
        chosen = {use: combo.code() for use, combo in combos.items() if combo.code()}
        return chosen or None

    def _show(self, value: Any) -> None:
        for label, combo in self._extra.values():
            for widget in (label, combo):
                self.grid.removeWidget(widget)
                widget.deleteLater()
        self._extra = {}
        given = value if isinstance(value, dict) else {}
        for code, combo in self.combos.items():
            combo.set_code(given.get(code))
        for code, status in given.items():
            if code not in self.combos:
                self._extra[str(code)] = pair = self._add_use(str(code))
                pair[1].set_code(status)

    def focus_widget(self) -> QWidget:
        return next(iter(self.combos.values()), self)


class ObjectEditor(FieldEditor):
    """The items of an object (an incident's medical documentation), one row each."""

    def __init__(self, spec: Field, ctx: FormContext, parent: QWidget | None = None) -> None:
        super().__init__(spec, ctx, parent)
        self.rows: dict[str, FieldRow] = {}
        layout = QFormLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        for sub in spec.fields:
            editor = make_editor(sub, ctx)
            editor.changed.connect(self._emit_changed)
            row = FieldRow(editor)
            self.rows[sub.name] = row
            layout.addRow(row.label, row)

    def value(self) -> Any:
        given = {name: row.editor.value() for name, row in self.rows.items()}
        chosen = {name: value for name, value in given.items() if value is not None}
        return chosen or None

    def _show(self, value: Any) -> None:
        for name, row in self.rows.items():
            row.clear_error()
            row.editor.set_value(value.get(name) if isinstance(value, dict) else None)

    def clear(self) -> None:
        for row in self.rows.values():
            row.clear_error()
            row.editor.clear()

    def row_for(self, parts: list[str]) -> FieldRow | None:
        row = self.rows.get(parts[0]) if parts else None
        if row is None:
            return None
        return row.editor.row_for(parts[1:]) or row

    def focus_widget(self) -> QWidget:
        first = next(iter(self.rows.values()), None)
        return first.editor.focus_widget() if first is not None else self


class ObjectListEditor(FieldEditor):
    """A list of objects (an incident's people, a visit's team), each with Remove."""

    def __init__(self, spec: Field, ctx: FormContext, parent: QWidget | None = None) -> None:
        super().__init__(spec, ctx, parent)
        self.items: list[tuple[QFrame, ObjectEditor]] = []
        self._sent: list[ObjectEditor] = []  # the items in the last value, for error paths
        self.box = QVBoxLayout()
        self.box.setContentsMargins(0, 0, 0, 0)
        self.add_button = QPushButton(add_item_text(spec.name))
        self.add_button.clicked.connect(self._add_clicked)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self.box)
        row = QHBoxLayout()
        row.addWidget(self.add_button)
        row.addStretch(1)
        layout.addLayout(row)

    def add_item(self, value: Any = None) -> ObjectEditor:
        frame = QFrame()
        frame.setProperty("role", "card")
        editor = ObjectEditor(self.spec, self.ctx)
        editor.set_value(value)
        editor.changed.connect(self._emit_changed)
        remove = QPushButton(_("Remove"))
        remove.clicked.connect(lambda: self._remove(frame))
        inner = QVBoxLayout(frame)
        inner.addWidget(editor)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(remove)
        inner.addLayout(buttons)
        self.box.addWidget(frame)
        self.items.append((frame, editor))
        return editor

    def _add_clicked(self) -> None:
        self.add_item().focus_widget().setFocus()
        self._emit_changed()

    def _remove(self, frame: QFrame) -> None:
        for index, (item, editor) in enumerate(self.items):
            if item is frame:
                editor.clear()  # blank before the deferred delete
                del self.items[index]
                self.box.removeWidget(frame)
                frame.deleteLater()
                self._emit_changed()
                return

    def value(self) -> Any:
        values, self._sent = [], []
        for _frame, editor in self.items:
            value = editor.value()
            if value is not None:  # an untouched new item is not an empty object to refuse
                values.append(value)
                self._sent.append(editor)
        return values or None

    def _show(self, value: Any) -> None:
        for frame, editor in self.items:
            editor.clear()
            self.box.removeWidget(frame)
            frame.deleteLater()
        self.items, self._sent = [], []
        for item in value if isinstance(value, list) else []:
            self.add_item(item)

    def row_for(self, parts: list[str]) -> FieldRow | None:
        if len(parts) < 2 or not parts[0].isdigit():
            return None
        index = int(parts[0])
        return self._sent[index].row_for(parts[1:]) if index < len(self._sent) else None

    def focus_widget(self) -> QWidget:
        return self.items[0][1].focus_widget() if self.items else self.add_button


def make_editor(spec: Field, ctx: FormContext) -> FieldEditor:
    kind = spec.kind
    if kind in ("text", "int"):
        return TextEditor(spec, ctx)
    if kind == "timestamp":
        return TimestampEditor(spec, ctx)
    if kind in ("long_text", "text_list"):
        return LongTextEditor(spec, ctx)
    if kind == "bool":
        return BoolEditor(spec, ctx)
    if kind == "vocab":
        return VocabEditor(spec, ctx)
    if kind == "vocab_list":
        return VocabListEditor(spec, ctx)
    if kind == "fuzzy_date":
        return FuzzyDateEditor(spec, ctx)
    if kind == "ref":
        return RecordPicker(spec, ctx)
    if kind == "consent":
        return ConsentEditor(spec, ctx)
    if kind == "object":
        return ObjectEditor(spec, ctx)
    if kind == "object_list":
        return ObjectListEditor(spec, ctx)
    raise AssertionError(f"no editor for kind {kind}")
