"""Where the app keeps its vault, settings and logs: per user, or beside the app (portable).

Installed, the app follows the platform's conventions (platformdirs). Portable, it runs from a
USB stick and must leave nothing on the computer it is plugged into: the vault, settings and
logs live in ``monitor_app-data`` beside the app, the OS keyring is never touched, and the
environment is pointed at that folder before anything else starts, so that libraries which
write caches or settings of their own (Qt, fontconfig) write there too.

Portable mode is on when the app is started with ``--portable`` or when a file named
``monitor_app.portable`` lies beside the executable (for a built app: the app's folder).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

MARKER_NAME = "monitor_app.portable"
PORTABLE_DIR_NAME = "monitor_app-data"
APP_NAME = "monitor_app"


@dataclass(frozen=True)
class Locations:
    portable: bool
    vault_dir: Path
    settings_dir: Path
    log_dir: Path
    temp_dir: Path | None  # portable: a temp folder on the stick; installed: the system's


_current: Locations | None = None


def app_dir() -> Path:
    """The folder of the running app: the executable's for a built app, the project's in
    development (``python -m``, an editable install)."""
    if getattr(sys, "frozen", False):
        return Path(sys.executable).resolve().parent
    return Path(__file__).resolve().parents[1]


def resolve(*, portable: bool = False, base: Path | None = None) -> Locations:
    """Locations for this run. ``base`` overrides ``app_dir()`` (tests)."""
    root = base or app_dir()
    if portable or (root / MARKER_NAME).is_file():
        data = root / PORTABLE_DIR_NAME
        return Locations(
            portable=True,
            vault_dir=data / "vault",
            settings_dir=data / "settings",
            log_dir=data / "logs",
            temp_dir=data / "tmp",
        )
    from platformdirs import user_config_dir, user_data_dir, user_log_dir

    return Locations(
        portable=False,
        vault_dir=Path(user_data_dir(APP_NAME, appauthor=False)) / "vault",
        settings_dir=Path(user_config_dir(APP_NAME, appauthor=False)),
        log_dir=Path(user_log_dir(APP_NAME, appauthor=False)),
        temp_dir=None,
    )


def from_option(portable: str | None) -> Locations:
    """Locations for a ``--portable [DIR]`` option: None (installed, unless a marker file
    says otherwise), "" (beside the app) or a folder."""
    return resolve(
        portable=portable is not None, base=Path(portable).expanduser() if portable else None
    )


def activate(locations: Locations) -> None:
    """Make ``locations`` the process's. Portable: create the folders (0700) and point HOME's
    conventional folders and the temp dir at them, before Qt or anything else reads them."""
    global _current
    _current = locations
    if not locations.portable:
        return
    from monitor_app.fsutil import make_private_dir

    assert locations.temp_dir is not None
    data = locations.settings_dir.parent
    for directory in (data, locations.settings_dir, locations.log_dir, locations.temp_dir):
        make_private_dir(directory)
    home = data / "home"
    redirected = {
        "XDG_CONFIG_HOME": locations.settings_dir / "xdg-config",
        "XDG_CACHE_HOME": home / "cache",
        "XDG_DATA_HOME": home / "data",
        "XDG_STATE_HOME": home / "state",
        "TMPDIR": locations.temp_dir,
        "TEMP": locations.temp_dir,
        "TMP": locations.temp_dir,
    }
    for name, path in redirected.items():
        make_private_dir(path)
        os.environ[name] = str(path)
    import tempfile

    tempfile.tempdir = str(locations.temp_dir)


def current() -> Locations:
    """The activated locations (per user when nothing was activated)."""
    return _current if _current is not None else resolve()


def is_portable() -> bool:
    return _current is not None and _current.portable
