"""Confirming a purge: what it removes and keeps, from the dry runs the Handoff page made."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QLayout,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from monitor_app import counted
from monitor_app.bundles import purge
from monitor_app.i18n import _, ngettext
from ui.common.widgets import ErrorLabel, PlainTextLabel


class PurgeDialog(QDialog):
    """What a purge removes and keeps, from dry runs; the withheld option clearly warned."""

    def __init__(
        self, plain: purge.PurgeResult, withheld: purge.PurgeResult, parent: QWidget | None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Purge handed-off records"))
        self._plain, self._withheld = plain, withheld
        self.text_label = PlainTextLabel(role="note")
        self.text_label.setWordWrap(True)
        kept = len(plain.kept_withheld)
        self.include_box = QCheckBox(
            ngettext(
                "Also remove the {n} person whose identifying fields were withheld",
                "Also remove the {n} people whose identifying fields were withheld",
                kept,
            ).format(n=kept)
        )
        self.include_box.setVisible(kept > 0)
        self.include_box.toggled.connect(self._update)
        self.warning_label = ErrorLabel()
        self.purge_button = QPushButton()
        self.purge_button.clicked.connect(self.accept)
        cancel = QPushButton(_("Cancel"))
        cancel.setDefault(True)  # Enter must not purge
        cancel.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.purge_button)
        layout = QVBoxLayout(self)
        layout.addWidget(PlainTextLabel(_("Purge handed-off records"), role="heading"))
        layout.addWidget(self.text_label)
        layout.addWidget(self.include_box)
        layout.addWidget(self.warning_label)
        layout.addLayout(buttons)
        # Sized to its text, which changes with the option: wrapped labels are never cut.
        layout.setSizeConstraint(QLayout.SizeConstraint.SetFixedSize)
        self._update()

    @property
    def include_withheld(self) -> bool:
        return self.include_box.isChecked()

    def _update(self) -> None:
        chosen = self._withheld if self.include_withheld else self._plain
        records, attachments = len(chosen.purged), chosen.attachments
        lines = [
            _(
                "{records} and {attachments} are held by a custodian of your "
                "records, as their receipts say item by item. They will be removed from this "
                "vault with their whole history; a stub (id, type, date, receipt) of each stays "
                "so that links still work. The vault is then re-encrypted under a new key. This "
                "cannot be undone."
            ).format(records=counted.records(records), attachments=counted.attachments(attachments))
        ]
        if self._plain.kept_withheld and not self.include_withheld:
            lines.append(
                ngettext(
                    "{n} person is kept: their identifying fields were withheld for lack of "
                    "consent, so they exist only in this vault.",
                    "{n} people are kept: their identifying fields were withheld for lack of "
                    "consent, so they exist only in this vault.",
                    len(self._plain.kept_withheld),
                ).format(n=len(self._plain.kept_withheld))
            )
        if chosen.kept_draft:
            lines.append(
                _(
                    "Records kept because they have unsaved changes here: {n}. Save or discard "
                    "those drafts, then purge again."
                ).format(n=len(chosen.kept_draft))
            )
        lines.append(
            _(
                "If this laptop is at risk, change the passphrase afterwards: an older copy of "
                "the vault would still open with the current one."
            )
        )
        self.text_label.setText("\n\n".join(lines))
        self.warning_label.show_message(
            _(
                "Their real names, dates of birth, documents, contacts and addresses exist "
                "nowhere else and will be lost for good."
            )
            if self.include_withheld
            else ""
        )
        self.purge_button.setText(
            ngettext("Purge {n} record", "Purge {n} records", records).format(n=records)
        )
        self.purge_button.setEnabled(records > 0)

    def clear(self) -> None:
        self.text_label.clear()
        self.warning_label.clear()
