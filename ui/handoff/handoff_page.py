"""Handoff: bundles out and in, quarantine, receipts, and purging what recipients confirmed.

Two tables from the vault's ledger (``monitor_app.bundles.ledger``), read off the GUI thread:
bundles this vault wrote (date, number, recipients by contact name and trust, size, whether a
receipt came back) and bundles it took in (author, number, status, quarantine included), with
each gap in an author's numbering spelled out. Export and import run in their own wizards;
writing a receipt for a selected imported bundle and purging run here, on a worker.

Purging asks first, with what a dry run says will go, and keeps people whose identifying
fields were withheld unless the person explicitly includes them after a clear warning.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QLocale, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from monitor_app import counted
from monitor_app.bundles import ledger, purge
from monitor_app.bundles.receipts import ReceiptResult, export_receipt
from monitor_app.errors import MonitorError
from monitor_app.i18n import _, ngettext
from monitor_app.identity import fingerprint as fp
from monitor_app.identity.contacts import Contact
from monitor_app.jobs import CancelToken, Progress
from monitor_app.messages import describe
from monitor_app.vault.session import UnlockedVault
from ui.common import file_dialogs
from ui.common.table_fit import ColumnFitter
from ui.common.widgets import ErrorLabel, FlowLayout, PlainTextLabel, modified_text
from ui.common.workers import JobRunner
from ui.handoff.export_wizard import ExportWizard
from ui.handoff.fingerprint_dialog import mark_trust, name_with_trust
from ui.handoff.import_wizard import ImportWizard, result_lines
from ui.handoff.purge_dialog import PurgeDialog
from ui.handoff.release_dialog import ReleaseDialog, check_kept, release_kept
from ui.records.record_table_model import cancellable_read

BUNDLE_ROLE = Qt.ItemDataRole.UserRole
Dialog = ExportWizard | ImportWizard


@dataclass(frozen=True)
class Ledger:
    out: list[ledger.OutgoingBundle]
    incoming: list[ledger.IncomingBundle]
    missing: list[ledger.MissingBundle]
    contacts: dict[str, Contact]  # by fingerprint


def read_ledger(vault: UnlockedVault) -> Ledger:
    with vault.reading() as conn:
        out, incoming = ledger.bundles_out(conn), ledger.bundles_in(conn)
        missing = ledger.missing_bundles(conn)
    return Ledger(out, incoming, missing, {c.fingerprint: c for c in vault.contacts.list()})


def out_columns() -> list[str]:
    return [_("Date"), _("Number"), _("Kind"), _("Recipients"), _("Size"), _("Receipt")]


def in_columns() -> list[str]:
    return [_("Date"), _("From"), _("Number"), _("Status"), _("Receipt written")]


def who(fingerprint: str, contacts: dict[str, Contact]) -> tuple[str, bool | None]:
    """A fingerprint as a contact's name with its trust, or as "unknown" with the digits."""
    contact = contacts.get(fingerprint)
    if contact is None:
        try:
            shown = fp.format_fingerprint(fingerprint)
        except MonitorError:
            shown = fingerprint
        return _("unknown ({fingerprint})").format(fingerprint=shown), None
    return name_with_trust(contact.name, contact.verified), contact.verified


def kind_text(kind: str) -> str:
    return {"records": _("Records"), "receipt": _("Receipt")}.get(kind, kind)


def status_text(status: str) -> str:
    labels = {
        "imported": _("Imported"),
        "receipt": _("Receipt applied"),
        ledger.QUARANTINED: _("QUARANTINED: verify the signer"),
    }
    return labels.get(status, status)


class HandoffPage(QWidget):
    records_changed = Signal()  # an import merged records or a purge removed some
    contacts_requested = Signal()  # the person wants to verify a signer in Contacts
    loaded = Signal()  # the tables, or the error saying why not, are on screen
    work_done = Signal()  # a receipt or a purge finished (or failed); its message is shown

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._vault: UnlockedVault | None = None
        self._loader = JobRunner(self)
        self._worker = JobRunner(self)  # receipts and purges
        self._dialogs: list[Dialog] = []  # open or winding down: kept until their threads end
        self.purge_dialog: PurgeDialog | None = None
        self.release_dialog: ReleaseDialog | None = None
        self.choose_folder: Callable[[QWidget, str], str] = file_dialogs.existing_directory
        self.snapshot: Ledger | None = None

        self.export_button = QPushButton(_("Export…"))
        self.export_button.setProperty("primary", True)
        self.export_button.clicked.connect(lambda: self.start_export())
        self.import_button = QPushButton(_("Import…"))
        self.import_button.clicked.connect(self.start_import)
        self.receipt_button = QPushButton(_("Write receipt…"))
        self.receipt_button.clicked.connect(self.write_receipt)
        self.release_button = QPushButton(_("Release…"))
        self.release_button.clicked.connect(self.start_release)
        self.purge_button = QPushButton(_("Purge handed-off…"))
        self.purge_button.clicked.connect(self.start_purge)
        self.contacts_button = QPushButton(_("Open Contacts"))
        self.contacts_button.clicked.connect(self.contacts_requested)
        self.contacts_button.setVisible(False)
        actions = FlowLayout()  # wraps where the labels are long
        buttons = (
            self.export_button,
            self.import_button,
            self.receipt_button,
            self.release_button,
            self.purge_button,
        )
        for button in buttons:
            actions.addWidget(button)

        # Names, recipients and statuses give up width first ("…", whole in the tooltip);
        # on a small screen the size and the bundle numbers go before a title is cut.
        self.out_table = _table(out_columns(), shrinkable=[3, 2, 5], optional=[4, 1])
        self.in_table = _table(in_columns(), shrinkable=[1, 3, 4], optional=[2])
        self.in_table.itemSelectionChanged.connect(self._update_buttons)
        self.gaps_label = PlainTextLabel(role="note")
        self.gaps_label.setWordWrap(True)
        self.gaps_label.setVisible(False)
        quarantine = QHBoxLayout()
        self.quarantine_label = PlainTextLabel(role="muted")
        self.quarantine_label.setWordWrap(True)
        quarantine.addWidget(self.quarantine_label, 1)
        quarantine.addWidget(self.contacts_button)
        self.progress_bar = QProgressBar()
        self.progress_bar.setVisible(False)
        self.status_label = PlainTextLabel(role="note")
        self.status_label.setWordWrap(True)
        self.status_label.setVisible(False)
        self.error_label = ErrorLabel()

        layout = QVBoxLayout(self)
        layout.addWidget(PlainTextLabel(_("Handoff"), role="heading"))
        layout.addLayout(actions)
        layout.addWidget(PlainTextLabel(_("Bundles out"), role="muted"))
        layout.addWidget(self.out_table, 1)
        layout.addWidget(PlainTextLabel(_("Bundles in"), role="muted"))
        layout.addWidget(self.in_table, 1)
        layout.addLayout(quarantine)
        layout.addWidget(self.gaps_label)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.status_label)
        layout.addWidget(self.error_label)
        self._update_buttons()

    # -- vault -----------------------------------------------------------------------------
    def set_vault(self, vault: UnlockedVault) -> None:
        self.clear()
        self._vault = vault
        self._update_buttons()
        self.refresh()

    def clear(self) -> None:
        """Forget the vault: blank both tables and every message, close every dialog."""
        self._loader.cancel()
        self._worker.cancel()
        self._vault = None
        self.snapshot = None
        for dialog in list(self._dialogs):  # closing one removes it from the list
            dialog.clear()
            dialog.close()
        if self.purge_dialog is not None:
            self.purge_dialog.clear()
            self.purge_dialog.reject()
        if self.release_dialog is not None:
            self.release_dialog.summary_label.clear()
            self.release_dialog.reject()
        for table in (self.out_table, self.in_table):
            table.clearContents()
            table.setRowCount(0)
        for label in (self.gaps_label, self.quarantine_label):
            label.clear()
        self.gaps_label.setVisible(False)
        self.contacts_button.setVisible(False)
        self.progress_bar.setVisible(False)
        self._show_status("")
        self.error_label.clear()
        self._update_buttons()

    def shutdown(self) -> None:
        self.clear()
        for dialog in list(self._dialogs):
            dialog.shutdown()
        self._dialogs.clear()
        self._loader.shutdown()
        self._worker.shutdown()

    @property
    def busy(self) -> bool:
        return self._worker.busy

    @Slot()
    def refresh(self) -> None:
        vault = self._vault
        if vault is None:
            return

        def job(cancel: CancelToken, progress: Progress) -> Ledger:
            with cancellable_read(vault, cancel):
                return read_ledger(vault)

        self._loader.cancel()
        self._loader.start(job, on_success=self._show, on_failure=self._failed)

    # -- wizards ---------------------------------------------------------------------------
    def start_export(self, record_ids: Sequence[str] | None = None) -> ExportWizard | None:
        """Open the export wizard: everything not yet handed over, or just ``record_ids``."""
        if self._vault is None:
            return None
        wizard = ExportWizard(self._vault, record_ids, self)
        wizard.exported.connect(lambda _result: self.refresh())
        self._open(wizard)
        return wizard

    @Slot()
    def start_import(self) -> ImportWizard | None:
        if self._vault is None:
            return None
        wizard = ImportWizard(self._vault, self)
        wizard.imported.connect(self._imported)
        wizard.receipt_written.connect(lambda _result: self.refresh())
        self._open(wizard)
        return wizard

    def _open(self, dialog: Dialog) -> None:
        self._dialogs.append(dialog)
        dialog.finished.connect(lambda _code, d=dialog: self._closed(d))
        dialog.open()

    def _closed(self, dialog: Dialog) -> None:
        self.refresh()  # whatever the wizard did (or finished doing after a cancel) shows
        dialog.clear()
        self._dialogs = [d for d in self._dialogs if d is not dialog or d.running]
        if dialog not in self._dialogs:
            dialog.deleteLater()  # an abandoned job still running keeps it until shutdown

    def _imported(self, result: Any) -> None:
        self.refresh()
        if result.status == "imported":
            self.records_changed.emit()

    # -- receipts --------------------------------------------------------------------------
    def selected_incoming(self) -> ledger.IncomingBundle | None:
        rows = self.in_table.selectionModel().selectedRows()
        if not rows or self.snapshot is None:
            return None
        item = self.in_table.item(rows[0].row(), 0)
        bundle_id = item.data(BUNDLE_ROLE) if item is not None else None
        return next((b for b in self.snapshot.incoming if b.bundle_id == bundle_id), None)

    @Slot()
    def write_receipt(self) -> None:
        vault, bundle = self._vault, self.selected_incoming()
        if vault is None or bundle is None or bundle.status != "imported" or self.busy:
            return
        chosen = self.choose_folder(self, _("Choose the folder to write the receipt to"))
        if not chosen or self._vault is None:
            return
        bundle_id, folder = bundle.bundle_id, Path(chosen)

        def job(cancel: CancelToken, progress: Progress) -> ReceiptResult:
            return export_receipt(vault, bundle_id, folder, progress=progress, cancel=cancel)

        def done(result: Any) -> None:
            self._finish(
                _("Receipt written: {name} ({size}) in {folder}. Give it to the author.").format(
                    name=result.path.name,
                    size=QLocale().formattedDataSize(result.size),
                    folder=result.path.parent,
                )
            )

        self._work(job, done, _("Writing the receipt…"))

    # -- quarantine ------------------------------------------------------------------------
    def _releasable(self, bundle: ledger.IncomingBundle | None) -> bool:
        """In quarantine, and its signer a verified contact now."""
        if bundle is None or bundle.status != ledger.QUARANTINED or self.snapshot is None:
            return False
        contact = self.snapshot.contacts.get(bundle.author_fingerprint)
        return contact is not None and contact.verified

    @Slot()
    def start_release(self) -> None:
        """The import summary of the kept copy first; the merge once the person agrees."""
        vault, bundle = self._vault, self.selected_incoming()
        if vault is None or bundle is None or not self._releasable(bundle) or self.busy:
            return
        bundle_id, author = bundle.bundle_id, bundle.author_fingerprint

        def ask(checked: Any) -> None:
            self.progress_bar.setVisible(False)
            self._show_status("")
            self._update_buttons()
            dialog = ReleaseDialog(checked, self)
            dialog.accepted.connect(lambda: self._release(bundle_id, author))
            dialog.finished.connect(lambda _code, d=dialog: self._release_dialog_closed(d))
            self.release_dialog = dialog
            dialog.open()

        self._work(
            lambda cancel, progress: check_kept(vault, bundle_id, author, progress, cancel),
            ask,
            _("Checking the bundle kept in quarantine…"),
        )

    def _release_dialog_closed(self, dialog: ReleaseDialog) -> None:
        if self.release_dialog is dialog:
            self.release_dialog = None
        dialog.deleteLater()

    def _release(self, bundle_id: str, author: str) -> None:
        vault = self._vault
        if vault is None or self.busy:
            return

        def done(result: Any) -> None:
            self._finish("\n".join(result_lines(result)))
            if result.status == "imported":
                self.records_changed.emit()

        self._work(
            lambda cancel, progress: release_kept(vault, bundle_id, author, progress, cancel),
            done,
            _("Importing the released bundle…"),
        )

    # -- purge -----------------------------------------------------------------------------
    @Slot()
    def start_purge(self) -> None:
        vault = self._vault
        if vault is None or self.busy:
            return

        def dry(cancel: CancelToken, progress: Progress) -> tuple[Any, Any]:
            # Reads only, so locking may abandon them mid-statement.
            with cancellable_read(vault, cancel):
                return (
                    purge.purge_handed_off(vault, dry_run=True),
                    purge.purge_handed_off(vault, dry_run=True, include_withheld=True),
                )

        self._work(dry, self._ask_purge, _("Finding what receipts confirm…"))

    def _ask_purge(self, result: Any) -> None:
        plain, withheld = result
        self.progress_bar.setVisible(False)
        self._update_buttons()
        if not withheld.purged:
            self._finish(
                _("Nothing to purge: no record has been confirmed in full by a receipt yet.")
            )
            return
        self._show_status("")
        dialog = PurgeDialog(plain, withheld, self)
        dialog.accepted.connect(lambda d=dialog: self._purge(d.include_withheld))
        dialog.finished.connect(lambda _code, d=dialog: self._purge_dialog_closed(d))
        self.purge_dialog = dialog
        dialog.open()

    def _purge_dialog_closed(self, dialog: PurgeDialog) -> None:
        if self.purge_dialog is dialog:
            self.purge_dialog = None
        dialog.deleteLater()

    def _purge(self, include_withheld: bool) -> None:
        vault = self._vault
        if vault is None or self.busy:
            return

        def job(cancel: CancelToken, progress: Progress) -> purge.PurgeResult:
            return purge.purge_handed_off(
                vault, include_withheld=include_withheld, progress=progress, cancel=cancel
            )

        def done(result: Any) -> None:
            lines = [
                _("Purged {records} and {attachments}.").format(
                    records=counted.records(len(result.purged)),
                    attachments=counted.attachments(result.attachments),
                )
            ]
            if result.kept_withheld:
                lines.append(
                    ngettext(
                        "{n} person with withheld identifying fields was kept.",
                        "{n} people with withheld identifying fields were kept.",
                        len(result.kept_withheld),
                    ).format(n=len(result.kept_withheld))
                )
            if result.rekeyed:
                lines.append(_("The vault was re-encrypted under a new key."))
            self._finish(" ".join(lines))
            self.records_changed.emit()

        self._work(job, done, _("Purging…"))

    # -- running ---------------------------------------------------------------------------
    def _work(self, job: Any, done: Callable[[Any], None], status: str) -> None:
        self.error_label.clear()
        self._show_status(status)
        self.progress_bar.setRange(0, 0)
        self.progress_bar.setVisible(True)
        self._worker.start(
            job, on_success=done, on_failure=self._work_failed, on_progress=self._progress
        )
        self._update_buttons()

    def _progress(self, done: int, total: int) -> None:
        if total > 0:
            self.progress_bar.setRange(0, total)
            self.progress_bar.setValue(min(done, total))

    def _finish(self, message: str) -> None:
        self.progress_bar.setVisible(False)
        self._show_status(message)
        self._update_buttons()
        self.refresh()
        self.work_done.emit()

    def _work_failed(self, error: MonitorError) -> None:
        self.progress_bar.setVisible(False)
        self._show_status("")
        self.error_label.show_message(describe(error))
        self._update_buttons()
        self.work_done.emit()

    def _failed(self, error: MonitorError) -> None:
        self.error_label.show_message(describe(error))
        self.loaded.emit()

    def _show_status(self, text: str) -> None:
        self.status_label.setText(text)
        self.status_label.setVisible(bool(text))

    @Slot()
    def _update_buttons(self) -> None:
        idle = self._vault is not None and not self.busy
        for button in (self.export_button, self.import_button, self.purge_button):
            button.setEnabled(idle)
        bundle = self.selected_incoming()
        self.receipt_button.setEnabled(idle and bundle is not None and bundle.status == "imported")
        self.release_button.setEnabled(idle and self._releasable(bundle))

    # -- showing ---------------------------------------------------------------------------
    def _show(self, result: Any) -> None:
        data: Ledger = result
        self.snapshot = data
        self.out_table.clearContents()
        self.out_table.setRowCount(len(data.out))
        for row, sent in enumerate(data.out):
            names = [who(f, data.contacts) for f in sent.recipients]
            recipients = ", ".join(text for text, _verified in names)
            if sent.archive_recipients:
                recipients += (", " if recipients else "") + ngettext(
                    "{n} archive key", "{n} archive keys", len(sent.archive_recipients)
                ).format(n=len(sent.archive_recipients))
            if sent.kind != "records":
                receipt = ""
            elif sent.receipt_at:
                receipt = _("Received {when}").format(when=modified_text(sent.receipt_at))
            else:
                receipt = _("Not yet")
            cells: tuple[str, ...] = (
                modified_text(sent.created_at),
                str(sent.sequence),
                kind_text(sent.kind),
                recipients,
                QLocale().formattedDataSize(sent.size),
                receipt,
            )
            _fill(self.out_table, row, cells, sent.bundle_id)
            if any(verified is False for _text, verified in names):
                cell = self.out_table.item(row, 3)
                if cell is not None:
                    mark_trust(cell, False)
        self.in_table.clearContents()
        self.in_table.setRowCount(len(data.incoming))
        for row, taken in enumerate(data.incoming):
            author, verified = who(taken.author_fingerprint, data.contacts)
            written = (
                "" if taken.status != "imported" else _("Yes") if taken.receipt_written else _("No")
            )
            status = status_text(taken.status)
            if taken.status == ledger.QUARANTINED and verified:
                status = _("QUARANTINED: signer verified, ready to release")
            cells = (modified_text(taken.at), author, str(taken.sequence), status, written)
            _fill(self.in_table, row, cells, taken.bundle_id)
            if taken.status == ledger.QUARANTINED or verified is False:
                for column in (1, 3):
                    cell = self.in_table.item(row, column)
                    if cell is not None:
                        mark_trust(cell, False)
        gaps = [
            _("Bundle {n} from {author} is missing: ask them for it.").format(
                n=gap.sequence, author=who(gap.author_fingerprint, data.contacts)[0]
            )
            for gap in data.missing
        ]
        self.gaps_label.setText("\n".join(gaps))
        self.gaps_label.setVisible(bool(gaps))
        ready = sum(1 for b in data.incoming if self._releasable(b))
        held = sum(1 for b in data.incoming if b.status == ledger.QUARANTINED) - ready
        notes = []
        if held:
            notes.append(
                _(
                    "Bundles in quarantine: {n}. Their signer is not a verified contact. "
                    "Compare fingerprints in Contacts, then release them here."
                ).format(n=held)
            )
        if ready:
            notes.append(
                _(
                    "Bundles ready to leave quarantine: {n}. Their signer is verified now: "
                    "select one and choose Release…"
                ).format(n=ready)
            )
        self.quarantine_label.setText("\n".join(notes))
        self.contacts_button.setVisible(bool(held))
        self._update_buttons()
        self.loaded.emit()


def _table(titles: Sequence[str], shrinkable: list[int], optional: list[int]) -> QTableWidget:
    """A read-only table fitted to its width (see ui.common.table_fit)."""
    table = QTableWidget(0, len(titles))
    table.setHorizontalHeaderLabels(list(titles))
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setWordWrap(False)
    table.verticalHeader().setVisible(False)
    ColumnFitter(table, shrinkable=shrinkable, optional=optional)
    return table


def _fill(table: QTableWidget, row: int, cells: Sequence[str], bundle_id: str) -> None:
    for column, text in enumerate(cells):
        item = QTableWidgetItem(text)
        item.setToolTip(text)  # whole, where a narrow column cuts it short
        if column == 0:
            item.setData(BUNDLE_ROLE, bundle_id)
        table.setItem(row, column, item)
