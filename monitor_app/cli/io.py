"""Input and output for monitorctl: secrets, JSON documents, safe terminal text.

Passphrases come from a file, from standard input (``-``) or from a prompt on a terminal;
never from the command line or the environment, where other users and shell history see them.
When both a passphrase and a JSON document come from standard input, the passphrase is the
first line and the document is the rest.
"""

from __future__ import annotations

import argparse
import getpass
import json
import re
import sys
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from monitor_app import display_text
from monitor_app.errors import MonitorError
from monitor_app.i18n import _
from monitor_app.messages import describe
from monitor_app.vault import lifecycle
from monitor_app.vault.session import UnlockedVault

MAX_JSON_BYTES = 16 * 1024 * 1024
MAX_SECRET_BYTES = 4096
# Escape sequences and bidi controls; FSI and PDI (U+2068, U+2069) are what display_text
# isolates untrusted text with, and are let through when they pair up.
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066\u2067]")
_ISOLATES = re.compile("[\u2068\u2069]")


def unlock_vault(args: argparse.Namespace) -> UnlockedVault:
    """The vault of ``--vault``, unlocked with the passphrase of ``--passphrase-file`` (or
    asked on the terminal): what every command that works in a vault starts with. A recovery
    code that would no longer work is reported (``warn``), and the command goes on."""
    secret = read_secret_line(args.passphrase_file, _("Passphrase:"))
    vault = lifecycle.unlock(Path(args.vault), secret)
    try:
        warnings = vault.key_slot_warnings()
    except BaseException:
        vault.lock()
        raise
    for warning in warnings:
        warn(args, warning)
    return vault


def warn(args: argparse.Namespace, warning: MonitorError) -> None:
    """A problem that does not stop the command: its sentence on stderr at once (before any
    prompt that follows), and with --json an entry of the output's ``warnings``."""
    sys.stderr.write("monitorctl: " + _("warning:") + " " + describe(warning) + "\n")
    if not hasattr(args, "warnings"):
        args.warnings = []
    args.warnings.append({**warning.to_json(), "message": describe(warning)})


def read_secret_line(source: str | None, prompt: str, *, confirm: bool = False) -> str:
    """One secret line from FILE, ``-`` (stdin) or, failing both, a terminal prompt.

    ``prompt`` is already translated, without the space that follows it.
    """
    if source is None:
        if not sys.stdin.isatty():
            raise MonitorError("passphrase_required")
        first = getpass.getpass(prompt + " ")
        if confirm and getpass.getpass(_("Repeat:") + " ") != first:
            raise MonitorError("passphrase_mismatch")
        return first
    if source == "-":
        # The binary buffer, as read_json_document uses: a text-layer read-ahead would
        # swallow the JSON document that follows the passphrase line.
        try:
            line = sys.stdin.buffer.readline(MAX_SECRET_BYTES).decode("utf-8")
        except UnicodeDecodeError:
            raise MonitorError("file_unreadable", path="-") from None
    else:
        try:
            with open(source, encoding="utf-8") as handle:
                line = handle.readline(MAX_SECRET_BYTES)
        except (OSError, UnicodeDecodeError):
            raise MonitorError("file_unreadable", path=source) from None
    return line.rstrip("\r\n")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise MonitorError("invalid_json", reason="duplicate_key")
        result[key] = value
    return result


def _no_constants(name: str) -> Any:
    raise MonitorError("invalid_json", reason="non_finite_number")


def read_json_document(source: str) -> Any:
    """Parse a JSON document from FILE or ``-``, strictly; errors never quote the input."""
    try:
        if source == "-":
            raw = sys.stdin.buffer.read(MAX_JSON_BYTES + 1)
        else:
            with open(source, "rb") as handle:
                raw = handle.read(MAX_JSON_BYTES + 1)
    except OSError:
        raise MonitorError("file_unreadable", path=source) from None
    if len(raw) > MAX_JSON_BYTES:
        raise MonitorError("invalid_json", reason="too_large")
    try:
        text = raw.decode("utf-8-sig")
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constants)
    except UnicodeDecodeError:
        raise MonitorError("invalid_json", reason="not_utf8") from None
    except json.JSONDecodeError as exc:
        raise MonitorError("invalid_json", reason="syntax", line=exc.lineno) from None
    except RecursionError:
        raise MonitorError("invalid_json", reason="too_deep") from None


def safe_text(text: str) -> str:
    """Untrusted text made safe for a terminal: no escape sequences, no bidi overrides (each
    shown as ⟨U+202E⟩ and so on), and isolates only where they pair up."""
    escape = display_text.visible_controls
    text = _UNSAFE.sub(lambda m: escape(m.group()), text)
    if text.count(display_text.FSI) != text.count(display_text.PDI):
        text = _ISOLATES.sub(lambda m: escape(m.group()), text)
    return text


def display_width(text: str) -> int:
    """Columns ``text`` takes on a terminal: CJK characters take two, combining marks none."""
    width = 0
    for char in text:
        if unicodedata.combining(char):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def aligned(rows: Sequence[tuple[str, str]], indent: str = "", width: int = 0) -> list[str]:
    """``label value`` lines with the values in one column, whatever the labels' language.

    Labels are translated whole ("Name:", "nom :"); ``width`` is at least the widest label.
    """
    column = max(width, label_width([label for label, _value in rows]))
    return [
        f"{indent}{label}{' ' * (column - display_width(label) + 1)}{value}"
        for label, value in rows
    ]


def label_width(labels: Sequence[str]) -> int:
    return max((display_width(label) for label in labels), default=0)


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True) + "\n")


def print_line(text: str) -> None:
    sys.stdout.write(safe_text(text) + "\n")


def check_output_path(path: Path) -> Path:
    return path.expanduser()


def terminal_progress() -> Any:
    """A progress callback drawing a percentage on stderr when it is a terminal."""
    if not sys.stderr.isatty():
        return None
    last = [-1]

    def report(done: int, total: int | None) -> None:
        if not total:
            return
        percent = done * 100 // total
        if percent != last[0]:
            last[0] = percent
            end = "\n" if done >= total else ""
            sys.stderr.write(f"\r{percent:3d}%{end}")
            sys.stderr.flush()

    return report
