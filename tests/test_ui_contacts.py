"""The Contacts page and the fingerprint dialog: trust spelled out, card text kept plain,
verification only on an exact match, handoff recipients only among verified contacts,
removal after a question, the own card saved atomically, and errors as sentences."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from monitor_app.identity import fingerprint as fp
from monitor_app.identity.card import parse_card
from monitor_app.vault.session import UnlockedVault
from tests.test_ui_handoff import STRANGER, TIMEOUT_MS, contacts_page, stranger_card, table_rows
from ui.handoff.contacts_page import ContactsPage
from ui.handoff.fingerprint_dialog import FingerprintDialog

pytestmark = pytest.mark.gui


def act(qtbot: QtBot, page: ContactsPage, button: object) -> None:
    with qtbot.waitSignal(page.loaded, timeout=TIMEOUT_MS):
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)  # type: ignore[arg-type]


@pytest.fixture
def page(qtbot: QtBot, vault: UnlockedVault, hub: UnlockedVault) -> ContactsPage:
    vault.contacts.add(hub.identity.card(), verified=True)
    vault.contacts.add(stranger_card())
    return contacts_page(qtbot, vault)


def test_list_spells_out_trust_and_keeps_card_text_plain(
    page: ContactsPage, vault: UnlockedVault, hub: UnlockedVault
) -> None:
    rows = table_rows(page.table)
    by_name = {row[0]: row for row in rows}
    stranger = by_name["\u2068" + STRANGER + "\u2069"]  # the markup as text, isolated
    assert stranger[3] == "UNVERIFIED" and stranger[4] == "No"
    hub_row = by_name["\u2068Hub\u2069"]
    assert hub_row[3] == "VERIFIED"
    whole = fp.format_fingerprint(hub.identity.fingerprint)
    assert hub_row[5] == " ".join(whole.split()[:2]) + " …"  # its start; the tooltip: whole
    assert page.table.item(rows.index(hub_row), 5).toolTip() == whole
    for label in page.findChildren(QLabel):
        assert label.textFormat() == Qt.TextFormat.PlainText
    own = vault.identity.fingerprint
    assert page.own_card.fingerprint_label.text().split() == fp.format_fingerprint(own).split()
    # Name and organisation, each isolated: one cannot reorder the other.
    assert page.own_card.name_label.text() == "\u2068Test Monitor\u2069 · \u2068Test Org\u2069"


def test_recipient_only_for_verified_contacts(
    qtbot: QtBot, page: ContactsPage, vault: UnlockedVault, hub: UnlockedVault
) -> None:
    page.select_fingerprint(vault.contacts.get(STRANGER).fingerprint)
    assert not page.recipient_button.isEnabled()
    assert page.verify_button.isEnabled()
    assert "UNVERIFIED" in page.selection_label.text()
    page.select_fingerprint(hub.identity.fingerprint)
    assert not page.verify_button.isEnabled()
    act(qtbot, page, page.recipient_button)
    assert vault.contacts.get("Hub").handoff_recipient
    assert page.recipient_button.text() == "Stop handoffs to them"
    assert "offered as a recipient" in page.status_label.text()
    act(qtbot, page, page.recipient_button)
    assert not vault.contacts.get("Hub").handoff_recipient


def test_fingerprint_dialog_needs_an_exact_match(qtbot: QtBot) -> None:
    digits = "48210937556211800042731599062274"
    dialog = FingerprintDialog("Aida", digits, own_fingerprint="1" * 32)
    qtbot.addWidget(dialog)
    assert dialog.windowTitle() == "Compare fingerprints"
    assert [label.text() for label in dialog.group_labels][:2] == ["4821", "0937"]
    assert "1111 1111" in dialog.own_label.text()
    # One box for the whole fingerprint: typing on past a group goes on into the next.
    dialog.entry_edit.setFocus()
    qtbot.keyClicks(dialog.entry_edit, "4821 0")
    assert dialog.typed_groups()[:2] == ["4821", "0"]
    assert "1 of 8 groups match" in dialog.summary_label.text()
    # A misheard digit is flagged at once, by text.
    qtbot.keyClicks(dialog.entry_edit, "8")
    assert dialog.status_labels[1].text().startswith("✗")
    assert "Group 2 differs" in dialog.error_label.text()
    assert not dialog.mark_button.isEnabled()
    # Full-width digits from an input method, pasted whole with spaces: accepted.
    wide = "".join(
        chr(0xFF10 + int(d)) if d.isdigit() else d for d in fp.format_fingerprint(digits)
    )
    dialog.type_fingerprint(wide)
    assert dialog.matches and dialog.mark_button.isEnabled()
    assert "All 8 groups match" in dialog.summary_label.text()
    with qtbot.waitSignal(dialog.verified) as blocker:
        qtbot.mouseClick(dialog.mark_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [digits]
    dialog.clear()
    assert not any(label.text() for label in dialog.findChildren(QLabel) if "4821" in label.text())


def test_verify_through_the_dialog(qtbot: QtBot, page: ContactsPage, vault: UnlockedVault) -> None:
    stranger = vault.contacts.get(STRANGER)
    page.select_fingerprint(stranger.fingerprint)
    qtbot.mouseClick(page.verify_button, Qt.MouseButton.LeftButton)
    dialog = page.fingerprint_dialog
    assert dialog is not None and STRANGER not in dialog.windowTitle()
    assert STRANGER in dialog.instructions.text()  # plain text, in a plain-text label
    # Cancelling changes nothing.
    dialog.type_fingerprint(stranger.fingerprint)
    dialog.reject()
    assert page.fingerprint_dialog is None
    assert not vault.contacts.get(STRANGER).verified
    qtbot.mouseClick(page.verify_button, Qt.MouseButton.LeftButton)
    dialog = page.fingerprint_dialog
    assert dialog is not None
    dialog.type_fingerprint(stranger.fingerprint)
    act(qtbot, page, dialog.mark_button)
    assert vault.contacts.get(STRANGER).verified
    assert "is now VERIFIED" in page.status_label.text()


def test_remove_asks_first(qtbot: QtBot, page: ContactsPage, vault: UnlockedVault) -> None:
    asked: list[str] = []
    page.confirm = lambda title, text: asked.append(text) or False
    page.select_fingerprint(vault.contacts.get(STRANGER).fingerprint)
    qtbot.mouseClick(page.remove_button, Qt.MouseButton.LeftButton)
    assert len(asked) == 1 and STRANGER in asked[0]
    assert len(vault.contacts.list()) == 2
    page.confirm = lambda title, text: True
    act(qtbot, page, page.remove_button)
    assert [c.name for c in vault.contacts.list()] == ["Hub"]
    assert page.table.rowCount() == 1


def test_add_card_errors_are_sentences(
    qtbot: QtBot, page: ContactsPage, vault: UnlockedVault, tmp_path: Path
) -> None:
    own = tmp_path / "own.card"
    own.write_bytes(vault.identity.card())
    page.open_file = lambda parent, caption: str(own)
    act(qtbot, page, page.add_button)
    assert "your own vault's contact card" in page.error_label.text()
    broken = tmp_path / "broken.card"
    broken.write_bytes(b"<html>not a card</html>")
    page.open_file = lambda parent, caption: str(broken)
    act(qtbot, page, page.add_button)
    assert "This contact card is not valid" in page.error_label.text()
    page.open_file = lambda parent, caption: ""  # the chooser was cancelled
    qtbot.mouseClick(page.add_button, Qt.MouseButton.LeftButton)
    assert not page.busy
    assert len(vault.contacts.list()) == 2


def test_save_my_card(
    qtbot: QtBot, page: ContactsPage, vault: UnlockedVault, tmp_path: Path
) -> None:
    target = tmp_path / "stick" / "aida.card"
    target.parent.mkdir()
    target.write_bytes(b"an older card")  # the save dialog asked about replacing it
    page.own_card.role_edit.setText("monitor")
    page.save_file = lambda parent, caption, suggested: str(target)
    act(qtbot, page, page.own_card.save_button)
    card = parse_card(target.read_bytes())
    assert card.fingerprint == vault.identity.fingerprint
    assert (card.name, card.organisation, card.role) == ("Test Monitor", "Test Org", "monitor")
    assert str(target) in page.status_label.text()
    assert [p.name for p in target.parent.iterdir()] == ["aida.card"]  # no temporary left
