"""monitorctl entry point: parse, run, and turn errors into sentences and exit codes.

Exit codes: 0 success, 1 a user-facing error (a sentence on stderr; with --json also an object
with a stable code on stdout), 2 a usage error (from argparse), 130 interrupted.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from monitor_app.cli import io
from monitor_app.cli.commands import HANDLERS
from monitor_app.cli.parser import build_parser
from monitor_app.errors import MonitorError
from monitor_app.fsutil import restrict_umask
from monitor_app.messages import describe


def default_vault_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("monitor_app", appauthor=False)) / "vault"


def main(argv: Sequence[str] | None = None) -> int:
    restrict_umask()
    args = build_parser().parse_args(argv)
    if args.vault is None:
        args.vault = str(default_vault_dir())
    try:
        outcome = HANDLERS[args.command](args)
    except MonitorError as exc:
        if args.json:
            io.print_json({"ok": False, "error": {**exc.to_json(), "message": describe(exc)}})
        sys.stderr.write(f"monitorctl: {describe(exc)}\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("monitorctl: interrupted; nothing was changed.\n")
        return 130
    if args.json:
        io.print_json({"ok": True, "result": outcome.result})
    elif outcome.lines is None:
        io.print_json(outcome.result)
    else:
        for line in outcome.lines:
            io.print_line(line)
    return outcome.exit_code


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    run()
