"""The audit log page: newest first, loaded a page at a time off the GUI thread, actions in
words; "Verify chain" reports an intact chain and a tampered one as sentences; clear()
empties the model."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from monitor_app.bundles import ledger
from monitor_app.vault.session import UnlockedVault
from ui.shell.audit_page import AuditPage, AuditTableModel, action_label

pytestmark = pytest.mark.gui
TIMEOUT_MS = 30_000


def audit_page(qtbot: QtBot, vault: UnlockedVault, page_size: int = 7) -> AuditPage:
    page = AuditPage()
    page.model.page_size = page_size
    qtbot.addWidget(page, before_close_func=lambda p: p.shutdown())
    page.show()
    with qtbot.waitSignal(page.model.loaded, timeout=TIMEOUT_MS):
        page.set_vault(vault)
    return page


def column(model: AuditTableModel, number: int) -> list[str]:
    return [str(model.index(row, number).data()) for row in range(model.rowCount())]


def test_newest_first_page_by_page(qtbot: QtBot, vault: UnlockedVault) -> None:
    vault.records.add_many(
        "place", [{"name": f"Place {n}", "place_type": "other"} for n in range(20)]
    )
    with vault.reading() as conn:
        total = ledger.audit_length(conn)
    page = audit_page(qtbot, vault)
    model = page.model
    assert model.total == total and model.rowCount() == 7
    assert column(model, 0) == [str(n) for n in range(total, total - 7, -1)]
    assert column(model, 2)[0] == "Record created"
    assert column(model, 3)[0] == "Place 19"
    assert f"7 of {total} entries" in page.status_label.text()
    # The view asks for more itself while it has room to show them, so a page may already be
    # on its way: then only wait for it.
    while model.rowCount() < total:
        with qtbot.waitSignal(model.loaded, timeout=TIMEOUT_MS):
            if not model.loading:
                model.fetchMore()
    assert not model.canFetchMore()
    assert column(model, 0) == [str(n) for n in range(total, 0, -1)]
    assert column(model, 2)[-1] == "Vault created"
    assert page.status_label.text() == f"{total} entries"
    assert model.headerData(2, Qt.Orientation.Horizontal) == "Action"


def test_records_are_named_by_their_titles_with_the_id_on_demand(
    qtbot: QtBot, vault: UnlockedVault
) -> None:
    person = vault.records.add(
        "person",
        {"pseudonym": "KG-7", "roles": ["victim"], "real_name": "Азамат zqxauditcanary"},
    )
    gone = vault.records.add("place", {"name": "Old ИВС", "place_type": "other"})
    vault.records.delete(gone.record_id, "duplicate")
    vault.records.get(person.record_id, reveal_sensitive=True)  # audited as a reveal
    page = audit_page(qtbot, vault)
    model = page.model
    shown = {
        model.index(row, 3).data(Qt.ItemDataRole.ToolTipRole): model.index(row, 3).data()
        for row in range(model.rowCount())
        if model.index(row, 3).data()
    }
    # Named by the title a list shows (never a sensitive field), whole id in the tooltip.
    assert shown[person.record_id] == "KG-7"
    assert shown[gone.record_id] == "Old ИВС (deleted)"
    assert not any("zqxauditcanary" in text for text in shown.values())


def test_unknown_actions_show_their_code() -> None:
    assert action_label("bundle_quarantined") == "Bundle held in quarantine"
    assert action_label("from_a_newer_version") == "from_a_newer_version"


def test_verify_chain_intact_and_tampered(qtbot: QtBot, vault: UnlockedVault) -> None:
    vault.records.add("place", {"name": "ИВС", "place_type": "police_station"})
    page = audit_page(qtbot, vault)
    with qtbot.waitSignal(page.verified, timeout=TIMEOUT_MS):
        qtbot.mouseClick(page.verify_button, Qt.MouseButton.LeftButton)
    assert "The audit log is intact" in page.result_label.text()
    assert not page.error_label.text()
    with vault.transaction() as conn:
        conn.execute("UPDATE audit SET details = '{}' WHERE seq = 2")
    with qtbot.waitSignal(page.verified, timeout=TIMEOUT_MS):
        qtbot.mouseClick(page.verify_button, Qt.MouseButton.LeftButton)
    message = page.error_label.text()
    assert "has been altered (entry 2: an entry was changed)" in message
    assert not page.result_label.isVisible()


def test_clear_empties_everything(qtbot: QtBot, vault: UnlockedVault) -> None:
    page = audit_page(qtbot, vault)
    assert page.model.rowCount() > 0 and page.verify_button.isEnabled()
    page.clear()
    assert page.model.rowCount() == 0 and page.model.total == 0
    assert not page.model.canFetchMore()
    assert not page.status_label.text() and not page.verify_button.isEnabled()
