"""Settings: the language and the auto-lock delay (this computer's, monitor_app/settings.py),
and the vault's passphrase slot: the keyring, the key-derivation strength, the passphrase.

Every change to the slot re-wraps the data key (``lifecycle.change_passphrase``), so each asks
for the passphrase first, in a dialog, and checks it against the slot before anything is
written: the vault is unlocked, but whoever sits at an unlocked laptop must not be able to
lock its owner out or tie the vault to a keyring they control. The work (Argon2id, a verified
slot-file swap) runs on a worker. The passphrase boxes are wiped as soon as they are read.

Form rows are labelled with ``PlainTextLabel``: the label QFormLayout makes from a string
guesses rich text, and every label under the main view is plain (tests check it).
"""

from __future__ import annotations

from PySide6.QtCore import QLocale, QSignalBlocker, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from monitor_app import settings
from monitor_app.crypto import kdf
from monitor_app.errors import MonitorError, VaultError
from monitor_app.i18n import LANGUAGE_NAMES, SHIPPED_LANGUAGES, _, ngettext
from monitor_app.jobs import CancelToken, Progress
from monitor_app.messages import describe
from monitor_app.vault import keyslots, lifecycle
from monitor_app.vault.device_secret import DeviceSecretStore, default_store
from monitor_app.vault.session import UnlockedVault
from ui.access.create_page import keyring_explanation
from ui.common.widgets import (
    ErrorLabel,
    PassphraseEdit,
    PlainTextLabel,
    muted_note,
    scrolling_layout,
    titled_card,
    wipe,
)
from ui.common.workers import JobRunner

MIN_LENGTH = lifecycle.MIN_PASSPHRASE_LENGTH


def strength_text(params: kdf.KdfParams) -> str:
    locale = QLocale()  # numbers as the language writes them
    return _("Argon2id, {memory} MiB of memory, {passes} passes").format(
        memory=locale.toString(params.memory_kib // 1024), passes=locale.toString(params.iterations)
    )


# -- the passphrase dialog -------------------------------------------------------------------
class PassphraseDialog(QDialog):
    """Asks for the passphrase (and, to change it, a new one twice). ``submitted`` is emitted on
    OK; the page reads the boxes with ``take`` (which wipes them) and closes the dialog when the
    work is done, or shows the error and lets the person try again."""

    submitted = Signal()

    def __init__(self, title: str, intro: str, action: str, *, new: bool, parent: QWidget) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setModal(True)
        self.busy = False
        text = PlainTextLabel(intro)
        text.setWordWrap(True)
        self.current_edit = PassphraseEdit(_("The passphrase you unlock with"))
        self.new_edit = PassphraseEdit(
            ngettext("At least {n} character", "At least {n} characters", MIN_LENGTH).format(
                n=MIN_LENGTH
            )
        )
        self.repeat_edit = PassphraseEdit(_("The same passphrase again"))
        form = QFormLayout()
        form.addRow(
            PlainTextLabel(_("Passphrase now") if new else _("Passphrase")), self.current_edit
        )
        if new:
            form.addRow(PlainTextLabel(_("New passphrase")), self.new_edit)
            form.addRow(PlainTextLabel(_("Repeat new passphrase")), self.repeat_edit)
        self.edits = (
            (self.current_edit, self.new_edit, self.repeat_edit) if new else (self.current_edit,)
        )
        self.error_label = ErrorLabel()
        self.status_label = PlainTextLabel(role="muted")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.addButton(action, QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok_button.setDefault(True)
        self.ok_button.clicked.connect(self._submit)
        self.buttons.rejected.connect(self.reject)
        for edit in self.edits:
            edit.textChanged.connect(self._update_button)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.status_label)
        layout.addWidget(self.buttons)
        self._update_button()

    def take(self) -> tuple[str, str, str]:
        """The passphrase, the new one and its repetition; every box is wiped."""
        texts = (self.current_edit.text(), self.new_edit.text(), self.repeat_edit.text())
        self.clear()
        return texts

    def set_busy(self, busy: bool, text: str = "") -> None:
        self.busy = busy
        for edit in self.edits:
            edit.setEnabled(not busy)
        self.buttons.setEnabled(not busy)
        self.status_label.setText(text)
        if busy:
            self.error_label.clear()
        self._update_button()

    def show_error(self, message: str, focus: PassphraseEdit | None = None) -> None:
        self.error_label.show_message(message)
        (focus or self.current_edit).setFocus()

    def clear(self) -> None:
        for edit in (self.current_edit, self.new_edit, self.repeat_edit):
            wipe(edit)

    def reject(self) -> None:
        # Work under way cannot be taken back (the slot file may be being swapped): the
        # dialog stays until it is done. Locking closes it anyway (close_now).
        if not self.busy:
            self.clear()
            super().reject()

    def close_now(self) -> None:
        self.busy = False
        self.error_label.clear()
        self.reject()

    @Slot()
    def _submit(self) -> None:
        if self.ok_button.isEnabled():
            self.submitted.emit()

    @Slot()
    def _update_button(self) -> None:
        self.ok_button.setEnabled(not self.busy and all(edit.text() for edit in self.edits))


# -- the page --------------------------------------------------------------------------------
class SettingsPage(QWidget):
    auto_lock_changed = Signal(int)  # minutes, saved
    work_done = Signal()  # a change to the passphrase slot finished, or failed
    timed = Signal()  # the time one unlock takes is on screen

    def __init__(
        self, device_store: DeviceSecretStore | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._vault: UnlockedVault | None = None
        self._store = device_store or default_store()
        self._saved = settings.Settings()
        self._timed: kdf.KdfParams | None = None  # whose unlock time is shown
        self._worker, self._timer = JobRunner(self), JobRunner(self)
        self.dialog: PassphraseDialog | None = None

        general, general_layout = titled_card(_("This computer"))
        self.language_combo = QComboBox()
        self.language_combo.addItem(_("The system's language"), None)
        for code in SHIPPED_LANGUAGES:
            self.language_combo.addItem(LANGUAGE_NAMES[code], code)
        self.auto_lock_spin = QSpinBox()
        self.auto_lock_spin.setRange(settings.MIN_AUTO_LOCK_MINUTES, settings.MAX_AUTO_LOCK_MINUTES)
        form = QFormLayout()
        form.addRow(PlainTextLabel(_("Language")), self.language_combo)
        form.addRow(
            PlainTextLabel(_("Lock after this many minutes without use")), self.auto_lock_spin
        )
        self.save_button = QPushButton(_("Save settings"))
        self.save_button.clicked.connect(self.save_settings)
        self.settings_status = muted_note()
        row = QHBoxLayout()
        row.addWidget(self.settings_status, 1)
        row.addWidget(self.save_button)
        general_layout.addLayout(form)
        general_layout.addWidget(
            muted_note(
                _(
                    "A new language is used from the next start of the app. Ctrl+L locks the "
                    "vault at once, at any time. Locking keeps unsaved edits in an encrypted draft."
                )
            )
        )
        general_layout.addLayout(row)

        keyring, keyring_layout = titled_card(_("System keyring"))
        self.remember_box = QCheckBox(_("Remember on this computer (system keyring)"))
        self.remember_box.clicked.connect(self._remember_clicked)
        self.remember_note = muted_note()
        keyring_layout.addWidget(self.remember_box)
        keyring_layout.addWidget(self.remember_note)

        strength, strength_layout = titled_card(_("Passphrase key strength"))
        self.kdf_label = PlainTextLabel()
        self.kdf_time_label = muted_note()
        self.recalibrate_button = QPushButton(_("Recalibrate for this computer…"))
        self.recalibrate_button.clicked.connect(lambda: self.ask("recalibrate"))
        strength_layout.addWidget(self.kdf_label)
        strength_layout.addWidget(self.kdf_time_label)
        strength_layout.addWidget(
            muted_note(
                _(
                    "Unlocking is slow on purpose: every guess at the passphrase costs an "
                    "attacker as much. Recalibrating picks the strongest setting that unlocks "
                    "in about a second here; on a slower computer that may be weaker than now."
                )
            )
        )
        strength_layout.addWidget(self.recalibrate_button)

        passphrase, passphrase_layout = titled_card(_("Passphrase"))
        self.change_button = QPushButton(_("Change passphrase…"))
        self.change_button.clicked.connect(lambda: self.ask("change"))
        passphrase_layout.addWidget(
            muted_note(_("The recovery code stays the same and still opens the vault."))
        )
        passphrase_layout.addWidget(self.change_button)

        self.status_label = muted_note()
        self.error_label = ErrorLabel()
        content_layout = scrolling_layout(self)
        content_layout.addWidget(PlainTextLabel(_("Settings"), role="heading"))
        for widget in (general, keyring, strength, passphrase):
            content_layout.addWidget(widget)
        content_layout.addWidget(self.status_label)
        content_layout.addWidget(self.error_label)
        content_layout.addStretch(1)
        self.clear()

    # -- vault -----------------------------------------------------------------------------
    def set_vault(self, vault: UnlockedVault) -> None:
        self.clear()
        self._vault = vault
        self._show_settings()
        self._show_slot()

    def refresh(self) -> None:
        """The page is shown: the saved settings, and how long unlocking takes (measured once
        per KDF setting, on a worker: it costs a second of work and the setting's memory)."""
        vault = self._vault
        if vault is None or vault.is_locked:
            return
        self._show_settings()
        slot = vault.slots.slot_of_type("passphrase")
        if slot is None or slot.kdf_params == self._timed or self._timer.busy:
            return
        params = self._timed = slot.kdf_params
        self.kdf_time_label.setText(_("Measuring how long unlocking takes here…"))

        def job(cancel: CancelToken, progress: Progress) -> float:
            return settings.unlock_seconds(params)

        self._timer.start(job, on_success=self._show_time, on_failure=self._time_failed)

    def clear(self) -> None:
        """Forget the vault; close and wipe the passphrase dialog."""
        self._worker.cancel()
        self._timer.cancel()
        self._close_dialog()
        self._vault = None
        self._timed = None
        for label in (self.kdf_label, self.kdf_time_label, self.status_label, self.settings_status):
            label.clear()
        self.error_label.clear()
        with QSignalBlocker(self.remember_box):
            self.remember_box.setChecked(False)
        for widget in (self.remember_box, self.recalibrate_button, self.change_button):
            widget.setEnabled(False)

    def shutdown(self) -> None:
        self.clear()
        self._worker.shutdown()
        self._timer.shutdown()

    def _show_settings(self) -> None:
        self._saved = settings.load()
        language = self._saved.language
        index = self.language_combo.findData(language) if language else 0
        self.language_combo.setCurrentIndex(max(0, index))
        self.auto_lock_spin.setValue(self._saved.auto_lock_minutes)

    def _show_slot(self) -> None:
        vault = self._vault
        slot = vault.slots.slot_of_type("passphrase") if vault and not vault.is_locked else None
        if slot is None:
            return
        try:
            usable, reason = self._store.available()
        except Exception:
            usable, reason = False, ""
        with QSignalBlocker(self.remember_box):
            self.remember_box.setChecked(slot.device_secret)
        # A slot that needs the keyring can always be freed from it (the vault opened here).
        self.remember_box.setEnabled(usable or slot.device_secret)
        if usable or slot.device_secret:
            self.remember_note.setText(
                _(
                    "A copy of the vault taken off this computer then also needs this "
                    "computer's keyring. On another computer, use the recovery code."
                )
            )
        else:
            self.remember_note.setText(keyring_explanation(reason))
        self.kdf_label.setText(strength_text(slot.kdf_params))
        for button in (self.recalibrate_button, self.change_button):
            button.setEnabled(True)

    def _show_time(self, seconds: float) -> None:
        text = QLocale().toString(seconds, "f", 1)
        self.kdf_time_label.setText(
            _("Unlocking takes about {seconds} s on this computer.").format(seconds=text)
        )
        self.timed.emit()

    def _time_failed(self, error: MonitorError) -> None:
        self.kdf_time_label.setText(describe(error))
        self.timed.emit()

    # -- this computer's settings ----------------------------------------------------------
    @Slot()
    def save_settings(self) -> None:
        language = self.language_combo.currentData()
        chosen = settings.Settings(
            language=language if isinstance(language, str) else None,
            auto_lock_minutes=self.auto_lock_spin.value(),
        )
        try:
            settings.save(chosen)
        except MonitorError as error:
            self.error_label.show_message(describe(error))
            return
        self.error_label.clear()
        language_changed = chosen.language != self._saved.language
        self._saved = chosen
        self.auto_lock_changed.emit(chosen.auto_lock_minutes)
        self.settings_status.setText(
            _("Saved. The new language is used from the next start of the app.")
            if language_changed
            else _("Saved.")
        )

    # -- the passphrase slot ---------------------------------------------------------------
    @Slot(bool)
    def _remember_clicked(self, checked: bool) -> None:
        self.ask("keyring_on" if checked else "keyring_off")

    def ask(self, kind: str) -> None:
        """Ask for the passphrase for ``kind`` of change: "change", "recalibrate",
        "keyring_on" or "keyring_off"."""
        if self._vault is None or self._worker.busy:
            self._show_slot()
            return
        titles = {
            "change": (_("Change passphrase"), _("Change passphrase")),
            "recalibrate": (_("Recalibrate for this computer"), _("Recalibrate")),
            "keyring_on": (_("Remember on this computer"), _("Turn on")),
            "keyring_off": (_("Stop remembering on this computer"), _("Turn off")),
        }
        title, action = titles[kind]
        intro = _(
            "Type the passphrase you unlock the vault with. The key is then wrapped again; "
            "this takes a few seconds."
        )
        self._close_dialog()
        dialog = PassphraseDialog(title, intro, action, new=kind == "change", parent=self)
        dialog.submitted.connect(lambda: self._submitted(dialog, kind))
        dialog.finished.connect(lambda _code: self._dialog_closed(dialog))
        self.dialog = dialog
        dialog.open()

    def _submitted(self, dialog: PassphraseDialog, kind: str) -> None:
        vault, store = self._vault, self._store
        if vault is None or vault.is_locked or self._worker.busy:
            return
        if kind == "change":
            if len(dialog.new_edit.text()) < MIN_LENGTH:
                wipe(dialog.repeat_edit)
                error = VaultError("passphrase_too_short", minimum=MIN_LENGTH)
                dialog.show_error(describe(error), dialog.new_edit)
                return
            if dialog.new_edit.text() != dialog.repeat_edit.text():
                wipe(dialog.repeat_edit)
                dialog.show_error(describe(VaultError("passphrase_mismatch")), dialog.repeat_edit)
                return
        current, new, _repeat = dialog.take()
        options: dict[str, bool] = {
            "recalibrate": {"recalibrate": True},
            "keyring_on": {"use_device_secret": True},
            "keyring_off": {"use_device_secret": False},
        }.get(kind, {})

        def job(cancel: CancelToken, progress: Progress) -> keyslots.Slot | None:
            return settings.rewrap(vault, store, current, new or current, **options)

        dialog.set_busy(True, _("Wrapping the key again. This takes a few seconds…"))
        self._worker.start(
            job,
            on_success=lambda slot: self._rewrapped(dialog, kind, slot),
            on_failure=lambda error: self._rewrap_failed(dialog, error),
        )

    def _rewrapped(self, dialog: PassphraseDialog, kind: str, slot: keyslots.Slot | None) -> None:
        dialog.close_now()
        self.error_label.clear()
        messages = {
            "change": _(
                "Passphrase changed. Unlock with the new one from now on; the recovery code "
                "has not changed."
            ),
            "recalibrate": _("The key is now wrapped with {strength}.").format(
                strength=strength_text(slot.kdf_params) if slot else ""
            ),
            "keyring_on": _(
                "The vault now needs this computer's keyring as well as the passphrase."
            ),
            "keyring_off": _(
                "The vault no longer needs this computer's keyring: the passphrase alone opens it."
            ),
        }
        self.status_label.setText(messages[kind])
        self._show_slot()
        if self._timed is not None and self.isVisible():
            self.refresh()  # new KDF parameters (a recalibration): measure their unlock time
        self.work_done.emit()

    def _rewrap_failed(self, dialog: PassphraseDialog, error: MonitorError) -> None:
        dialog.set_busy(False)
        dialog.show_error(describe(error))
        self.work_done.emit()

    def _dialog_closed(self, dialog: PassphraseDialog) -> None:
        dialog.clear()
        if self.dialog is dialog:
            self.dialog = None
        dialog.deleteLater()
        self._show_slot()  # a keyring change that was not made: the box shows the slot again

    def _close_dialog(self) -> None:
        dialog, self.dialog = self.dialog, None
        if dialog is not None:
            dialog.close_now()
