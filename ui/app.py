"""Entry point of the desktop app (``monitor-app``).

    monitor-app [--vault DIR] [--demo] [--screenshot FILE]

``--demo`` opens a throwaway vault of invented sample data in a private temporary directory
that is removed on exit. ``--screenshot FILE`` renders the window to a PNG and exits (it works
with ``QT_QPA_PLATFORM=offscreen``).
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from monitor_app.demo import DEMO_PASSPHRASE, create_demo_vault
from monitor_app.errors import MonitorError
from monitor_app.fsutil import restrict_umask
from monitor_app.i18n import _
from monitor_app.messages import describe
from ui.style import apply_style
from ui.vault_window import APP_TITLE, VaultWindow

SCREENSHOT_DELAY_MS = 100
SIGNAL_POLL_MS = 250


def default_vault_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("monitor_app", appauthor=False)) / "vault"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="monitor-app", description=_("monitor_app desktop"))
    parser.add_argument(
        "--vault", metavar="DIR", type=Path, help=_("the vault folder (default: per user)")
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help=_("open a throwaway vault of invented sample data, deleted on exit"),
    )
    parser.add_argument(
        "--screenshot", metavar="FILE", type=Path, help=_("save the window as PNG and exit")
    )
    return parser


def demo_banner() -> str:
    return _(
        "DEMO — invented sample data in a throwaway vault, deleted when the app closes. "
        "Never enter real cases here. Passphrase: {passphrase}"
    ).format(passphrase=DEMO_PASSPHRASE)


def _quit_on_signals(app: QApplication) -> QTimer:
    """Ctrl+C and SIGTERM close the app normally (so the vault is locked and a demo removed).

    Python runs signal handlers only between bytecodes, so a timer gives it the chance."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_args: app.quit())
    timer = QTimer()
    timer.start(SIGNAL_POLL_MS)
    timer.timeout.connect(lambda: None)
    return timer


def _schedule_screenshot(app: QApplication, window: VaultWindow, target: Path) -> None:
    def shoot() -> None:
        saved = window.grab().save(str(target), "PNG")
        if not saved:
            sys.stderr.write(f"monitor-app: could not write {target}\n")
        app.exit(0 if saved else 1)

    QTimer.singleShot(SCREENSHOT_DELAY_MS, shoot)


def main(argv: Sequence[str] | None = None) -> int:
    restrict_umask()  # every file this process creates is private to its user
    args = build_parser().parse_args(argv)
    app = QApplication.instance() or QApplication([sys.argv[0]])
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_TITLE)
    app.setApplicationDisplayName(APP_TITLE)
    apply_style(app)
    keep_alive = _quit_on_signals(app)

    with contextlib.ExitStack() as cleanup:
        if args.demo:
            # mkdtemp makes the directory 0700; it is removed with everything in it on exit.
            directory = Path(
                cleanup.enter_context(tempfile.TemporaryDirectory(prefix="monitor_app-demo-"))
            )
            vault_path = directory / "vault"
            try:
                # The minimum KDF cost: a fraction of a second, before any window is shown.
                vault, _code = create_demo_vault(vault_path)
            except MonitorError as exc:
                sys.stderr.write(f"monitor-app: {describe(exc)}\n")
                return 1
            cleanup.callback(vault.lock)
            window = VaultWindow(
                vault_path,
                vault=vault,
                demo_banner=demo_banner(),
                unlock_hint=_("Demo vault passphrase: {passphrase}").format(
                    passphrase=DEMO_PASSPHRASE
                ),
            )
        else:
            window = VaultWindow((args.vault or default_vault_dir()).expanduser())
        cleanup.callback(window.shutdown)
        window.show()
        if args.screenshot is not None:
            _schedule_screenshot(app, window, args.screenshot)
        status = app.exec()
    keep_alive.stop()
    return status


if __name__ == "__main__":
    sys.exit(main())
