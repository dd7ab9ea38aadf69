"""What every field editor shares: the form's context, the editor interface, and the row that
shows an editor with its label and its error message.

An editor's ``value()`` is the JSON the core takes for that field, or ``None`` when the field
is empty (which, in a patch, removes it). Values that cannot be right (letters in a number) are
still handed over as typed: the core's validation then names the field and the reason, and the
form shows that message at the field, so there is one set of rules, the core's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QLocale, Qt, Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget

from monitor_app.errors import MonitorError
from monitor_app.records.schema import Field
from monitor_app.records.vocabularies import Vocabularies
from monitor_app.vault.session import UnlockedVault
from ui.common.widgets import ErrorLabel, FormLabel
from ui.records.editor.labels import row_label

if TYPE_CHECKING:
    from ui.records.editor.record_picker import RecordLookup


@dataclass
class FormContext:
    """Shared by every editor of one form."""

    vocabularies: Vocabularies
    language: str = field(default_factory=lambda: QLocale().name())
    vault: UnlockedVault | None = None
    titles: dict[str, str] = field(default_factory=dict)  # record id -> its display text
    lookup: RecordLookup | None = None  # the page's: runs the record pickers' searches

    def entries(self, vocabulary: str | None) -> list[tuple[str, str]]:
        """(code, label) pairs in the vocabulary's own order."""
        if vocabulary is None:
            return []
        try:
            entries = self.vocabularies.get(vocabulary).entries
        except MonitorError:
            return []  # a vocabulary this version does not ship: codes show as they are
        return [(entry.code, entry.label(self.language)) for entry in entries]

    def label(self, vocabulary: str | None, code: str) -> str:
        if vocabulary is None:
            return code
        try:
            return self.vocabularies.get(vocabulary).label(code, self.language)
        except MonitorError:
            return code


class FieldEditor(QWidget):
    """One field's widgets. Subclasses implement ``value`` and ``_show``."""

    changed = Signal()

    def __init__(self, spec: Field, ctx: FormContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self.ctx = ctx
        self._quiet = False

    def value(self) -> Any:
        raise NotImplementedError

    def set_value(self, value: Any) -> None:
        """Show ``value`` (None: empty) without reporting a change: loading is not editing."""
        self._quiet = True
        try:
            self._show(value)
        finally:
            self._quiet = False

    def _show(self, value: Any) -> None:
        raise NotImplementedError

    def clear(self) -> None:
        """Empty every widget, with its undo history, and forget anything from a record."""
        self.set_value(None)

    def row_for(self, parts: list[str]) -> FieldRow | None:
        """The row of a nested field (``["0", "role"]`` in a list of objects), if any."""
        return None

    def focus_widget(self) -> QWidget:
        return self

    def _emit_changed(self, *_args: object) -> None:
        if not self._quiet:
            self.changed.emit()


class FieldRow(QWidget):
    """An editor with the message of the last validation error about it underneath."""

    def __init__(self, editor: FieldEditor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editor = editor
        self.label = FormLabel(row_label(editor.spec))
        self.label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.label.setBuddy(editor.focus_widget())  # screen readers name the input by it
        self.error = ErrorLabel()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(editor)
        layout.addWidget(self.error)

    def show_error(self, text: str) -> None:
        self.error.show_message(text)

    def clear_error(self) -> None:
        self.error.clear()
