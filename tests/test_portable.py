"""Portable mode: run from a USB stick and write nothing to the computer it is plugged into.

The app and monitorctl run in child processes whose home and temporary directories are
fresh folders the test watches. In portable mode, after creating a vault, adding a record,
searching and opening the app's window, both folders are still empty and everything is in
the portable folder. The same run without ``--portable`` does write to the home folder: the
test can fail.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from monitor_app import locations
from monitor_app.vault import device_secret
from tests.conftest import PASSPHRASE
from tests.host_tools import activate_portable

ENTRY_APP = "from ui.shell.app import main; raise SystemExit(main())"
ENTRY_CLI = "from monitor_app.cli.main import main; raise SystemExit(main())"


class Host:
    """A home and a temp folder standing for the computer's, and the stick."""

    def __init__(self, root: Path) -> None:
        self.home = root / "home"
        self.temp = root / "tmp"
        self.stick = root / "stick"
        for folder in (self.home, self.temp, self.stick):
            folder.mkdir()
        self.passphrase_file = self.stick / "pass.txt"  # the test's own input, not the app's
        self.passphrase_file.write_text(PASSPHRASE + "\n")

    def env(self) -> dict[str, str]:
        keep = ("PATH", "LANG", "LC_ALL", "MONITOR_APP_KDF_PROFILE", "QT_QPA_PLATFORM")
        env = {k: os.environ[k] for k in keep if k in os.environ}
        env.update(HOME=str(self.home), TMPDIR=str(self.temp), QT_QPA_PLATFORM="offscreen")
        env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        return env

    def run(self, entry: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", entry, *args],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
        )

    def written(self) -> list[str]:
        """Everything that appeared in the host's home and temp folders."""
        return sorted(
            f"{base.name}/{path.relative_to(base)}"
            for base in (self.home, self.temp)
            for path in base.rglob("*")
        )


@pytest.fixture
def host(tmp_path: Path) -> Host:
    return Host(tmp_path)


def _use_vault(host: Host, *portable: str) -> None:
    base = [*portable, "--passphrase-file", str(host.passphrase_file)]
    made = host.run(ENTRY_CLI, *base, "init", "--name", "Aida K.")
    assert made.returncode == 0, made.stderr
    place = '{"name": "ИВС №1", "place_type": "police_station"}'
    added = subprocess.run(
        [sys.executable, "-c", ENTRY_CLI, *base, "record", "add", "--type", "place",
         "--json", "-"],
        env=host.env(), input=place, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    found = host.run(ENTRY_CLI, *base, "search", "ИВС")
    assert found.returncode == 0 and "ИВС" in found.stdout, found.stderr
    shot = host.stick / "shot.png"
    shown = host.run(ENTRY_APP, *portable, "--screenshot", str(shot))
    assert shown.returncode == 0, shown.stderr
    assert shot.is_file()


def test_portable_run_writes_nothing_to_the_host(host: Host) -> None:
    _use_vault(host, "--portable", str(host.stick))
    assert host.written() == []
    data = host.stick / locations.PORTABLE_DIR_NAME
    assert (data / "vault" / "vault.db").is_file()
    assert (data / "settings").is_dir()


def test_installed_run_does_write_to_the_host(host: Host) -> None:
    """The control: the same use without --portable leaves the vault in the home folder."""
    _use_vault(host)
    assert any("vault.db" in path for path in host.written())


def test_unwritable_data_folder_gives_a_sentence_not_a_traceback(host: Host) -> None:
    blocked = host.stick / "not-a-folder"
    blocked.write_text("a file where the data folder should go")
    for entry in (ENTRY_APP, ENTRY_CLI):
        args = ("--portable", str(blocked), *(() if entry == ENTRY_APP else ("info",)))
        result = host.run(entry, *args)
        assert result.returncode == 1
        assert "Traceback" not in result.stderr
        assert "cannot be written" in result.stderr or "disk refused" in result.stderr


def test_portable_mode_never_touches_the_keyring(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(locations, "_current", None)
    assert not isinstance(device_secret.default_store(), device_secret.NoKeyringStore)
    activate_portable(tmp_path, monkeypatch)
    store = device_secret.default_store()
    assert store.available() == (False, "portable_mode")
    with pytest.raises(Exception) as caught:
        store.create("vault-id")
    assert getattr(caught.value, "code", None) == "device_secret_unavailable"


def test_a_marker_file_beside_the_app_turns_portable_mode_on(tmp_path: Path) -> None:
    assert not locations.resolve(base=tmp_path).portable
    (tmp_path / locations.MARKER_NAME).write_text("")
    found = locations.resolve(base=tmp_path)
    assert found.portable and found.vault_dir.is_relative_to(tmp_path)
