"""The audit log: every change to the vault, newest first, loaded a page at a time off the GUI
thread; and "Verify chain", which checks the hash chain on a worker.

The log grows with every change (a hub's holds millions of entries), so the model asks the
core for one page at a time (``audit.entries`` with limit and offset), newest first: the count
comes from the last sequence number, and each page is the slice just before what is loaded.
Entries hold no record content; the table shows time, action and record id only.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from PySide6.QtCore import (
    QAbstractTableModel,
    QLocale,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
    Slot,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from monitor_app.bundles import ledger
from monitor_app.errors import MonitorError
from monitor_app.i18n import _, ngettext
from monitor_app.jobs import CancelToken, Progress
from monitor_app.messages import describe
from monitor_app.records import audit
from monitor_app.records.store import RecordName
from monitor_app.vault.session import UnlockedVault
from ui.common.widgets import ErrorLabel, PlainTextLabel, modified_text, one_line
from ui.common.workers import JobRunner
from ui.records.record_table_model import cancellable_read
from ui.shell.overview_page import type_label

PAGE_SIZE = 500
COLUMNS = ("seq", "at", "action", "record")
ModelIndex = QModelIndex | QPersistentModelIndex


class Row(NamedTuple):
    seq: int
    at: str
    action: str
    record_id: str | None
    record: RecordName | None  # None: not a record's entry, or the record is not held here


def action_label(action: str) -> str:
    """A known action in words; an unknown one (a newer version's) as its code."""
    labels = {
        "vault_created": _("Vault created"),
        "identity_created": _("Keys created"),
        "passphrase_changed": _("Passphrase changed"),
        "vault_rekeyed": _("Vault re-encrypted under a new key"),
        "record_created": _("Record created"),
        "record_edited": _("Record edited"),
        "record_deleted": _("Record deleted"),
        "record_purged": _("Record purged after handoff"),
        "sensitive_revealed": _("Sensitive fields revealed"),
        "attachment_added": _("Attachment added"),
        "attachment_saved_out": _("Attachment saved to a file"),
        "contact_added": _("Contact added"),
        "contact_updated": _("Contact updated"),
        "contact_verified": _("Contact verified"),
        "contact_handoff_recipient_set": _("Handoff recipient changed"),
        "contact_removed": _("Contact removed"),
        "bundle_exported": _("Bundle exported"),
        "bundle_imported": _("Bundle imported"),
        "bundle_quarantined": _("Bundle held in quarantine"),
        "bundle_refused": _("Bundle refused"),
        "receipt_exported": _("Receipt written"),
        "receipt_imported": _("Receipt imported"),
        "age_identity_exported": _("Secret key written to a file"),
    }
    return labels.get(action, action)


def problem_label(problem: str | None) -> str:
    labels = {
        "missing_entry": _("an entry is missing"),
        "broken_link": _("an entry does not follow the one before"),
        "altered_entry": _("an entry was changed"),
        "missing_tail": _("the newest entries were cut off"),
    }
    return labels.get(problem or "", problem or "")


def column_title(key: str) -> str:
    return {"seq": _("No."), "at": _("Time"), "action": _("Action"), "record": _("Record")}[key]


def read_page(vault: UnlockedVault, end: int, size: int) -> list[Row]:
    """The ``size`` entries before number ``end`` + 1, newest first."""
    offset = max(0, end - size)
    with vault.reading() as conn:
        entries = audit.entries(conn, limit=end - offset, offset=offset)
    names = vault.records.names(e.record_id for e in entries if e.record_id)
    return [
        Row(e.seq, e.at, e.action, e.record_id, names.get(e.record_id or ""))
        for e in reversed(entries)
    ]


def record_text(row: Row) -> str:
    """The record an entry is about, by the title its list shows (never a sensitive field):
    an id means nothing to a reviewer. The id itself is in the tooltip."""
    if row.record_id is None:
        return ""
    name = row.record
    if name is None:
        return _("not held here ({record_id})").format(record_id=row.record_id[:8])
    if name.purged:
        return _("{type}, purged after handoff").format(type=type_label(name.type))
    title = one_line(name.display) or _("(untitled)")
    return _("{title} (deleted)").format(title=title) if name.deleted else title


class AuditTableModel(QAbstractTableModel):
    loaded = Signal()  # a page arrived
    failed = Signal(str)  # a sentence for the person

    def __init__(self, page_size: int = PAGE_SIZE, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.page_size = page_size
        self._vault: UnlockedVault | None = None
        self._rows: list[Row] = []
        self._total = 0  # entries when the first page was read; newer ones need a reload
        self._runner = JobRunner(self)

    @property
    def total(self) -> int:
        return self._total

    @property
    def loading(self) -> bool:
        return self._runner.busy

    def set_vault(self, vault: UnlockedVault | None) -> None:
        self.clear()
        self._vault = vault

    def clear(self) -> None:
        self._runner.cancel()
        self.beginResetModel()
        self._rows, self._total, self._vault = [], 0, None
        self.endResetModel()

    def shutdown(self) -> None:
        self.clear()
        self._runner.shutdown()

    def reload(self) -> None:
        vault = self._vault
        self._runner.cancel()
        self.beginResetModel()
        self._rows, self._total = [], 0
        self.endResetModel()
        if vault is None:
            return
        size = self.page_size

        def first(cancel: CancelToken, progress: Progress) -> tuple[int, list[Row]]:
            with cancellable_read(vault, cancel), vault.reading() as conn:
                total = ledger.audit_length(conn)
                return total, read_page(vault, total, size)

        self._runner.start(first, on_success=self._first_arrived, on_failure=self._failed)

    def canFetchMore(self, parent: ModelIndex = QModelIndex()) -> bool:  # noqa: B008
        if parent.isValid() or self._runner.busy or self._vault is None:
            return False
        return len(self._rows) < self._total

    def fetchMore(self, parent: ModelIndex = QModelIndex()) -> None:  # noqa: B008
        vault = self._vault
        if vault is None or not self.canFetchMore(parent):
            return
        end, size = self._total - len(self._rows), self.page_size

        def page(cancel: CancelToken, progress: Progress) -> list[Row]:
            with cancellable_read(vault, cancel):
                return read_page(vault, end, size)

        self._runner.start(page, on_success=self._append, on_failure=self._failed)

    def _first_arrived(self, result: Any) -> None:
        total, rows = result
        self._total = total
        self._append(rows)

    def _append(self, result: Any) -> None:
        rows: list[Row] = result
        if rows:
            start = len(self._rows)
            self.beginInsertRows(QModelIndex(), start, start + len(rows) - 1)
            self._rows.extend(rows)
            self.endInsertRows()
        self.loaded.emit()

    def _failed(self, error: MonitorError) -> None:
        self.failed.emit(describe(error))

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not 0 <= index.row() < len(self._rows):
            return None
        row, key = self._rows[index.row()], COLUMNS[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole and key == "record":
            return row.record_id
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if key == "seq":
            return str(row.seq)
        if key == "at":
            return modified_text(row.at)
        if key == "action":
            return action_label(row.action)
        return record_text(row)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(COLUMNS)
        ):
            return column_title(COLUMNS[section])
        return None


class AuditPage(QWidget):
    verified = Signal()  # the chain check's result (or its error) is on screen

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._vault: UnlockedVault | None = None
        self._runner = JobRunner(self)
        self.model = AuditTableModel(parent=self)
        self.model.loaded.connect(self._update_status)
        self.model.failed.connect(self._show_error)

        intro = PlainTextLabel(
            _(
                "Every change to this vault, newest first. Each entry is chained to the one "
                "before it, so an entry changed, removed or reordered afterwards is detected."
            ),
            role="muted",
        )
        intro.setWordWrap(True)
        self.status_label = PlainTextLabel(role="muted")
        self.verify_button = QPushButton(_("Verify chain"))
        self.verify_button.clicked.connect(self.verify_chain)
        self.refresh_button = QPushButton(_("Refresh"))
        self.refresh_button.clicked.connect(self.refresh)
        top = QHBoxLayout()
        top.addWidget(self.status_label, 1)
        top.addWidget(self.refresh_button)
        top.addWidget(self.verify_button)

        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setAlternatingRowColors(True)
        self.view.setWordWrap(False)
        self.view.setShowGrid(False)
        rows = self.view.verticalHeader()
        rows.setVisible(False)
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)  # no measuring of every row
        rows.setDefaultSectionSize(self.fontMetrics().height() + 10)
        columns = self.view.horizontalHeader()
        columns.setStretchLastSection(True)
        columns.resizeSection(0, self.fontMetrics().horizontalAdvance("0000000") + 16)
        columns.resizeSection(1, self.fontMetrics().horizontalAdvance("2024-12-31 23:59") + 32)
        columns.resizeSection(2, self.fontMetrics().horizontalAdvance("M" * 24))

        self.result_label = PlainTextLabel(role="note")
        self.result_label.setWordWrap(True)
        self.result_label.setVisible(False)
        self.error_label = ErrorLabel()

        layout = QVBoxLayout(self)
        layout.addWidget(PlainTextLabel(_("Audit log"), role="heading"))
        layout.addWidget(intro)
        layout.addLayout(top)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.result_label)
        layout.addWidget(self.error_label)
        self._update_buttons()

    def set_vault(self, vault: UnlockedVault) -> None:
        self.clear()
        self._vault = vault
        self.model.set_vault(vault)
        self._update_buttons()
        self.refresh()

    def clear(self) -> None:
        self._runner.cancel()
        self._vault = None
        self.model.clear()
        self.status_label.clear()
        self._show_result("")
        self.error_label.clear()
        self._update_buttons()

    def shutdown(self) -> None:
        self.clear()
        self.model.shutdown()
        self._runner.shutdown()

    @Slot()
    def refresh(self) -> None:
        self.error_label.clear()
        self.model.reload()

    @Slot()
    def verify_chain(self) -> None:
        vault = self._vault
        if vault is None or self._runner.busy:
            return

        def job(cancel: CancelToken, progress: Progress) -> audit.ChainReport:
            with cancellable_read(vault, cancel), vault.reading() as conn:
                return audit.verify(conn)

        self._show_result(_("Checking every entry of the chain…"))
        self.error_label.clear()
        self._runner.start(job, on_success=self._verified, on_failure=self._verify_failed)
        self._update_buttons()

    def _verified(self, result: Any) -> None:
        report: audit.ChainReport = result
        if report.ok:
            self._show_result(
                ngettext(
                    "The audit log is intact: {n} entry, each chained to the one before.",
                    "The audit log is intact: {n} entries, each chained to the one before.",
                    report.entries,
                ).format(n=QLocale().toString(report.entries))
            )
        else:
            self._show_result("")
            broken = MonitorError(
                "audit_chain_broken",
                first_bad_seq=report.first_bad_seq,
                problem=problem_label(report.problem),
            )
            self.error_label.show_message(describe(broken))
        self._update_buttons()
        self.verified.emit()

    def _verify_failed(self, error: MonitorError) -> None:
        self._show_result("")
        self.error_label.show_message(describe(error))
        self._update_buttons()
        self.verified.emit()

    def _show_result(self, text: str) -> None:
        self.result_label.setText(text)
        self.result_label.setVisible(bool(text))

    @Slot(str)
    def _show_error(self, message: str) -> None:
        self.error_label.show_message(message)

    @Slot()
    def _update_status(self) -> None:
        total, shown = self.model.total, self.model.rowCount()
        locale = QLocale()
        if shown >= total:
            text = ngettext("{n} entry", "{n} entries", total).format(n=locale.toString(total))
        else:
            text = ngettext(
                "{shown} of {total} entry loaded; scroll for older ones",
                "{shown} of {total} entries loaded; scroll for older ones",
                total,
            ).format(shown=locale.toString(shown), total=locale.toString(total))
        self.status_label.setText(text)

    def _update_buttons(self) -> None:
        idle = self._vault is not None and not self._runner.busy
        self.verify_button.setEnabled(idle)
        self.refresh_button.setEnabled(self._vault is not None)
