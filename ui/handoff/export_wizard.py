"""The export wizard: recipients, what goes (and what consent keeps back), where to write it,
then the export itself with progress and Cancel, and the read-back result.

Steps, one screen each: 1. recipients (verified contacts; those chosen for handoffs are
preselected; unverified ones are listed but cannot be chosen, and say why), an optional age
archive key; 2. scope and a redaction summary, read off the GUI thread with the same selection
the export uses; 3. destination, removable drives first; 4. the export on a worker.

The vault is only ever touched in background jobs. Names from cards are plain, isolated text;
the window title is fixed. Cancelling an export that had in fact already finished (the last
steps cannot be interrupted) is noticed, and the bundle is then reported, not hidden.

``StepDialog`` is the frame both wizards share (the import wizard builds on it too).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QLocale, QObject, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from monitor_app import counted
from monitor_app.bundles import ledger
from monitor_app.bundles.export import ExportResult, export_bundle
from monitor_app.crypto import age
from monitor_app.errors import Cancelled, MonitorError
from monitor_app.i18n import _, ngettext
from monitor_app.identity.contacts import Contact
from monitor_app.jobs import CancelToken, Progress
from monitor_app.messages import describe
from monitor_app.vault.session import UnlockedVault
from ui.common import file_dialogs
from ui.common.widgets import ErrorLabel, PlainTextLabel, shown_line, wipe
from ui.common.workers import JobRunner
from ui.handoff.drives import Drive, removable_drives
from ui.handoff.fingerprint_dialog import name_with_trust
from ui.records.record_table_model import cancellable_read

FINGERPRINT_ROLE = Qt.ItemDataRole.UserRole
PATH_ROLE = Qt.ItemDataRole.UserRole
RECIPIENTS, SCOPE, DESTINATION, RUN = range(4)


def recipient_item(contact: Contact) -> QListWidgetItem:
    text = name_with_trust(contact.name, contact.verified)
    if contact.organisation:
        text += " · " + shown_line(contact.organisation)
    item = QListWidgetItem()
    item.setData(FINGERPRINT_ROLE, contact.fingerprint)
    if contact.verified:
        item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
        checked = contact.handoff_recipient
        item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
    else:
        # Listed so that nobody wonders where they went; not selectable, and it says why.
        item.setFlags(Qt.ItemFlag.NoItemFlags)
        text += " — " + _("compare fingerprints in Contacts before sending to them")
    item.setText(text)
    item.setToolTip(text)
    return item


def _wrapping_list(view: QListWidget) -> None:
    """Long names and notes wrap at the list's width: a list never scrolls sideways."""
    view.setWordWrap(True)
    view.setResizeMode(QListView.ResizeMode.Adjust)
    view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    view.setTextElideMode(Qt.TextElideMode.ElideRight)


def preview_text(preview: ledger.ExportPreview, selected: int | None) -> str:
    if preview.revisions == 0 and preview.attachments == 0:
        return _(
            "There is nothing new for these recipients: they already received every record. "
            "Nothing would be written."
        )
    scope = (
        _("Everything these recipients do not have yet:")
        if selected is None
        else ngettext(
            "Of the {n} record you selected, what these recipients do not have yet:",
            "Of the {n} records you selected, what these recipients do not have yet:",
            selected,
        ).format(n=selected)
    )
    what = _("{records} ({revisions}) and {attachments}.").format(
        records=counted.records(preview.records),
        revisions=counted.revisions(preview.revisions),
        attachments=counted.attachments(preview.attachments),
    )
    if preview.withheld_people:
        consent = ngettext(
            "The identifying fields (real name, date of birth, documents, contacts, address) "
            "of {n} person stay in this vault: they have not consented to sharing with the "
            "coalition. Their pseudonym and the rest of their records go.",
            "The identifying fields (real name, date of birth, documents, contacts, address) "
            "of {n} people stay in this vault: they have not consented to sharing with the "
            "coalition. Their pseudonyms and the rest of their records go.",
            preview.withheld_people,
        ).format(n=preview.withheld_people)
    else:
        consent = _("No identifying fields are held back: nobody in it lacks consent to share.")
    return f"{scope} {what}\n\n{consent}"


class LateResult(QObject):
    """Carries the result of a job that finished although it was cancelled (its last steps
    cannot be interrupted): the worker thread emits, the dialog hears it in the GUI thread."""

    arrived = Signal(object)


class StepDialog(QDialog):
    """Steps on a stack; Back, Cancel and Next; a status line with a progress bar; the error
    sentence; one background job at a time.

    Cancel during long work (``_start(..., long_work=True)``) stops the work and keeps the
    window open to say so; otherwise it closes. ``clear()`` forgets the vault and blanks every
    widget; a result that arrives late after that is dropped unseen."""

    settled = Signal()  # a background step's outcome, or its error, is on screen

    def __init__(self, vault: UnlockedVault, title: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)  # fixed: never names a contact or a file
        self.setMinimumSize(640, 460)
        self._vault: UnlockedVault | None = vault
        self._runner = JobRunner(self)
        self._long_work = False
        self._late = LateResult(self)
        self._late.arrived.connect(self._arrived_late)
        self.stack = QStackedWidget()
        self.status_label = PlainTextLabel(role="muted")
        self.status_label.setWordWrap(True)
        self.progress_bar = QProgressBar()
        self.progress_bar.setVisible(False)
        self.error_label = ErrorLabel()
        self.back_button = QPushButton(_("Back"))
        self.back_button.clicked.connect(self.back)
        self.next_button = QPushButton(_("Next"))
        self.next_button.setProperty("primary", True)
        self.next_button.setDefault(True)
        self.next_button.clicked.connect(self.next)
        self.cancel_button = QPushButton(_("Cancel"))
        self.cancel_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.back_button)
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.next_button)
        layout = QVBoxLayout(self)
        for widget in (self.stack, self.status_label, self.progress_bar, self.error_label):
            layout.addWidget(widget, 1 if widget is self.stack else 0)
        layout.addLayout(buttons)

    @staticmethod
    def page(title: str, *parts: QWidget | QHBoxLayout) -> QWidget:
        """One step: a heading, then the parts; a list takes the spare room."""
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(PlainTextLabel(title, role="heading"))
        for part in parts:
            if isinstance(part, QHBoxLayout):
                layout.addLayout(part)
            else:
                layout.addWidget(part, 1 if isinstance(part, QListWidget) else 0)
        if not any(isinstance(part, QListWidget) for part in parts):
            layout.addStretch(1)
        return page

    @property
    def step(self) -> int:
        return self.stack.currentIndex()

    @property
    def busy(self) -> bool:
        return self._runner.busy

    @property
    def running(self) -> bool:
        """A job's thread, even an abandoned one, has not ended yet."""
        return self._runner.running

    @Slot()
    def next(self) -> None:
        raise NotImplementedError

    @Slot()
    def back(self) -> None:
        raise NotImplementedError

    def _update(self) -> None:
        raise NotImplementedError

    def _late_result(self, result: Any) -> None:
        """A cancelled job's result that came anyway; only work that changes things says so."""

    def _go(self, step: int) -> None:
        self.error_label.clear()
        self.stack.setCurrentIndex(step)
        self._update()

    def _start(
        self,
        job: Callable[[CancelToken, Progress], Any],
        status: str,
        on_success: Callable[[Any], None],
        *,
        long_work: bool = False,
    ) -> None:
        self.error_label.clear()
        self.status_label.setText(status)
        self.progress_bar.setRange(0, 0)
        self.progress_bar.setVisible(long_work)
        self._long_work = long_work
        self._runner.start(
            job,
            on_success=on_success,
            on_failure=self._failed,
            on_progress=self._progress,
            discard=self._late.arrived.emit,
        )
        self._update()

    def _progress(self, done: int, total: int) -> None:
        if total > 0:
            self.progress_bar.setRange(0, 1000)
            self.progress_bar.setValue(int(1000 * min(done, total) / total))

    def _idle(self, status: str = "") -> None:
        self.progress_bar.setVisible(False)
        self.status_label.setText(status)

    def _failed(self, error: MonitorError) -> None:
        self._idle()
        self.error_label.show_message(describe(error))
        self._update()
        self.settled.emit()

    @Slot(object)
    def _arrived_late(self, result: Any) -> None:
        if self._vault is not None:  # after a lock nothing of it may be shown
            self._late_result(result)

    def cancel_work(self) -> None:
        if not self.busy:
            return
        self._runner.cancel()
        self._idle()
        self.error_label.show_message(describe(Cancelled()))
        self._update()
        self.settled.emit()

    def reject(self) -> None:
        """Cancel stops long work first (a second Cancel, or Close, closes)."""
        if self.busy and self._long_work:
            self.cancel_work()
            return
        self._runner.cancel()
        super().reject()

    def clear(self) -> None:
        """Forget the vault and blank the shared widgets; subclasses blank their own too."""
        self._runner.cancel()
        self._vault = None
        self._idle()
        self.error_label.clear()

    def shutdown(self) -> None:
        self.clear()
        self._runner.shutdown()


class ExportWizard(StepDialog):
    exported = Signal(object)  # ExportResult: a bundle was written, read back and recorded

    def __init__(
        self,
        vault: UnlockedVault,
        record_ids: Sequence[str] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(vault, _("Export a bundle"), parent)
        self._record_ids = None if record_ids is None else list(record_ids)
        self._contacts: list[Contact] = []
        self._preview: ledger.ExportPreview | None = None
        self.choose_folder: Callable[[QWidget, str], str] = file_dialogs.existing_directory
        self.export_result: ExportResult | None = None
        for build in (self._recipients_step, self._scope_step, self._destination_step):
            self.stack.addWidget(build())
        self.result_label = PlainTextLabel(role="note")
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.stack.addWidget(self.page(_("Export"), self.result_label))
        self._load_start()

    # -- steps -----------------------------------------------------------------------------
    def _recipients_step(self) -> QWidget:
        self.recipient_list = QListWidget()
        _wrapping_list(self.recipient_list)
        self.recipient_list.itemChanged.connect(lambda _item: self._update())
        self.recipients_note = PlainTextLabel(role="muted")
        self.recipients_note.setWordWrap(True)
        self.archive_edit = QLineEdit()
        self.archive_edit.setPlaceholderText(_("age1… (optional: the coalition's archive key)"))
        self.archive_edit.textChanged.connect(lambda _text: self._update())
        archive = PlainTextLabel(_("Also encrypt to an offline archive key:"))
        return self.page(
            _("Who receives this bundle?"),
            self.recipient_list,
            self.recipients_note,
            archive,
            self.archive_edit,
        )

    def _scope_step(self) -> QWidget:
        self.preview_label = PlainTextLabel(role="note")
        self.preview_label.setWordWrap(True)
        # Off by default: the metadata is evidence (where and when a photo was taken).
        self.strip_metadata_box = QCheckBox(
            _("Remove location, time and camera details from photos (the originals stay here)")
        )
        return self.page(_("What goes in the bundle"), self.preview_label, self.strip_metadata_box)

    def _destination_step(self) -> QWidget:
        self.drive_list = QListWidget()
        _wrapping_list(self.drive_list)
        self.drive_list.currentItemChanged.connect(self._drive_chosen)
        self.drives_note = PlainTextLabel(role="muted")
        self.drives_note.setWordWrap(True)
        self.folder_edit = QLineEdit()
        self.folder_edit.setPlaceholderText(_("The folder to write the bundle to"))
        self.folder_edit.textChanged.connect(lambda _text: self._update())
        row = QHBoxLayout()
        row.addWidget(self.folder_edit, 1)
        for text, slot in ((_("Another folder…"), self._browse), (_("Look again"), self._rescan)):
            button = QPushButton(text)
            button.clicked.connect(slot)
            row.addWidget(button)
        name_note = PlainTextLabel(
            _(
                "The file gets a random name that says nothing about you, the recipients or "
                "what it holds."
            ),
            role="muted",
        )
        name_note.setWordWrap(True)
        return self.page(_("Where to write it"), self.drives_note, self.drive_list, row, name_note)

    # -- navigation ------------------------------------------------------------------------
    @Slot()
    def next(self) -> None:
        if not self.next_button.isEnabled():
            return
        if self.step == RECIPIENTS:
            self._go(SCOPE)
            self._load_preview()
        elif self.step == SCOPE:
            self._go(DESTINATION)
        elif self.step == DESTINATION:
            self._go(RUN)
            self._start_export()

    @Slot()
    def back(self) -> None:
        if self.back_button.isEnabled():
            self._runner.cancel()
            self._idle()
            self._go(DESTINATION if self.step == RUN else self.step - 1)

    def _update(self) -> None:
        step, busy = self.step, self.busy
        finished = self.export_result is not None
        ready = {
            RECIPIENTS: bool(self.chosen_contacts() or self.archive_keys()),
            SCOPE: self._preview is not None
            and bool(self._preview.revisions or self._preview.attachments),
            DESTINATION: bool(self.folder_edit.text().strip()),
        }.get(step, False)
        self.next_button.setEnabled(ready and not busy and self._vault is not None)
        self.next_button.setVisible(step != RUN)
        self.next_button.setText(_("Export") if step == DESTINATION else _("Next"))
        self.back_button.setEnabled(step > RECIPIENTS and not finished and not busy)
        self.cancel_button.setText(_("Close") if finished and not busy else _("Cancel"))
        text = self.archive_edit.text().strip()
        if step == RECIPIENTS and text:
            try:
                age.X25519Recipient.parse(text)
            except MonitorError as exc:
                self.error_label.show_message(describe(exc))
            else:
                self.error_label.clear()

    def chosen_contacts(self) -> list[Contact]:
        items = (self.recipient_list.item(row) for row in range(self.recipient_list.count()))
        wanted = {
            i.data(FINGERPRINT_ROLE) for i in items if i.checkState() == Qt.CheckState.Checked
        }
        return [c for c in self._contacts if c.fingerprint in wanted and c.verified]

    def archive_keys(self) -> list[str]:
        text = self.archive_edit.text().strip()
        try:
            return [age.X25519Recipient.parse(text).encode()] if text else []
        except MonitorError:
            return []

    # -- background reads ------------------------------------------------------------------
    def _load_start(self) -> None:
        vault = self._vault
        if vault is None:
            return

        def job(cancel: CancelToken, progress: Progress) -> tuple[list[Contact], list[Drive]]:
            with cancellable_read(vault, cancel):
                contacts = vault.contacts.list()
            return contacts, removable_drives()

        self._start(job, _("Loading…"), self._started)

    def _started(self, result: Any) -> None:
        contacts, drives = result
        self._contacts = contacts
        self.recipient_list.clear()
        for contact in contacts:
            self.recipient_list.addItem(recipient_item(contact))
        self.recipients_note.setText(
            ""
            if any(c.verified for c in contacts)
            else _(
                "You have no verified contacts yet. Add the recipient's card in Contacts and "
                "compare fingerprints with them, or give an archive key below."
            )
        )
        self._show_drives(drives)
        self._idle()
        self._update()
        self.settled.emit()

    def _load_preview(self) -> None:
        vault, ids = self._vault, self._record_ids
        if vault is None:
            return
        self._preview = None
        self.preview_label.clear()
        fingerprints = [c.fingerprint for c in self.chosen_contacts()]
        keys = ledger.selection_keys(fingerprints, self.archive_keys())

        def job(cancel: CancelToken, progress: Progress) -> ledger.ExportPreview:
            with cancellable_read(vault, cancel), vault.reading() as conn:
                return ledger.export_preview(conn, keys, ids)

        self._start(job, _("Counting what would go…"), self._previewed)

    def _previewed(self, result: Any) -> None:
        self._preview = result
        selected = None if self._record_ids is None else len(self._record_ids)
        self.preview_label.setText(preview_text(result, selected))
        self._idle()
        self._update()
        self.settled.emit()

    # -- destination -----------------------------------------------------------------------
    def _show_drives(self, drives: list[Drive]) -> None:
        self.drive_list.clear()
        for drive in drives:
            item = QListWidgetItem(f"{drive.label} — {drive.path}")
            item.setData(PATH_ROLE, str(drive.path))
            self.drive_list.addItem(item)
        if drives:
            self.drives_note.setText(_("Removable drives found on this computer:"))
            self.drive_list.setCurrentRow(0)
        else:
            self.drives_note.setText(
                _("No USB stick was found. Plug one in and look again, or choose another folder.")
            )

    @Slot(QListWidgetItem, QListWidgetItem)
    def _drive_chosen(self, current: QListWidgetItem | None, _previous: object) -> None:
        if current is not None:
            self.folder_edit.setText(str(current.data(PATH_ROLE)))

    @Slot()
    def _browse(self) -> None:
        chosen = self.choose_folder(self, _("Choose the folder to write the bundle to"))
        if chosen:
            self.drive_list.clearSelection()
            self.folder_edit.setText(chosen)

    @Slot()
    def _rescan(self) -> None:
        if not self.busy:
            self._start(lambda cancel, progress: removable_drives(), "", self._rescanned)

    def _rescanned(self, result: Any) -> None:
        self._show_drives(result)
        self._idle()
        self._update()
        self.settled.emit()

    # -- the export ------------------------------------------------------------------------
    def _start_export(self) -> None:
        vault = self._vault
        if vault is None:
            return
        contacts, archive = self.chosen_contacts(), self.archive_keys()
        folder, ids = Path(self.folder_edit.text().strip()), self._record_ids
        strip = self.strip_metadata_box.isChecked()

        def job(cancel: CancelToken, progress: Progress) -> ExportResult:
            return export_bundle(
                vault,
                folder,
                contacts=contacts,
                archive_recipients=archive,
                record_ids=ids,
                strip_image_metadata=strip,
                progress=progress,
                cancel=cancel,
            )

        self.result_label.clear()
        self._start(job, _("Encrypting and writing the bundle…"), self._exported, long_work=True)

    def _progress(self, done: int, total: int) -> None:
        super()._progress(done, total)
        if 0 < total <= done:
            # Reading back from the stick is not reported: it can take a while on its own.
            self.status_label.setText(_("Reading the bundle back from the drive to check it…"))

    def _exported(self, result: Any, status: str = "") -> None:
        self.export_result = result
        self._idle(status or _("Done."))
        self.error_label.clear()
        lines = [
            _("Bundle written: {name} ({size}), in {folder}.").format(
                name=result.path.name,
                size=QLocale().formattedDataSize(result.size),
                folder=result.path.parent,
            ),
            _("It was read back from the drive and matches what was written."),
            _("Number {sequence}: {revisions} and {attachments}.").format(
                sequence=result.sequence,
                revisions=counted.revisions(result.revisions),
                attachments=counted.attachments(result.attachments),
            ),
        ]
        if result.images_without_metadata:
            lines.append(
                _("Photos sent without their metadata (the originals stay here): {n}.").format(
                    n=result.images_without_metadata
                )
            )
        lines.append(_("Once the recipients send a receipt, import it here; then you can purge."))
        self.result_label.setText("\n".join(lines))
        self.exported.emit(result)
        self._update()
        self.settled.emit()

    def _late_result(self, result: Any) -> None:
        if isinstance(result, ExportResult):
            status = _("The export had already finished when you cancelled, so the bundle stays.")
            self._exported(result, status)

    def clear(self) -> None:
        super().clear()
        self._contacts, self._preview, self.export_result = [], None, None
        self.recipient_list.clear()
        self.drive_list.clear()
        for label in (
            self.recipients_note,
            self.preview_label,
            self.drives_note,
            self.result_label,
        ):
            label.clear()
        wipe(self.archive_edit)
        wipe(self.folder_edit)
        self.strip_metadata_box.setChecked(False)
        self._update()
