"""The entry point, run as a process: --screenshot renders the window and exits."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.gui

ROOT = Path(__file__).resolve().parent.parent
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def run_app(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[bytes]:
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "TMPDIR": str(private_tmp),
        "XDG_DATA_HOME": str(tmp_path / "data"),
    }
    return subprocess.run(
        [sys.executable, "-m", "ui.app", *args],
        cwd=ROOT,
        env=env,
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
