"""Editors of single values: text, numbers, yes/no, pick lists, dates with precision.

Links to other records are in record_picker.py; consent, objects and lists of objects (and
``make_editor``, which picks the editor for a field) in compound.py.

Text boxes are ``QLineEdit`` (one line) and ``QPlainTextEdit`` (never ``QTextEdit``: it would
accept pasted HTML and keep it). Vocabulary fields are pick lists with the labels of the
interface's language and the codes as item data; a code the vocabulary does not know (from a
newer coalition file) is kept, shown as the code, rather than silently dropped on save.
Clearing an editor also drops its undo history: Ctrl+Z must not bring text back after a lock.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QRegularExpression, QSize
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from monitor_app.errors import ValidationError
from monitor_app.i18n import _
from monitor_app.records import date_input
from monitor_app.records.schema import Field
from ui.common.widgets import wipe
from ui.records.editor.base import FieldEditor, FormContext
from ui.records.editor.date_field import CalendarButton, typed_day
from ui.records.editor.labels import date_placeholder, placeholder

NOT_SET = "—"
MIN_COMBO_CHARS = 16


def wipe_plain(edit: QPlainTextEdit) -> None:
    edit.setPlainText("")  # also clears the undo history
    edit.document().clearUndoRedoStacks()


# Lines shown at once: long enough for a testimony to be read without scrolling the page
# away, short enough that the form stays one column of fields (the box scrolls inside).
TALL_FIELDS = ("description", "summary", "observations", "sensitive_notes", "injuries")


def plain_edit(lines: int = 4) -> QPlainTextEdit:
    edit = QPlainTextEdit()
    edit.setTabChangesFocus(True)
    edit.setFixedHeight(edit.fontMetrics().lineSpacing() * lines + 14)
    return edit


class VocabCombo(QComboBox):
    """Codes as item data, translated labels as text, "—" (None) first."""

    def __init__(self, ctx: FormContext, vocabulary: str | None, empty: str = NOT_SET) -> None:
        super().__init__()
        self.ctx, self.vocabulary = ctx, vocabulary
        self._known = 1
        self.addItem(empty, None)
        for code, label in ctx.entries(vocabulary):
            self.addItem(label, code)
            self._known += 1

    def minimumSizeHint(self) -> QSize:
        # As wide as the longest label when there is room, but a narrow window may squeeze
        # it: a long vocabulary label in Russian must not make the form scroll sideways.
        hint = super().minimumSizeHint()
        room = self.fontMetrics().horizontalAdvance("x" * MIN_COMBO_CHARS) + 40
        return QSize(min(hint.width(), room), hint.height())

    def code(self) -> str | None:
        data = self.currentData()
        return data if isinstance(data, str) else None

    def set_code(self, code: Any) -> None:
        while self.count() > self._known:  # codes kept from the previous value
            self.removeItem(self.count() - 1)
        if code is None:
            self.setCurrentIndex(0)
            return
        index = self.findData(code)
        if index < 0:
            self.addItem(str(code), code)
            index = self.count() - 1
        self.setCurrentIndex(index)


class TextEditor(FieldEditor):
    def __init__(self, spec: Field, ctx: FormContext, parent: QWidget | None = None) -> None:
        super().__init__(spec, ctx, parent)
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(placeholder(spec))
        self.edit.textChanged.connect(self._emit_changed)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit)
        if spec.kind == "int":
            self.edit.setValidator(QRegularExpressionValidator(QRegularExpression(r"-?\d{0,12}")))
            width = self.fontMetrics().horizontalAdvance(self.edit.placeholderText()) + 32
            self.edit.setFixedWidth(max(width, 120))
            layout.addStretch(1)

    def value(self) -> Any:
        text = self.edit.text()
        if text == "":
            return None
        if self.spec.kind == "int":
            try:
                return int(text)
            except ValueError:
                return text  # the core names the field: "wrong type (expected integer)"
        return text

    def _show(self, value: Any) -> None:
        wipe(self.edit)
        if value is not None:
            self.edit.setText(str(value))
            self.edit.setCursorPosition(0)

    def focus_widget(self) -> QWidget:
        return self.edit


class LongTextEditor(FieldEditor):
    """Long text, and lists of one-line text (one item per line)."""

    def __init__(self, spec: Field, ctx: FormContext, parent: QWidget | None = None) -> None:
        super().__init__(spec, ctx, parent)
        lines = 3 if spec.kind == "text_list" else 10 if spec.name in TALL_FIELDS else 4
        self.edit = plain_edit(lines)
        self.edit.setPlaceholderText(placeholder(spec))
        self.edit.textChanged.connect(self._emit_changed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit)

    def value(self) -> Any:
        text = self.edit.toPlainText()
        if self.spec.kind == "text_list":
            items = [line for line in text.split("\n") if line.strip()]
            return items or None
        return text if text.strip() else None

    def _show(self, value: Any) -> None:
        wipe_plain(self.edit)
        if isinstance(value, list):
            self.edit.setPlainText("\n".join(str(item) for item in value))
        elif value is not None:
            self.edit.setPlainText(str(value))

    def focus_widget(self) -> QWidget:
        return self.edit


class BoolEditor(FieldEditor):
    """Not recorded / yes / no: "not announced" and "we do not know" differ in a report.
    ``do_not_contact`` is a check box: unticked means what it always meant."""

    def __init__(self, spec: Field, ctx: FormContext, parent: QWidget | None = None) -> None:
        super().__init__(spec, ctx, parent)
        self._was_false = False
        self.check: QCheckBox | None = None
        self.combo: QComboBox | None = None
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        if spec.name == "do_not_contact":
            self.check = QCheckBox(_("Contacting is not safe"))
            self.check.toggled.connect(self._emit_changed)
            layout.addWidget(self.check)
        else:
            self.combo = QComboBox()
            for text, data in ((NOT_SET, None), (_("Yes"), True), (_("No"), False)):
                self.combo.addItem(text, data)
            self.combo.currentIndexChanged.connect(self._emit_changed)
            layout.addWidget(self.combo)
        layout.addStretch(1)

    def value(self) -> Any:
        if self.check is not None:
            # Unticking a recorded "false" keeps it false rather than removing the field.
            return True if self.check.isChecked() else (False if self._was_false else None)
        assert self.combo is not None
        data = self.combo.currentData()
        return data if isinstance(data, bool) else None

    def _show(self, value: Any) -> None:
        self._was_false = value is False
        if self.check is not None:
            self.check.setChecked(value is True)
        elif self.combo is not None:
            self.combo.setCurrentIndex({None: 0, True: 1, False: 2}.get(value, 0))

    def focus_widget(self) -> QWidget:
        return self.check or self.combo or self


class VocabEditor(FieldEditor):
    def __init__(self, spec: Field, ctx: FormContext, parent: QWidget | None = None) -> None:
        super().__init__(spec, ctx, parent)
        self.combo = VocabCombo(ctx, spec.vocabulary, _("Choose…") if spec.required else NOT_SET)
        self.combo.currentIndexChanged.connect(self._emit_changed)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.combo)
        layout.addStretch(1)

    def value(self) -> Any:
        return self.combo.code()

    def _show(self, value: Any) -> None:
        self.combo.set_code(value)

    def focus_widget(self) -> QWidget:
        return self.combo


class VocabListEditor(FieldEditor):
    COLUMNS = 3

    def __init__(self, spec: Field, ctx: FormContext, parent: QWidget | None = None) -> None:
        super().__init__(spec, ctx, parent)
        self.boxes: dict[str, QCheckBox] = {}
        self._order: list[str] = []  # as loaded: saving an untouched list changes nothing
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        for number, (code, label) in enumerate(ctx.entries(spec.vocabulary)):
            box = QCheckBox(label)
            box.toggled.connect(self._emit_changed)
            self.boxes[code] = box
            self.grid.addWidget(box, number // self.COLUMNS, number % self.COLUMNS)

    def value(self) -> Any:
        def kept(code: str) -> bool:
            box = self.boxes.get(code)
            return box is None or box.isChecked()  # codes this version lacks stay as they were

        codes = [code for code in self._order if kept(code)]
        codes += [c for c, box in self.boxes.items() if box.isChecked() and c not in codes]
        return codes or None

    def _show(self, value: Any) -> None:
        self._order = [str(code) for code in value] if isinstance(value, list) else []
        for code, box in self.boxes.items():
            box.setChecked(code in self._order)

    def focus_widget(self) -> QWidget:
        return next(iter(self.boxes.values()), self)


class FuzzyDateEditor(FieldEditor):
    """A date as precise as the testimony: day, month, year, approximate, or unknown; typed
    in the interface language's format (date_field.py), or picked on a calendar."""

    def __init__(self, spec: Field, ctx: FormContext, parent: QWidget | None = None) -> None:
        super().__init__(spec, ctx, parent)
        self.precision = VocabCombo(ctx, "date_precision")
        self.edit = QLineEdit()
        # Digits and the separators of a date: a letter typed here is a slip of the keyboard.
        self.edit.setValidator(QRegularExpressionValidator(QRegularExpression(r"[0-9./ -]{0,12}")))
        self.edit.setMinimumWidth(self.fontMetrics().horizontalAdvance(date_placeholder(None)) + 24)
        self.edit.setToolTip(
            _("For example {day}, or just {month} or {year}").format(
                day=date_input.example("day", self._format()),
                month=date_input.example("month", self._format()),
                year=date_input.example("year", self._format()),
            )
        )
        self.calendar_button = CalendarButton(self.edit, ctx.language, self._day)
        self.calendar_button.picked.connect(self._picked)
        self._guessed = False
        self.precision.currentIndexChanged.connect(self._precision_changed)
        self.precision.activated.connect(self._chosen)
        self.edit.textChanged.connect(self._emit_changed)
        self.edit.textEdited.connect(self._guess_precision)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.precision)
        layout.addWidget(self.edit)
        layout.addWidget(self.calendar_button)
        layout.addStretch(1)
        self._precision_changed()

    def _format(self) -> date_input.DateFormat:
        return date_input.date_format(self.ctx.language)

    def _parsed(self, text: str) -> tuple[str, str] | None:
        """The stored text and precision of a typed date, if it reads as one."""
        try:
            return date_input.parse_date(text, self.spec.name, self.ctx.language)
        except ValidationError:
            return None

    def value(self) -> Any:
        typed = self.edit.text().strip()
        parsed = self._parsed(typed)
        # Text that is not a date goes as typed: the core refuses it, naming this field.
        precision, text = self.precision.code(), parsed[0] if parsed else typed
        if precision == "unknown":
            return {"precision": "unknown"}
        if precision is None:
            return text or None  # a bare date: the core reads its precision from its shape
        return {"date": text, "precision": precision} if text else {"precision": precision}

    def _show(self, value: Any) -> None:
        wipe(self.edit)
        self._guessed = False
        stored = value if isinstance(value, str) else None
        if isinstance(value, dict):
            self.precision.set_code(value.get("precision"))
            stored = str(value.get("date") or "")
        elif stored is not None:
            parsed = self._parsed(stored)
            self.precision.set_code(parsed[1] if parsed else None)
        else:
            self.precision.set_code(None)
        if stored:
            self.edit.setText(date_input.format_date(stored, self.ctx.language))
        self._precision_changed()

    def focus_widget(self) -> QWidget:
        return self.edit if self.edit.isEnabled() else self.precision

    def _precision_changed(self) -> None:
        precision = self.precision.code()
        self.edit.setEnabled(precision != "unknown")
        self.calendar_button.setEnabled(precision != "unknown")
        self.edit.setPlaceholderText(date_placeholder(precision))
        self._emit_changed()

    def _chosen(self, _index: int) -> None:
        self._guessed = False

    def _guess_precision(self, text: str) -> None:
        # Typing "03.2024" into an unset date means "March 2024": say so in the pick list,
        # and keep following what is typed until the user picks a precision themselves.
        parsed = self._parsed(text)
        shape = parsed[1] if parsed else None
        if shape and (self.precision.code() is None or self._guessed):
            self.precision.set_code(shape)
            self._guessed = True

    def _day(self) -> str | None:
        return typed_day(self.edit.text(), self.ctx.language)

    def _picked(self, day: str) -> None:
        self.edit.setText(date_input.format_date(day, self.ctx.language))
        # A day from the calendar is an exact day, unless the user said it is approximate.
        precision = self.precision.code()
        if precision is None or self._guessed:
            self._guessed = True  # still following what is typed next
        if precision in (None, "month", "year"):
            self.precision.set_code("day")
        self.edit.setFocus()
