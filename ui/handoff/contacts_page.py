"""Contacts: the cards of other vaults, checked by fingerprint, some chosen for handoffs; and
this vault's own card to give out.

Every read and write of the vault runs off the GUI thread (an export may hold the vault for a
while): each action's job does its change and reads the list again, so the table always shows
what the vault holds. Names, organisations and roles come from cards other people made: they
are shown as plain, one-line, bidi-isolated text, and never in a window title. Trust is
spelled out in its own column (VERIFIED / UNVERIFIED), not shown by colour alone.

File choosers and the removal question are attributes, so tests replace them instead of
opening modal dialogs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from monitor_app.errors import MonitorError
from monitor_app.fsutil import atomic_writer
from monitor_app.i18n import _
from monitor_app.identity.card import MAX_CARD_BYTES
from monitor_app.identity.contacts import Contact
from monitor_app.jobs import CancelToken, Progress
from monitor_app.messages import describe
from monitor_app.vault.session import UnlockedVault
from ui.common import file_dialogs
from ui.common.table_fit import ColumnFitter
from ui.common.widgets import (
    ErrorLabel,
    FlowLayout,
    PlainTextLabel,
    one_line,
    scrolling_layout,
    shown_line,
)
from ui.common.workers import JobRunner
from ui.handoff.fingerprint_dialog import FingerprintDialog, OwnCardPanel, mark_trust, trust_text

FINGERPRINT_ROLE = Qt.ItemDataRole.UserRole
COLUMNS = ("name", "organisation", "role", "trust", "handoff", "fingerprint")


def column_title(key: str) -> str:
    titles = {
        "name": _("Name"),
        "organisation": _("Organisation"),
        "role": _("Role"),
        "trust": _("Fingerprint checked"),
        "handoff": _("Receives handoffs"),
        "fingerprint": _("Fingerprint"),
    }
    return titles.get(key, key)


@dataclass(frozen=True)
class Snapshot:
    contacts: list[Contact]
    own_fingerprint: str
    own_name: str
    own_organisation: str | None


def read_snapshot(vault: UnlockedVault) -> Snapshot:
    author = vault.author
    return Snapshot(
        vault.contacts.list(), vault.identity.fingerprint, author.name, author.organisation
    )


def read_card(path: Path) -> bytes:
    """The card file; one byte more than a card may hold, so the card parser says too_large."""
    try:
        with open(path, "rb") as handle:
            return handle.read(MAX_CARD_BYTES + 1)
    except OSError:
        raise MonitorError("file_unreadable", path=str(path)) from None


class ContactsPage(QWidget):
    contacts_changed = Signal()  # a contact was added, verified, changed or removed
    loaded = Signal()  # the list, or the error saying why not, is on screen

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._vault: UnlockedVault | None = None
        self._contacts: list[Contact] = []
        self._own_fingerprint = ""
        self._runner = JobRunner(self)
        self.fingerprint_dialog: FingerprintDialog | None = None
        self._question: QMessageBox | None = None
        self.open_file: Callable[[QWidget, str], str] = file_dialogs.open_file
        self.save_file: Callable[[QWidget, str, str], str] = file_dialogs.save_file
        self.confirm: Callable[[str, str], bool] = self._ask

        intro = PlainTextLabel(
            _(
                "Cards of the people and hubs you exchange bundles with. A card is UNVERIFIED "
                "until you have compared its fingerprint aloud with its owner."
            ),
            role="muted",
        )
        intro.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels([column_title(key) for key in COLUMNS])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        # Trust and handoffs are shown whole; names, organisations, roles and fingerprints
        # give up width ("…", whole in the tooltip), and on a small screen the fingerprint
        # column goes (the card under the table and Verify… show it): the table never
        # scrolls sideways and its titles stay whole.
        self.column_fitter = ColumnFitter(
            self.table,
            shrinkable=[COLUMNS.index(k) for k in ("name", "organisation", "role", "fingerprint")],
            optional=[COLUMNS.index("fingerprint"), COLUMNS.index("role")],
        )
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.itemActivated.connect(lambda _item: self.verify_selected())

        self.add_button = _button(_("Add card…"), self.add_card)
        self.verify_button = _button(_("Verify…"), self.verify_selected)
        self.recipient_button = _button(_("Set as handoff recipient"), self.toggle_recipient)
        self.custodian_button = _button(_("Keeps my records"), self.toggle_custodian)
        self.custodian_button.setToolTip(
            _(
                "A custodian (the hub, the coalition's archive) holds your records for good:"
                " only a custodian's receipt lets Purge remove what you handed off."
            )
        )
        self.remove_button = _button(_("Remove"), self.remove_selected)
        # Wraps onto a second row where the labels are long (Kyrgyz, French).
        actions = FlowLayout()
        for button in (
            self.add_button,
            self.verify_button,
            self.recipient_button,
            self.custodian_button,
            self.remove_button,
        ):
            actions.addWidget(button)
        self.selection_label = PlainTextLabel(role="muted")
        self.status_label = PlainTextLabel(role="note")
        self.status_label.setVisible(False)
        self.error_label = ErrorLabel()
        for label in (self.selection_label, self.status_label):
            label.setWordWrap(True)

        left = QVBoxLayout()
        left.addWidget(self.table, 1)
        left.addLayout(actions)
        left.addWidget(self.selection_label)
        left.addWidget(self.status_label)
        left.addWidget(self.error_label)
        body = QVBoxLayout()
        body.addLayout(left, 1)
        self.own_card = OwnCardPanel()
        self.own_card.save_button.clicked.connect(self.save_my_card)
        body.addWidget(self.own_card)
        layout = scrolling_layout(self)
        layout.addWidget(PlainTextLabel(_("Contacts"), role="heading"))
        layout.addWidget(intro)
        layout.addLayout(body, 1)
        self._update_buttons()

    # -- vault -----------------------------------------------------------------------------
    def set_vault(self, vault: UnlockedVault) -> None:
        self.clear()
        self._vault = vault
        self.refresh()

    def clear(self) -> None:
        """Forget the vault; blank the table, the own card, every message and open dialog."""
        self._runner.cancel()
        self._vault = None
        self._contacts = []
        self._own_fingerprint = ""
        self._close_dialogs()
        self.table.clearContents()
        self.table.setRowCount(0)
        self.selection_label.clear()
        self.own_card.clear()
        self._show_status("")
        self.error_label.clear()
        self._update_buttons()

    def shutdown(self) -> None:
        self.clear()
        self._runner.shutdown()

    @property
    def busy(self) -> bool:
        return self._runner.busy

    def refresh(self) -> None:
        self._run(lambda vault: None, lambda _result: "")

    # -- actions ---------------------------------------------------------------------------
    @Slot()
    def add_card(self) -> None:
        chosen = self.open_file(self, _("Add a contact card")) if self._vault else ""
        if not chosen:
            return
        path = Path(chosen)

        def said(contact: Contact) -> str:
            if contact.verified:
                return _("Saved the card of {name}. It is VERIFIED.").format(
                    name=shown(contact.name)
                )
            return _(
                "Saved the card of {name}. It is UNVERIFIED: compare fingerprints with them "
                "(Verify…) before you send them bundles or import theirs."
            ).format(name=shown(contact.name))

        self._run(lambda vault: vault.contacts.add(read_card(path)), said)

    @Slot()
    def verify_selected(self) -> None:
        contact = self.selected_contact()
        if contact is None or contact.verified or self.busy:
            return
        self._close_dialogs()
        dialog = FingerprintDialog(
            contact.name, contact.fingerprint, self._own_fingerprint or None, self
        )
        dialog.verified.connect(self._mark_verified)
        dialog.finished.connect(lambda _code, d=dialog: self._dialog_closed(d))
        self.fingerprint_dialog = dialog
        dialog.open()

    @Slot(str)
    def _mark_verified(self, fingerprint: str) -> None:
        self._run(
            lambda vault: vault.contacts.verify(fingerprint),
            lambda contact: _("{name} is now VERIFIED.").format(name=shown(contact.name)),
        )

    @Slot()
    def toggle_recipient(self) -> None:
        contact = self.selected_contact()
        if contact is None or not contact.verified:
            return
        fingerprint, wanted = contact.fingerprint, not contact.handoff_recipient
        on = _("{name} is now offered as a recipient of every export.")
        off = _("{name} is no longer offered as a recipient of exports.")
        self._run(
            lambda vault: vault.contacts.set_handoff_recipient(fingerprint, wanted),
            lambda changed: (on if changed.handoff_recipient else off).format(
                name=shown(changed.name)
            ),
        )

    @Slot()
    def toggle_custodian(self) -> None:
        contact = self.selected_contact()
        if contact is None or not contact.verified:
            return
        fingerprint, wanted = contact.fingerprint, not contact.custodian
        on = _("{name} now keeps your records: their receipts let Purge free this computer.")
        off = _("Receipts from {name} no longer let Purge remove anything.")
        self._run(
            lambda vault: vault.contacts.set_custodian(fingerprint, wanted),
            lambda changed: (on if changed.custodian else off).format(name=shown(changed.name)),
        )

    @Slot()
    def remove_selected(self) -> None:
        contact = self.selected_contact()
        if contact is None or self.busy:
            return
        name, fingerprint = shown(contact.name), contact.fingerprint
        question = _(
            "Remove the contact {name} ({fingerprint})? You will no longer be able to send "
            "them bundles, and bundles they sign will be held in quarantine until you add and "
            "verify their card again."
        ).format(name=name, fingerprint=contact.fingerprint_display)
        if self.confirm(_("Remove contact"), question):
            self._run(
                lambda vault: vault.contacts.remove(fingerprint),
                lambda _result: _("Removed the contact {name}.").format(name=name),
            )

    @Slot()
    def save_my_card(self) -> None:
        chosen = self.save_file(self, _("Save my contact card"), "my.card") if self._vault else ""
        if not chosen:
            return
        target, role = Path(chosen), one_line(self.own_card.role_edit.text()) or None

        def save(vault: UnlockedVault) -> Path:
            data = vault.identity.card(role=role)
            with atomic_writer(target) as handle:  # replaced whole or not at all
                handle.write(data)
            return target

        said = _(
            "Your card was saved to {path}. Give it to your contacts and read your fingerprint "
            "aloud to them."
        )
        self._run(save, lambda path: said.format(path=path))

    # -- selection -------------------------------------------------------------------------
    def selected_contact(self) -> Contact | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        item = self.table.item(rows[0].row(), 0)
        fingerprint = item.data(FINGERPRINT_ROLE) if item is not None else None
        return next((c for c in self._contacts if c.fingerprint == fingerprint), None)

    def select_fingerprint(self, fingerprint: str) -> None:
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 0)
            if item is not None and item.data(FINGERPRINT_ROLE) == fingerprint:
                self.table.selectRow(row)
                return

    @Slot()
    def _update_buttons(self) -> None:
        contact = self.selected_contact()
        idle = self._vault is not None and not self.busy
        self.add_button.setEnabled(idle)
        self.own_card.setEnabled(idle)
        self.verify_button.setEnabled(idle and contact is not None and not contact.verified)
        self.recipient_button.setEnabled(idle and contact is not None and contact.verified)
        self.remove_button.setEnabled(idle and contact is not None)
        recipient = contact is not None and contact.handoff_recipient
        self.recipient_button.setText(
            _("Stop handoffs to them") if recipient else _("Set as handoff recipient")
        )
        self.custodian_button.setEnabled(idle and contact is not None and contact.verified)
        custodian = contact is not None and contact.custodian
        self.custodian_button.setText(
            _("No longer keeps my records") if custodian else _("Keeps my records")
        )
        if contact is None:
            self.selection_label.clear()
        elif contact.verified:
            text = _("{name}: VERIFIED. Their bundles are imported; you can send them yours.")
            self.selection_label.setText(text.format(name=shown(contact.name)))
        else:
            text = _(
                "{name}: UNVERIFIED. Their bundles are held in quarantine and you cannot send "
                "them any until you compare fingerprints (Verify…)."
            )
            self.selection_label.setText(text.format(name=shown(contact.name)))

    # -- running jobs ----------------------------------------------------------------------
    def _run(self, change: Callable[[UnlockedVault], Any], said: Callable[[Any], str]) -> None:
        """Run ``change`` and then read the list again, off the GUI thread; show the list and
        ``said(result)``; select the contact a change returns. Any message means something
        changed: ``contacts_changed`` tells the other screens."""
        vault = self._vault
        if vault is None or self.busy:
            return
        self.error_label.clear()

        def job(cancel: CancelToken, progress: Progress) -> tuple[Any, Snapshot]:
            result = change(vault)
            return result, read_snapshot(vault)

        def done(outcome: Any) -> None:
            result, snapshot = outcome
            self._show(snapshot)
            if isinstance(result, Contact):
                self.select_fingerprint(result.fingerprint)
            message = said(result)
            self._show_status(message)
            if message:
                self.contacts_changed.emit()
            self._update_buttons()
            self.loaded.emit()

        self._runner.start(job, on_success=done, on_failure=self._failed)
        self._update_buttons()

    def _failed(self, error: MonitorError) -> None:
        self._show_status("")
        self.error_label.show_message(describe(error))
        self._update_buttons()
        self.loaded.emit()

    def _show_status(self, text: str) -> None:
        self.status_label.setText(text)
        self.status_label.setVisible(bool(text))

    def _show(self, snapshot: Snapshot) -> None:
        selected = self.selected_contact()
        self._contacts = snapshot.contacts
        self._own_fingerprint = snapshot.own_fingerprint
        self.table.clearContents()
        self.table.setRowCount(len(snapshot.contacts))
        for row, contact in enumerate(snapshot.contacts):
            for column, key in enumerate(COLUMNS):
                item = QTableWidgetItem(cell_text(key, contact))
                if key == "trust":
                    mark_trust(item, contact.verified)
                elif key == "fingerprint":
                    item.setToolTip(contact.fingerprint_display)
                elif key in ("name", "organisation"):
                    item.setToolTip(item.text())  # whole, where the column cuts it short
                self.table.setItem(row, column, item)
            first = self.table.item(row, 0)
            if first is not None:
                first.setData(FINGERPRINT_ROLE, contact.fingerprint)
        if selected is not None:
            self.select_fingerprint(selected.fingerprint)
        self.own_card.show_card(
            snapshot.own_name, snapshot.own_organisation, snapshot.own_fingerprint
        )

    # -- dialogs ---------------------------------------------------------------------------
    def _ask(self, title: str, text: str) -> bool:
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, parent=self)
        box.setTextFormat(Qt.TextFormat.PlainText)  # the text names a contact
        box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        self._question = box
        try:
            return box.exec() == QMessageBox.StandardButton.Yes
        finally:
            self._question = None
            box.deleteLater()

    def _dialog_closed(self, dialog: FingerprintDialog) -> None:
        if self.fingerprint_dialog is dialog:
            self.fingerprint_dialog = None
        dialog.clear()
        dialog.deleteLater()

    def _close_dialogs(self) -> None:
        dialog, self.fingerprint_dialog = self.fingerprint_dialog, None
        if dialog is not None:
            dialog.clear()
            dialog.reject()
        if self._question is not None:
            self._question.setText("")
            self._question.reject()


def _button(text: str, slot: Callable[[], None]) -> QPushButton:
    button = QPushButton(text)
    button.clicked.connect(slot)
    return button


def shown(text: str | None) -> str:
    """Text from a card, on one line and bidi-isolated; nothing for a missing value."""
    return shown_line(text) if text else ""


def cell_text(key: str, contact: Contact) -> str:
    if key in ("name", "organisation", "role"):
        return shown(getattr(contact, key))
    if key == "trust":
        return trust_text(contact.verified)
    if key == "handoff":
        return _("Yes") if contact.handoff_recipient else _("No")
    # Its start tells two cards apart at a glance; the whole one (32 digits) would push the
    # names and trust out of sight. The tooltip and Verify… show it whole, to compare.
    return " ".join(contact.fingerprint_display.split()[:2]) + " …"
