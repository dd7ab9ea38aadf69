"""How strong a new passphrase is, under the create screen's passphrase field, as it is typed.

A four-step meter, the level in words and one sentence on what to do, from
``monitor_app.vault.passphrase_strength``. Four steps and no number: the estimate is rough, and
a finer gauge would promise a precision it does not have. The words carry the meaning; the
meter's colour only repeats them.

Only the fixed sentences below are ever shown: never the passphrase or any part of it. Nothing
about it is logged or kept; the widget holds the last verdict (a level and a reason code).
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QHBoxLayout, QProgressBar, QVBoxLayout, QWidget

from monitor_app.i18n import _, ngettext
from monitor_app.vault import passphrase_strength
from monitor_app.vault.lifecycle import MIN_PASSPHRASE_LENGTH
from monitor_app.vault.passphrase_strength import Level, Strength
from ui.common.widgets import PlainTextLabel

STEPS: dict[Level, int] = {"too_short": 1, "weak": 2, "fair": 3, "strong": 4}


def level_text(level: Level) -> str:
    texts: dict[Level, str] = {
        "too_short": _("Strength: too short"),
        "weak": _("Strength: weak"),
        "fair": _("Strength: fair"),
        "strong": _("Strength: strong"),
    }
    return texts[level]


def advice(strength: Strength) -> str:
    """What to do about it, in one or two sentences."""
    reason = strength.reason
    if reason == "too_short":
        return ngettext(
            "Use at least {n} character. A few unrelated words are easier to remember than "
            "a jumble of symbols.",
            "Use at least {n} characters. A few unrelated words are easier to remember than "
            "a jumble of symbols.",
            MIN_PASSPHRASE_LENGTH,
        ).format(n=MIN_PASSPHRASE_LENGTH)
    if reason == "ok":
        return _(
            "Make sure you will remember it: nobody can reset it, and only the recovery "
            "code opens the vault without it."
        )
    sentences = {
        "common": _(
            "This is a well-known passphrase that is tried first. Choose a few unrelated "
            "words of your own."
        ),
        "personal": _(
            "It contains your name or organisation, which anyone holding this computer can "
            "learn. Use unrelated words instead."
        ),
        "repeated": _(
            "It repeats the same characters or words. Replace the repeats with other, "
            "unrelated words."
        ),
        "sequence": _(
            "It contains a keyboard or alphabet sequence, such as qwerty or 12345, which is "
            "tried early. Replace it with an unrelated word."
        ),
        "one_kind": _(
            "It is only digits, or letters without spaces. Add another word or two, "
            "separated by spaces."
        ),
    }
    if reason in sentences:
        return sentences[reason]
    if strength.level == "fair":
        return _("Add one more unrelated word to make it strong.")
    return _("Easy to guess. Add another word or two, unrelated to each other and to you.")


class StrengthMeter(QWidget):
    """Blank while the field is empty; otherwise the meter, the level and the advice."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bar = QProgressBar()
        self.bar.setRange(0, len(STEPS))
        self.bar.setTextVisible(False)
        self.bar.setFixedHeight(6)
        self.bar.setProperty("role", "strength")
        self.bar.setAccessibleName(_("Passphrase strength"))
        self.level_label = PlainTextLabel()
        self.advice_label = PlainTextLabel(role="muted")
        self.advice_label.setWordWrap(True)
        self.strength: Strength | None = None  # the last verdict, for tests

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.bar, 1)
        top.addWidget(self.level_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(self.advice_label)
        self.clear()

    def show_for(self, passphrase: str, personal: Sequence[str] = ()) -> None:
        """Judge ``passphrase``; ``personal`` are the name and organisation of the form."""
        if not passphrase:
            self.clear()
            return
        strength = passphrase_strength.estimate(passphrase, personal=personal)
        self.strength = strength
        self.bar.setValue(STEPS[strength.level])
        self._set_level(strength.level)
        self.level_label.setText(level_text(strength.level))
        self.advice_label.setText(advice(strength))
        self.bar.setVisible(True)

    def clear(self) -> None:
        self.strength = None
        self.bar.setValue(0)
        self._set_level("")
        self.bar.setVisible(False)  # an empty meter would read as "very weak"
        self.level_label.setText("")
        self.advice_label.setText("")

    def _set_level(self, level: str) -> None:
        # The style sheet colours the meter by this property (ui/common/style.py); a property
        # change needs the style applied again.
        self.bar.setProperty("level", level)
        self.bar.style().unpolish(self.bar)
        self.bar.style().polish(self.bar)
