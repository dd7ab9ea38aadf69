"""Fingerprints on screen: comparing a contact's with the one its owner reads aloud, showing
this vault's own to read out, and how a contact's trust state reads wherever it appears.

The dialog shows the card's fingerprint in large groups of four digits; beside each group the
person types the digits they hear. Typing, not ticking: a tick can be given without listening,
typed digits are compared exactly. Only when all 32 digits match does "Mark verified" become
available; the dialog itself never touches the vault, it emits ``verified`` and the contacts
page records it.

Trust is always spelled out (VERIFIED / UNVERIFIED), never shown by colour alone.
"""

from __future__ import annotations

import unicodedata

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QBrush, QColor, QFont, QFontDatabase
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from monitor_app.i18n import _, ngettext
from monitor_app.identity import fingerprint as fp
from ui.common.widgets import ErrorLabel, PlainTextLabel, shown_line, wipe

GROUPS = fp.DIGITS // fp.GROUP
VERIFIED_COLOUR = QColor("#1e6b3a")
UNVERIFIED_COLOUR = QColor("#8a4b00")
UNVERIFIED_BACKGROUND = QColor("#fdf0d5")


def trust_text(verified: bool) -> str:
    return _("VERIFIED") if verified else _("UNVERIFIED")


def name_with_trust(name: str, verified: bool) -> str:
    """A contact's name (one line, bidi-isolated) followed by its trust state, for lists and
    sentences that name a contact."""
    return f"{shown_line(name)} ({trust_text(verified)})"


def mark_trust(item: QTableWidgetItem, verified: bool) -> None:
    """Colour a cell by trust, on top of the text that already says it."""
    item.setForeground(QBrush(VERIFIED_COLOUR if verified else UNVERIFIED_COLOUR))
    if not verified:
        item.setBackground(QBrush(UNVERIFIED_BACKGROUND))


def grouped(fingerprint: str) -> list[str]:
    canonical = fp.parse(fingerprint)
    return [canonical[i : i + fp.GROUP] for i in range(0, fp.DIGITS, fp.GROUP)]


def large_digits_font(base: QFont, scale: float = 1.6) -> QFont:
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    font.setPointSizeF(max(base.pointSizeF(), 9.0) * scale)
    font.setWeight(QFont.Weight.DemiBold)
    return font


def _digits(text: str) -> str:
    # Full-width digits from an input method count too, as fingerprint.parse accepts them.
    return "".join(ch for ch in unicodedata.normalize("NFKC", text) if "0" <= ch <= "9")


class FingerprintDialog(QDialog):
    verified = Signal(str)  # the canonical fingerprint: all digits matched, the person confirmed

    def __init__(
        self,
        name: str,
        fingerprint: str,
        own_fingerprint: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Compare fingerprints"))  # never the contact's name
        self.fingerprint = fp.parse(fingerprint)
        self._expected = grouped(self.fingerprint)
        shown_name = shown_line(name)

        heading = PlainTextLabel(_("Compare fingerprints"), role="heading")
        self.instructions = PlainTextLabel(
            _(
                "Ask {name} to read their fingerprint aloud from their own app (Contacts, "
                "My card). Type each group of four digits as you hear it. Do this in person "
                "or on a call where you recognise their voice."
            ).format(name=shown_name),
            role="note",
        )
        self.instructions.setWordWrap(True)

        digits_font = large_digits_font(self.font())
        grid = QGridLayout()
        grid.addWidget(PlainTextLabel(_("On the card"), role="muted"), 0, 1)
        grid.addWidget(PlainTextLabel(_("What you hear"), role="muted"), 0, 2)
        self.group_labels: list[PlainTextLabel] = []
        self.group_edits: list[QLineEdit] = []
        self.status_labels: list[PlainTextLabel] = []
        for index, group in enumerate(self._expected):
            number = PlainTextLabel(str(index + 1), role="muted")
            shown = PlainTextLabel(group)
            shown.setFont(digits_font)
            edit = QLineEdit()
            edit.setFont(digits_font)
            edit.setMaximumWidth(edit.fontMetrics().horizontalAdvance("00000000") + 16)
            edit.setInputMethodHints(Qt.InputMethodHint.ImhDigitsOnly)
            edit.setAccessibleName(_("Group {n} as you hear it").format(n=index + 1))
            edit.textEdited.connect(lambda text, i=index: self._typed(i, text))
            status = PlainTextLabel()
            grid.addWidget(number, index + 1, 0)
            grid.addWidget(shown, index + 1, 1)
            grid.addWidget(edit, index + 1, 2)
            grid.addWidget(status, index + 1, 3)
            self.group_labels.append(shown)
            self.group_edits.append(edit)
            self.status_labels.append(status)
        grid.setColumnStretch(3, 1)

        self.summary_label = PlainTextLabel(role="muted")
        self.summary_label.setWordWrap(True)
        self.error_label = ErrorLabel()
        self.own_label = PlainTextLabel(role="muted")
        self.own_label.setWordWrap(True)
        if own_fingerprint:
            self.own_label.setText(
                _("Then read yours to them, so that they can verify you too: {fingerprint}").format(
                    fingerprint=fp.format_fingerprint(own_fingerprint)
                )
            )

        self.mark_button = QPushButton(_("Mark verified"))
        self.mark_button.setProperty("primary", True)
        self.mark_button.setEnabled(False)
        self.mark_button.clicked.connect(self._confirm)
        self.cancel_button = QPushButton(_("Cancel"))
        self.cancel_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.mark_button)

        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.instructions)
        layout.addLayout(grid)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.error_label)
        layout.addWidget(self.own_label)
        layout.addLayout(buttons)
        self._update()
        self.group_edits[0].setFocus()

    @property
    def matches(self) -> bool:
        return [edit.text() for edit in self.group_edits] == self._expected

    def type_fingerprint(self, text: str) -> None:
        """Fill the boxes as if ``text`` had been typed from the first one (tests, paste)."""
        self._typed(0, text)

    def clear(self) -> None:
        """Blank every label and box: called when the vault locks with the dialog open."""
        self.fingerprint = ""
        self._expected = []
        for label in (*self.group_labels, *self.status_labels):
            label.clear()
        for edit in self.group_edits:
            wipe(edit)
        for label in (self.instructions, self.summary_label, self.own_label):
            label.clear()
        self.error_label.clear()
        self.mark_button.setEnabled(False)

    # -- typing ----------------------------------------------------------------------------
    def _typed(self, index: int, text: str) -> None:
        digits = _digits(text)
        start, last = index, len(self.group_edits) - 1
        # A whole fingerprint pasted, or typing on past four digits, spreads over the next
        # boxes; typing then continues where the digits ended.
        while True:
            edit = self.group_edits[index]
            piece, digits = digits[: fp.GROUP], digits[fp.GROUP :]
            if edit.text() != piece:
                edit.setText(piece)
            if not digits or index == last:
                break
            index += 1
        if len(self.group_edits[index].text()) == fp.GROUP and index < last:
            index += 1
        if index != start:
            self.group_edits[index].setFocus()
            self.group_edits[index].end(False)
        self._update()

    def _update(self) -> None:
        wrong: list[int] = []
        done = 0
        for index, (edit, status) in enumerate(
            zip(self.group_edits, self.status_labels, strict=True)
        ):
            typed = edit.text()
            expected = self._expected[index] if index < len(self._expected) else ""
            if typed and not expected.startswith(typed):
                status.setText("✗ " + _("differs"))
                wrong.append(index + 1)
            elif typed and typed == expected:
                status.setText("✓ " + _("same"))
                done += 1
            else:
                status.clear()
        if wrong:
            self.summary_label.clear()
            self.error_label.show_message(
                _(
                    "Group {n} differs. Ask them to read it again. If it still differs, do "
                    "not mark this contact verified: the card may not be theirs. Ask for a "
                    "new card, in person."
                ).format(n=wrong[0])
            )
        else:
            self.error_label.clear()
            if self._expected and done == len(self._expected):
                self.summary_label.setText(
                    ngettext(
                        "All {n} group matches. You can mark this contact verified.",
                        "All {n} groups match. You can mark this contact verified.",
                        len(self._expected),
                    ).format(n=len(self._expected))
                )
            else:
                self.summary_label.setText(
                    ngettext(
                        "{done} of {n} group matches so far.",
                        "{done} of {n} groups match so far.",
                        len(self._expected),
                    ).format(done=done, n=len(self._expected))
                )
        self.mark_button.setEnabled(bool(self._expected) and self.matches)

    @Slot()
    def _confirm(self) -> None:
        if not self.matches:  # the button is disabled then; never trust that alone
            return
        self.verified.emit(self.fingerprint)
        self.accept()


class OwnCardPanel(QFrame):
    """This vault's name and fingerprint, large, to read aloud; the role to put on the card
    and "Save my card…" (the contacts page writes it). Holds nothing until ``show_card``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty("role", "card")
        self.name_label = PlainTextLabel()
        self.name_label.setWordWrap(True)
        self.fingerprint_label = PlainTextLabel()
        self.fingerprint_label.setFont(large_digits_font(self.font(), 1.5))
        self.fingerprint_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        read_aloud = PlainTextLabel(
            _("Read this fingerprint aloud to whoever adds your card:"), role="muted"
        )
        read_aloud.setWordWrap(True)
        self.role_edit = QLineEdit()
        self.role_edit.setPlaceholderText(_("Your role (optional)"))
        self.save_button = QPushButton(_("Save my card…"))
        box = QVBoxLayout(self)
        box.addWidget(PlainTextLabel(_("My card"), role="heading"))
        for widget in (self.name_label, read_aloud, self.fingerprint_label):
            box.addWidget(widget)
        box.addWidget(self.role_edit)
        box.addWidget(self.save_button)
        # Wide enough for two groups of the large digits: never squeezed by the list beside.
        digit = self.fingerprint_label.fontMetrics().horizontalAdvance("0")
        self.setFixedWidth(digit * (2 * fp.GROUP + 3) + 48)

    def show_card(self, name: str, organisation: str | None, fingerprint: str) -> None:
        shown = shown_line(name) + (" · " + shown_line(organisation) if organisation else "")
        self.name_label.setText(shown)
        # Four lines of two groups: read aloud two groups at a time.
        groups = grouped(fingerprint)
        pairs = [" ".join(groups[i : i + 2]) for i in range(0, len(groups), 2)]
        self.fingerprint_label.setText("\n".join(pairs))

    def clear(self) -> None:
        self.name_label.clear()
        self.fingerprint_label.clear()
        wipe(self.role_edit)
