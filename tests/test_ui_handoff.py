"""The Handoff screens end to end, with two vaults: the field exports through the wizard, the
hub holds the bundle in quarantine until the field's fingerprint is compared in the Contacts
page, then imports it and writes a receipt; the field imports the receipt and purges. After
every step the core's state is checked. Also: cancelling, locking (clear) leaving no contact
name or bundle data in any widget or model, and the removable-drives helper."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog
from pytestqt.qtbot import QtBot

from monitor_app.bundles import purge
from monitor_app.bundles.export import ExportResult, export_bundle
from monitor_app.bundles.importing import ImportResult
from monitor_app.bundles.reading import BundleSummary
from monitor_app.crypto import age
from monitor_app.errors import Cancelled, StorageError
from monitor_app.identity import fingerprint as fp
from monitor_app.identity.card import make_card
from monitor_app.identity.keys import Identity
from monitor_app.jobs import CancelToken
from monitor_app.vault.session import UnlockedVault
from tests.bundle_tools import add_sample_case
from tests.ui_tools import widget_texts
from ui.handoff import export_wizard, import_wizard
from ui.handoff.contacts_page import ContactsPage
from ui.handoff.drives import DRIVE_REMOVABLE, removable_drives
from ui.handoff.export_wizard import DESTINATION, RECIPIENTS, RUN, SCOPE, ExportWizard
from ui.handoff.handoff_page import HandoffPage
from ui.handoff.import_wizard import RESULT, SUMMARY, ImportWizard, result_lines

pytestmark = pytest.mark.gui
TIMEOUT_MS = 60_000
SECRET = "zqxrealname"  # a person's real name: never shown, never exported without consent
PHOTO = b"\x89PNG handoff photo " * 500
# Card text may not hold controls or bidi overrides (the card parser refuses them), but
# markup and right-to-left script are fine: they must stay plain, isolated text.
STRANGER = "<b>Stranger</b> سالم <a href='x'>link</a>"


# --- helpers ------------------------------------------------------------------------------


def stranger_card() -> bytes:
    return make_card(Identity.generate(), name=STRANGER, organisation="Nobody").to_bytes()


def table_rows(table: Any) -> list[list[str]]:
    return [
        [table.item(row, column).text() for column in range(table.columnCount())]
        for row in range(table.rowCount())
    ]


Page = TypeVar("Page", HandoffPage, ContactsPage)


def _shown_with(qtbot: QtBot, page: Page, vault: UnlockedVault) -> Page:
    """``page`` on screen at 1000 x 700, once it has loaded ``vault``."""
    qtbot.addWidget(page, before_close_func=lambda p: p.shutdown())
    page.resize(1000, 700)
    page.show()
    with qtbot.waitSignal(page.loaded, timeout=TIMEOUT_MS):
        page.set_vault(vault)
    return page


def handoff_page(qtbot: QtBot, vault: UnlockedVault) -> HandoffPage:
    return _shown_with(qtbot, HandoffPage(), vault)


def contacts_page(qtbot: QtBot, vault: UnlockedVault) -> ContactsPage:
    return _shown_with(qtbot, ContactsPage(), vault)


def refreshed(qtbot: QtBot, page: HandoffPage) -> None:
    with qtbot.waitSignal(page.loaded, timeout=TIMEOUT_MS):
        page.refresh()


def opened_export(qtbot: QtBot, page: HandoffPage, record_ids: Any = None) -> ExportWizard:
    wizard = page.start_export(record_ids)
    assert wizard is not None
    qtbot.waitUntil(lambda: wizard.recipient_list.count() > 0, timeout=TIMEOUT_MS)
    return wizard


def step(qtbot: QtBot, wizard: ExportWizard, signal: Any) -> None:
    with qtbot.waitSignal(signal, timeout=TIMEOUT_MS):
        qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)


def checked(qtbot: QtBot, wizard: ImportWizard, bundle: Path) -> None:
    wizard.file_edit.setText(str(bundle))
    with qtbot.waitSignal(wizard.settled, timeout=TIMEOUT_MS):
        qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)
    assert wizard.step == SUMMARY, wizard.error_label.text()


def imported(qtbot: QtBot, wizard: ImportWizard) -> None:
    with qtbot.waitSignal(wizard.imported, timeout=TIMEOUT_MS):
        qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)
    assert wizard.step == RESULT


def receipt_at(vault: UnlockedVault) -> list[Any]:
    with vault.reading() as conn:
        return [r[0] for r in conn.execute("SELECT receipt_at FROM bundles_out")]


@pytest.fixture
def field(vault: UnlockedVault, hub: UnlockedVault) -> UnlockedVault:
    """The field vault: a case whose person did not consent to sharing, the hub a verified
    handoff recipient, and a stranger whose card was never verified."""
    add_sample_case(vault, real_name=SECRET, share_consent="refused", attachment=PHOTO)
    contact = vault.contacts.add(hub.identity.card(), verified=True)
    vault.contacts.set_handoff_recipient(contact.fingerprint, True)
    vault.contacts.add(stranger_card())
    return vault


# --- the whole round trip -----------------------------------------------------------------


def test_export_quarantine_verify_import_receipt_purge(
    qtbot: QtBot, field: UnlockedVault, hub: UnlockedVault, stick: Path, tmp_path: Path
) -> None:
    # 1. The field exports: the hub is preselected, the stranger listed but not selectable.
    page = handoff_page(qtbot, field)
    wizard = opened_export(qtbot, page)
    items = [wizard.recipient_list.item(n) for n in range(wizard.recipient_list.count())]
    hub_item = next(i for i in items if i.text().startswith("\u2068Hub"))
    assert hub_item.checkState() == Qt.CheckState.Checked and "VERIFIED" in hub_item.text()
    stranger = next(i for i in items if "Stranger" in i.text())
    assert "UNVERIFIED" in stranger.text()
    assert not stranger.flags() & Qt.ItemFlag.ItemIsUserCheckable
    assert [c.name for c in wizard.chosen_contacts()] == ["Hub"]
    step(qtbot, wizard, wizard.settled)
    assert wizard.step == SCOPE
    summary = wizard.preview_label.text()
    assert "3 records (4 revisions) and 1 attachment." in summary
    assert "of 1 person stay in this vault" in summary
    wizard.next()
    assert wizard.step == DESTINATION
    wizard.folder_edit.setText(str(stick))
    with qtbot.waitSignal(wizard.exported, timeout=TIMEOUT_MS) as blocker:
        wizard.next()
    result: ExportResult = blocker.args[0]
    assert wizard.step == RUN
    assert [p.name for p in stick.iterdir()] == [result.path.name]
    assert "read back" in wizard.result_label.text()
    assert wizard.cancel_button.text() == "Close"
    wizard.reject()
    qtbot.waitUntil(lambda: page.out_table.rowCount() == 1, timeout=TIMEOUT_MS)
    (row,) = table_rows(page.out_table)
    assert row[1] == "1" and "Hub" in row[3] and "(VERIFIED)" in row[3] and row[5] == "Not yet"
    assert receipt_at(field) == [None]

    # 2. The hub adds the field's card (unverified) and imports: quarantine, nothing merged.
    card = tmp_path / "field.card"
    card.write_bytes(field.identity.card())
    contacts = contacts_page(qtbot, hub)
    contacts.open_file = lambda parent, caption: str(card)
    with qtbot.waitSignal(contacts.contacts_changed, timeout=TIMEOUT_MS):
        qtbot.mouseClick(contacts.add_button, Qt.MouseButton.LeftButton)
    assert table_rows(contacts.table)[0][3] == "UNVERIFIED"
    hub_page = handoff_page(qtbot, hub)
    importer = hub_page.start_import()
    assert importer is not None
    checked(qtbot, importer, result.path)
    assert "UNVERIFIED" in importer.trust_label.text()
    assert importer.fingerprint_label.text() == fp.format_fingerprint(field.identity.fingerprint)
    assert importer.next_button.text() == "Hold in quarantine"
    imported(qtbot, importer)
    assert "quarantine" in importer.result_label.text()
    assert not importer.receipt_button.isVisible()
    assert hub.records.count("incident") == 0
    refreshed(qtbot, hub_page)
    (row,) = table_rows(hub_page.in_table)
    assert "QUARANTINED" in row[3] and "UNVERIFIED" in row[1]
    assert hub_page.contacts_button.isVisible()
    importer.reject()

    # 3. The hub compares fingerprints in the dialog and marks the field verified.
    contacts.table.selectRow(0)
    qtbot.mouseClick(contacts.verify_button, Qt.MouseButton.LeftButton)
    dialog = contacts.fingerprint_dialog
    assert dialog is not None
    digits = field.identity.fingerprint
    dialog.type_fingerprint(digits[:-1] + str((int(digits[-1]) + 1) % 10))  # misheard
    assert not dialog.mark_button.isEnabled()
    assert "Group 8 differs" in dialog.error_label.text()
    dialog.type_fingerprint(field.identity.fingerprint)
    assert dialog.mark_button.isEnabled()
    with qtbot.waitSignal(contacts.contacts_changed, timeout=TIMEOUT_MS):
        qtbot.mouseClick(dialog.mark_button, Qt.MouseButton.LeftButton)
    assert hub.contacts.get(field.identity.fingerprint).verified
    assert table_rows(contacts.table)[0][3] == "VERIFIED"

    # 4. Imported now; the summary said beforehand what would change.
    importer = hub_page.start_import()
    assert importer is not None
    checked(qtbot, importer, result.path)
    assert "VERIFIED contact" in importer.trust_label.text()
    assert "adds 3 new records and updates 0" in importer.summary_label.text()
    assert importer.next_button.text() == "Import"
    with qtbot.waitSignal(hub_page.records_changed, timeout=TIMEOUT_MS):
        imported(qtbot, importer)
    assert "Records added: 3;" in importer.result_label.text()
    assert hub.records.count("incident") == 1 and hub.records.count("person") == 1
    person = hub.records.list("person")[0]
    assert SECRET not in str(hub.records.get(person.record_id, reveal_sensitive=True).sensitive)

    # 5. ... and the receipt is written from the result page.
    receipts = tmp_path / "receipts"
    receipts.mkdir()
    importer.choose_folder = lambda parent, caption: str(receipts)
    with qtbot.waitSignal(importer.receipt_written, timeout=TIMEOUT_MS):
        qtbot.mouseClick(importer.receipt_button, Qt.MouseButton.LeftButton)
    (receipt_file,) = receipts.iterdir()
    assert receipt_file.name in importer.receipt_label.text()
    refreshed(qtbot, hub_page)
    (row,) = table_rows(hub_page.in_table)
    assert row[3] == "Imported" and row[4] == "Yes"
    assert [r[2] for r in table_rows(hub_page.out_table)] == ["Receipt"]

    # 6. The field imports the receipt: the bundle is marked confirmed.
    importer = page.start_import()
    assert importer is not None
    checked(qtbot, importer, receipt_file)
    assert "confirms that bundle" in importer.summary_label.text()
    imported(qtbot, importer)
    assert "Receipt applied" in importer.result_label.text()
    assert receipt_at(field)[0] is not None
    refreshed(qtbot, page)
    assert table_rows(page.out_table)[0][5].startswith("Received")

    # 7. The field names the hub a custodian of its records: only a custodian's receipt
    # frees this laptop of what it handed off.
    field_contacts = contacts_page(qtbot, field)
    (hub_row,) = [n for n, r in enumerate(table_rows(field_contacts.table)) if "Hub" in r[0]]
    field_contacts.table.selectRow(hub_row)
    assert field_contacts.custodian_button.text() == "Keeps my records"
    with qtbot.waitSignal(field_contacts.contacts_changed, timeout=TIMEOUT_MS):
        qtbot.mouseClick(field_contacts.custodian_button, Qt.MouseButton.LeftButton)
    assert field.contacts.get(hub.identity.fingerprint).custodian
    assert field_contacts.custodian_button.text() == "No longer keeps my records"

    # 8. Purge: the confirmation says what goes and what stays; the person stays.
    person_id = field.records.list("person")[0].record_id
    page.start_purge()
    qtbot.waitUntil(lambda: page.purge_dialog is not None, timeout=TIMEOUT_MS)
    assert page.purge_dialog is not None
    page.purge_dialog.reject()  # asked, then thought better of it: nothing happens
    assert page.purge_dialog is None and page.purge_button.isEnabled()
    assert purge.stubs(field) == []
    qtbot.mouseClick(page.purge_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.purge_dialog is not None, timeout=TIMEOUT_MS)
    purge_dialog = page.purge_dialog
    assert purge_dialog is not None
    text = purge_dialog.text_label.text()
    assert "2 records and 1 attachment are held" in text and "1 person is kept" in text
    assert purge_dialog.include_box.isVisibleTo(purge_dialog)
    purge_dialog.include_box.setChecked(True)
    assert "lost for good" in purge_dialog.warning_label.text()
    assert purge_dialog.purge_button.text() == "Purge 3 records"
    purge_dialog.include_box.setChecked(False)
    assert not purge_dialog.warning_label.text()
    with qtbot.waitSignal(page.records_changed, timeout=TIMEOUT_MS):
        qtbot.mouseClick(purge_dialog.purge_button, Qt.MouseButton.LeftButton)
    assert {s.type for s in purge.stubs(field)} == {"place", "incident"}
    assert field.records.get(person_id).fields["pseudonym"] == "KG-1"
    assert "Purged 2 records" in page.status_label.text()


# --- the export wizard on its own ---------------------------------------------------------


def test_export_wizard_checks_recipients_and_scope(
    qtbot: QtBot, field: UnlockedVault, tmp_path: Path
) -> None:
    page = handoff_page(qtbot, field)
    wizard = opened_export(qtbot, page, [field.records.list("place")[0].record_id])
    items = [wizard.recipient_list.item(n) for n in range(wizard.recipient_list.count())]
    hub_item = next(i for i in items if "Hub" in i.text())
    hub_item.setCheckState(Qt.CheckState.Unchecked)
    assert not wizard.next_button.isEnabled()  # nobody to send to
    wizard.archive_edit.setText("age1notakey")
    assert "not a valid age public key" in wizard.error_label.text()
    assert not wizard.next_button.isEnabled()
    wizard.archive_edit.setText(Identity.generate().encryption_public.hex())
    assert not wizard.next_button.isEnabled()
    wizard.archive_edit.setText("")
    hub_item.setCheckState(Qt.CheckState.Checked)
    step(qtbot, wizard, wizard.settled)
    assert "Of the 1 record you selected" in wizard.preview_label.text()
    assert "No identifying fields are held back" in wizard.preview_label.text()
    wizard.back()
    assert wizard.step == RECIPIENTS
    # A destination that does not exist: the error sentence, and the way back.
    step(qtbot, wizard, wizard.settled)
    wizard.next()
    wizard.drive_list.clear()
    wizard.folder_edit.setText(str(tmp_path / "unplugged"))
    with qtbot.waitSignal(wizard.settled, timeout=TIMEOUT_MS):
        wizard.next()
    assert "does not exist or is not reachable" in wizard.error_label.text()
    assert wizard.back_button.isEnabled()
    with field.reading() as conn:
        assert conn.execute("SELECT count(*) FROM bundles_out").fetchone()[0] == 0


def test_nothing_new_stops_at_the_summary(
    qtbot: QtBot, field: UnlockedVault, hub: UnlockedVault, stick: Path
) -> None:
    from monitor_app.bundles.export import export_bundle

    export_bundle(field, stick, contacts=[field.contacts.get("Hub")])
    page = handoff_page(qtbot, field)
    wizard = opened_export(qtbot, page)
    step(qtbot, wizard, wizard.settled)
    assert "nothing new" in wizard.preview_label.text()
    assert not wizard.next_button.isEnabled()


def test_cancel_stops_the_export_and_a_late_result_is_reported(
    qtbot: QtBot, field: UnlockedVault, stick: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    finish_anyway = {"value": False}
    started: list[CancelToken] = []

    def slow_export(vault: Any, folder: Path, *, progress: Any, cancel: CancelToken, **_: Any):
        started.append(cancel)
        progress(10, 100)
        assert cancel.wait(TIMEOUT_MS / 1000)
        if not finish_anyway["value"]:
            raise Cancelled()
        return ExportResult("id", folder / "late.bin", 1024, 7, 4, 1, 0)

    monkeypatch.setattr(export_wizard, "export_bundle", slow_export)
    page = handoff_page(qtbot, field)
    for late in (False, True):
        finish_anyway["value"] = late
        wizard = opened_export(qtbot, page)
        step(qtbot, wizard, wizard.settled)
        wizard.next()
        wizard.folder_edit.setText(str(stick))
        wizard.next()
        qtbot.waitUntil(lambda w=wizard: w.progress_bar.maximum() == 1000, timeout=TIMEOUT_MS)
        assert wizard.busy and wizard.cancel_button.text() == "Cancel"
        if late:
            with qtbot.waitSignal(wizard.exported, timeout=TIMEOUT_MS):
                qtbot.mouseClick(wizard.cancel_button, Qt.MouseButton.LeftButton)
            assert "already finished" in wizard.status_label.text()
            assert "late.bin" in wizard.result_label.text()
        else:
            qtbot.mouseClick(wizard.cancel_button, Qt.MouseButton.LeftButton)
            assert "cancelled" in wizard.error_label.text()
            assert wizard.isVisible()  # the first Cancel stops the work, not the window
            qtbot.waitUntil(lambda w=wizard: not w.running, timeout=TIMEOUT_MS)
        wizard.reject()
        assert not wizard.isVisible()
    assert len(started) == 2


def test_a_stick_pulled_out_can_be_replaced_and_the_export_tried_again(
    qtbot: QtBot, field: UnlockedVault, stick: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pulled = stick / ".tmp-0123456789abcdef"
    real_export = export_wizard.export_bundle

    def pulled_out(vault: Any, folder: Path, *, progress: Any, **_: Any) -> ExportResult:
        progress(10, 100)
        # What the stick keeps when it goes before the unfinished file could be deleted.
        pulled.write_bytes(age.VERSION_LINE + b"-> X25519 unfinished")
        raise StorageError("storage_failed", path=str(pulled), errno=107)

    monkeypatch.setattr(export_wizard, "export_bundle", pulled_out)
    page = handoff_page(qtbot, field)
    wizard = opened_export(qtbot, page)
    step(qtbot, wizard, wizard.settled)
    wizard.next()
    wizard.folder_edit.setText(str(stick))
    with qtbot.waitSignal(wizard.settled, timeout=TIMEOUT_MS):
        wizard.next()
    message = wizard.error_label.text()
    assert str(pulled) in message and "still connected" in message
    assert wizard.export_result is None and wizard.cancel_button.text() == "Cancel"
    assert wizard.back_button.isEnabled()  # back to the destination, for another stick

    monkeypatch.setattr(export_wizard, "export_bundle", real_export)
    qtbot.mouseClick(wizard.back_button, Qt.MouseButton.LeftButton)
    assert wizard.step == DESTINATION and wizard.folder_edit.text() == str(stick)
    assert not wizard.error_label.text()
    with qtbot.waitSignal(wizard.exported, timeout=TIMEOUT_MS) as blocker:
        wizard.next()
    assert [p.name for p in stick.iterdir()] == [blocker.args[0].path.name]  # leftover gone
    wizard.reject()


def test_an_import_from_a_stick_pulled_out_can_be_tried_again(
    qtbot: QtBot,
    field: UnlockedVault,
    hub: UnlockedVault,
    stick: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hub.contacts.add(field.identity.card(), verified=True)
    bundle = export_bundle(field, stick, contacts=[field.contacts.get("Hub")]).path
    real_import = import_wizard.import_bundle

    def pulled_out(vault: Any, path: Path, progress: Any, cancel: Any) -> ImportResult:
        progress(10, 100)
        raise StorageError("storage_failed", path=str(path), errno=107)

    monkeypatch.setattr(import_wizard, "import_bundle", pulled_out)
    importer = handoff_page(qtbot, hub).start_import()
    assert importer is not None
    checked(qtbot, importer, bundle)
    with qtbot.waitSignal(importer.settled, timeout=TIMEOUT_MS):
        qtbot.mouseClick(importer.next_button, Qt.MouseButton.LeftButton)
    message = importer.error_label.text()
    assert str(bundle) in message and "still connected" in message
    assert importer.step == SUMMARY and importer.next_button.isEnabled()
    assert hub.records.count("incident") == 0

    monkeypatch.setattr(import_wizard, "import_bundle", real_import)  # the stick is back
    imported(qtbot, importer)
    assert hub.records.count("incident") == 1
    importer.reject()


# --- locking ------------------------------------------------------------------------------


def test_clear_leaves_no_contact_or_bundle_data(
    qtbot: QtBot, field: UnlockedVault, hub: UnlockedVault, stick: Path, tmp_path: Path
) -> None:
    from monitor_app.bundles.export import export_bundle
    from monitor_app.bundles.importing import import_bundle

    hub.contacts.add(field.identity.card())
    sent = export_bundle(field, stick, contacts=[field.contacts.get("Hub")])
    import_bundle(hub, sent.path)  # quarantined
    page = handoff_page(qtbot, hub)
    contacts = contacts_page(qtbot, hub)
    contacts.table.selectRow(0)
    contacts.verify_selected()
    importer = page.start_import()
    assert importer is not None
    checked(qtbot, importer, sent.path)
    opened_export(qtbot, page)
    field_fingerprint = field.identity.fingerprint
    shown = fp.format_fingerprint(field_fingerprint)
    needles = ["Test Monitor", "Test Org", sent.bundle_id, shown, field_fingerprint]
    for root in (page, contacts):
        texts = "\n".join(widget_texts(root))
        assert [n for n in needles if n in texts], "the test must see the data first"

    page.clear()
    contacts.clear()
    own = hub.identity.fingerprint
    needles += [own, fp.format_fingerprint(own), "Hub", "Nobody"]
    # The wizards and the fingerprint dialog are children of the pages: walked too.
    for root in (page, contacts):
        texts = "\n".join(widget_texts(root))
        assert not [n for n in needles if n in texts]
        assert not [d for d in root.findChildren(QDialog) if d.isVisible()]
    assert contacts.fingerprint_dialog is None and page.purge_dialog is None


# --- removable drives ---------------------------------------------------------------------


def fake_linux(root: Path, disks: dict[str, str], mounts: list[tuple[str, str]]) -> None:
    """A fake /sys/block (``disks``: disk name -> its removable flag; "sdb/sdb1" also makes
    the partition), a fake mount table and the mount folders, all under ``root``."""
    for disk, removable in disks.items():
        (root / "sys" / "block" / disk).mkdir(parents=True, exist_ok=True)
        (root / "sys" / "block" / disk.split("/")[0] / "removable").write_text(removable + "\n")
    lines = []
    for device, mount_point in mounts:
        (root / mount_point.lstrip("/")).mkdir(parents=True, exist_ok=True)
        escaped = mount_point.replace(" ", "\\040")
        lines.append(f"{device} {escaped} vfat rw,nosuid,nodev 0 0")
    lines += ["proc /proc proc rw 0 0", "tmpfs /run tmpfs rw 0 0"]
    (root / "proc" / "self").mkdir(parents=True)
    (root / "proc" / "self" / "mounts").write_text("\n".join(lines) + "\n")


def test_removable_drives_on_linux_are_only_what_the_system_calls_removable(
    tmp_path: Path,
) -> None:
    fake_linux(
        tmp_path,
        {
            "sda/sda2": "0",
            "nvme0n1/nvme0n1p1": "0",
            "sdb/sdb1": "1",
            "sdc": "1",
            "mmcblk0/mmcblk0p1": "1",
        },
        [
            ("/dev/sda2", "/mnt/backup"),  # a system disk mounted under /mnt: never offered
            ("/dev/nvme0n1p1", "/media/aida/Data"),  # an internal disk in the user's folder
            ("/dev/sdb1", "/media/OLD"),
            ("/dev/sdc", "/run/media/aida/MY STICK"),
            ("/dev/mmcblk0p1", "/media/aida/ДОКУМЕНТЫ"),
        ],
    )
    (tmp_path / "mnt" / "other").mkdir()  # a folder nothing is mounted on
    drives = removable_drives(platform="linux", root=tmp_path, user="aida")
    # The user's own mounts first, then the rest; each by name.
    assert [d.label for d in drives] == ["MY STICK", "ДОКУМЕНТЫ", "OLD"]
    assert drives[0].path == tmp_path / "run" / "media" / "aida" / "MY STICK"
    assert removable_drives(platform="linux", root=tmp_path / "nothing", user="aida") == []


def test_removable_drives_on_macos_and_windows(tmp_path: Path) -> None:
    (tmp_path / "Volumes" / "USB DISK").mkdir(parents=True)
    (tmp_path / "Volumes" / "Macintosh HD").symlink_to(tmp_path)
    drives = removable_drives(platform="darwin", root=tmp_path)
    assert [d.label for d in drives] == ["USB DISK"]

    types = {"C:\\": 3, "E:\\": DRIVE_REMOVABLE, "F:\\": DRIVE_REMOVABLE}
    found = removable_drives(platform="win32", drive_type=lambda r: types.get(r, 1), letters="CEF")
    assert [d.label for d in found] == ["E:", "F:"]
    assert str(found[0].path) == "E:\\"


def test_the_import_summary_says_what_purged_records_left_out() -> None:
    summary = BundleSummary(
        "id",
        "records",
        "2026-01-01T00:00:00Z",
        "f" * 64,
        "Hub",
        None,
        True,
        True,
        2,
        1,
        5,
        3,
        1,
        "0" * 64,
    )
    plain = ImportResult("imported", summary, records_added=1)
    assert not any("Left out" in line for line in result_lines(plain))
    lines = result_lines(replace(plain, purged_skipped=4))
    assert any(line.startswith("Left out: 4 revisions or attachments") for line in lines)
