"""A reviewer opens a person's dossier and a place's from their pages, sees the right rows and
counts, opens a row's record and comes back; a name with a right-to-left override shows as
plain text."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from monitor_app.vault.session import UnlockedVault
from ui.records import dossier_page
from ui.records.dossier_page import RECORD_ROLE, DossierPage
from ui.shell.main_view import MainView

pytestmark = pytest.mark.gui
TIMEOUT_MS = 30_000
SPOOF = "Айгуль\u202egnp.exe"
SHOWN = "Айгуль⟨U+202E⟩gnp.exe"


@pytest.fixture
def records(vault: UnlockedVault) -> dict[str, Any]:
    place = vault.records.add("place", {"name": "ИВС-1", "place_type": "police_station"})
    person = vault.records.add("person", {"pseudonym": SPOOF})
    other = vault.records.add("person", {"pseudonym": "Other"})
    visit = vault.records.add(
        "visit",
        {
            "place_id": place.record_id,
            "started_at": "2024-02-01",
            "visit_type": "follow_up",
            "occupancy": 37,
            "recommendations": [{"text": "Open a register", "status": "new"}],
        },
    )
    incidents = []
    for n, (who, role) in enumerate(
        [(person, "victim"), (other, "victim"), (person, "witness"), (person, "victim")]
    ):
        incidents.append(
            vault.records.add(
                "incident",
                {
                    "title": f"Случай {n}",
                    "incident_type": "torture",
                    "description": "d",
                    "occurred_on": f"2024-0{4 - n}-01",  # the last one added is the earliest
                    "place_id": place.record_id,
                    "visit_id": visit.record_id,
                    "people": [{"person_id": who.record_id, "role": role}],
                },
            ).record_id
        )
    vault.records.delete(incidents[3], "duplicate")
    vault.attachments.add_stream(incidents[0], io.BytesIO(b"x"), original_name="photo.jpg")
    return {
        "place": place.record_id,
        "person": person.record_id,
        "visit": visit.record_id,
        "incidents": incidents,
    }


@pytest.fixture
def view(qtbot: QtBot, vault: UnlockedVault) -> MainView:
    main = MainView()
    qtbot.addWidget(main, before_close_func=lambda widget: widget.shutdown())
    main.resize(1280, 720)
    main.show()
    main.show_vault(vault)
    return main


def open_dossier_from_page(qtbot: QtBot, view: MainView, record_id: str) -> DossierPage:
    with qtbot.waitSignal(view.detail_page.loaded, timeout=TIMEOUT_MS):
        view.open_record(record_id)
    button = view.detail_page.dossier_button
    assert button.isVisible()
    with qtbot.waitSignal(view.dossier_page.loaded, timeout=TIMEOUT_MS):
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert view.stack.currentWidget() is view.dossier_page
    return view.dossier_page


def rows(page: DossierPage, section: str) -> list[tuple[list[str], str]]:
    tree = page.sections[section].tree
    found = []
    for index in range(tree.topLevelItemCount()):
        item = tree.topLevelItem(index)
        cells = [item.text(column) for column in range(tree.columnCount())]
        found.append((cells, str(item.data(0, RECORD_ROLE))))
    return found


def tab_texts(page: DossierPage) -> list[str]:
    return [page.tabs.tabText(index) for index in range(page.tabs.count())]


def test_a_persons_dossier_from_their_page(
    qtbot: QtBot, view: MainView, records: dict[str, Any]
) -> None:
    page = open_dossier_from_page(qtbot, view, records["person"])
    assert tab_texts(page) == ["Incidents (2)", "Visits (1)", "Attachments (1)"]
    incidents = rows(page, "incidents")
    # In date order, with the person's role in each; the other person's and the deleted
    # incident are not there.
    assert [record for _cells, record in incidents] == [
        records["incidents"][2],
        records["incidents"][0],
    ]
    assert [cells[2] for cells, _record in incidents] == ["Witness", "Victim"]
    assert rows(page, "visits")[0][1] == records["visit"]
    assert rows(page, "attachments")[0][0][0] == "photo.jpg"
    assert "Victim: 1" in page.summary_label.text() and "Witness: 1" in page.summary_label.text()

    # A row opens its record; Back leads to the dossier, then to the person's page.
    tree = page.sections["incidents"].tree
    with qtbot.waitSignal(view.detail_page.loaded, timeout=TIMEOUT_MS):
        tree.itemActivated.emit(tree.topLevelItem(1), 0)
    assert view.stack.currentWidget() is view.detail_page
    assert view.detail_page.record_id == records["incidents"][0]
    assert not view.detail_page.dossier_button.isVisible()  # an incident has none
    qtbot.mouseClick(view.detail_page.back_button, Qt.MouseButton.LeftButton)
    assert view.stack.currentWidget() is page and tab_texts(page)[0] == "Incidents (2)"
    with qtbot.waitSignal(view.detail_page.loaded, timeout=TIMEOUT_MS):
        qtbot.mouseClick(page.back_button, Qt.MouseButton.LeftButton)
    assert view.detail_page.record_id == records["person"]
    assert page.record_id is None and page.tabs.count() == 0
    qtbot.mouseClick(view.detail_page.back_button, Qt.MouseButton.LeftButton)
    assert view.stack.currentWidget() is view.overview_page


def test_a_places_dossier_from_its_page(
    qtbot: QtBot, view: MainView, records: dict[str, Any]
) -> None:
    page = open_dossier_from_page(qtbot, view, records["place"])
    assert tab_texts(page) == [
        "Visits (1)",
        "Incidents (3)",
        "Recommendations (1)",
        "Occupancy (1)",
    ]
    assert [r for _c, r in rows(page, "incidents")] == records["incidents"][2::-1]
    assert rows(page, "occupancy") == [(["2024-02-01", "37"], records["visit"])]
    assert rows(page, "recommendations")[0][0][2] == "Open a register"
    assert "Torture: 3" in page.summary_label.text()


def test_a_name_with_an_override_is_plain_text(
    qtbot: QtBot, view: MainView, records: dict[str, Any]
) -> None:
    page = open_dossier_from_page(qtbot, view, records["person"])
    assert page.title_label.text() == SHOWN
    labels = page.findChildren(QLabel)
    assert all(label.textFormat() == Qt.TextFormat.PlainText for label in labels)
    assert not any("\u202e" in label.text() for label in labels)


def test_show_more_reads_the_next_page(
    qtbot: QtBot, view: MainView, records: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dossier_page, "PAGE_SIZE", 2)
    page = open_dossier_from_page(qtbot, view, records["place"])
    section = page.sections["incidents"]
    page.tabs.setCurrentWidget(section)
    assert len(rows(page, "incidents")) == 2 and section.more_button.isVisible()
    with qtbot.waitSignal(page.loaded, timeout=TIMEOUT_MS):
        qtbot.mouseClick(section.more_button, Qt.MouseButton.LeftButton)
    assert [r for _c, r in rows(page, "incidents")] == records["incidents"][2::-1]
    assert not section.more_button.isVisible()
