"""The import wizard: choose a bundle, check it, see who signed it and what it would change,
then import it (or hold it in quarantine), and offer a receipt.

1. Choose a file; "Check" decrypts and verifies it on a worker (progress, Cancel) and
   previews, without writing, what merging would change (``ledger.import_preview``).
2. The summary: the signer's name from the bundle's card (plain, isolated text), fingerprint,
   whether the signer is a VERIFIED contact, an UNVERIFIED one or UNKNOWN, the kind, counts,
   sequence, what would be added or updated, conflicts, and gaps in the author's sequence.
3. The result of ``import_bundle``; for a records bundle, "Write a receipt…".

Nothing from the bundle goes in the window title. Every vault access runs in a job. The
dialog frame (steps, buttons, progress, cancel) is ``export_wizard.StepDialog``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QLocale, Qt, Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QPushButton, QWidget

from monitor_app import counted
from monitor_app.bundles import ledger
from monitor_app.bundles.importing import ImportResult, import_bundle
from monitor_app.bundles.outcome_text import merged_lines, missing_lines, purged_lines
from monitor_app.bundles.reading import BundleSummary, open_bundle
from monitor_app.bundles.receipts import ReceiptResult, export_receipt
from monitor_app.i18n import _, ngettext
from monitor_app.identity import fingerprint as fp
from monitor_app.jobs import CancelToken, Progress
from monitor_app.vault.session import UnlockedVault
from ui.common import file_dialogs
from ui.common.widgets import PlainTextLabel, modified_text, shown_line, wipe
from ui.handoff.export_wizard import StepDialog
from ui.handoff.fingerprint_dialog import large_digits_font
from ui.records.record_table_model import cancellable_read

CHOOSE, SUMMARY, RESULT = range(3)
RECORDS_KIND = "records"


@dataclass(frozen=True)
class Checked:
    summary: BundleSummary
    preview: ledger.ImportPreview | None  # records bundles only


def check_bundle(
    vault: UnlockedVault, path: Path, progress: Progress, cancel: CancelToken
) -> Checked:
    """``verify_bundle`` plus a dry run of the merge over the staged, verified records."""
    staging = open_bundle(vault, path, progress, cancel)
    try:
        summary = staging.summary
        assert summary is not None
        if summary.kind != RECORDS_KIND:
            return Checked(summary, None)
        with cancellable_read(vault, cancel), vault.reading() as conn:
            return Checked(summary, ledger.import_preview(conn, summary, staging.revisions(cancel)))
    finally:
        staging.discard()


def signer_state(summary: BundleSummary) -> str:
    if summary.signer_verified:
        return _("Signed by a VERIFIED contact")
    if summary.signer_known:
        return _("Signed by an UNVERIFIED contact")
    return _("Signed by an UNKNOWN signer: not one of your contacts")


def summary_lines(checked: Checked) -> list[str]:
    summary, preview = checked.summary, checked.preview
    author = shown_line(summary.author_name)
    who = author
    if summary.author_organisation:
        who += " · " + shown_line(summary.author_organisation)
    # Anyone can put any name on a card: until the signer is verified, say whose it claims to be.
    sender = _("From: {who}") if summary.signer_verified else _("The card in it says: {who}")
    lines = [
        sender.format(who=who),
        _("Number {sequence} from this author, written {when}.").format(
            sequence=summary.sequence, when=modified_text(summary.created_at)
        ),
    ]
    if summary.receipt is not None:
        lines.append(
            _("A receipt: it confirms that bundle {bundle} from this vault was received.").format(
                bundle=summary.receipt.bundle_id
            )
        )
        return lines
    lines.append(
        _("{records} ({revisions}) and {attachments}.").format(
            records=counted.records(summary.records),
            revisions=counted.revisions(summary.revisions),
            attachments=counted.attachments(summary.attachments),
        )
    )
    if preview is None:
        return lines
    if preview.already_imported:
        lines.append(_("It was imported before: importing it again changes nothing."))
        return lines
    lines.append(
        _("Importing adds {added} and updates {updated}; {unchanged} are here already.").format(
            added=counted.new_records(preview.records_added),
            updated=counted.records(preview.records_updated),
            unchanged=counted.revisions(preview.unchanged),
        )
    )
    if preview.conflicts:
        lines.append(
            ngettext(
                "{n} revision differs from what this vault holds under the same number: both "
                "are kept, and the conflict is flagged for review.",
                "{n} revisions differ from what this vault holds under the same number: both "
                "are kept, and the conflicts are flagged for review.",
                preview.conflicts,
            ).format(n=preview.conflicts)
        )
    return lines + purged_lines(preview.purged_skipped) + missing_lines(preview.missing, author)


def result_lines(result: ImportResult) -> list[str]:
    summary = result.summary
    author = shown_line(summary.author_name)
    if result.status == "quarantined":
        lines = [
            _("Held in quarantine: nothing was merged."),
            _(
                "{author} is not a verified contact. Open Contacts, add their card if they "
                "are not listed, compare fingerprints with them (Verify…), then release the "
                "bundle on the Handoff page: the vault keeps it, the file is not needed again."
            ).format(author=author),
        ]
    elif result.status == "already_imported":
        lines = [_("This bundle was imported before; nothing changed.")]
    elif summary.receipt is not None:
        lines = [
            _("Receipt applied: {author} confirms receiving bundle {bundle}.").format(
                author=author, bundle=summary.receipt.bundle_id
            ),
            _("What it confirmed can now be purged from this vault (Handoff, Purge)."),
        ]
    else:
        lines = merged_lines(result)
    return lines + missing_lines(result.missing, author)


class ImportWizard(StepDialog):
    imported = Signal(object)  # ImportResult of any status: the ledger (maybe records) changed
    receipt_written = Signal(object)  # ReceiptResult

    def __init__(self, vault: UnlockedVault, parent: QWidget | None = None) -> None:
        super().__init__(vault, _("Import a bundle"), parent)
        self.choose_file: Callable[[QWidget, str], str] = file_dialogs.open_file
        self.choose_folder: Callable[[QWidget, str], str] = file_dialogs.existing_directory
        self.checked: Checked | None = None
        self.import_result: ImportResult | None = None
        self.receipt: ReceiptResult | None = None

        self.file_edit = QLineEdit()
        self.file_edit.setPlaceholderText(_("The bundle file, e.g. on the USB stick"))
        self.file_edit.textChanged.connect(lambda _text: self._update())
        browse = QPushButton(_("Choose…"))
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.file_edit, 1)
        row.addWidget(browse)
        self.trust_label = PlainTextLabel(role="heading")
        self.fingerprint_label = PlainTextLabel()
        self.fingerprint_label.setFont(large_digits_font(self.font(), 1.2))
        self.fingerprint_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary_label = PlainTextLabel(role="note")
        self.result_label = PlainTextLabel(role="note")
        self.receipt_label = PlainTextLabel(role="muted")
        for label in (self.trust_label, self.summary_label, self.result_label, self.receipt_label):
            label.setWordWrap(True)
        self.receipt_button = QPushButton(_("Write a receipt…"))
        self.receipt_button.clicked.connect(self.write_receipt)
        self.receipt_button.setVisible(False)
        self.stack.addWidget(self.page(_("Choose a bundle to import"), row))
        self.stack.addWidget(
            self.page(
                _("Check before importing"),
                self.trust_label,
                self.fingerprint_label,
                self.summary_label,
            )
        )
        self.stack.addWidget(
            self.page(_("Import"), self.result_label, self.receipt_button, self.receipt_label)
        )
        self._update()

    # -- navigation ------------------------------------------------------------------------
    @Slot()
    def next(self) -> None:
        if not self.next_button.isEnabled():
            return
        if self.step == CHOOSE:
            self.check()
        else:
            self.start_import()

    @Slot()
    def back(self) -> None:
        if self.back_button.isEnabled():
            self.checked = None
            self._go(CHOOSE)

    def _update(self) -> None:
        step, busy, idle = self.step, self.busy, self._vault is not None and not self.busy
        self.next_button.setVisible(step != RESULT)
        if step == CHOOSE:
            self.next_button.setText(_("Check"))
            self.next_button.setEnabled(idle and bool(self.file_edit.text().strip()))
        else:
            verified = self.checked is not None and self.checked.summary.signer_verified
            self.next_button.setText(_("Import") if verified else _("Hold in quarantine"))
            self.next_button.setEnabled(idle and self.checked is not None)
        self.back_button.setEnabled(step == SUMMARY and not busy)
        self.back_button.setVisible(step != RESULT)
        self.cancel_button.setText(_("Close") if step == RESULT and not busy else _("Cancel"))
        self.receipt_button.setEnabled(idle)

    @Slot()
    def _browse(self) -> None:
        chosen = self.choose_file(self, _("Choose a bundle to import"))
        if chosen:
            self.file_edit.setText(chosen)

    # -- checking and importing ------------------------------------------------------------
    def check(self) -> None:
        vault = self._vault
        if vault is None or self.busy:
            return
        path = Path(self.file_edit.text().strip())

        def job(cancel: CancelToken, progress: Progress) -> Checked:
            return check_bundle(vault, path, progress, cancel)

        self._start(job, _("Decrypting and checking the bundle…"), self._checked, long_work=True)

    def _checked(self, result: Any) -> None:
        checked: Checked = result
        self.checked = checked
        summary = checked.summary
        self._idle(_("The bundle is intact and its signature is correct."))
        self.trust_label.setText(signer_state(summary))
        self.fingerprint_label.setText(fp.format_fingerprint(summary.author_fingerprint))
        lines = summary_lines(checked)
        if not summary.signer_verified:
            lines.append(
                _(
                    "Nothing will be merged until you have compared this fingerprint with the "
                    "signer and marked them verified in Contacts: the bundle is held in "
                    "quarantine."
                )
            )
        self.summary_label.setText("\n".join(lines))
        self._go(SUMMARY)
        self.settled.emit()

    def start_import(self) -> None:
        vault = self._vault
        if vault is None or self.busy or self.checked is None:
            return
        path = Path(self.file_edit.text().strip())

        def job(cancel: CancelToken, progress: Progress) -> ImportResult:
            return import_bundle(vault, path, progress, cancel)

        self._start(job, _("Importing…"), self._imported, long_work=True)

    def _imported(self, result: Any) -> None:
        self.import_result = result
        self._idle()
        self.error_label.clear()
        self.result_label.setText("\n".join(result_lines(result)))
        offer = result.summary.kind == RECORDS_KIND and result.status in (
            "imported",
            "already_imported",
        )
        self.receipt_button.setVisible(offer)
        if offer:
            self.receipt_label.setText(
                _("Write a receipt so that the author knows the bundle arrived intact.")
            )
        self._go(RESULT)
        self.imported.emit(result)
        self.settled.emit()

    # -- the receipt -----------------------------------------------------------------------
    @Slot()
    def write_receipt(self) -> None:
        vault, result = self._vault, self.import_result
        if vault is None or result is None or self.busy:
            return
        chosen = self.choose_folder(self, _("Choose the folder to write the receipt to"))
        if not chosen or self._vault is None:
            return
        bundle_id, folder = result.summary.bundle_id, Path(chosen)

        def job(cancel: CancelToken, progress: Progress) -> ReceiptResult:
            return export_receipt(vault, bundle_id, folder, progress=progress, cancel=cancel)

        self._start(job, _("Writing the receipt…"), self._receipt_done, long_work=True)

    def _receipt_done(self, result: Any) -> None:
        self.receipt = result
        self._idle()
        self.error_label.clear()
        author = self.import_result.summary.author_name if self.import_result else ""
        self.receipt_label.setText(
            _(
                "Receipt written: {name} ({size}) in {folder}. Give it to {author}, who "
                "imports it to confirm the handoff."
            ).format(
                name=result.path.name,
                size=QLocale().formattedDataSize(result.size),
                folder=result.path.parent,
                author=shown_line(author),
            )
        )
        self.receipt_button.setVisible(False)
        self.receipt_written.emit(result)
        self._update()
        self.settled.emit()

    def _late_result(self, result: Any) -> None:
        # Committed before the cancel was seen: say what happened. A late check is dropped.
        if isinstance(result, ImportResult):
            self._imported(result)
        elif isinstance(result, ReceiptResult):
            self._receipt_done(result)

    def clear(self) -> None:
        super().clear()
        self.checked = self.import_result = self.receipt = None
        wipe(self.file_edit)
        for label in (
            self.trust_label,
            self.fingerprint_label,
            self.summary_label,
            self.result_label,
            self.receipt_label,
        ):
            label.clear()
        self.receipt_button.setVisible(False)
        self._update()
