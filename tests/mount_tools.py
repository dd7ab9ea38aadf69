"""Helpers for tests that mount small file systems of their own (sticks, full disks)."""

from __future__ import annotations

import io
import os
import subprocess
from pathlib import Path

import pytest

from monitor_app.vault.session import UnlockedVault

MIB = 1 << 20


def run_or_skip(*command: str) -> str:
    """Run a setup command (mkfs, mount, losetup); skip the test, saying why, if it fails."""
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"{command[0]} failed here: {(done.stderr or done.stdout).strip()[:200]}")
    return done.stdout.strip()


def fill(disk: Path, leave: int, name: str = "filler") -> Path:
    """A file that takes all the room on ``disk`` but ``leave`` bytes. Written, not
    truncated: NTFS would keep a truncated file sparse, taking no room."""
    room = os.statvfs(disk)
    left = room.f_bavail * room.f_frsize - leave
    filler = disk / name
    with open(filler, "wb") as f:
        while left > 0:
            left -= f.write(bytes(min(left, 4 * MIB)))
        os.fsync(f.fileno())
    return filler


def only_attachment(vault: UnlockedVault) -> bytes:
    """The content of the vault's one attachment, read back through the vault."""
    (attachment_id,) = [row[0] for row in vault.conn.execute("SELECT id FROM attachments")]
    copy = io.BytesIO()
    vault.attachments.write_to(str(attachment_id), copy)
    return copy.getvalue()
