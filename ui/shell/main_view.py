"""The unlocked vault: a header (vault name, the global search box, Lock), a navigation list on
the left and one page at a time on the right.

Pages: the overview (counts, unsaved work in encrypted drafts, and the global search's
results), one table per record type, a read-only record page, a person's or a place's
dossier (from its page; its rows open their records), the record editor, Handoff
(bundles, receipts, purge), Contacts, the audit log and Settings. Each page has ``clear()``;
``MainView.clear()`` calls every one of them when the vault is locked, the editor last: it keeps
unsaved work as an encrypted draft first.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QSignalBlocker, QSize, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from monitor_app.i18n import _
from monitor_app.records.drafts import DraftSummary
from monitor_app.vault.device_secret import DeviceSecretStore
from monitor_app.vault.session import UnlockedVault
from ui.common.widgets import PlainTextLabel, shown_alone, wipe
from ui.handoff.contacts_page import ContactsPage
from ui.handoff.handoff_page import HandoffPage
from ui.records.dossier_page import DossierPage
from ui.records.editor import RecordEditorPage
from ui.records.record_detail_page import RecordDetailPage
from ui.records.record_list_page import RecordListPage
from ui.shell.audit_page import AuditPage
from ui.shell.overview_page import RECORD_TYPES, OverviewPage, count_caption
from ui.shell.settings_page import SettingsPage
from ui.shell.word_forms_upkeep import WordFormsUpkeep

SEARCH_DELAY_MS = 250
NAV_MAX_WIDTH = 210
NAV_ITEM_PADDING = 24  # the style sheet's item padding and the list's frame
SECTION_ROLE = Qt.ItemDataRole.UserRole
SECTIONS = ("overview", *RECORD_TYPES, "handoff", "contacts", "audit", "settings")


def section_label(key: str) -> str:
    if key in RECORD_TYPES:
        return count_caption(key)
    labels = {
        "overview": _("Overview"),
        "handoff": _("Handoff"),
        "contacts": _("Contacts"),
        "audit": _("Audit log"),
        "settings": _("Settings"),
    }
    return labels.get(key, key)


class MainView(QWidget):
    lock_requested = Signal()
    record_activated = Signal(str)  # a row or search result was opened (double-click, Enter)

    def __init__(
        self, parent: QWidget | None = None, *, device_store: DeviceSecretStore | None = None
    ) -> None:
        super().__init__(parent)
        self._vault: UnlockedVault | None = None
        self._return_to: QWidget | None = None
        self._dossier_return: QWidget | None = None  # where the dossier's record led back to

        self.name_label = PlainTextLabel(role="heading")
        self.organisation_label = PlainTextLabel(role="muted")
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText(
            _("Search all records: any language, e.g. пытки, кыйноо, torture, 酷刑")
        )
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.returnPressed.connect(self.run_search)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.run_search)
        self.search_edit.textEdited.connect(self._search_timer.start)
        self.lock_button = QPushButton(_("Lock"))
        self.lock_button.setToolTip(_("Lock the vault now (Ctrl+L)"))
        self.lock_button.clicked.connect(self.lock_requested)
        self.word_forms = WordFormsUpkeep()
        self.word_forms.setWordWrap(True)

        self.overview_page = OverviewPage()
        self.list_pages = {type_name: RecordListPage(type_name) for type_name in RECORD_TYPES}
        self.detail_page = RecordDetailPage()
        self.dossier_page = DossierPage()
        self.editor_page = RecordEditorPage()
        self.handoff_page = HandoffPage()
        self.contacts_page = ContactsPage()
        self.audit_page = AuditPage()
        self.settings_page = SettingsPage(device_store)
        self.pages: dict[str, QWidget] = {
            "overview": self.overview_page,
            **self.list_pages,
            "handoff": self.handoff_page,
            "contacts": self.contacts_page,
            "audit": self.audit_page,
            "settings": self.settings_page,
        }
        self.stack = QStackedWidget()
        for page in (*self.pages.values(), self.detail_page, self.dossier_page, self.editor_page):
            self.stack.addWidget(page)

        self.nav = QListWidget()
        self.nav.setProperty("role", "nav")
        for key in SECTIONS:
            if key in ("handoff", "settings"):
                # Gaps between the records, the exchanges with other people, and settings.
                gap = QListWidgetItem()
                gap.setFlags(Qt.ItemFlag.NoItemFlags)
                gap.setSizeHint(QSize(0, 12))
                self.nav.addItem(gap)
            item = QListWidgetItem(section_label(key))
            item.setData(SECTION_ROLE, key)
            self.nav.addItem(item)
        # As wide as the longest section name, up to a limit: longer names (Kyrgyz "places
        # of detention") wrap onto two lines, so that the pages keep room on a 1024 px screen.
        self.nav.setWordWrap(True)
        self.nav.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.nav.setFixedWidth(min(NAV_MAX_WIDTH, max(180, self.nav.sizeHintForColumn(0) + 32)))
        self.nav.setTextElideMode(Qt.TextElideMode.ElideNone)
        # The list sizes its items for one line: a name that wraps gets the height of its lines.
        room = self.nav.width() - NAV_ITEM_PADDING
        metrics = self.nav.fontMetrics()
        for row in range(self.nav.count()):
            item = self.nav.item(row)
            if item.text() and metrics.horizontalAdvance(item.text()) > room:
                lines = metrics.boundingRect(
                    QRect(0, 0, room, 10_000), Qt.TextFlag.TextWordWrap, item.text()
                )
                item.setSizeHint(QSize(room, lines.height() + NAV_ITEM_PADDING))
        self.nav.currentItemChanged.connect(self._nav_changed)
        # The section stays highlighted under a record page or the editor: clicking it (or
        # Enter on it) leads back to its page, which changing the current item cannot signal.
        self.nav.itemClicked.connect(self._nav_chosen)
        self.nav.itemActivated.connect(self._nav_chosen)

        self.overview_page.record_activated.connect(self.open_record)
        self.overview_page.draft_activated.connect(self.open_draft)
        self.editor_page.drafts_changed.connect(self.overview_page.refresh_drafts)
        for page in self.list_pages.values():
            page.record_activated.connect(self.open_record)
            page.new_requested.connect(self.new_record)
        self.detail_page.back_requested.connect(self.go_back)
        self.detail_page.edit_requested.connect(self.edit_record)
        self.detail_page.dossier_requested.connect(self.open_dossier)
        self.dossier_page.back_requested.connect(self._dossier_back)
        self.dossier_page.record_requested.connect(self.open_record)
        self.editor_page.saved.connect(self._records_changed)
        self.editor_page.deleted.connect(self._records_changed)
        self.editor_page.closed.connect(self.go_back)
        self.handoff_page.records_changed.connect(self._records_changed)
        self.handoff_page.contacts_requested.connect(lambda: self.show_section("contacts"))
        self.contacts_page.contacts_changed.connect(self.handoff_page.refresh)
        self.contacts_page.contacts_changed.connect(self.audit_page.refresh)

        titles = QVBoxLayout()
        titles.setSpacing(0)
        titles.addWidget(self.name_label)
        titles.addWidget(self.organisation_label)
        header = QHBoxLayout()
        header.addLayout(titles)
        header.addSpacing(16)
        header.addWidget(self.search_edit, 1)
        header.addWidget(self.lock_button)
        body = QHBoxLayout()
        body.addWidget(self.nav)
        body.addWidget(self.stack, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.word_forms)
        layout.addSpacing(8)
        layout.addLayout(body, 1)

    # -- vault -----------------------------------------------------------------------------
    def show_vault(self, vault: UnlockedVault) -> None:
        """Show ``vault``: its name, the overview; each list loads when first opened."""
        self.clear()
        self._vault = vault
        author = vault.author  # both read once at unlock, from the small meta table
        self.name_label.setText(shown_alone(vault.name or author.name))
        self.organisation_label.setText(shown_alone(author.organisation or ""))
        for page in self.list_pages.values():
            page.set_vault(vault)
        for other in (self.handoff_page, self.contacts_page, self.audit_page, self.settings_page):
            other.set_vault(vault)
        self.overview_page.show_vault(vault)
        self.show_section("overview")
        self.word_forms.start(vault)

    def clear(self) -> None:
        """Forget the vault and blank every page, label, box and model that showed it."""
        self._search_timer.stop()
        self.word_forms.stop()
        self._vault = None
        self._return_to = self._dossier_return = None
        self.name_label.clear()
        self.organisation_label.clear()
        wipe(self.search_edit)
        self.overview_page.clear()
        for page in self.list_pages.values():
            page.clear()
        self.detail_page.clear()
        self.dossier_page.clear()
        self.handoff_page.clear()
        self.contacts_page.clear()
        self.audit_page.clear()
        self.settings_page.clear()  # closes (and wipes) a passphrase dialog
        # Last: it writes unsaved work to an encrypted draft, once the reads above are gone.
        self.editor_page.clear()
        self.show_section("overview")

    def shutdown(self) -> None:
        """Clear, then wait for every background read (abandoned reads stop at once)."""
        self.clear()
        self.word_forms.shutdown()
        self.overview_page.shutdown()
        for page in self.list_pages.values():
            page.shutdown()
        self.detail_page.shutdown()
        self.dossier_page.shutdown()
        for other in (self.handoff_page, self.contacts_page, self.audit_page, self.settings_page):
            other.shutdown()
        self.editor_page.shutdown()

    # -- navigation ------------------------------------------------------------------------
    @property
    def current_section(self) -> str | None:
        item = self.nav.currentItem()
        key = item.data(SECTION_ROLE) if item is not None else None
        return key if isinstance(key, str) else None

    def nav_row(self, key: str) -> int:
        """The navigation list's row of section ``key``."""
        for row in range(self.nav.count()):
            if self.nav.item(row).data(SECTION_ROLE) == key:
                return row
        raise KeyError(key)

    def show_section(self, key: str) -> None:
        row = self.nav_row(key)
        if self.nav.currentRow() != row:
            with QSignalBlocker(self.nav):
                self.nav.setCurrentRow(row)
        self._enter(key)

    @Slot(QListWidgetItem, QListWidgetItem)
    def _nav_changed(self, current: QListWidgetItem | None, _previous: object) -> None:
        key = current.data(SECTION_ROLE) if current is not None else None
        if isinstance(key, str):
            self._enter(key)

    @Slot(QListWidgetItem)
    def _nav_chosen(self, item: QListWidgetItem) -> None:
        key = item.data(SECTION_ROLE)
        if isinstance(key, str) and self.stack.currentWidget() is not self.pages[key]:
            self._enter(key)  # as any navigation: unsaved work is kept as a draft

    def _enter(self, key: str) -> None:
        self.detail_page.clear()
        self.dossier_page.clear()
        self.editor_page.clear()  # unsaved work stays as an encrypted draft
        self._return_to = self._dossier_return = None
        page = self.pages[key]
        self.stack.setCurrentWidget(page)
        if isinstance(page, RecordListPage) and self._vault is not None:
            page.ensure_loaded()
        elif page is self.handoff_page or page is self.audit_page or page is self.settings_page:
            page.refresh()

    @Slot(str)
    def open_record(self, record_id: str) -> None:
        if self._vault is None:
            return
        self.record_activated.emit(record_id)
        if self.stack.currentWidget() is not self.detail_page:
            self._return_to = self.stack.currentWidget()
        self.detail_page.show_record(self._vault, record_id)
        self.stack.setCurrentWidget(self.detail_page)
        self.detail_page.back_button.setFocus()

    @Slot(str, str)
    def open_dossier(self, kind: str, record_id: str) -> None:
        """A person's or a place's dossier, from its page; Back leads to that page again."""
        if self._vault is None:
            return
        if self._return_to is not self.dossier_page:
            # The record's own Back: kept for when the dossier leads back to the record.
            self._dossier_return = self._return_to
        self.detail_page.clear()
        self.dossier_page.show_dossier(self._vault, kind, record_id)
        self.stack.setCurrentWidget(self.dossier_page)
        self.dossier_page.back_button.setFocus()

    @Slot()
    def _dossier_back(self) -> None:
        record_id = self.dossier_page.record_id
        self.dossier_page.clear()
        self._return_to, self._dossier_return = self._dossier_return, None
        if self._vault is None or record_id is None:
            self.go_back()
            return
        self.detail_page.show_record(self._vault, record_id)
        self.stack.setCurrentWidget(self.detail_page)
        self.detail_page.back_button.setFocus()

    @Slot(str)
    def new_record(self, type_name: str) -> None:
        if self._vault is None:
            return
        self._remember_return()
        self.editor_page.new_record(self._vault, type_name)
        self.stack.setCurrentWidget(self.editor_page)

    @Slot(str)
    def edit_record(self, record_id: str) -> None:
        if self._vault is None:
            return
        if self.stack.currentWidget() is self.detail_page:
            self.detail_page.clear()
        else:
            self._remember_return()
        self.editor_page.open_record(self._vault, record_id)
        self.stack.setCurrentWidget(self.editor_page)

    @Slot(object)
    def open_draft(self, draft: DraftSummary) -> None:
        """Go on with unsaved work: the editor, with the draft restored."""
        if self._vault is None:
            return
        self._remember_return()
        self.editor_page.open_draft(self._vault, draft, restore=True)
        self.stack.setCurrentWidget(self.editor_page)

    def _remember_return(self) -> None:
        current = self.stack.currentWidget()
        if current is not self.detail_page and current is not self.editor_page:
            self._return_to = current

    @Slot()
    def _records_changed(self, *_args: object) -> None:
        """A save, delete, import or purge: lists and counts show it, the log records it."""
        for page in self.list_pages.values():
            page.refresh()
        if self._vault is not None:
            self.overview_page.show_vault(self._vault)
            kind, record_id = self.dossier_page.kind, self.dossier_page.record_id
            if kind is not None and record_id is not None:  # a dossier to go back to
                self.dossier_page.show_dossier(self._vault, kind, record_id)
        self.audit_page.refresh()

    @Slot()
    def go_back(self) -> None:
        page, self._return_to = self._return_to or self.overview_page, None
        self.detail_page.clear()
        self.stack.setCurrentWidget(page)
        if isinstance(page, RecordListPage):
            page.view.setFocus()
        elif page is self.overview_page:
            page.results_list.setFocus()

    # -- global search ---------------------------------------------------------------------
    @Slot()
    def run_search(self) -> None:
        """Search every record for the text in the box; the overview shows the results."""
        self._search_timer.stop()
        query = self.search_edit.text()
        self.overview_page.search(query)
        if query.strip():
            self.show_section("overview")
