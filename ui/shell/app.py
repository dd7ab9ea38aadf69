"""Entry point of the desktop app (``monitor-app``).

    monitor-app [--vault DIR] [--demo] [--portable] [--screenshot FILE] [--view NAME]
                [--lang CODE] [--size WxH]

``--demo`` opens a throwaway vault of invented sample data (records, contacts and a handoff
history) in a private temporary directory that is removed on exit. ``--screenshot FILE``
renders the window to a PNG and exits (it works with ``QT_QPA_PLATFORM=offscreen``), once
every background read of the screen has arrived.
``--view`` starts on one screen: a section of the main view, ``editor`` (the record editor of
a demo incident; the sections and the editor need ``--demo``), ``unlock`` or ``create``.
``--lang`` uses one of the shipped languages for this run, ``--size`` the window's size.
``--portable`` (or a ``monitor_app.portable`` file beside the app) keeps everything beside the
app, for a USB stick (monitor_app/locations.py).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QLocale, QSettings, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from monitor_app import i18n, locations
from monitor_app import settings as app_settings
from monitor_app.demo import DEMO_PASSPHRASE, create_demo_vault
from monitor_app.errors import MonitorError, StorageError
from monitor_app.fsutil import make_private_dir, restrict_umask, storage_error
from monitor_app.i18n import _
from monitor_app.messages import describe
from monitor_app.vault.lifecycle import is_vault_dir
from monitor_app.vault.session import UnlockedVault
from ui.common.style import apply_style
from ui.common.workers import JobRunner
from ui.shell.main_view import SECTIONS
from ui.shell.vault_window import APP_TITLE, VaultWindow

SCREENSHOT_DELAY_MS = 100  # after the screen has settled: the last layout and paint
SCREENSHOT_POLL_MS = 50
SCREENSHOT_WAIT_MS = 30_000  # a read that takes longer is not waited for
SIGNAL_POLL_MS = 250
# Screens --view can start on: the main view's sections, the editor of a demo incident, the
# dossiers of the demo person and place named most, and the screens of a locked app.
DOSSIER_VIEWS = {"person-dossier": "person", "place-dossier": "place"}
VAULT_VIEWS = (*SECTIONS, "editor", *DOSSIER_VIEWS)
VIEWS = (*VAULT_VIEWS, "unlock", "recover", "create")
MIN_SIZE, MAX_SIZE = 320, 8192


def default_vault_dir() -> Path:
    return locations.current().vault_dir


def window_size(text: str) -> tuple[int, int]:
    """``1100x720`` as (1100, 720), for ``--size``."""
    width, sep, height = text.lower().partition("x")
    if not (sep and width.isdigit() and height.isdigit()):
        raise argparse.ArgumentTypeError(_("not a size such as 1100x720: {text}").format(text=text))
    size = int(width), int(height)
    if not all(MIN_SIZE <= n <= MAX_SIZE for n in size):
        raise argparse.ArgumentTypeError(
            _("each side must be from {low} to {high} pixels").format(low=MIN_SIZE, high=MAX_SIZE)
        )
    return size


def use_language(lang: str) -> None:
    """Translate the interface into ``lang`` from now on. Called before any widget is built:
    labels are translated once, when a screen is made. Qt's default locale follows, so that
    vocabulary labels in the forms (ui/records/editor/base.py) and dates and numbers match."""
    i18n.set_language(lang)
    QLocale.setDefault(QLocale(lang))


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
        "--view",
        choices=VIEWS,
        help=_("start on this screen; the vault's screens and the record editor need --demo"),
    )
    parser.add_argument(
        "--lang",
        choices=i18n.SHIPPED_LANGUAGES,
        help=_("the interface language for this run"),
    )
    parser.add_argument(
        "--size",
        metavar="WxH",
        type=window_size,
        help=_("the window's size in pixels, e.g. 1100x720"),
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
    chosen = locations.from_option(portable)
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


def _waiting(window: VaultWindow) -> bool:
    """Whether a background job of the window (a list, the counts, a record) is still due."""
    return any(runner.busy for runner in window.findChildren(JobRunner))


def _schedule_screenshot(app: QApplication, window: VaultWindow, target: Path) -> None:
    """Save the window once it has settled: no background read outstanding at two polls in a
    row (a job that finishes may start the next one, as the editor does for the history)."""
    deadline = time.monotonic() + SCREENSHOT_WAIT_MS / 1000
    idle_polls = 0

    def shoot() -> None:
        saved = window.grab().save(str(target), "PNG")
        if not saved:
            sys.stderr.write(f"monitor-app: could not write {target}\n")
        app.exit(0 if saved else 1)

    def poll() -> None:
        nonlocal idle_polls
        idle_polls = 0 if _waiting(window) else idle_polls + 1
        if idle_polls < 2 and time.monotonic() < deadline:
            QTimer.singleShot(SCREENSHOT_POLL_MS, poll)
        else:
            QTimer.singleShot(SCREENSHOT_DELAY_MS, shoot)

    QTimer.singleShot(SCREENSHOT_POLL_MS, poll)


def richest_incident(vault: UnlockedVault) -> str | None:
    """The demo incident with the most fields filled in (ties: by title), to show the editor
    with as much of its form in use as possible. The demo vault is small and nothing is on
    screen yet, so reading it here, on the GUI thread, delays nothing anyone sees."""
    views = [vault.records.get(row.record_id) for row in vault.records.list("incident")]
    if not views:
        return None
    best = max(views, key=lambda v: (len(v.fields), str(v.fields.get("title", ""))))
    return best.record_id


def most_named(vault: UnlockedVault, type_name: str) -> str | None:
    """The demo person or place the most records name (ties: by id), for its dossier."""
    with vault.reading() as conn:
        row = conn.execute(
            "SELECT l.target_id FROM record_links AS l JOIN records AS r ON r.id = l.target_id"
            " WHERE r.type = ? AND r.deleted_at IS NULL GROUP BY l.target_id"
            " ORDER BY count(DISTINCT l.record_id) DESC, l.target_id LIMIT 1",
            (type_name,),
        ).fetchone()
    return None if row is None else str(row[0])


def show_view(window: VaultWindow, view: str) -> None:
    """Put the window on ``view``; the vault's screens need it unlocked (checked before)."""
    vault = window.vault
    if view in VAULT_VIEWS:
        assert vault is not None
        if view == "editor":
            record_id = richest_incident(vault)
            window.main_view.show_section("incident")
            if record_id is not None:
                window.main_view.edit_record(record_id)
        elif view in DOSSIER_VIEWS:
            type_name = DOSSIER_VIEWS[view]
            window.main_view.show_section(type_name)
            subject = most_named(vault, type_name)
            if subject is not None:
                window.main_view.open_record(subject)
                window.main_view.open_dossier(type_name, subject)
        else:
            window.main_view.show_section(view)
    elif view in ("unlock", "recover"):
        if vault is not None:
            window.lock_now()  # the demo vault: the unlock screen with its passphrase hint
        if view == "recover":
            window.unlock_page.recover_requested.emit()


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
    if args.view in VAULT_VIEWS and not args.demo:
        # The app never takes a passphrase on the command line: only the demo vault is open.
        build_parser().error(
            _("--view {view} shows a vault's records: use it with --demo").format(view=args.view)
        )
    # After prepare_locations: portable settings live on the stick. Without a choice, the
    # system's language (LANGUAGE, LC_ALL, LC_MESSAGES, LANG), as monitorctl does.
    language = args.lang or app_settings.startup_language()
    if language:
        use_language(language)  # also Qt's locale: dates and numbers follow
    else:
        i18n.set_language(None)
    app = QApplication.instance() or QApplication([sys.argv[0]])
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_TITLE)
    app.setApplicationDisplayName(APP_TITLE)
    apply_style(app)
    keep_alive = _quit_on_signals(app)

    with contextlib.ExitStack() as cleanup:
        if args.demo and args.view == "create":
            # The create screen, in the demo's throwaway folder: a vault made there goes too.
            directory = Path(
                cleanup.enter_context(tempfile.TemporaryDirectory(prefix="monitor_app-demo-"))
            )
            window = VaultWindow(directory / "vault", demo_banner=demo_banner())
        elif args.demo:
            # mkdtemp makes the directory 0700; it is removed with everything in it on exit.
            directory = Path(
                cleanup.enter_context(tempfile.TemporaryDirectory(prefix="monitor_app-demo-"))
            )
            vault_path = directory / "vault"
            try:
                # Before any window is shown: the demo vault and the other parties' vaults of
                # its handoff history (made and removed in this directory) at the minimum KDF
                # cost, about two seconds in all.
                vault, _code = create_demo_vault(vault_path, workspace=directory)
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
            vault_dir = (args.vault or default_vault_dir()).expanduser()
            # Without --demo the folder decides between the two screens of a locked app.
            holds_vault = is_vault_dir(vault_dir)
            if args.view in ("unlock", "recover") and not holds_vault:
                sys.stderr.write(
                    "monitor-app: "
                    + _("there is no vault to unlock in {path}").format(path=vault_dir)
                    + "\n"
                )
                return 2
            if args.view == "create" and holds_vault:
                sys.stderr.write(
                    "monitor-app: "
                    + _("{path} already holds a vault").format(path=vault_dir)
                    + "\n"
                )
                return 2
            window = VaultWindow(vault_dir)
        cleanup.callback(window.shutdown)
        if args.size is not None:
            window.resize(*args.size)
        if args.view is not None:
            show_view(window, args.view)
        window.show()
        if args.screenshot is not None:
            _schedule_screenshot(app, window, args.screenshot)
        status = app.exec()
    keep_alive.stop()
    return status


if __name__ == "__main__":
    sys.exit(main())
