"""Entry point of the desktop app (``monitor-app``).

    monitor-app [--vault DIR] [--demo] [--portable] [--screenshot FILE]

``--demo`` opens a throwaway vault of invented sample data in a private temporary directory
that is removed on exit. ``--screenshot FILE`` renders the window to a PNG and exits (it works
with ``QT_QPA_PLATFORM=offscreen``). ``--portable`` (or a ``monitor_app.portable`` file beside
the app) keeps everything beside the app, for a USB stick (monitor_app/locations.py).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from monitor_app import locations
from monitor_app.demo import DEMO_PASSPHRASE, create_demo_vault
from monitor_app.errors import MonitorError, StorageError
from monitor_app.fsutil import make_private_dir, restrict_umask, storage_error
from monitor_app.i18n import _
from monitor_app.messages import describe
from ui.style import apply_style
from ui.vault_window import APP_TITLE, VaultWindow

SCREENSHOT_DELAY_MS = 100
SIGNAL_POLL_MS = 250


def default_vault_dir() -> Path:
    return locations.current().vault_dir


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
        "--portable",
        nargs="?",
        const="",
        metavar="DIR",
        help=_(
            "keep the vault, settings and logs beside the app (or in DIR) and write nothing "
            "to this computer"
        ),
    )
    parser.add_argument(
        "--screenshot", metavar="FILE", type=Path, help=_("save the window as PNG and exit")
    )
    parser.add_argument(
        "--self-test",
        action="store_true",
        help=_("check that this copy of the app works (Qt, vaults, bundles), then exit"),
    )
    return parser


def self_test() -> int:
    """Load Qt offscreen and draw the window, then run the core's end-to-end check."""
    from PySide6 import __version__ as pyside_version

    from monitor_app import selftest

    def report(line: str) -> None:
        print(line, flush=True)

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    try:
        app = QApplication.instance() or QApplication([sys.argv[0]])
        with tempfile.TemporaryDirectory(prefix="monitor_app-selftest-") as folder:
            window = VaultWindow(Path(folder) / "vault")
            image = window.grab().toImage()
            window.shutdown()
        if image.isNull():
            raise selftest.SelfTestFailed("draw the window", "empty image")
        report(f"ok  load Qt {pyside_version} ({QApplication.platformName()}) and draw the window")
        del app
        selftest.run(report)
    except selftest.SelfTestFailed as exc:
        print(f"FAILED  {exc}", flush=True)
        return 1
    print("self-test passed", flush=True)
    return 0


def prepare_locations(portable: str | None) -> locations.Locations:
    """Activate where data lives and check that it can be written, before Qt starts (Qt
    reads the environment that portable mode redirects). ``portable`` is None (installed
    unless a marker says otherwise), "" (beside the app) or a folder. Raises a StorageError."""
    chosen = locations.resolve(
        portable=portable is not None, base=Path(portable).expanduser() if portable else None
    )
    try:
        locations.activate(chosen)
        make_private_dir(chosen.settings_dir)
        probe = chosen.settings_dir / ".write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise storage_error(exc, chosen.settings_dir) from None
    return chosen


def contain_qt_settings(chosen: locations.Locations) -> None:
    """Qt's own settings (file dialogs remember folders visited, which can name a case) go to
    the app's settings folder, never to the user's general Qt settings."""
    qt_dir = str(chosen.settings_dir / "qt")
    for settings_format in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(settings_format, QSettings.Scope.UserScope, qt_dir)
        QSettings.setPath(settings_format, QSettings.Scope.SystemScope, qt_dir)


def demo_banner() -> str:
    return _(
        "DEMO — invented sample data in a throwaway vault, deleted when the app closes. "
        "Never enter real cases here. Passphrase: {passphrase}"
    ).format(passphrase=DEMO_PASSPHRASE)


def _startup_failure(message: str) -> None:
    """Say why the app cannot start: on stderr, and in a dialog where there is a screen."""
    sys.stderr.write(f"monitor-app: {message}\n")
    if os.environ.get("QT_QPA_PLATFORM", "") in ("offscreen", "minimal"):
        return
    app = QApplication.instance() or QApplication([sys.argv[0]])
    QMessageBox.critical(None, APP_TITLE, message)
    del app


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
    try:
        chosen = prepare_locations(args.portable)
    except StorageError as exc:
        problem = describe(exc)
        _startup_failure(
            _("The app's data folder cannot be written, so it cannot start. {problem}").format(
                problem=problem
            )
        )
        return 1
    contain_qt_settings(chosen)
    if args.self_test:
        return self_test()
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
