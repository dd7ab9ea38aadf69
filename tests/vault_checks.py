"""Checks shared by the vault tests: directory snapshots and refusals that change nothing."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest

from monitor_app.errors import MonitorError


def snapshot(directory: Path) -> dict[str, str]:
    """Relative path -> sha256 of content (or "<dir>") for everything under ``directory``."""
    result = {}
    for path in sorted(directory.rglob("*")):
        rel = str(path.relative_to(directory))
        result[rel] = "<dir>" if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
    return result


def assert_refused_unchanged(path: Path, code: str, attempt: Callable[[], object]) -> MonitorError:
    """``attempt`` raises the error ``code`` and leaves ``path`` byte-identical."""
    before = snapshot(path)
    with pytest.raises(MonitorError) as caught:
        attempt()
    assert caught.value.code == code
    assert snapshot(path) == before
    return caught.value
