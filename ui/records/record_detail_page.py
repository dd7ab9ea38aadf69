"""One record, read-only: the current revision's non-sensitive fields as plain text.

A stand-in until the record editor exists. The record is read with ``RecordStore.get`` without
revealing sensitive fields, so a person's real name, documents and contacts never reach this
page. Referenced records (the place of a visit, the people of an incident) are shown by their
display text. Every value is a ``PlainTextLabel``; nothing from the record goes into a window
title or a tooltip.

Its attachments are listed in a second tab, as in the editor (name, with hidden characters made
visible, type, size), by the editor's ``AttachmentsPanel`` without its Add button: selecting
one opens it as there (an image shown from memory, "Save a copy…" behind its warning). The tab
counts them, and is disabled for a record without any.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QLocale, Qt, Signal, Slot
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QPushButton,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from monitor_app.errors import MonitorError
from monitor_app.i18n import _
from monitor_app.jobs import CancelToken, Progress
from monitor_app.messages import describe
from monitor_app.records.authorship import party_text
from monitor_app.records.schema import RECORD_TYPES, Field
from monitor_app.records.store import RecordView
from monitor_app.records.titles import compose
from monitor_app.records.vocabularies import Vocabularies
from monitor_app.vault.session import UnlockedVault
from ui.common.widgets import (
    ErrorLabel,
    PlainTextLabel,
    date_text,
    isolate,
    modified_text,
    shown_alone,
    shown_line,
    visible_text,
)
from ui.common.workers import JobRunner
from ui.records.editor.attachments_panel import AttachmentsPanel
from ui.records.record_table_model import cancellable_read
from ui.shell.overview_page import type_label

MAX_REFERENCES = 200
ATTACHMENTS_TAB = 1  # references resolved to their titles; any beyond show as ids
DOSSIER_TYPES = ("person", "place")  # the records a dossier gathers everything about


def field_label(name: str) -> str:
    labels = {
        "name": _("Name"),
        "place_type": _("Type of place"),
        "authority": _("Authority"),
        "region": _("Region"),
        "address": _("Address"),
        "capacity": _("Capacity"),
        "notes": _("Notes"),
        "place_id": _("Place of detention"),
        "started_at": _("Started"),
        "ended_at": _("Ended"),
        "visit_type": _("Type of visit"),
        "announced": _("Announced"),
        "team": _("Team"),
        "role": _("Role"),
        "access": _("Access"),
        "obstruction_notes": _("Obstruction"),
        "areas_inspected": _("Areas inspected"),
        "registers_checked": _("Registers checked"),
        "register_anomalies": _("Register anomalies"),
        "occupancy": _("Occupancy on the day"),
        "interviews_count": _("Interviews"),
        "interviews_private": _("Interviews in private"),
        "observations": _("Observations"),
        "theme": _("Theme"),
        "text": _("Text"),
        "good_practices": _("Good practices"),
        "recommendations": _("Recommendations"),
        "status": _("Status"),
        "follow_up_on": _("Follow-up"),
        "summary": _("Summary"),
        "title": _("Title"),
        "incident_type": _("Type of incident"),
        "description": _("Description"),
        "occurred_on": _("Occurred"),
        "ended_on": _("Ended"),
        "location_text": _("Location"),
        "visit_id": _("Visit"),
        "people": _("People"),
        "person_id": _("Person"),
        "perpetrators": _("Alleged perpetrators"),
        "institution": _("Institution"),
        "unit": _("Unit"),
        "rank": _("Rank"),
        "involvement": _("Involvement"),
        "methods": _("Methods"),
        "injuries": _("Injuries and effects"),
        "medical": _("Medical documentation"),
        "examined": _("Examined"),
        "examined_by": _("Examined by"),
        "findings": _("Findings"),
        "consistency": _("Consistency with the account"),
        "sources": _("Sources"),
        "source_type": _("Source"),
        "reliability": _("Reliability"),
        "consent": _("Consent"),
        "reprisal_risk": _("Reprisal risk"),
        "do_not_contact": _("Do not contact"),
        "reprisal_follow_up_on": _("Reprisal follow-up"),
        "legal_actions": _("Legal actions"),
        "action": _("Action"),
        "addressed_to": _("Addressed to"),
        "date": _("Date"),
        "response": _("Response"),
        "case_status": _("Case status"),
        "pseudonym": _("Pseudonym"),
        "roles": _("Roles"),
        "gender": _("Gender"),
        "age": _("Age"),
        "age_range": _("Age range"),
        "nationality": _("Nationality"),
        "occupation": _("Occupation"),
    }
    return labels.get(name, name)


@dataclass(frozen=True)
class Loaded:
    view: RecordView
    titles: dict[str, str]  # referenced record id -> its display text
    vocabularies: Vocabularies


class Formatter:
    """Field values as plain text, with vocabulary labels in the interface's language."""

    def __init__(self, vocabularies: Vocabularies, titles: dict[str, str]) -> None:
        self.vocabularies = vocabularies
        self.titles = titles
        self.language = QLocale().name()

    def label(self, vocabulary: str | None, code: Any) -> str:
        if vocabulary is None:
            return str(code)
        try:
            return self.vocabularies.get(vocabulary).label(str(code), self.language)
        except MonitorError:
            return str(code)  # a vocabulary this version does not ship

    def fuzzy_date(self, value: Any) -> str:
        if not isinstance(value, dict):
            return str(value)
        text = str(value.get("date") or "")
        precision = value.get("precision")
        if precision in ("approximate", "unknown"):
            note = self.label("date_precision", precision)
            return f"{text} ({note})" if text else note
        return text

    def value(self, spec: Field, value: Any) -> str:
        kind = spec.kind
        if kind == "bool":
            return _("Yes") if value else _("No")
        if kind == "vocab":
            return self.label(spec.vocabulary, value)
        if kind == "vocab_list":
            return ", ".join(self.label(spec.vocabulary, code) for code in value)
        if kind == "fuzzy_date":
            return self.fuzzy_date(value)
        if kind == "timestamp":
            return date_text(str(value))
        if kind == "ref":
            title = self.titles.get(str(value))
            return shown_line(title) if title else str(value)
        if kind == "text_list":
            return "\n".join("• " + isolate(str(item)) for item in value)
        if kind == "consent":
            return "\n".join(
                f"{self.label('consent_use', use)}: {self.label('consent_status', status)}"
                for use, status in value.items()
            )
        if kind == "object":
            return "\n".join(self.parts(spec, value))
        if kind == "object_list":
            blocks = []
            for item in value:
                lines = self.parts(spec, item)
                blocks.append("\n".join(["• " + lines[0], *("   " + x for x in lines[1:])]))
            return "\n".join(blocks)
        return visible_text(str(value))

    def parts(self, spec: Field, value: dict[str, Any]) -> list[str]:
        lines = []
        for sub in spec.fields:
            if sub.sensitive or value.get(sub.name) is None:
                continue
            text = self.value(sub, value[sub.name])
            # A linked record's title comes isolated already (shown_line): isolating it again
            # would show its isolates as ⟨U+2068⟩…⟨U+2069⟩.
            lines.append(f"{field_label(sub.name)}: {text if sub.kind == 'ref' else isolate(text)}")
        return lines or [""]


def provenance_text(view: RecordView) -> str:
    """Who wrote the current revision and who brought it, in the words of this vault's
    contact list; an unverified author says so; conflicts are counted."""
    if view.author is None or view.author.status == "own":
        text = _("Written in this vault")
    else:
        text = _("Written by {author}").format(author=shown_line(party_text(view.author)))
    if view.brought_by is not None:
        text += " · " + _("brought by {bringer}").format(
            bringer=shown_line(party_text(view.brought_by))
        )
    if view.conflicts:
        text += " · " + _("conflicting revisions: {n} (see History)").format(n=view.conflicts)
    return text


def record_title(view: RecordView, titles: dict[str, str]) -> str:
    """The record's title as its list shows it (``titles``: of the records it refers to)."""
    record_type = RECORD_TYPES.get(view.type)
    if record_type is None:
        return ""
    place_id = view.fields.get(record_type.place_field or "")
    return compose(record_type, view.fields, titles.get(place_id) if place_id else None)


def references(type_name: str, fields: dict[str, Any]) -> list[str]:
    """Ids of the records this one refers to, top level and inside lists of objects."""
    found: list[str] = []
    record_type = RECORD_TYPES.get(type_name)
    if record_type is None:
        return found
    for spec in record_type.fields:
        value = fields.get(spec.name)
        if spec.kind == "ref" and isinstance(value, str):
            found.append(value)
        elif spec.kind == "object_list" and isinstance(value, list):
            for item in value:
                for sub in spec.fields:
                    ref = item.get(sub.name) if isinstance(item, dict) else None
                    if sub.kind == "ref" and isinstance(ref, str):
                        found.append(ref)
    return list(dict.fromkeys(found))[:MAX_REFERENCES]


def load_record(vault: UnlockedVault, record_id: str) -> Loaded:
    """Runs in a background job: the record, then the titles of the records it refers to."""
    records = vault.records
    view = records.get(record_id)
    # Titles as the lists show them (a visit without a summary: by its place and date).
    names = records.names(references(view.type, view.fields))
    titles = {ref: name.display for ref, name in names.items() if not name.purged}
    return Loaded(view, titles, records.vocabularies)


class RecordDetailPage(QWidget):
    back_requested = Signal()
    edit_requested = Signal(str)  # the record id
    dossier_requested = Signal(str, str)  # person or place, and the record id
    loaded = Signal()  # the record (or an error saying why it cannot be shown) is on screen

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._runner = JobRunner(self)
        self.record_id: str | None = None

        self.back_button = QPushButton(_("Back"))
        self.back_button.setToolTip(_("Back to the list (Esc)"))
        self.back_button.clicked.connect(self.back_requested)
        self.back_shortcut = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)
        self.back_shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.back_shortcut.activated.connect(self.back_requested)
        self.kind_label = PlainTextLabel(role="muted")
        self.title_label = PlainTextLabel(role="heading")
        self.title_label.setWordWrap(True)
        self.meta_label = PlainTextLabel(role="muted")
        self.notice_label = PlainTextLabel(
            _("Read-only. Sensitive fields (real names, documents, contacts) are not shown."),
            role="muted",
        )
        self.error_label = ErrorLabel()
        for label in (self.kind_label, self.meta_label, self.notice_label):
            label.setWordWrap(True)  # long in Russian and Kyrgyz: never widens the window

        self.fields_widget = QWidget()
        self.fields_widget.setProperty("role", "page")  # the page's background, not a panel
        self.form = QFormLayout(self.fields_widget)
        self.form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(self.fields_widget)
        self.attachments = AttachmentsPanel(read_only=True)
        self.attachments.listed.connect(self._attachments_listed)
        self.tabs = QTabWidget()  # as in the editor: the record, then its attachments
        self.tabs.addTab(scroll, _("Record"))
        self.tabs.addTab(self.attachments, _("Attachments"))
        self.tabs.setTabEnabled(ATTACHMENTS_TAB, False)

        self.edit_button = QPushButton(_("Edit…"))
        self.edit_button.setEnabled(False)
        self.edit_button.clicked.connect(self._edit)
        # Everything naming a person or a place (ui/records/dossier_page.py).
        self.dossier_button = QPushButton(_("Dossier"))
        self.dossier_button.setToolTip(_("Everything the vault holds about this record"))
        self.dossier_button.hide()
        self.dossier_button.clicked.connect(self._dossier)
        self._type: str | None = None

        top = QHBoxLayout()
        top.addWidget(self.kind_label, 1)
        top.addWidget(self.dossier_button)
        top.addWidget(self.edit_button)
        top.addWidget(self.back_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.title_label)
        layout.addWidget(self.meta_label)
        layout.addWidget(self.notice_label)
        layout.addWidget(self.error_label)
        layout.addWidget(self.tabs, 1)

    def show_record(self, vault: UnlockedVault, record_id: str) -> None:
        self.clear()
        self.record_id = record_id
        self.kind_label.setText(_("Loading…"))

        def job(cancel: CancelToken, progress: Progress) -> Loaded:
            with cancellable_read(vault, cancel):
                return load_record(vault, record_id)

        self._runner.start(job, on_success=self._arrived, on_failure=self._failed)
        self.attachments.show_record(vault, record_id)

    def clear(self) -> None:
        """Blank every label and drop the rows; a read still running is abandoned."""
        self._runner.cancel()
        self.attachments.clear()  # file names and an image preview are record content
        self.tabs.setCurrentIndex(0)
        self.tabs.setTabText(ATTACHMENTS_TAB, _("Attachments"))
        self.tabs.setTabEnabled(ATTACHMENTS_TAB, False)
        self.record_id = None
        self._type = None
        self.edit_button.setEnabled(False)
        self.dossier_button.hide()
        for label in (self.kind_label, self.title_label, self.meta_label):
            label.clear()
        self.error_label.clear()
        while self.form.rowCount():
            # Blank first: removed labels are deleted later, and must hold nothing till then.
            for role in (QFormLayout.ItemRole.LabelRole, QFormLayout.ItemRole.FieldRole):
                item = self.form.itemAt(0, role)
                widget = item.widget() if item is not None else None
                if isinstance(widget, PlainTextLabel):
                    widget.clear()
            self.form.removeRow(0)

    def shutdown(self) -> None:
        self.clear()
        self._runner.shutdown()
        self.attachments.shutdown()

    @property
    def loading(self) -> bool:
        return self._runner.busy

    # -- showing ---------------------------------------------------------------------------
    def _arrived(self, result: Any) -> None:
        loaded: Loaded = result
        view = loaded.view
        record_type = RECORD_TYPES.get(view.type)
        self.kind_label.setText(type_label(view.type))
        title = record_title(view, loaded.titles)
        self.title_label.setText(shown_alone(title) or _("(untitled)"))
        meta = _("Revision {n} · last changed {when} · created {created}").format(
            n=view.revision,
            when=modified_text(view.modified_at),
            created=modified_text(view.created_at),
        )
        if view.deleted_at:
            meta += " · " + _("deleted {when}").format(when=modified_text(view.deleted_at))
        meta += "\n" + provenance_text(view)
        self.meta_label.setText(meta)
        if record_type is not None:
            formatter = Formatter(loaded.vocabularies, loaded.titles)
            for spec in record_type.fields:
                value = view.fields.get(spec.name)
                if spec.sensitive or value is None or value in ("", []):
                    continue
                self._add_row(field_label(spec.name), formatter.value(spec, value))
        self.edit_button.setEnabled(not view.deleted_at)
        self._type = view.type
        self.dossier_button.setVisible(view.type in DOSSIER_TYPES and not view.deleted_at)
        self.loaded.emit()

    @Slot()
    def _edit(self) -> None:
        if self.record_id is not None:
            self.edit_requested.emit(self.record_id)

    @Slot()
    def _dossier(self) -> None:
        if self.record_id is not None and self._type in DOSSIER_TYPES:
            self.dossier_requested.emit(self._type, self.record_id)

    def _add_row(self, name: str, text: str) -> None:
        label = PlainTextLabel(name, role="muted")
        value = PlainTextLabel(text)
        value.setWordWrap(True)
        for widget in (label, value):
            widget.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        # Reviewers copy passages into complaints: selecting is allowed, links never are.
        value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.form.addRow(label, value)

    @Slot()
    def _attachments_listed(self) -> None:
        count = self.attachments.tree.topLevelItemCount()
        failed = not self.attachments.error_label.isHidden()  # the tab says why
        self.tabs.setTabText(ATTACHMENTS_TAB, _("Attachments ({n})").format(n=count))
        self.tabs.setTabEnabled(ATTACHMENTS_TAB, count > 0 or failed)

    @Slot(object)
    def _failed(self, error: MonitorError) -> None:
        self.kind_label.clear()
        self.error_label.show_message(describe(error))
        self.loaded.emit()
