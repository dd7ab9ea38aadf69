"""The app's self-test: it passes on a working install, and it does fail when a part breaks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from monitor_app import selftest
from monitor_app.bundles import export
from monitor_app.errors import MonitorError


def test_self_test_runs_every_step() -> None:
    lines: list[str] = []
    selftest.run(lines.append)
    assert len(lines) == 4 and all(line.startswith("ok  ") for line in lines)


def test_a_broken_part_fails_the_self_test(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise MonitorError("disk_full")

    monkeypatch.setattr(export, "export_bundle", broken)
    lines: list[str] = []
    with pytest.raises(selftest.SelfTestFailed) as caught:
        selftest.run(lines.append)
    assert "export a signed, encrypted bundle" in caught.value.step
    assert "disk_full" in str(caught.value)
    assert len(lines) == 2


def test_monitor_app_self_test_command(tmp_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path)}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from ui.shell.app import main; raise SystemExit(main())",
            "--self-test",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].startswith("ok  load Qt")
    assert result.stdout.splitlines()[-1] == "self-test passed"
