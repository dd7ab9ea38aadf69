"""The attachments panel: adding files (button and drag and drop) on a worker with progress
and cancel, an in-memory image preview, and "Save a copy" only behind its warning."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QColor, QDragEnterEvent, QDropEvent, QImage
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from monitor_app.records import audit
from monitor_app.vault.session import UnlockedVault
from ui.records.editor import dialogs
from ui.records.editor.attachments_panel import AttachmentsPanel
from ui.records.editor.record_editor_page import RecordEditorPage

pytestmark = pytest.mark.gui
TIMEOUT_MS = 30_000


@pytest.fixture
def record(vault: UnlockedVault) -> str:
    return vault.records.add("place", {"name": "ИВС", "place_type": "other"}).record_id


@pytest.fixture
def panel(qtbot: QtBot, vault: UnlockedVault, record: str) -> AttachmentsPanel:
    panel = AttachmentsPanel()
    qtbot.addWidget(panel, before_close_func=lambda p: p.shutdown())
    panel.resize(900, 500)
    panel.show()
    with qtbot.waitSignal(panel.listed, timeout=TIMEOUT_MS):
        panel.show_record(vault, record)
    return panel


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    image = QImage(64, 48, QImage.Format.Format_RGB32)
    image.fill(QColor("darkred"))
    path = tmp_path / "photo of cell.png"
    assert image.save(str(path))
    return path


def add(qtbot: QtBot, panel: AttachmentsPanel, *paths: Path) -> None:
    with qtbot.waitSignal(panel.job_done, timeout=TIMEOUT_MS):
        panel.add_files(list(paths))
    qtbot.waitUntil(lambda: not panel._lister.busy, timeout=TIMEOUT_MS)


def select(qtbot: QtBot, panel: AttachmentsPanel, row: int) -> None:
    with qtbot.waitSignal(panel.preview_ready, timeout=TIMEOUT_MS):
        panel.tree.setCurrentItem(panel.tree.topLevelItem(row))


def actions(vault: UnlockedVault) -> list[str]:
    with vault.reading() as conn:
        return [e.action for e in audit.entries(conn)]


def file_urls(paths: list[Path]) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    return mime


def drag(mime: QMimeData, *, enter: bool) -> QDropEvent:
    """An event pointing at ``mime``, which the caller must keep alive (Qt holds a raw
    pointer to it)."""
    args = (
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    if enter:
        return QDragEnterEvent(QPoint(20, 20), *args)  # a QPoint: PySide6 6.11 wants ints
    return QDropEvent(QPointF(20, 20), *args)


def test_an_added_image_is_listed_and_previewed_from_memory(
    qtbot: QtBot, panel: AttachmentsPanel, vault: UnlockedVault, record: str, photo: Path
) -> None:
    add(qtbot, panel, photo)
    (info,) = vault.attachments.list(record)
    assert info.original_name == "photo of cell.png" and info.media_type == "image/png"
    assert info.sha256 == hashlib.sha256(photo.read_bytes()).hexdigest()
    item = panel.tree.topLevelItem(0)
    assert [item.text(c) for c in range(2)] == ["photo of cell.png", "image/png"]
    select(qtbot, panel, 0)
    assert not panel.preview_image.isNull()
    assert (panel.preview_image.width(), panel.preview_image.height()) == (64, 48)
    assert not panel.preview.pixmap().isNull()
    # Clearing (on lock) drops the list and the decoded image.
    panel.clear()
    assert panel.tree.topLevelItemCount() == 0
    assert panel.preview_image.isNull() and panel.preview.pixmap().isNull()


def test_a_large_image_is_scaled_for_the_preview(
    qtbot: QtBot, panel: AttachmentsPanel, tmp_path: Path
) -> None:
    big = QImage(3000, 1000, QImage.Format.Format_RGB32)
    big.fill(QColor("navy"))
    path = tmp_path / "wide.jpg"
    assert big.save(str(path))
    add(qtbot, panel, path)
    select(qtbot, panel, 0)
    assert panel.preview_image.width() == 640 and panel.preview_image.height() < 480


def test_other_types_get_no_preview(qtbot: QtBot, panel: AttachmentsPanel, tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("interview notes")
    add(qtbot, panel, path)
    select(qtbot, panel, 0)
    assert panel.preview_image.isNull()
    assert panel.preview.text() == "No preview for this type of file."


def test_a_copy_is_saved_only_after_the_warning_is_accepted(
    qtbot: QtBot,
    panel: AttachmentsPanel,
    vault: UnlockedVault,
    photo: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    add(qtbot, panel, photo)
    select(qtbot, panel, 0)
    target = tmp_path / "out" / "copy.png"
    target.parent.mkdir()
    warned: list[str] = []
    chosen: list[str] = []

    def destination(parent: object, name: str) -> Path:
        chosen.append(name)
        return target

    monkeypatch.setattr(dialogs, "confirm_save_copy", lambda p, name: warned.append(name) or False)
    monkeypatch.setattr(dialogs, "choose_destination", destination)
    qtbot.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)
    assert warned == ["photo of cell.png"] and chosen == []
    assert not target.exists() and "attachment_saved_out" not in actions(vault)

    monkeypatch.setattr(dialogs, "confirm_save_copy", lambda p, name: True)
    with qtbot.waitSignal(panel.job_done, timeout=TIMEOUT_MS):
        qtbot.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)
    assert target.read_bytes() == photo.read_bytes()
    assert "attachment_saved_out" in actions(vault)
    assert "unencrypted copy" in panel.status_label.text()


def test_dropping_a_file_adds_it(
    qtbot: QtBot, panel: AttachmentsPanel, vault: UnlockedVault, record: str, photo: Path
) -> None:
    mime = file_urls([photo])
    enter = drag(mime, enter=True)
    QApplication.sendEvent(panel, enter)
    assert enter.isAccepted()
    with qtbot.waitSignal(panel.job_done, timeout=TIMEOUT_MS):
        QApplication.sendEvent(panel, drag(mime, enter=False))
    assert [a.original_name for a in vault.attachments.list(record)] == ["photo of cell.png"]


def test_folders_and_remote_urls_are_not_added(
    qtbot: QtBot, panel: AttachmentsPanel, vault: UnlockedVault, record: str, tmp_path: Path
) -> None:
    remote = QMimeData()
    remote.setUrls([QUrl("https://example.org/x.png")])
    enter = drag(remote, enter=True)
    QApplication.sendEvent(panel, enter)
    assert not enter.isAccepted()
    folder = tmp_path / "folder"
    folder.mkdir()
    mime = file_urls([folder])
    QApplication.sendEvent(panel, drag(mime, enter=True))  # a local path: accepted for now
    with qtbot.waitSignal(panel.job_done, timeout=TIMEOUT_MS):
        QApplication.sendEvent(panel, drag(mime, enter=False))
    assert vault.attachments.list(record) == []
    assert "folders" in panel.error_label.text()


def test_cancelling_a_large_file_keeps_nothing(
    qtbot: QtBot, panel: AttachmentsPanel, vault: UnlockedVault, record: str, tmp_path: Path
) -> None:
    big = tmp_path / "video.mp4"
    with big.open("wb") as sink:
        sink.truncate(512 * 1024 * 1024)  # sparse: quick to make, long to encrypt
    panel.add_files([big])
    assert panel.progress.isVisibleTo(panel) and panel.cancel_button.isVisibleTo(panel)
    qtbot.waitUntil(lambda: panel.progress.value() > 0, timeout=TIMEOUT_MS)
    with qtbot.waitSignal(panel.job_done, timeout=TIMEOUT_MS):
        qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)
    assert not panel.progress.isVisibleTo(panel)
    qtbot.waitUntil(lambda: not panel._worker.running, timeout=TIMEOUT_MS)
    assert vault.attachments.list(record) == []
    blobs = vault.path / "blobs"
    assert not [p for p in blobs.iterdir() if p.is_file()] if blobs.exists() else True


def test_the_editor_offers_attachments_only_for_saved_records(
    qtbot: QtBot, vault: UnlockedVault, record: str
) -> None:
    page = RecordEditorPage()
    qtbot.addWidget(page, before_close_func=lambda p: p.shutdown())
    with qtbot.waitSignal(page.loaded, timeout=TIMEOUT_MS):
        page.new_record(vault, "place")
    assert not page.tabs.isTabEnabled(2)
    assert not page.attachments.add_button.isEnabled()
    with (
        qtbot.waitSignal(page.loaded, timeout=TIMEOUT_MS),
        qtbot.waitSignal(page.attachments.listed, timeout=TIMEOUT_MS),
    ):
        page.open_record(vault, record)
    assert page.tabs.isTabEnabled(2) and page.attachments.add_button.isEnabled()
