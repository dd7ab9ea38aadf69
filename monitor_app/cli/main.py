"""monitorctl entry point: parse, run, and turn errors into sentences and exit codes.

Exit codes: 0 success, 1 a user-facing error (a sentence on stderr; with --json also an object
with a stable code on stdout), 2 a usage error (from argparse), 130 interrupted.
"""

from __future__ import annotations

import sys
from argparse import Namespace
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from monitor_app import i18n, locations
from monitor_app.cli import io
from monitor_app.cli.commands import HANDLERS
from monitor_app.cli.parser import build_parser
from monitor_app.errors import MonitorError
from monitor_app.fsutil import restrict_umask, storage_error
from monitor_app.i18n import _
from monitor_app.messages import describe


def default_vault_dir() -> Path:
    return locations.current().vault_dir


def main(argv: Sequence[str] | None = None) -> int:
    restrict_umask()
    # Sentences, result lines and help texts in the user's language (LANGUAGE, LC_ALL,
    # LC_MESSAGES, LANG), so before the parser is built; --json output (keys, values, error
    # codes and params) is the same in every language, for scripts.
    i18n.set_language(None)
    args = build_parser().parse_args(argv)
    try:
        # Beside a portable app (a marker file there), monitorctl keeps to the stick as well.
        locations.activate(locations.from_option(args.portable))
    except OSError as exc:
        sys.stderr.write(f"monitorctl: {describe(storage_error(exc))}\n")
        return 1
    if args.vault is None:
        args.vault = str(default_vault_dir())
    # Filled by io.warn; with --json the list goes out beside the result or the error, and
    # only when something was reported, so output without warnings stays as it was.
    args.warnings = []
    try:
        outcome = HANDLERS[args.command](args)
    except MonitorError as exc:
        if args.json:
            failed = {"ok": False, "error": {**exc.to_json(), "message": describe(exc)}}
            io.print_json({**failed, **_warnings(args)})
        sys.stderr.write(f"monitorctl: {describe(exc)}\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("monitorctl: " + _("interrupted; nothing was changed.") + "\n")
        return 130
    if args.json:
        io.print_json({"ok": True, "result": outcome.result, **_warnings(args)})
    elif outcome.lines is None:
        io.print_json(outcome.result)
        for note in outcome.notes:
            print(note, file=sys.stderr)
    else:
        for line in outcome.lines:
            io.print_line(line)
    return outcome.exit_code


def _warnings(args: Namespace) -> dict[str, Any]:
    return {"warnings": args.warnings} if args.warnings else {}


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    run()
