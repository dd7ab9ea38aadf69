"""A person's or a place's dossier: everything the vault holds about them, section by section.

Reached from the person's or the place's page ("Dossier"). A tab per section (a person's
incidents, visits and attachments; a place's visits, incidents, recommendations and
occupancy), each titled with its exact count, holds the first page of rows in date order;
"Show more" reads the next page. Opening a row (double-click, Enter) opens its record, and
Back there leads back here. Every read runs on a worker (records/dossiers.py).

Record text is shown as plain text: a tree cell never interprets markup, and titles and names
have their hidden characters made visible (``shown_alone``), as in the lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QLocale, Qt, Signal, Slot
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from monitor_app.errors import MonitorError
from monitor_app.i18n import _
from monitor_app.jobs import CancelToken, Progress
from monitor_app.messages import describe
from monitor_app.records.dossiers import (
    BREAKDOWNS,
    AttachmentItem,
    Dossier,
    DossierItem,
    Item,
    OccupancyItem,
    RecommendationItem,
    Section,
)
from monitor_app.records.vocabularies import Vocabularies
from monitor_app.vault.session import UnlockedVault
from ui.common.widgets import ErrorLabel, PlainTextLabel, date_text, shown_alone
from ui.common.workers import JobRunner
from ui.records.record_table_model import cancellable_read
from ui.shell.overview_page import type_label

PAGE_SIZE = 200  # rows read at a time per section
RECORD_ROLE = Qt.ItemDataRole.UserRole  # the record a row opens


def section_title(name: str, total: int) -> str:
    titles = {
        "incidents": _("Incidents ({n})"),
        "visits": _("Visits ({n})"),
        "attachments": _("Attachments ({n})"),
        "recommendations": _("Recommendations ({n})"),
        "occupancy": _("Occupancy ({n})"),
    }
    return titles.get(name, name).format(n=total)


def section_columns(name: str, kind: str) -> list[str]:
    """The headers of a section's rows; a person's roles only in a person's dossier."""
    if name == "attachments":
        return [_("Name"), _("Type"), _("Attached to")]
    if name == "recommendations":
        return [_("Visit"), _("Status"), _("Recommendation")]
    if name == "occupancy":
        return [_("Visit"), _("Occupancy on the day")]
    type_header = _("Type of incident") if name == "incidents" else _("Type of visit")
    if kind == "person":
        return [_("Date"), type_header, _("Role"), _("Title")]
    return [_("Date"), type_header, _("Title")]


@dataclass(frozen=True)
class Loaded:
    dossier: Dossier
    vocabularies: Vocabularies


class Labels:
    """Vocabulary codes as labels in the interface's language."""

    def __init__(self, vocabularies: Vocabularies) -> None:
        self.vocabularies = vocabularies
        self.language = QLocale().name()

    def __call__(self, vocabulary: str, code: str | None) -> str:
        if not code:
            return ""
        try:
            return self.vocabularies.get(vocabulary).label(code, self.language)
        except MonitorError:
            return shown_alone(code)  # a vocabulary this version does not ship


def row_texts(item: Item, labels: Labels, kind: str) -> tuple[list[str], str]:
    """A section row's cells in a ``kind`` dossier, and the id of the record it opens."""
    if isinstance(item, DossierItem):
        vocabulary = "incident_type" if item.type == "incident" else "visit_type"
        cells = [date_text(item.date), labels(vocabulary, item.kind)]
        if kind == "person":
            cells.append(", ".join(labels("person_role", role) for role in item.roles))
        return [*cells, shown_alone(item.title) or _("(untitled)")], item.record_id
    if isinstance(item, AttachmentItem):
        return [
            shown_alone(item.original_name),
            shown_alone(item.media_type),
            type_label(item.record_type),
        ], item.record_id
    if isinstance(item, RecommendationItem):
        status = labels("recommendation_status", item.status)
        return [date_text(item.date), status, shown_alone(item.text)], item.visit_id
    assert isinstance(item, OccupancyItem)
    return [date_text(item.date), str(item.occupancy)], item.visit_id


class SectionView(QWidget):
    """One section: its rows, and "Show more" while the vault holds more."""

    more_requested = Signal(str)  # the section's name
    record_requested = Signal(str)

    def __init__(self, name: str, kind: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.kind = kind
        self.next_offset: int | None = None
        self.tree = QTreeWidget()
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setHeaderLabels(section_columns(name, kind))
        self.tree.header().setStretchLastSection(True)
        self.tree.header().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.tree.itemActivated.connect(self._activated)
        self.more_button = QPushButton(_("Show more"))
        self.more_button.hide()
        self.more_button.clicked.connect(lambda: self.more_requested.emit(self.name))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.more_button, 0, Qt.AlignmentFlag.AlignLeft)

    def add_page(self, section: Section, labels: Labels) -> None:
        for item in section.items:
            cells, record_id = row_texts(item, labels, self.kind)
            row = QTreeWidgetItem(cells)
            row.setData(0, RECORD_ROLE, record_id)
            self.tree.addTopLevelItem(row)
        for column in range(self.tree.columnCount() - 1):
            # Room for a date or a label, never so much that the title is squeezed out.
            self.tree.resizeColumnToContents(column)
            self.tree.setColumnWidth(column, min(self.tree.columnWidth(column), 260))
        self.next_offset = section.next_offset
        self.more_button.setVisible(self.next_offset is not None)

    def clear(self) -> None:
        self.tree.clear()
        self.next_offset = None
        self.more_button.hide()

    @Slot(QTreeWidgetItem, int)
    def _activated(self, item: QTreeWidgetItem, _column: int) -> None:
        record_id = item.data(0, RECORD_ROLE)
        if isinstance(record_id, str):
            self.record_requested.emit(record_id)


class DossierPage(QWidget):
    back_requested = Signal()
    record_requested = Signal(str)  # a row's record
    loaded = Signal()  # the dossier, a further page or an error is on screen

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._runner = JobRunner(self)
        self._vault: UnlockedVault | None = None
        self._labels: Labels | None = None
        self.kind: str | None = None
        self.record_id: str | None = None
        self.sections: dict[str, SectionView] = {}

        self.back_button = QPushButton(_("Back"))
        self.back_button.setToolTip(_("Back to the record (Esc)"))
        self.back_button.clicked.connect(self.back_requested)
        self.back_shortcut = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)
        self.back_shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.back_shortcut.activated.connect(self.back_requested)
        self.kind_label = PlainTextLabel(role="muted")
        self.title_label = PlainTextLabel(role="heading")
        self.summary_label = PlainTextLabel(role="muted")
        self.summary_label.setWordWrap(True)  # long in Russian and Kyrgyz
        self.kind_label.setWordWrap(True)
        self.error_label = ErrorLabel()
        self.tabs = QTabWidget()
        self.tabs.setUsesScrollButtons(True)  # six words of Kyrgyz never widen the window

        top = QHBoxLayout()
        top.addWidget(self.kind_label, 1)
        top.addWidget(self.back_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.title_label)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.error_label)
        layout.addWidget(self.tabs, 1)

    # -- loading ---------------------------------------------------------------------------
    def show_dossier(self, vault: UnlockedVault, kind: str, record_id: str) -> None:
        self.clear()
        self._vault, self.kind, self.record_id = vault, kind, record_id
        self.kind_label.setText(_("Loading…"))

        def job(cancel: CancelToken, progress: Progress) -> Loaded:
            with cancellable_read(vault, cancel):
                dossiers = vault.dossiers
                if kind == "person":
                    dossier = dossiers.person_dossier(record_id, limit=PAGE_SIZE)
                else:
                    dossier = dossiers.place_dossier(record_id, limit=PAGE_SIZE)
                return Loaded(dossier, vault.records.vocabularies)

        self._runner.start(job, on_success=self._arrived, on_failure=self._failed)

    def clear(self) -> None:
        """Blank every label and drop the rows; a read still running is abandoned."""
        self._runner.cancel()
        self._vault = self._labels = None
        self.kind = self.record_id = None
        for label in (self.kind_label, self.title_label, self.summary_label):
            label.clear()
        self.error_label.clear()
        for view in self.sections.values():
            view.clear()
        self.sections = {}
        while self.tabs.count():
            widget = self.tabs.widget(0)
            self.tabs.removeTab(0)
            if widget is not None:
                widget.deleteLater()

    def shutdown(self) -> None:
        self.clear()
        self._runner.shutdown()

    @property
    def loading(self) -> bool:
        return self._runner.busy

    # -- showing ---------------------------------------------------------------------------
    def _arrived(self, result: Any) -> None:
        loaded: Loaded = result
        dossier = loaded.dossier
        self._labels = labels = Labels(loaded.vocabularies)
        self.kind_label.setText(
            _("Dossier of a person") if dossier.kind == "person" else _("Dossier of a place")
        )
        self.title_label.setText(shown_alone(dossier.record.display) or _("(untitled)"))
        self.summary_label.setText(self._summary(dossier, labels))
        for name, section in dossier.sections.items():
            view = SectionView(name, dossier.kind)
            view.add_page(section, labels)
            view.more_requested.connect(self._more)
            view.record_requested.connect(self.record_requested)
            self.sections[name] = view
            self.tabs.addTab(view, section_title(name, section.total))
        self.loaded.emit()

    def _summary(self, dossier: Dossier, labels: Labels) -> str:
        lines = []
        for name, counts in dossier.breakdowns.items():
            if not counts:
                continue
            vocabulary, template = BREAKDOWNS[name]
            values = ", ".join(
                f"{labels(vocabulary, code) or _('(not set)')}: {n}"
                for code, n in sorted(counts.items(), key=lambda pair: -pair[1])
            )
            lines.append(_(template).format(values=values))
        capacity = dossier.record.fields.get("capacity")
        if dossier.kind == "place" and isinstance(capacity, int):
            lines.append(_("Capacity: {n}").format(n=capacity))
        return "\n".join(lines)

    @Slot(str)
    def _more(self, name: str) -> None:
        view = self.sections.get(name)
        vault, kind, record_id = self._vault, self.kind, self.record_id
        if view is None or view.next_offset is None or self._runner.busy:
            return
        if vault is None or kind is None or record_id is None:
            return
        offset = view.next_offset
        view.more_button.setEnabled(False)

        def job(cancel: CancelToken, progress: Progress) -> Section:
            with cancellable_read(vault, cancel):
                return vault.dossiers.section_page(
                    kind, record_id, name, offset=offset, limit=PAGE_SIZE
                )

        def arrived(result: Any) -> None:
            section: Section = result
            view.more_button.setEnabled(True)
            if self._labels is not None:
                view.add_page(section, self._labels)
            self.tabs.setTabText(self.tabs.indexOf(view), section_title(name, section.total))
            self.loaded.emit()

        self._runner.start(job, on_success=arrived, on_failure=self._failed)

    @Slot(object)
    def _failed(self, error: MonitorError) -> None:
        self.kind_label.clear()
        for view in self.sections.values():
            view.more_button.setEnabled(True)
        self.error_label.show_message(describe(error))
        self.loaded.emit()
