"""The Handoff page releases a quarantined bundle once its signer is verified: the import
summary first, then the merge, without the bundle file."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from monitor_app.bundles.export import export_bundle
from monitor_app.bundles.importing import import_bundle
from monitor_app.vault.session import UnlockedVault
from tests.bundle_tools import add_sample_case
from tests.test_ui_handoff import TIMEOUT_MS, handoff_page, refreshed, table_rows

pytestmark = pytest.mark.gui


def test_a_quarantined_bundle_is_released_from_the_handoff_page(
    qtbot: QtBot, vault: UnlockedVault, hub: UnlockedVault, stick: Path
) -> None:
    vault.contacts.add(hub.identity.card(), verified=True)
    add_sample_case(vault, real_name="zqxrealname", share_consent="given", attachment=b"x")
    bundle = export_bundle(vault, stick, contacts=[vault.contacts.get("Hub")]).path
    contact = hub.contacts.add(vault.identity.card(), verified=False)
    assert import_bundle(hub, bundle).status == "quarantined"
    bundle.unlink()  # the stick went home with the monitor

    page = handoff_page(qtbot, hub)
    page.in_table.selectRow(0)
    assert not page.release_button.isEnabled(), "not before the signer is verified"

    hub.contacts.verify(contact.fingerprint)
    refreshed(qtbot, page)
    (row,) = table_rows(page.in_table)
    assert "verify the signer" not in row[3]
    assert "not a verified contact" not in page.quarantine_label.text()
    page.in_table.selectRow(0)
    assert page.release_button.isEnabled()

    qtbot.mouseClick(page.release_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.release_dialog is not None, timeout=TIMEOUT_MS)
    dialog = page.release_dialog
    assert dialog is not None
    assert "Test Monitor" in dialog.summary_label.text()
    assert dialog.summary_label.textFormat() == Qt.TextFormat.PlainText
    assert hub.records.count() == 0, "nothing is merged before the person agrees"

    with qtbot.waitSignal(page.records_changed, timeout=TIMEOUT_MS):
        qtbot.mouseClick(dialog.release_button, Qt.MouseButton.LeftButton)
    assert hub.records.count() == 3
    qtbot.waitUntil(lambda: page.status_label.isVisible(), timeout=TIMEOUT_MS)
    refreshed(qtbot, page)
    (row,) = table_rows(page.in_table)
    assert "QUARANTINED" not in row[3]
    assert page.quarantine_label.text() == ""
