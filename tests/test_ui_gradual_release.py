"""Large row lists are freed a slice per turn of the event loop, never in one long pause."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QCoreApplication
from pytestqt.qtbot import QtBot

from ui.common import gradual_release

pytestmark = pytest.mark.gui


def test_a_large_list_and_set_are_freed_a_slice_at_a_time(qtbot: QtBot) -> None:
    rows = [(str(n), f"title {n}") for n in range(60_000)]
    ids = {row[0] for row in rows}
    gradual_release.release(rows)
    gradual_release.release(ids)
    assert gradual_release.pending() == 120_000  # nothing freed yet: no pause on the call
    # One pass of the event loop frees at most a slice or two: the GUI never waits long.
    QCoreApplication.processEvents()
    assert 120_000 - 2 * gradual_release.SLICE <= gradual_release.pending() < 120_000
    qtbot.waitUntil(lambda: gradual_release.pending() == 0, timeout=5000)
    assert rows == [] and ids == set()


def test_a_small_collection_is_simply_dropped() -> None:
    rows = [("1", "one")]
    gradual_release.release(rows)
    assert gradual_release.pending() == 0 and rows == [("1", "one")]
