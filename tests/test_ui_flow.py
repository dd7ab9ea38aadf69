"""The whole flow through the GUI, as two people would click it: a monitor creates a vault and
records a place, a person, a visit and an incident with a photo, finds the incident with the
global search, exchanges contact cards with the coalition hub (as files) and compares
fingerprints, exports a bundle to a folder; the hub, in a second window, imports it and writes
a receipt; the monitor imports the receipt and purges. The core's state is checked after every
step: the hub holds every revision and the photo bit for bit, the field keeps stubs only, and
the purged text is no longer found.

Only the file choosers (which would need a person to click in them) are replaced; every other
step goes through the window's own widgets. No sleeps: every wait is on a signal or a state.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage, QInputMethodEvent, QPainter
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QDialog,
    QLineEdit,
    QPushButton,
    QWidget,
)
from pytestqt.qtbot import QtBot

from monitor_app.bundles import purge
from monitor_app.vault.session import UnlockedVault
from tests.conftest import PASSPHRASE
from tests.test_ui_editor import choose, ed, pick, type_text
from ui.handoff.contacts_page import ContactsPage
from ui.handoff.export_wizard import DESTINATION, RUN, SCOPE, ExportWizard
from ui.handoff.handoff_page import HandoffPage
from ui.handoff.import_wizard import RESULT, SUMMARY, ImportWizard
from ui.records.editor import dialogs
from ui.records.editor.record_editor_page import ATTACHMENTS_TAB, RecordEditorPage
from ui.shell.main_view import MainView
from ui.shell.overview_page import RECORD_ID_ROLE
from ui.shell.vault_window import VaultWindow

pytestmark = pytest.mark.gui
TIMEOUT_MS = 60_000
# Words of the incident that the search must find before the purge and never after it.
WORD = "избиение"
CANARY = "zqxflowcanary"
REAL_NAME = "Азамат Т."  # shared: the person consented to sharing with the coalition


class NoKeyring:
    """The OS keyring is never touched by tests: "remember on this computer" is unavailable."""

    def available(self) -> tuple[bool, str]:
        return False, "no_os_keyring"

    def create(self, vault_id: str) -> bytes:
        raise AssertionError("not offered")

    def load(self, vault_id: str) -> bytes:
        raise AssertionError("not offered")

    def delete(self, vault_id: str) -> None:
        pass


# -- helpers ---------------------------------------------------------------------------------
@pytest.fixture
def windows() -> Iterator[list[VaultWindow]]:
    """Windows opened by the test, closed (so locked, their threads waited for) at its end.
    Held here, not only by qtbot's weak references: a window destroyed with a job running
    would abort the process."""
    opened: list[VaultWindow] = []
    yield opened
    for window in reversed(opened):
        window.close()


def open_window(qtbot: QtBot, windows: list[VaultWindow], path: Path) -> VaultWindow:
    window = VaultWindow(path, device_store=NoKeyring())
    qtbot.addWidget(window)
    windows.append(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def create_vault(qtbot: QtBot, window: VaultWindow, name: str, organisation: str) -> UnlockedVault:
    """The create page, then the recovery code page, as a person fills them in."""
    page = window.create_page
    assert window.stack.currentWidget() is page
    qtbot.keyClicks(page.name_edit, name)
    qtbot.keyClicks(page.organisation_edit, organisation)
    qtbot.keyClicks(page.passphrase_edit, PASSPHRASE)
    qtbot.keyClicks(page.confirm_edit, PASSPHRASE)
    with qtbot.waitSignal(window.vault_opened, timeout=TIMEOUT_MS):
        click(qtbot, page.create_button)
    recovery = window.recovery_page
    assert window.stack.currentWidget() is recovery
    assert re.fullmatch(r"[0-9A-Z]{5}(-[0-9A-Z]{5}){6}", recovery.code_label.text())
    assert not recovery.continue_button.isEnabled()  # until the code is written down
    tick(qtbot, recovery.confirm_box)
    click(qtbot, recovery.continue_button)
    assert window.stack.currentWidget() is window.main_view
    vault = window.vault
    assert vault is not None and vault.author.name == name
    return vault


def click(qtbot: QtBot, widget: QWidget) -> None:
    """Click as a person does: once the button is enabled. Screens disable their buttons
    while a background job (a list being read, a change being written) is due."""
    qtbot.waitUntil(widget.isEnabled, timeout=TIMEOUT_MS)
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def tick(qtbot: QtBot, box: QCheckBox) -> None:
    """The keyboard way: a click's position depends on the style."""
    box.setFocus()
    qtbot.keyClick(box, Qt.Key.Key_Space)
    assert box.isChecked()


def go(view: MainView, key: str) -> QWidget | None:
    """Click a section in the navigation list; the page now shown."""
    view.nav.setCurrentRow(view.nav_row(key))
    assert view.current_section == key
    return view.stack.currentWidget()


def new_record(qtbot: QtBot, view: MainView, type_name: str) -> RecordEditorPage:
    go(view, type_name)
    page = view.editor_page
    with qtbot.waitSignal(page.loaded, timeout=TIMEOUT_MS):
        click(qtbot, view.list_pages[type_name].new_button)
    assert view.stack.currentWidget() is page
    assert page.form is not None and page.form.isEnabled(), "no draft offered"
    return page


def save(qtbot: QtBot, page: RecordEditorPage) -> str:
    with qtbot.waitSignal(page.saved, timeout=TIMEOUT_MS) as blocker:
        click(qtbot, page.save_button)
    assert page.error_label.text() == ""
    return str(blocker.args[0])


def button(root: QWidget, text: str) -> QPushButton:
    (found,) = [b for b in root.findChildren(QPushButton) if b.text() == text]
    return found


def commit_text(edit: QLineEdit, text: str) -> None:
    """Type text in any script the way an input method commits it (QTest knows ASCII keys)."""
    edit.setFocus()
    event = QInputMethodEvent("", [])
    event.setCommitString(text)
    QApplication.sendEvent(edit, event)


def search(qtbot: QtBot, view: MainView, query: str) -> dict[str, str]:
    """The global search box, then Enter: {record id: the result's text}."""
    overview = view.overview_page
    view.search_edit.clear()
    commit_text(view.search_edit, query)
    assert view.search_edit.text() == query
    with qtbot.waitSignal(overview.results_ready, timeout=TIMEOUT_MS):
        qtbot.keyClick(view.search_edit, Qt.Key.Key_Return)
    assert view.current_section == "overview"
    items = [overview.results_list.item(row) for row in range(overview.results_list.count())]
    return {str(item.data(RECORD_ID_ROLE)): item.text() for item in items}


def act(qtbot: QtBot, page: ContactsPage, widget: QWidget) -> None:
    """Click something on the contacts page and wait until its change is on screen."""
    with qtbot.waitSignal(page.loaded, timeout=TIMEOUT_MS):
        click(qtbot, widget)
    assert page.error_label.text() == "", page.error_label.text()


def open_dialog(qtbot: QtBot, page: HandoffPage, clicked: QPushButton, kind: type[QDialog]) -> Any:
    """Click the button that opens a wizard; the one now shown."""
    click(qtbot, clicked)
    shown: list[QDialog] = [d for d in page.findChildren(kind) if d.isVisible()]
    assert len(shown) == 1
    return shown[0]


def import_file(qtbot: QtBot, page: HandoffPage, path: Path) -> ImportWizard:
    """Handoff, Import…, choose the file, Check, then Import: the wizard on its result page."""
    wizard: ImportWizard = open_dialog(qtbot, page, page.import_button, ImportWizard)
    wizard.choose_file = lambda parent, caption: str(path)
    click(qtbot, button(wizard, "Choose…"))
    assert wizard.file_edit.text() == str(path)
    with qtbot.waitSignal(wizard.settled, timeout=TIMEOUT_MS):
        click(qtbot, wizard.next_button)
    assert wizard.step == SUMMARY, wizard.error_label.text()
    assert wizard.trust_label.text() == "Signed by a VERIFIED contact"
    assert wizard.next_button.text() == "Import"
    with qtbot.waitSignal(wizard.imported, timeout=TIMEOUT_MS):
        click(qtbot, wizard.next_button)
    assert wizard.step == RESULT, wizard.error_label.text()
    return wizard


def exchange_card(
    qtbot: QtBot, owner: MainView, receiver: MainView, folder: Path, name: str
) -> None:
    """The owner saves their card to a file (a USB stick); the receiver adds it, then compares
    fingerprints: the digits typed are those the owner's screen shows to be read aloud."""
    card = folder / f"{name}.card"
    mine = owner.contacts_page
    assert go(owner, "contacts") is mine
    mine.save_file = lambda parent, caption, suggested: str(card)
    act(qtbot, mine, mine.own_card.save_button)
    assert card.is_file()
    read_aloud = mine.own_card.fingerprint_label.text()

    theirs = receiver.contacts_page
    assert go(receiver, "contacts") is theirs
    theirs.open_file = lambda parent, caption: str(card)
    with qtbot.waitSignal(theirs.contacts_changed, timeout=TIMEOUT_MS):
        act(qtbot, theirs, theirs.add_button)
    assert "UNVERIFIED" in theirs.status_label.text()
    assert theirs.verify_button.isEnabled()  # the added card is selected
    click(qtbot, theirs.verify_button)
    dialog = theirs.fingerprint_dialog
    assert dialog is not None and not dialog.mark_button.isEnabled()
    groups = read_aloud.split()
    assert len(groups) == len(dialog.group_labels)
    for group in groups:  # as they are heard, a group at a time
        qtbot.keyClicks(dialog.entry_edit, group + " ")
    assert dialog.matches
    with qtbot.waitSignal(theirs.contacts_changed, timeout=TIMEOUT_MS):
        act(qtbot, theirs, dialog.mark_button)
    assert "is now VERIFIED" in theirs.status_label.text()


def photo_file(folder: Path) -> Path:
    image = QImage(320, 240, QImage.Format.Format_RGB32)
    image.fill(QColor("#d9d2c5"))
    painter = QPainter(image)
    for step in range(12):
        painter.fillRect(20 + step * 24, 30, 12, 180, QColor(40 + step * 15, 30, 30))
    painter.end()
    path = folder / "cell 4, east wall.png"
    assert image.save(str(path))
    return path


def revision_rows(vault: UnlockedVault, record_ids: list[str]) -> list[tuple[Any, ...]]:
    marks = ",".join("?" * len(record_ids))
    with vault.reading() as conn:
        return [
            tuple(row)
            for row in conn.execute(
                "SELECT record_id, revision, created_at, author_key, hash, signature, fields,"
                f" sensitive FROM revisions WHERE record_id IN ({marks})"
                " ORDER BY record_id, revision",
                record_ids,
            )
        ]


def attachment_rows(vault: UnlockedVault, record_id: str) -> list[tuple[Any, ...]]:
    """What a bundle carries of each attachment (``added_by`` is not in it: the importer
    records the bundle's signer there)."""
    with vault.reading() as conn:
        return [
            tuple(row)
            for row in conn.execute(
                "SELECT id, record_id, size, sha256, original_name, media_type, added_at"
                " FROM attachments WHERE record_id = ? ORDER BY id",
                (record_id,),
            )
        ]


def receipts_at(vault: UnlockedVault) -> list[Any]:
    with vault.reading() as conn:
        return [r[0] for r in conn.execute("SELECT receipt_at FROM bundles_out")]


# -- the flow --------------------------------------------------------------------------------
def test_record_find_export_import_receipt_purge(
    qtbot: QtBot,
    windows: list[VaultWindow],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stick = tmp_path / "stick"
    stick.mkdir()

    # 1. The monitor creates a vault on a computer without one.
    field_window = open_window(qtbot, windows, tmp_path / "field")
    field = create_vault(qtbot, field_window, "Aida K.", "Coalition member")
    view = field_window.main_view

    # 2. A place of detention.
    page = new_record(qtbot, view, "place")
    type_text(ed(page, "name"), "ИВС ГУВД Бишкек")
    pick(ed(page, "place_type").combo, "temporary_detention_facility")
    type_text(ed(page, "capacity"), "40")
    place = save(qtbot, page)
    assert field.records.get(place).fields == {
        "name": "ИВС ГУВД Бишкек",
        "place_type": "temporary_detention_facility",
        "capacity": 40,
    }

    # 3. A person, with consent to share and a real name behind Show.
    page = new_record(qtbot, view, "person")
    type_text(ed(page, "pseudonym"), "KG-2024-101")
    ed(page, "roles").boxes["victim"].setChecked(True)
    pick(ed(page, "consent").combos["share_with_coalition"], "given")
    assert page.form is not None
    click(qtbot, page.form.reveal_button)
    type_text(ed(page, "real_name"), REAL_NAME)
    person = save(qtbot, page)
    view_person = field.records.get(person, reveal_sensitive=True)
    assert view_person.fields == {
        "pseudonym": "KG-2024-101",
        "roles": ["victim"],
        "consent": {"share_with_coalition": "given"},
    }
    assert view_person.sensitive == {"real_name": REAL_NAME}

    # 4. A visit to the place, picked in the record picker.
    page = new_record(qtbot, view, "visit")
    choose(qtbot, ed(page, "place_id"), "", place)
    type_text(ed(page, "started_at"), "2024-05-20T10:00+06:00")
    pick(ed(page, "visit_type").combo, "ad_hoc")
    visit = save(qtbot, page)
    assert field.records.get(visit).fields["place_id"] == place

    # 5. An incident at that place, during that visit, about that person.
    page = new_record(qtbot, view, "incident")
    type_text(ed(page, "title"), f"Избиение при допросе {CANARY}")
    pick(ed(page, "incident_type").combo, "torture")
    type_text(ed(page, "description"), f"Задержанный сообщил: избиение дубинкой. {CANARY}")
    qtbot.keyClicks(ed(page, "occurred_on").edit, "2024-05-19")
    choose(qtbot, ed(page, "place_id"), "", place)
    choose(qtbot, ed(page, "visit_id"), "", visit)
    people = ed(page, "people")
    click(qtbot, people.add_button)
    item = people.items[0][1]
    choose(qtbot, item.rows["person_id"].editor, "", person)
    pick(item.rows["role"].editor.combo, "victim")
    pick(ed(page, "consent").combos["share_with_coalition"], "given")
    incident = save(qtbot, page)
    assert field.records.get(incident).fields == {
        "title": f"Избиение при допросе {CANARY}",
        "incident_type": "torture",
        "description": f"Задержанный сообщил: избиение дубинкой. {CANARY}",
        "occurred_on": {"date": "2024-05-19", "precision": "day"},
        "place_id": place,
        "visit_id": visit,
        "people": [{"person_id": person, "role": "victim"}],
        "consent": {"share_with_coalition": "given"},
    }

    # 6. ... and a photo of the cell, through the attachments tab of the saved incident.
    photo = photo_file(tmp_path)
    photo_sha = hashlib.sha256(photo.read_bytes()).hexdigest()
    assert page.tabs.isTabEnabled(ATTACHMENTS_TAB)
    page.tabs.setCurrentIndex(ATTACHMENTS_TAB)
    panel = page.attachments
    monkeypatch.setattr(dialogs, "choose_files", lambda parent: [photo])
    with qtbot.waitSignal(panel.job_done, timeout=TIMEOUT_MS):
        click(qtbot, panel.add_button)  # enabled once the (empty) list has been read
    qtbot.waitUntil(lambda: panel.tree.topLevelItemCount() == 1, timeout=TIMEOUT_MS)
    assert panel.error_label.text() == ""
    (attachment,) = field.attachments.list(incident)
    assert (attachment.original_name, attachment.media_type) == (photo.name, "image/png")
    assert attachment.sha256 == photo_sha

    # 7. The global search finds the incident; opening the result shows it.
    found = search(qtbot, view, WORD)
    assert list(found) == [incident], found
    overview = view.overview_page
    overview.results_list.setFocus()
    overview.results_list.setCurrentRow(0)
    with qtbot.waitSignal(view.detail_page.loaded, timeout=TIMEOUT_MS):
        qtbot.keyClick(overview.results_list, Qt.Key.Key_Return)
    assert view.stack.currentWidget() is view.detail_page
    assert view.detail_page.title_label.text() == f"Избиение при допросе {CANARY}"

    # 8. The hub, in a second window; each side adds the other's card and verifies it.
    hub_window = open_window(qtbot, windows, tmp_path / "hub")
    hub = create_vault(qtbot, hub_window, "Coalition hub", "Coalition")
    hub_view = hub_window.main_view
    exchange_card(qtbot, view, hub_view, stick, "aida")
    exchange_card(qtbot, hub_view, view, stick, "hub")
    assert hub.contacts.get(field.identity.fingerprint).verified
    assert field.contacts.get(hub.identity.fingerprint).verified
    # The field makes the hub the recipient of its handoffs.
    contacts = view.contacts_page
    assert contacts.selected_contact() is not None
    act(qtbot, contacts, contacts.recipient_button)
    assert field.contacts.get(hub.identity.fingerprint).handoff_recipient
    # ... and a custodian of its records: only a custodian's receipt lets it purge.
    act(qtbot, contacts, contacts.custodian_button)
    assert field.contacts.get(hub.identity.fingerprint).custodian

    # 9. The field exports everything to a folder (the USB stick).
    handoff = go(view, "handoff")
    assert isinstance(handoff, HandoffPage)
    wizard: ExportWizard = open_dialog(qtbot, handoff, handoff.export_button, ExportWizard)
    qtbot.waitUntil(lambda: wizard.recipient_list.count() == 1, timeout=TIMEOUT_MS)
    assert [c.name for c in wizard.chosen_contacts()] == ["Coalition hub"]  # preselected
    with qtbot.waitSignal(wizard.settled, timeout=TIMEOUT_MS):
        click(qtbot, wizard.next_button)
    assert wizard.step == SCOPE
    assert "4 records (4 revisions) and 1 attachment." in wizard.preview_label.text()
    assert "No identifying fields are held back" in wizard.preview_label.text()
    click(qtbot, wizard.next_button)
    assert wizard.step == DESTINATION
    wizard.choose_folder = lambda parent, caption: str(stick)
    click(qtbot, button(wizard, "Another folder…"))
    assert wizard.folder_edit.text() == str(stick)
    with qtbot.waitSignal(wizard.exported, timeout=TIMEOUT_MS) as blocker:
        click(qtbot, wizard.next_button)
    bundle = blocker.args[0].path
    assert wizard.step == RUN and bundle.parent == stick and bundle.is_file()
    assert "read back" in wizard.result_label.text()
    click(qtbot, wizard.cancel_button)  # "Close"
    assert receipts_at(field) == [None]

    # 10. The hub imports it (the signer is verified: merged at once)...
    hub_handoff = go(hub_view, "handoff")
    assert isinstance(hub_handoff, HandoffPage)
    with qtbot.waitSignal(hub_handoff.records_changed, timeout=TIMEOUT_MS):
        importer = import_file(qtbot, hub_handoff, bundle)
    assert "Records added: 4;" in importer.result_label.text()
    record_ids = [place, person, visit, incident]
    # ... and holds every revision as the field wrote it, and the photo bit for bit.
    assert revision_rows(hub, record_ids) == revision_rows(field, record_ids)
    assert len(revision_rows(hub, record_ids)) == 4
    assert attachment_rows(hub, incident) == attachment_rows(field, incident)
    held = hub.attachments.read_bytes(attachment.attachment_id)
    assert hashlib.sha256(held).hexdigest() == photo_sha == attachment.sha256
    assert hub.records.get(person, reveal_sensitive=True).sensitive == {"real_name": REAL_NAME}
    assert list(search(qtbot, hub_view, WORD)) == [incident]

    # 11. The hub writes the receipt from the import wizard, onto the stick.
    receipts = tmp_path / "receipts"
    receipts.mkdir()
    importer.choose_folder = lambda parent, caption: str(receipts)
    with qtbot.waitSignal(importer.receipt_written, timeout=TIMEOUT_MS):
        click(qtbot, importer.receipt_button)
    (receipt,) = receipts.iterdir()
    assert receipt.name in importer.receipt_label.text()
    click(qtbot, importer.cancel_button)  # "Close"

    # 12. The field imports the receipt: its bundle is confirmed.
    handoff = go(view, "handoff")
    assert isinstance(handoff, HandoffPage)
    importer = import_file(qtbot, handoff, receipt)
    assert "Receipt applied" in importer.result_label.text()
    click(qtbot, importer.cancel_button)
    (confirmed,) = receipts_at(field)
    assert confirmed is not None

    # 13. The field purges what the hub confirmed: stubs stay, the text is gone.
    click(qtbot, handoff.purge_button)
    qtbot.waitUntil(lambda: handoff.purge_dialog is not None, timeout=TIMEOUT_MS)
    dialog = handoff.purge_dialog
    assert dialog is not None
    assert "4 records and 1 attachment are held" in dialog.text_label.text()
    assert not dialog.include_box.isVisibleTo(dialog)  # nobody's fields were withheld
    with qtbot.waitSignal(handoff.records_changed, timeout=TIMEOUT_MS):
        click(qtbot, dialog.purge_button)
    assert "Purged 4 records and 1 attachment." in handoff.status_label.text()
    stubs = {stub.record_id: stub for stub in purge.stubs(field)}
    assert set(stubs) == set(record_ids)
    assert {stub.type for stub in stubs.values()} == {"place", "person", "visit", "incident"}
    assert stubs[incident].date == "2024-05-19"
    assert field.records.count() == 0 and field.attachments.list(incident) == []
    assert field.records.search(WORD) == [] and field.records.search(CANARY) == []
    assert search(qtbot, view, WORD) == {}
    assert search(qtbot, view, CANARY) == {}
    assert overview.results_label.text() == "Nothing found."
    # The hub still has it all.
    assert list(search(qtbot, hub_view, CANARY)) == [incident]
