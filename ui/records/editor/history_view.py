"""A record's revisions: who, when, and what changed, field by field (old → new).

The core's ``RecordStore.history`` names the changed fields of each revision; the values come
from reading each revision (``RecordStore.get(revision=n)``), off the GUI thread. Protected
fields are named with "(protected)" instead of their values, until the user clicks "Reveal
protected values" here: that reads the revisions with ``reveal_sensitive=True``, which the
core writes to the audit log (once per revision read, which is what was looked at).

Values are shown as plain text: one line in the list, in full underneath for the selected
change. Everything is dropped by ``clear`` (on lock).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QHBoxLayout,
    QPlainTextEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from monitor_app.errors import MonitorError
from monitor_app.i18n import _
from monitor_app.jobs import CancelToken, Progress
from monitor_app.messages import describe
from monitor_app.records.authorship import party_text
from monitor_app.records.schema import RECORD_TYPES, Field
from monitor_app.records.store import RevisionInfo
from monitor_app.vault.session import UnlockedVault
from ui.common.widgets import (
    ErrorLabel,
    PlainTextLabel,
    isolate,
    modified_text,
    shown_alone,
    shown_line,
)
from ui.common.workers import JobRunner
from ui.records.editor.fields import wipe_plain
from ui.records.editor.labels import editor_label
from ui.records.record_detail_page import Formatter, references

MAX_REVISIONS = 200  # the newest ones; a record edited more often than that is rare
LINE_CHARS = 120
DETAIL_ROLE = Qt.ItemDataRole.UserRole
PROTECTED = "\x00protected"  # a marker, never shown: the value of an unrevealed field


@dataclass(frozen=True)
class Change:
    field: str
    old: str | None  # None: not set
    new: str | None


@dataclass(frozen=True)
class Revision:
    number: int
    when: str
    author: str  # who wrote it and who brought it, from this vault's contacts
    changes: list[Change]
    first: bool = False  # the record's first revision: nothing before it to compare with
    conflict: str | None = None  # a sentence when it is outside the record's history


def _author(vault: UnlockedVault, info: RevisionInfo) -> str:
    if info.signed_by is not None and info.signed_by.status == "own":
        written = shown_alone(vault.author.name) or _("this vault")
    else:
        written = shown_alone(party_text(info.signed_by))
    if info.brought_by is None:
        return written
    return _("{author}, brought by {bringer}").format(
        author=written, bringer=shown_alone(party_text(info.brought_by))
    )


def _conflict(info: RevisionInfo) -> str | None:
    if info.conflict == "fork":
        return _("Conflict: another revision was made from the same earlier one.")
    if info.conflict is not None:
        return _("Conflict: the revision before this one has not arrived.")
    return None


def load_history(
    vault: UnlockedVault, record_id: str, reveal: bool, cancel: CancelToken | None = None
) -> list[Revision]:
    """Runs in a background job; stops between reads once cancelled (the vault is locking)."""
    records = vault.records
    every = records.history(record_id)
    numbers = {info.hash: info.revision for info in every}
    infos = every[-MAX_REVISIONS:]
    views = []
    for info in infos:
        if cancel is not None:
            cancel.raise_if_cancelled()
        views.append(records.get(record_id, revision=info.revision, reveal_sensitive=reveal))
    record_type = RECORD_TYPES[views[0].type] if views else None
    titles: dict[str, str] = {}
    for view in views:
        for ref in references(view.type, view.fields):
            if ref not in titles:
                try:
                    other = records.get(ref)
                except MonitorError:
                    continue  # deleted or purged since: the id is shown instead
                titles[ref] = str(other.fields.get(RECORD_TYPES[other.type].title_field) or "")
    formatter = Formatter(records.vocabularies, titles)
    result: list[Revision] = []
    values = {info.hash: _values(view) for info, view in zip(infos, views, strict=True)}
    for info, view in zip(infos, views, strict=True):
        current = _values(view)
        # Each revision is compared with the one it was made from (a fork has a parent that
        # is not the revision stored before it).
        previous: dict[str, Any] = {}
        if info.parent is not None and info.parent not in values and info.parent in numbers:
            values[info.parent] = _values(
                records.get(record_id, revision=numbers[info.parent], reveal_sensitive=reveal)
            )
        if info.parent is not None:
            previous = values.get(info.parent, {})
        changes = []
        for name in info.changed_fields:
            spec = record_type.by_name.get(name) if record_type else None
            if spec is None:
                continue
            changes.append(
                Change(
                    name,
                    _text(formatter, spec, previous.get(name), reveal),
                    _text(formatter, spec, current.get(name), reveal),
                )
            )
        result.append(
            Revision(
                info.revision,
                info.created_at,
                _author(vault, info),
                changes,
                first=info.parent is None,
                conflict=_conflict(info),
            )
        )
    return result


def _values(view: Any) -> dict[str, Any]:
    return {**view.fields, **(view.sensitive or {})}


def _text(formatter: Formatter, spec: Field, value: Any, reveal: bool) -> str | None:
    if spec.sensitive and not reveal:
        return PROTECTED  # the history names the field; its value stays hidden
    if value is None:
        return None
    return formatter.value(spec, value)


def _shown(text: str | None) -> str:
    if text == PROTECTED:
        return _("(protected)")
    return _("(not set)") if text is None else text


class HistoryView(QWidget):
    loaded = Signal()  # the revisions (or why they cannot be shown) are on screen

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._runner = JobRunner(self)
        self._vault: UnlockedVault | None = None
        self.record_id: str | None = None
        self.revealed = False

        self.note = PlainTextLabel(
            _("Every saved change is kept. Select a change to read the whole old and new text."),
            role="muted",
        )
        self.note.setWordWrap(True)
        self.reveal_button = QPushButton(_("Reveal protected values"))
        self.reveal_button.setToolTip(_("Recorded in the audit log"))
        self.reveal_button.clicked.connect(self.reveal)
        self.tree = QTreeWidget()
        self.tree.setHeaderHidden(True)
        self.tree.setUniformRowHeights(True)
        self.tree.currentItemChanged.connect(self._selected)
        self.detail = QPlainTextEdit()
        self.detail.setReadOnly(True)
        self.detail.setMaximumHeight(160)
        self.error_label = ErrorLabel()

        top = QHBoxLayout()
        top.addWidget(self.note, 1)
        top.addWidget(self.reveal_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.error_label)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.detail)
        self.reveal_button.setVisible(False)

    def show_record(self, vault: UnlockedVault, record_id: str, type_name: str) -> None:
        self.clear()
        self._vault, self.record_id = vault, record_id
        has_protected = bool(RECORD_TYPES[type_name].sensitive_fields)
        self.reveal_button.setVisible(has_protected)
        self._load()

    def reload(self) -> None:
        if self._vault is not None and self.record_id is not None:
            self._load()

    @Slot()
    def reveal(self) -> None:
        self.revealed = True
        self.reveal_button.setEnabled(False)
        self.reload()

    def _load(self) -> None:
        vault, record_id, reveal = self._vault, self.record_id, self.revealed
        assert vault is not None and record_id is not None
        self._runner.cancel()

        def job(cancel: CancelToken, progress: Progress) -> list[Revision]:
            return load_history(vault, record_id, reveal, cancel)

        self._runner.start(job, on_success=self._arrived, on_failure=self._failed)

    @property
    def loading(self) -> bool:
        return self._runner.busy

    def clear(self) -> None:
        self._runner.cancel()
        self._vault, self.record_id, self.revealed = None, None, False
        self.tree.clear()
        wipe_plain(self.detail)
        self.error_label.clear()
        self.reveal_button.setEnabled(True)

    def shutdown(self) -> None:
        self.clear()
        self._runner.shutdown()

    # -- showing ---------------------------------------------------------------------------
    def _arrived(self, revisions: list[Revision]) -> None:
        self.tree.clear()
        wipe_plain(self.detail)
        self.error_label.clear()
        for revision in reversed(revisions):  # newest first
            head = QTreeWidgetItem(
                [
                    _("Revision {n} · {when} · {author}").format(
                        n=revision.number,
                        when=modified_text(revision.when),
                        author=shown_line(revision.author),
                    )
                ]
            )
            self.tree.addTopLevelItem(head)
            if revision.conflict is not None:
                head.addChild(QTreeWidgetItem([revision.conflict]))
            for change in revision.changes:
                child = QTreeWidgetItem([self._line(revision.first, change)])
                child.setData(0, DETAIL_ROLE, self._detail(revision.first, change))
                head.addChild(child)
            if not revision.changes:
                head.addChild(QTreeWidgetItem([_("No field changed")]))
            head.setExpanded(True)
        self.loaded.emit()

    @staticmethod
    def _line(first: bool, change: Change) -> str:
        name = editor_label(change.field)
        new = shown_alone(_shown(change.new))
        if len(new) > LINE_CHARS:
            new = new[:LINE_CHARS] + "…"
        if first:
            return f"{name}: {isolate(new)}"
        old = shown_alone(_shown(change.old))
        if len(old) > LINE_CHARS:
            old = old[:LINE_CHARS] + "…"
        return f"{name}: {isolate(old)} → {isolate(new)}"

    @staticmethod
    def _detail(first: bool, change: Change) -> str:
        name = editor_label(change.field)
        if first:
            return f"{name}\n\n{_shown(change.new)}"
        return _("{field}\n\nBefore:\n{old}\n\nAfter:\n{new}").format(
            field=name, old=_shown(change.old), new=_shown(change.new)
        )

    def _failed(self, error: MonitorError) -> None:
        self.error_label.show_message(describe(error))
        self.loaded.emit()

    @Slot(QTreeWidgetItem, QTreeWidgetItem)
    def _selected(self, current: QTreeWidgetItem | None, _previous: object) -> None:
        text = current.data(0, DETAIL_ROLE) if current is not None else None
        wipe_plain(self.detail)
        if isinstance(text, str):
            self.detail.setPlainText(text)
