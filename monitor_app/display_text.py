"""Text from a record or a bundle, made safe to show beside the app's own words.

Record and bundle text is untrusted: a title "report\\u202egnp.exe" displays as
"reportexe.png", and a right-to-left override left open reorders the label after it. Two
defences, used by the GUI (ui/common/widgets.py) and the CLI (monitor_app/cli/io.py) alike:

- ``isolate``: the text as one bidi-isolated run (U+2068 FSI ... U+2069 PDI), so whatever
  direction it takes, it cannot reorder the text around it;
- ``visible_controls``: control and format characters (bidi overrides and isolates,
  zero-width spaces, soft hyphens, tag characters...) written as a visible ⟨U+202E⟩, for titles
  and names, where a hidden character can make one thing look like another.

``shown_line`` does both, on a title or a name folded to one line; ``shown_alone`` only the
second, for a title that fills a table cell or a heading by itself (nothing beside it to
reorder, and tests and screen readers get the title as it is).
"""

from __future__ import annotations

import re
import unicodedata

FSI = "\u2068"  # first-strong isolate
PDI = "\u2069"  # pop directional isolate
# Joiners shape emoji sequences (👩‍⚕️) and Indic and Persian words: kept as they are.
_KEPT_FORMAT = frozenset("\u200c\u200d")
# A subdivision flag (🏴 then tag letters, then CANCEL TAG) is the one use of tag characters.
_FLAG = re.compile("\U0001f3f4[\U000e0020-\U000e007e]+\U000e007f")
# Isolate initiators and their terminator: one left unpaired inside would end or extend the
# isolate put around the text.
_ISOLATE_CONTROLS = re.compile("[\u2066-\u2069]")


def _escape(char: str) -> str:
    return f"⟨U+{ord(char):04X}⟩"


def _hidden(char: str) -> bool:
    return unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp") and char not in _KEPT_FORMAT


def visible_text(text: str) -> str:
    """A multi-line text (a description, a note) with its hidden characters visible, as
    ``visible_controls`` shows them, but its line breaks and tabs kept."""
    return "\n".join(
        "\t".join(visible_controls(part) for part in line.split("\t")) for line in text.split("\n")
    )


def visible_controls(text: str) -> str:
    """``text`` with every control and format character written as ⟨U+XXXX⟩ (joiners and
    the tags of a flag emoji excepted)."""
    out: list[str] = []
    position = 0
    for flag in _FLAG.finditer(text):
        out.extend(_escape(c) if _hidden(c) else c for c in text[position : flag.start()])
        out.append(flag.group())
        position = flag.end()
    out.extend(_escape(c) if _hidden(c) else c for c in text[position:])
    return "".join(out)


def isolate(text: str) -> str:
    """``text`` as one bidi-isolated run, for composing with other text on a line. Isolate
    controls inside it are shown as ⟨U+2069⟩ and so on: a stray one would break out."""
    return f"{FSI}{_ISOLATE_CONTROLS.sub(lambda m: _escape(m.group()), text)}{PDI}"


def one_line(text: str) -> str:
    """Line breaks and tabs folded to spaces, for list rows and titles."""
    return " ".join(text.split())


def shown_line(text: str) -> str:
    """A title or a name from a record or a bundle, as shown in a row, a label or a window
    title: one line, its hidden characters visible, isolated from what surrounds it."""
    return isolate(visible_controls(one_line(text)))


def shown_alone(text: str) -> str:
    """A title or a name that is the whole text of its cell or label: one line, its hidden
    characters visible (isolating it would change nothing: nothing is beside it)."""
    return visible_controls(one_line(text))
