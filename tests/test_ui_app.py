"""The entry point, run as a process: --screenshot renders the window and exits; --view
starts on a given screen, --lang in a given language, --size at a given size."""

from __future__ import annotations

import gettext
import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from monitor_app.i18n import DOMAIN
from monitor_app.resources import resources_dir
from ui.shell.app import VIEWS

pytestmark = pytest.mark.gui

ROOT = Path(__file__).resolve().parent.parent
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Runs the app's main() in a process of its own and prints what its window shows, once the
# event loop runs: the language is process-wide state that must not leak into other tests.
WINDOW_TEXTS = """
import json, sys
from PySide6.QtCore import QLocale, QTimer
from PySide6.QtWidgets import QApplication
from ui.shell import app
from ui.shell.vault_window import VaultWindow

qt = QApplication([sys.argv[0]])

def report():
    (window,) = [w for w in qt.topLevelWidgets() if isinstance(w, VaultWindow)]
    nav = window.main_view.nav
    print(json.dumps({
        "nav": [nav.item(row).text() for row in range(nav.count())],
        "locale": QLocale().name(),
    }))
    qt.exit(0)

QTimer.singleShot(0, report)
sys.exit(app.main(sys.argv[1:]))
"""


def app_env(tmp_path: Path) -> dict[str, str]:
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir(exist_ok=True)
    return {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "TMPDIR": str(private_tmp),
        "XDG_DATA_HOME": str(tmp_path / "data"),
    }


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the PNG's header (IHDR, the first chunk)."""
    assert data.startswith(PNG_SIGNATURE) and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def run_app(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "ui.shell.app", *args],
        cwd=ROOT,
        env=app_env(tmp_path),
        capture_output=True,
        timeout=120,
    )


def test_demo_screenshot_writes_png_and_removes_the_demo_vault(tmp_path: Path) -> None:
    out = tmp_path / "out.png"
    result = run_app(["--demo", "--screenshot", str(out)], tmp_path)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    data = out.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    assert len(data) > 1000
    # The throwaway vault lived in a private temporary directory, removed on exit.
    assert list((tmp_path / "tmp").iterdir()) == []


def test_screenshot_of_create_page_does_not_create_a_vault(tmp_path: Path) -> None:
    out = tmp_path / "create.png"
    vault = tmp_path / "vault"
    result = run_app(["--vault", str(vault), "--screenshot", str(out)], tmp_path)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    assert out.read_bytes().startswith(PNG_SIGNATURE)
    assert not vault.exists()


def test_every_view_renders_with_the_demo(tmp_path: Path) -> None:
    """Each screen --view names is drawn (the vault's from the demo vault), each differently,
    at the size asked for; the throwaway vault is gone afterwards every time."""
    shots: dict[str, bytes] = {}
    for view in VIEWS:
        out = tmp_path / f"{view}.png"
        args = ["--demo", "--view", view, "--size", "1000x700", "--screenshot", str(out)]
        result = run_app(args, tmp_path)
        assert result.returncode == 0, (view, result.stderr.decode(errors="replace"))
        data = out.read_bytes()
        assert png_size(data) == (1000, 700), view
        assert len(data) > 5000, view  # a drawn screen, not a blank one
        assert list((tmp_path / "tmp").iterdir()) == [], view
        shots[view] = data
    digests = {hashlib.sha256(data).hexdigest(): view for view, data in shots.items()}
    assert len(digests) == len(VIEWS), "two views drew the same screen"


def test_lang_translates_the_window(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", WINDOW_TEXTS, "--demo", "--lang", "ru"],
        cwd=ROOT,
        env=app_env(tmp_path),
        capture_output=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    shown = json.loads(result.stdout)
    catalog = gettext.translation(
        DOMAIN, localedir=str(resources_dir() / "locale"), languages=["ru"]
    )
    for english in ("Overview", "Places of detention", "Incidents", "Handoff", "Contacts"):
        russian = catalog.gettext(english)
        assert russian != english and any("а" <= ch <= "я" for ch in russian.lower())
        assert russian in shown["nav"], (russian, shown["nav"])
    assert "Overview" not in shown["nav"]
    assert shown["locale"].startswith("ru")  # vocabulary labels and dates follow


def test_vault_views_need_the_demo(tmp_path: Path) -> None:
    """The app never takes a passphrase on the command line: a vault's screens can only be
    shown from the demo vault, and an absent vault cannot be shown as locked."""
    vault = tmp_path / "vault"
    result = run_app(["--vault", str(vault), "--view", "incident"], tmp_path)
    assert result.returncode == 2 and b"--demo" in result.stderr
    out = tmp_path / "unlock.png"
    result = run_app(
        ["--vault", str(vault), "--view", "unlock", "--screenshot", str(out)], tmp_path
    )
    assert result.returncode == 2 and b"no vault to unlock" in result.stderr
    assert not out.exists() and not vault.exists()
    result = run_app(["--size", "10x10000"], tmp_path)
    assert result.returncode == 2 and b"--size" in result.stderr


def test_demo_screenshot_on_a_virtual_screen(tmp_path: Path) -> None:
    """The README's start command opens the app on Xvfb where there is no screen: the real
    xcb platform, not offscreen (./dev.sh installs xvfb and the X libraries Qt needs)."""
    xvfb_run = shutil.which("xvfb-run")
    assert xvfb_run is not None, "xvfb-run is required for this test (./dev.sh installs it)"
    out = tmp_path / "xvfb.png"
    env = {k: v for k, v in app_env(tmp_path).items() if k not in ("QT_QPA_PLATFORM", "DISPLAY")}
    result = subprocess.run(
        [xvfb_run, "-a", sys.executable, "-m", "ui.shell.app", "--demo", "--screenshot", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")[-2000:]
    assert out.read_bytes().startswith(PNG_SIGNATURE)
