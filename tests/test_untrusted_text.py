"""Record text cannot disguise itself or reorder the app's words around it.

A title "report\\u202egnp.exe" displays as "reportexe.png" when the right-to-left override
acts; an isolate initiator (U+2066) left open reorders the rest of the line. Titles and names
show such characters as a visible ⟨U+202E⟩, and every piece of record text composed into a
line is bidi-isolated (U+2068 ... U+2069), in the GUI and in the CLI alike.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from monitor_app.display_text import isolate, shown_line, visible_controls
from monitor_app.vault.session import UnlockedVault
from tests.conftest import PASSPHRASE
from tests.test_cli import run
from ui.records.editor.record_editor_page import RecordEditorPage
from ui.records.record_detail_page import RecordDetailPage
from ui.records.record_list_page import RecordListPage
from ui.records.record_table_model import cell_text

SPOOF = "report\u202egnp.exe"
SHOWN = "report⟨U+202E⟩gnp.exe"
OPEN_ISOLATE = "Cell 4\u2066 left open"
FSI, PDI = "\u2068", "\u2069"
TIMEOUT_MS = 10_000


def test_controls_in_titles_are_visible() -> None:
    assert visible_controls(SPOOF) == SHOWN
    assert visible_controls(OPEN_ISOLATE) == "Cell 4⟨U+2066⟩ left open"
    assert visible_controls("Ai\u200bda\u00ad\ufeff") == "Ai⟨U+200B⟩da⟨U+00AD⟩⟨U+FEFF⟩"
    # Hidden tag letters spell text no one sees; in a subdivision flag they are the flag.
    assert visible_controls("x\U000e0041") == "x⟨U+E0041⟩"
    scotland = "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f"
    assert visible_controls(f"Visit {scotland}") == f"Visit {scotland}"
    # Joiners build emoji and words: kept.
    assert visible_controls("👩\u200d⚕️ خانه\u200cای") == "👩\u200d⚕️ خانه\u200cای"


def test_isolate_cannot_be_broken_out_of() -> None:
    assert isolate("abc") == f"{FSI}abc{PDI}"
    assert isolate(f"x{PDI}y") == f"{FSI}x⟨U+2069⟩y{PDI}"
    assert shown_line(f"{SPOOF}\nsecond") == f"{FSI}{SHOWN} second{PDI}"


def test_list_model_shows_the_title_as_it_is() -> None:
    row = ("id1", SPOOF, "2026-01-01", None)
    assert cell_text("display", row) == SHOWN
    assert cell_text("display", ("id2", OPEN_ISOLATE, None, None)) == "Cell 4⟨U+2066⟩ left open"


def test_detail_page_shows_controls_and_isolates_references(
    qtbot: QtBot, vault: UnlockedVault
) -> None:
    place = vault.records.add("place", {"name": OPEN_ISOLATE, "place_type": "other"})
    incident = vault.records.add(
        "incident",
        {
            "title": SPOOF,
            "incident_type": "torture",
            "description": "Described",
            "occurred_on": "2024-03-10",
            "place_id": place.record_id,
        },
    )
    page = RecordDetailPage()
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.loaded, timeout=TIMEOUT_MS):
        page.show_record(vault, incident.record_id)
    assert page.title_label.text() == SHOWN
    texts = [label.text() for label in page.findChildren(QLabel)]
    assert f"{FSI}Cell 4⟨U+2066⟩ left open{PDI}" in texts
    assert not any("\u202e" in text or "\u2066" in text for text in texts)


def test_cli_lines_show_controls_and_isolate_titles(tmp_path: Path) -> None:
    secret = tmp_path / "pass.txt"
    secret.write_text(PASSPHRASE + "\n")
    base = ["--vault", str(tmp_path / "vault"), "--passphrase-file", str(secret)]
    run(*base, "init", "--name", "Monitor", "--org", "Org")
    document = '{"name": "report\\u202egnp.exe", "place_type": "other"}'
    run(*base, "record", "add", "--type", "place", "--json", "-", stdin=document)
    listed = run(*base, "record", "list").stdout.decode()
    line = next(line for line in listed.splitlines() if "report" in line)
    assert line.endswith(f"  {FSI}{SHOWN}{PDI}")


def test_spoofed_title_in_the_list_the_detail_page_and_the_history(
    qtbot: QtBot, vault: UnlockedVault
) -> None:
    """A title with a right-to-left override, seen where a monitor meets it: the records list,
    the record's page and its history. Nowhere does the override act; where the title is
    composed with other words, it is isolated."""
    rid = vault.records.add("place", {"name": "Old name", "place_type": "other"}).record_id
    vault.records.edit(rid, {"name": SPOOF})

    listing = RecordListPage("place")
    qtbot.addWidget(listing, before_close_func=lambda page: page.shutdown())
    listing.show()
    listing.set_vault(vault)
    with qtbot.waitSignal(listing.model.loaded, timeout=TIMEOUT_MS):
        listing.ensure_loaded()
    cells = [
        listing.model.index(row, column).data()
        for row in range(listing.model.rowCount())
        for column in range(listing.model.columnCount())
    ]
    assert SHOWN in cells and not any("\u202e" in str(cell) for cell in cells)
    listing.shutdown()

    detail = RecordDetailPage()
    qtbot.addWidget(detail)
    with qtbot.waitSignal(detail.loaded, timeout=TIMEOUT_MS):
        detail.show_record(vault, rid)
    assert detail.title_label.text() == SHOWN
    assert not any("\u202e" in label.text() for label in detail.findChildren(QLabel))

    editor = RecordEditorPage()
    qtbot.addWidget(editor, before_close_func=lambda page: page.shutdown())
    with qtbot.waitSignal(editor.loaded, timeout=TIMEOUT_MS):
        editor.open_record(vault, rid)
    tree = editor.history.tree
    qtbot.waitUntil(lambda: tree.topLevelItemCount() == 2, timeout=TIMEOUT_MS)
    newest = tree.topLevelItem(0)
    changes = [newest.child(i).text(0) for i in range(newest.childCount())]
    assert f"Name: {FSI}Old name{PDI} → {FSI}{SHOWN}{PDI}" in changes
    assert not any("\u202e" in line for line in changes)
    editor.shutdown()
