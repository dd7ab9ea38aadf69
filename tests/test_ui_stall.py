"""The window stays responsive while a large bundle is written: the longest event-loop stall
while a 500 MB attachment is exported through the export wizard is under 100 ms.

A timer that asks to fire every 5 ms records the largest gap between two of its ticks, from
the click on Export until the wizard reports the bundle written and read back. A gap is time
in which the GUI thread could not run its event loop: a synchronous call on the GUI thread, a
flood of queued progress signals, or the worker holding the GIL in a long C call (the core's
long calls work in chunks, each a C call that releases the GIL or lasts a fraction of a
millisecond).

This is the one timed assertion of the suite, asked for by the GUI issue; everything around it
is deterministic (waits on signals, no sleeps), and the figure is in the failure message.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QPushButton
from pytestqt.qtbot import QtBot

from monitor_app.vault.session import UnlockedVault
from ui.handoff.export_wizard import DESTINATION, RUN, SCOPE, ExportWizard
from ui.handoff.handoff_page import HandoffPage

pytestmark = [pytest.mark.gui, pytest.mark.slow]
TIMEOUT_MS = 600_000  # a slow disk writes and reads back 500 MB (twice the size, with padding)
ATTACHMENT_SIZE = 500 * 1000 * 1000
CHUNK = 4 << 20
TICK_MS = 5
MAX_STALL_S = 0.100


class StallMeter:
    """The longest gap between ticks of a fast timer on the GUI thread, while running."""

    def __init__(self) -> None:
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)
        self.last = 0.0
        self.longest = 0.0
        self.ticks = 0

    def start(self) -> None:
        self.last = time.perf_counter()
        self.longest, self.ticks = 0.0, 0
        self.timer.start()

    def stop(self) -> None:
        self._tick()  # the gap up to now counts too
        self.timer.stop()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.longest = max(self.longest, now - self.last)
        self.last = now
        self.ticks += 1


@pytest.fixture
def big_vault(vault: UnlockedVault, hub: UnlockedVault, tmp_path: Path) -> Iterator[UnlockedVault]:
    """A vault with one incident and a 500 MB attachment of random bytes (incompressible, as
    a video is), and the hub as its verified handoff recipient."""
    contact = vault.contacts.add(hub.identity.card(), verified=True)
    vault.contacts.set_handoff_recipient(contact.fingerprint, True)
    incident = vault.records.add(
        "incident",
        {
            "title": "Video of the yard",
            "incident_type": "torture",
            "description": "A long recording.",
            "occurred_on": "2024-03-10",
        },
    ).record_id
    source = tmp_path / "yard.mp4"
    with source.open("wb") as sink:
        left = ATTACHMENT_SIZE
        while left:
            piece = min(left, CHUNK)
            sink.write(os.urandom(piece))
            left -= piece
    vault.attachments.add_file(incident, source)
    source.unlink()  # the vault holds it now; the disk needs room for the bundle
    yield vault
    # pytest keeps the temporary folders of the last runs: not a gigabyte in each.
    shutil.rmtree(tmp_path / "stick", ignore_errors=True)
    shutil.rmtree(vault.blobs.root, ignore_errors=True)


def test_exporting_500_mb_never_stalls_the_window_100_ms(
    qtbot: QtBot,
    big_vault: UnlockedVault,
    tmp_path: Path,
    record_property: Callable[[str, object], None],
) -> None:
    stick = tmp_path / "stick"
    stick.mkdir()
    page = HandoffPage()
    qtbot.addWidget(page, before_close_func=lambda p: p.shutdown())
    page.resize(1000, 700)
    page.show()
    qtbot.waitExposed(page)
    with qtbot.waitSignal(page.loaded, timeout=TIMEOUT_MS):
        page.set_vault(big_vault)

    qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)
    (wizard,) = [w for w in page.findChildren(ExportWizard) if w.isVisible()]
    qtbot.waitUntil(lambda: len(wizard.chosen_contacts()) == 1, timeout=TIMEOUT_MS)
    with qtbot.waitSignal(wizard.settled, timeout=TIMEOUT_MS):
        qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)
    assert wizard.step == SCOPE
    assert "1 record (1 revision) and 1 attachment." in wizard.preview_label.text()
    qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)
    assert wizard.step == DESTINATION
    wizard.choose_folder = lambda parent, caption: str(stick)
    (browse,) = [b for b in wizard.findChildren(QPushButton) if b.text() == "Another folder…"]
    qtbot.mouseClick(browse, Qt.MouseButton.LeftButton)
    assert wizard.folder_edit.text() == str(stick)

    meter = StallMeter()
    wizard.exported.connect(meter.stop)  # before the wait's own slot: nothing after counts
    progress: list[int] = []
    wizard.progress_bar.valueChanged.connect(progress.append)
    meter.start()
    with qtbot.waitSignal(wizard.exported, timeout=TIMEOUT_MS) as blocker:
        qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)
    assert not meter.timer.isActive()

    result = blocker.args[0]
    assert wizard.step == RUN and result.attachments == 1
    assert result.size > ATTACHMENT_SIZE and result.path.stat().st_size == result.size
    assert progress and progress[-1] == 1000, "progress was shown up to the end"
    assert meter.ticks > 100, "the meter ran while the export did"
    # The figure, for reports (-s shows it; --junitxml keeps it as a property).
    print(f"longest event-loop stall during the export: {meter.longest * 1000:.1f} ms")
    record_property("longest_stall_ms", round(meter.longest * 1000, 1))
    assert meter.longest < MAX_STALL_S, (
        f"the event loop stalled for {meter.longest * 1000:.1f} ms (limit "
        f"{MAX_STALL_S * 1000:.0f} ms) while a {ATTACHMENT_SIZE // 1_000_000} MB attachment "
        f"was exported ({meter.ticks} ticks)"
    )
