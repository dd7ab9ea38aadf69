"""A record's attachments: the list, adding files (button or drag and drop), an in-memory
preview of images, and "Save a copy…" behind a warning.

* Adding streams the file into the encrypted blob store (``AttachmentStore.add_file``) on a
  worker thread, with a progress bar and Cancel: a video of a few gigabytes takes minutes.
  Dropped or chosen files are added one after the other.
* A preview reads the attachment into memory (``read_bytes``) and decodes it there, on the
  worker thread (image_preview.py): never a temporary file, never a thumbnail, never
  ``QPixmapCache``. The image lives in the preview widget only and is dropped by ``clear``.
* Saving a copy writes the attachment unencrypted where the user chooses, so a warning that
  says so comes first, and the core records the copy in the audit log.

The dialogs are in ui/records/editor/dialogs.py (Qt's own file dialogs, not the desktop's).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QLocale,
    QMimeData,
    QSize,
    Qt,
    Signal,
    Slot,
)
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QImage, QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from monitor_app.errors import MonitorError
from monitor_app.i18n import _
from monitor_app.jobs import CancelToken, Progress
from monitor_app.messages import describe
from monitor_app.records.attachments import AttachmentInfo
from monitor_app.vault.session import UnlockedVault
from ui.common.widgets import (
    ErrorLabel,
    PlainTextLabel,
    modified_text,
    shown_alone,
    shown_line,
)
from ui.common.workers import Job, JobRunner
from ui.records.editor import dialogs
from ui.records.editor.image_preview import ImagePreview, decode_preview

PREVIEW_MAX_BYTES = 64 * 1024 * 1024  # larger images are not decoded for a preview
PREVIEW_SIZE = QSize(640, 480)
ATTACHMENT_ID_ROLE = Qt.ItemDataRole.UserRole


def local_files(mime: QMimeData) -> list[Path]:
    if not mime.hasUrls():
        return []
    return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]


class AttachmentsPanel(QWidget):
    listed = Signal()  # the list shows the record's attachments (or why it cannot)
    preview_ready = Signal()  # the preview shows the selected attachment (or why it cannot)
    job_done = Signal()  # adding or saving finished, failed or was cancelled

    def __init__(self, parent: QWidget | None = None, *, read_only: bool = False) -> None:
        """``read_only``: listing, preview and "Save a copy…" only (the read-only record
        page): no Add button, no drops."""
        super().__init__(parent)
        self._vault: UnlockedVault | None = None
        self.record_id: str | None = None
        self._infos: dict[str, AttachmentInfo] = {}
        self._queue: list[Path] = []
        self._lister = JobRunner(self)
        self._previewer = JobRunner(self)
        self._worker = JobRunner(self)  # adding and saving, one file at a time
        self.setAcceptDrops(not read_only)

        self.tree = QTreeWidget()
        self.tree.setHeaderLabels([_("Name"), _("Type"), _("Size"), _("Added")])
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2, 3):  # a record has a handful of attachments: measuring is cheap
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.currentItemChanged.connect(self._selected)
        self.add_button = QPushButton(_("Add file…"))
        self.add_button.clicked.connect(self._add_clicked)
        self.save_button = QPushButton(_("Save a copy…"))
        self.save_button.clicked.connect(self.save_copy)
        self.cancel_button = QPushButton(_("Cancel"))
        self.cancel_button.clicked.connect(self.cancel_job)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.status_label = PlainTextLabel(role="muted")
        self.status_label.setWordWrap(True)
        self.error_label = ErrorLabel()
        self.preview = ImagePreview()
        self.preview_note = PlainTextLabel(
            _(
                "Images are shown from memory only: no thumbnail or temporary file is written. "
                "Drop files here to add them."
            ),
            role="muted",
        )
        if read_only:
            self.preview_note.setText(
                _("Images are shown from memory only: no thumbnail or temporary file is written.")
            )
        self.preview_note.setWordWrap(True)

        buttons = QHBoxLayout()
        for button in (self.add_button, self.save_button):
            buttons.addWidget(button)
        self.add_button.setVisible(not read_only)
        buttons.addStretch(1)
        working = QHBoxLayout()
        working.addWidget(self.progress, 1)
        working.addWidget(self.cancel_button)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addLayout(buttons)
        left_layout.addWidget(self.tree, 1)
        left_layout.addLayout(working)
        left_layout.addWidget(self.status_label)
        left_layout.addWidget(self.error_label)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.preview, 1)
        right_layout.addWidget(self.preview_note)
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)
        self._set_working(False)

    # -- record ----------------------------------------------------------------------------
    def show_record(self, vault: UnlockedVault, record_id: str) -> None:
        self.clear()
        self._vault, self.record_id = vault, record_id
        self.reload()

    def reload(self) -> None:
        vault, record_id = self._vault, self.record_id
        if vault is None or record_id is None:
            return
        self._lister.cancel()

        def job(cancel: CancelToken, progress: Progress) -> list[AttachmentInfo]:
            return vault.attachments.list(record_id)

        self._lister.start(job, on_success=self._listed, on_failure=self._list_failed)

    @property
    def busy(self) -> bool:
        return self._worker.busy

    def clear(self) -> None:
        """Forget the record: the list, the preview and any work (adding stops mid-file)."""
        for runner in (self._lister, self._previewer, self._worker):
            runner.cancel()
        self._queue.clear()
        self._vault, self.record_id = None, None
        self._infos.clear()
        self.tree.clear()
        self._clear_preview()
        self.status_label.clear()
        self.error_label.clear()
        self._set_working(False)

    def shutdown(self) -> None:
        self.clear()
        for runner in (self._lister, self._previewer, self._worker):
            runner.shutdown()

    def _listed(self, infos: list[AttachmentInfo]) -> None:
        current = self.selected_id()
        self.tree.clear()
        self._infos = {info.attachment_id: info for info in infos}
        locale = QLocale()
        for info in infos:
            item = QTreeWidgetItem(
                [
                    shown_alone(info.original_name),
                    info.media_type,
                    locale.formattedDataSize(info.size),
                    modified_text(info.added_at),
                ]
            )
            item.setData(0, ATTACHMENT_ID_ROLE, info.attachment_id)
            self.tree.addTopLevelItem(item)
            if info.attachment_id == current:
                self.tree.setCurrentItem(item)
        if not infos:
            self.status_label.setText(_("No attachments yet. Add files, or drop them here."))
        self._set_working(self._worker.busy)
        self.listed.emit()

    def _list_failed(self, error: MonitorError) -> None:
        self.error_label.show_message(describe(error))
        self.listed.emit()

    def selected_id(self) -> str | None:
        item = self.tree.currentItem()
        value = item.data(0, ATTACHMENT_ID_ROLE) if item is not None else None
        return value if isinstance(value, str) else None

    # -- preview ---------------------------------------------------------------------------
    @Slot(QTreeWidgetItem, QTreeWidgetItem)
    def _selected(self, _current: object, _previous: object) -> None:
        self._clear_preview()
        self._set_working(self._worker.busy)
        attachment_id, vault = self.selected_id(), self._vault
        info = self._infos.get(attachment_id or "")
        if info is None or vault is None:
            return
        if not info.media_type.startswith("image/"):
            self.preview.show_message(_("No preview for this type of file."))
            self.preview_ready.emit()
            return
        if info.size > PREVIEW_MAX_BYTES:
            self.preview.show_message(_("Too large to preview."))
            self.preview_ready.emit()
            return
        self.preview.show_message(_("Loading the preview…"))

        def job(cancel: CancelToken, progress: Progress) -> QImage:
            return decode_preview(vault.attachments.read_bytes(info.attachment_id, cancel=cancel))

        self._previewer.start(job, on_success=self._preview_arrived, on_failure=self._no_preview)

    @property
    def preview_image(self) -> QImage:
        return self.preview.image

    def _preview_arrived(self, image: QImage) -> None:
        if image.isNull():
            self.preview.show_message(_("This image cannot be shown."))
        else:
            self.preview.show_image(image)
        self.preview_ready.emit()

    def _no_preview(self, error: MonitorError) -> None:
        self.preview.show_message(describe(error))
        self.preview_ready.emit()

    def _clear_preview(self) -> None:
        self._previewer.cancel()
        self.preview.setPixmap(QPixmap())
        self.preview.clear()

    # -- adding ----------------------------------------------------------------------------
    @Slot()
    def _add_clicked(self) -> None:
        if self.record_id is not None:
            self.add_files(dialogs.choose_files(self))

    def add_files(self, paths: list[Path]) -> None:
        if self._vault is None or self.record_id is None:
            return
        files = [path for path in paths if path.is_file()]
        self.error_label.clear()
        if len(files) < len(paths):
            self.error_label.show_message(_("Only files can be added: folders were left out."))
        self._queue.extend(files)
        if not self._worker.busy:
            self._next()

    def _next(self) -> None:
        vault, record_id = self._vault, self.record_id
        if not self._queue or vault is None or record_id is None:
            self._set_working(False)
            self.job_done.emit()
            return
        path = self._queue.pop(0)
        self.status_label.setText(
            _("Encrypting {name} into the vault…").format(name=shown_line(path.name))
        )

        def job(cancel: CancelToken, progress: Progress) -> AttachmentInfo:
            return vault.attachments.add_file(record_id, path, progress=progress, cancel=cancel)

        self._start_work(job, self._added)

    def _added(self, info: AttachmentInfo) -> None:
        self.status_label.setText(_("Added {name}.").format(name=shown_line(info.original_name)))
        self.reload()
        self._next()

    # -- saving a copy ---------------------------------------------------------------------
    @Slot()
    def save_copy(self) -> None:
        info = self._infos.get(self.selected_id() or "")
        vault = self._vault
        if info is None or vault is None or self._worker.busy:
            return
        if not dialogs.confirm_save_copy(self, info.original_name):
            return
        destination = dialogs.choose_destination(self, info.original_name)
        if destination is None:
            return
        overwrite = destination.exists()  # the file dialog has asked about replacing it
        self.error_label.clear()
        self.status_label.setText(_("Saving an unencrypted copy…"))

        def job(cancel: CancelToken, progress: Progress) -> Path:
            vault.attachments.save_to_file(
                info.attachment_id,
                destination,
                overwrite=overwrite,
                progress=progress,
                cancel=cancel,
            )
            return destination

        self._start_work(job, self._copied)

    def _copied(self, destination: Path) -> None:
        self.status_label.setText(
            _("An unencrypted copy was saved to {path}.").format(path=str(destination))
        )
        self._set_working(False)
        self.job_done.emit()

    # -- work in progress ------------------------------------------------------------------
    def _start_work(self, job: Job, on_success: Callable[[Any], None]) -> None:
        self.progress.setRange(0, 0)  # busy until the first report gives a total
        self._set_working(True)
        self._worker.start(
            job,
            on_success=on_success,
            on_failure=self._work_failed,
            on_progress=self._progressed,
        )

    def _progressed(self, done: int, total: int) -> None:
        if total <= 0:
            self.progress.setRange(0, 0)
            return
        self.progress.setRange(0, 1000)  # per mille: sizes overflow a Qt int past 2 GiB
        self.progress.setValue(min(1000, done * 1000 // total))

    def _work_failed(self, error: MonitorError) -> None:
        self._queue.clear()
        self.status_label.clear()
        self.error_label.show_message(describe(error))
        self._set_working(False)
        self.reload()
        self.job_done.emit()

    @Slot()
    def cancel_job(self) -> None:
        if not self._worker.busy:
            return
        self._worker.cancel()  # the core stops at its next chunk and removes partial output
        self._queue.clear()
        self.status_label.setText(_("Cancelled. The file being processed was not kept."))
        self._set_working(False)
        self.job_done.emit()

    def _set_working(self, working: bool) -> None:
        ready = self.record_id is not None
        self.progress.setVisible(working)
        self.cancel_button.setVisible(working)
        self.add_button.setEnabled(ready)
        self.save_button.setEnabled(ready and not working and self.selected_id() is not None)

    # -- drag and drop ---------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self.record_id is not None and local_files(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if self.record_id is not None and local_files(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = local_files(event.mimeData())
        if self.record_id is None or not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        self.add_files(paths)
