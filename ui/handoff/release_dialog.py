"""Releasing a quarantined bundle: its import summary, read from the copy the vault kept, and
one button to merge it (monitor_app/bundles/quarantine.py does the work)."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QHBoxLayout, QLayout, QPushButton, QVBoxLayout, QWidget

from monitor_app.bundles import quarantine
from monitor_app.bundles.importing import ImportResult
from monitor_app.i18n import _
from monitor_app.jobs import CancelToken, Progress
from monitor_app.vault.session import UnlockedVault
from ui.common.widgets import PlainTextLabel
from ui.handoff.import_wizard import Checked, check_bundle, summary_lines


def check_kept(
    vault: UnlockedVault, bundle_id: str, author: str, progress: Progress, cancel: CancelToken
) -> Checked:
    """The import wizard's summary and dry run, over the kept copy of the bundle."""
    copy = quarantine.checked_copy(vault, bundle_id, author, cancel)
    return check_bundle(vault, copy, progress, cancel)


def release_kept(
    vault: UnlockedVault, bundle_id: str, author: str, progress: Progress, cancel: CancelToken
) -> ImportResult:
    return quarantine.release(vault, bundle_id, author, progress, cancel)


class ReleaseDialog(QDialog):
    """The summary of a bundle about to leave quarantine; accepted: merge it."""

    def __init__(self, checked: Checked, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Release from quarantine"))
        self.summary_label = PlainTextLabel("\n".join(summary_lines(checked)), role="note")
        self.summary_label.setWordWrap(True)
        self.release_button = QPushButton(_("Import it now"))
        self.release_button.setProperty("primary", True)
        self.release_button.clicked.connect(self.accept)
        cancel = QPushButton(_("Cancel"))
        cancel.setDefault(True)  # Enter must not merge
        cancel.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.release_button)
        layout = QVBoxLayout(self)
        layout.addWidget(PlainTextLabel(_("Release from quarantine"), role="heading"))
        layout.addWidget(self.summary_label)
        layout.addLayout(buttons)
        # Sized to its text: wrapped labels are never cut.
        layout.setSizeConstraint(QLayout.SizeConstraint.SetFixedSize)
