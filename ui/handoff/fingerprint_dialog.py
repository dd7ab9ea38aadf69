"""Fingerprints on screen: comparing a contact's with the one its owner reads aloud, showing
this vault's own to read out, and how a contact's trust state reads wherever it appears.

The dialog shows the card's fingerprint in large groups of four digits; under them one box
takes the whole fingerprint as the person hears it (or pasted), and each group says whether it
matches. Typing, not ticking: a tick can be given without listening,
typed digits are compared exactly. Only when all 32 digits match does "Mark verified" become
available; the dialog itself never touches the vault, it emits ``verified`` and the contacts
page records it.

Trust is always spelled out (VERIFIED / UNVERIFIED), never shown by colour alone.
"""

from __future__ import annotations

import re
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

from monitor_app.errors import ContactError
from monitor_app.i18n import _, ngettext
from monitor_app.identity import fingerprint as fp
from monitor_app.messages import describe
from ui.common.widgets import ErrorLabel, PlainTextLabel, shown_line, wipe

GROUPS = fp.DIGITS // fp.GROUP
DIALOG_WIDTH = 640
# What fingerprint.parse accepts: digits (full-width ones too, after NFKC) and separators.
_NOT_IN_FINGERPRINT = re.compile(r"[^0-9\s\-._:/]")
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
        # The card's groups, each with its verdict under it: which groups match, which differ.
        grid = QGridLayout()
        grid.addWidget(PlainTextLabel(_("On the card"), role="muted"), 0, 0, 1, GROUPS)
        self.group_labels: list[PlainTextLabel] = []
        self.status_labels: list[PlainTextLabel] = []
        for index, group in enumerate(self._expected):
            shown = PlainTextLabel(group)
            shown.setFont(digits_font)
            shown.setAlignment(Qt.AlignmentFlag.AlignCenter)
            status = PlainTextLabel()
            status.setAlignment(Qt.AlignmentFlag.AlignCenter)
            grid.addWidget(shown, 1, index)
            grid.addWidget(status, 2, index)
            grid.setColumnStretch(index, 1)  # the groups evenly spaced, whatever the verdicts
            self.group_labels.append(shown)
            self.status_labels.append(status)
        # One box for the whole fingerprint, typed as heard or pasted: spaces, hyphens and
        # other separators are ignored as fingerprint.parse ignores them, and nothing moves
        # the focus while typing.
        self.entry_edit = QLineEdit()
        self.entry_edit.setFont(digits_font)
        self.entry_edit.setAccessibleName(_("What you hear"))
        self.entry_edit.setInputMethodHints(Qt.InputMethodHint.ImhPreferNumbers)
        self.entry_edit.setMaxLength(4 * fp.DIGITS)
        self.entry_edit.textChanged.connect(lambda _text: self._update())

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
        layout.addWidget(PlainTextLabel(_("What you hear"), role="muted"))
        layout.addWidget(self.entry_edit)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.error_label)
        layout.addWidget(self.own_label)
        layout.addStretch(1)
        layout.addLayout(buttons)
        self._update()
        # A top-level window does not grow for wrapped text: ask for the height the wrapped
        # sentences need at the dialog's width, with room for the longest message.
        self.error_label.show_message(
            _(
                "Group {n} differs. Ask them to read it again. If it still differs, do "
                "not mark this contact verified: the card may not be theirs. Ask for a "
                "new card, in person."
            ).format(n=GROUPS)
        )
        width = max(DIALOG_WIDTH, layout.minimumSize().width())
        self.setMinimumSize(width, layout.heightForWidth(width))
        self.error_label.clear()
        self.entry_edit.setFocus()

    @property
    def matches(self) -> bool:
        return bool(self.fingerprint) and fp.try_parse(self.entry_edit.text()) == self.fingerprint

    def type_fingerprint(self, text: str) -> None:
        """Put ``text`` in the box, as a paste does (tests)."""
        self.entry_edit.setText(text)

    def typed_groups(self) -> list[str]:
        """The digits typed so far, in groups of four; separators and other marks ignored."""
        digits = _digits(self.entry_edit.text())
        return [digits[i : i + fp.GROUP] for i in range(0, len(digits), fp.GROUP)]

    def clear(self) -> None:
        """Blank every label and box: called when the vault locks with the dialog open."""
        self.fingerprint = ""
        self._expected = []
        for label in (*self.group_labels, *self.status_labels):
            label.clear()
        wipe(self.entry_edit)
        for label in (self.instructions, self.summary_label, self.own_label):
            label.clear()
        self.error_label.clear()
        self.mark_button.setEnabled(False)

    # -- comparing -------------------------------------------------------------------------
    def _update(self) -> None:
        typed = self.typed_groups()
        text = unicodedata.normalize("NFKC", self.entry_edit.text())
        # Anything but digits and the separators fingerprint.parse accepts, or too many digits.
        invalid = bool(_NOT_IN_FINGERPRINT.search(text)) or len(_digits(text)) > fp.DIGITS
        wrong: list[int] = []
        done = 0
        for index, status in enumerate(self.status_labels):
            piece = typed[index] if index < len(typed) else ""
            expected = self._expected[index] if index < len(self._expected) else ""
            if piece and not expected.startswith(piece):
                status.setText("✗ " + _("differs"))
                wrong.append(index + 1)
            elif piece and piece == expected:
                status.setText("✓ " + _("same"))
                done += 1
            else:
                status.clear()
        if invalid and self._expected:
            self.summary_label.clear()
            self.error_label.show_message(
                describe(ContactError("fingerprint_invalid", digits=fp.DIGITS))
            )
        elif wrong:
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
        # A band under the contacts table, so that the table has the page's whole width:
        # the fingerprint on the left, the role and the button on the right.
        card = QVBoxLayout()
        card.addWidget(PlainTextLabel(_("My card"), role="heading"))
        for widget in (self.name_label, read_aloud, self.fingerprint_label):
            card.addWidget(widget)
        actions = QVBoxLayout()
        actions.addStretch(1)
        actions.addWidget(self.role_edit)
        actions.addWidget(self.save_button)
        box = QHBoxLayout(self)
        box.addLayout(card, 1)
        box.addLayout(actions)

    def show_card(self, name: str, organisation: str | None, fingerprint: str) -> None:
        shown = shown_line(name) + (" · " + shown_line(organisation) if organisation else "")
        self.name_label.setText(shown)
        # Two lines of four groups: read aloud a group at a time.
        groups = grouped(fingerprint)
        half = len(groups) // 2
        self.fingerprint_label.setText(" ".join(groups[:half]) + "\n" + " ".join(groups[half:]))

    def clear(self) -> None:
        self.name_label.clear()
        self.fingerprint_label.clear()
        wipe(self.role_edit)
