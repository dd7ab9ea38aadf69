"""File dialogs leave no trace: one module opens them all, Qt's own (never the desktop's, which
add the files to its recently-used list), and Qt's memory of the folders visited is wiped."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication, QFileDialog, QWidget
from pytestqt.qtbot import QtBot

from ui.common import file_dialogs

pytestmark = pytest.mark.gui
UI_DIR = Path(__file__).resolve().parents[1] / "ui"
POLL_MS = 10
MAX_POLLS = 3000  # 30 s


def test_every_file_dialog_of_the_app_goes_through_file_dialogs() -> None:
    offenders = []
    for path in sorted(UI_DIR.rglob("*.py")):
        if path == UI_DIR / "common" / "file_dialogs.py":
            continue
        text = path.read_text(encoding="utf-8")
        # QFileDialog itself, or its static functions reached some other way.
        for pattern in (r"\bQFileDialog\b", r"\bget(Open|Save|ExistingDirectory)\w*\("):
            offenders += [
                f"{path.relative_to(UI_DIR.parent)}: {match.group(0)}"
                for match in re.finditer(pattern, text)
            ]
    assert offenders == []


def test_the_check_finds_a_direct_use() -> None:
    """The pattern above matches the ways QFileDialog was used before."""
    sample = "return QFileDialog.getOpenFileName(parent, caption)[0]"
    assert re.search(r"\bQFileDialog\b", sample)
    assert re.search(r"\bget(Open|Save|ExistingDirectory)\w*\(", sample)


@pytest.fixture
def qt_settings(tmp_path: Path) -> Iterator[Path]:
    """Qt's settings in a folder of the test's own, as ui.shell.app.contain_qt_settings does for
    the app (the app's settings folder)."""
    folder = tmp_path / "qt"
    for settings_format in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(settings_format, QSettings.Scope.UserScope, str(folder))
    yield folder


def answer_dialog(select: Path | None, seen: list[QFileDialog]) -> None:
    """When the file dialog opens, choose ``select`` in it (or its start folder) and accept."""
    polls = 0

    def poll() -> None:
        nonlocal polls
        dialogs = [
            widget
            for widget in QApplication.topLevelWidgets()
            if isinstance(widget, QFileDialog) and widget.isVisible()
        ]
        polls += 1
        if not dialogs:
            if polls < MAX_POLLS:
                QTimer.singleShot(POLL_MS, poll)
            return
        dialog = dialogs[0]
        seen.append(dialog)
        assert dialog.testOption(QFileDialog.Option.DontUseNativeDialog)
        if select is not None:
            dialog.selectFile(str(select))
        dialog.accept()

    QTimer.singleShot(0, poll)


def saved_by_qt(folder: Path) -> str:
    return "\n".join(
        path.read_text(errors="replace") for path in folder.rglob("*") if path.is_file()
    )


CASES: list[tuple[str, Callable[[QWidget, str, Path], object]]] = [
    ("open_file", lambda parent, caption, place: file_dialogs.open_file(parent, caption)),
    ("open_files", lambda parent, caption, place: file_dialogs.open_files(parent, caption)),
    ("save_file", lambda parent, caption, place: file_dialogs.save_file(parent, caption)),
    (
        "existing_directory",
        lambda parent, caption, place: file_dialogs.existing_directory(parent, caption, str(place)),
    ),
]


@pytest.mark.parametrize(("name", "call"), CASES, ids=[name for name, _call in CASES])
def test_dialogs_are_qt_own_and_forget_the_folders_visited(
    qtbot: QtBot,
    qt_settings: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    call: Callable[[QWidget, str, Path], object],
) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    place = tmp_path / "case-KG-2024-secret-folder"
    place.mkdir()
    existing = place / "bundle.mabundle"
    existing.write_bytes(b"")
    select = {
        "open_file": existing,
        "open_files": existing,
        "save_file": place / "my.card",
        "existing_directory": None,
    }[name]

    # Qt's own dialog does keep the folder: the check below can see it...
    seen: list[QFileDialog] = []
    monkeypatch.setattr(file_dialogs, "forget_folders", lambda: None)
    answer_dialog(select, seen)
    call(parent, "caption", place)
    assert len(seen) == 1
    assert place.name in saved_by_qt(qt_settings)

    # ...and the app's dialogs forget it.
    monkeypatch.undo()
    file_dialogs.forget_folders()
    answer_dialog(select, seen)
    chosen = call(parent, "caption", place)
    assert len(seen) == 2
    expected = str(select if select is not None else place)
    assert chosen == ([expected] if name == "open_files" else expected)
    assert place.name not in saved_by_qt(qt_settings)
