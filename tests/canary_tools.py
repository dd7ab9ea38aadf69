"""Canaries and the scanner that looks for them on disk (see tests/test_canary.py).

A canary is a unique string per run, in Latin, Cyrillic and Han script. The scanner searches
files and file names for every canary as UTF-8, UTF-16-LE and UTF-16-BE, also in the
lower-cased, accent-folded and Han-spaced forms the search index would store.
"""

from __future__ import annotations

import os
import secrets
import stat
import tempfile
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest

from monitor_app.records.search import index_text

ENCODINGS = ("utf-8", "utf-16-le", "utf-16-be")
CYRILLIC_LETTERS = "АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ"
HAN_FIRST, HAN_LAST = 0x4E00, 0x9FA5
KEY_LENGTH = 6  # needles are grouped by their first bytes, found with bytes.find
CHUNK = 8 * 1024 * 1024


# -- canaries ------------------------------------------------------------------------------


class Canaries:
    """Unique strings per run, each under a label that names where it was put."""

    def __init__(self) -> None:
        self.by_label: dict[str, str] = {}

    def make(self, label: str) -> str:
        """One canary per script for ``label``, joined as one text."""
        latin = "CANARY" + secrets.token_hex(6).upper()
        cyrillic = "КАНАРЕЙКА" + "".join(secrets.choice(CYRILLIC_LETTERS) for _ in range(8))
        han = "金丝雀" + "".join(
            chr(HAN_FIRST + secrets.randbelow(HAN_LAST - HAN_FIRST + 1)) for _ in range(6)
        )
        for script, value in (("latin", latin), ("cyrillic", cyrillic), ("han", han)):
            self.by_label[f"{label}/{script}"] = value
        return f"{latin} {cyrillic} {han}"

    def add(self, label: str, value: str) -> str:
        self.by_label[label] = value
        return value

    def of(self, label: str) -> list[str]:
        return [v for k, v in self.by_label.items() if k.startswith(label + "/")]


def fold_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize(
        "NFC", "".join(c for c in decomposed if not unicodedata.combining(c))
    )


def forms_of(canary: str) -> set[str]:
    """The canary as written and as the search index would normalise it."""
    forms = {canary, canary.lower(), canary.upper()}
    forms |= {fold_marks(f) for f in forms}
    forms |= {index_text(f).strip() for f in forms}
    return forms


# -- scanner -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    path: Path
    label: str
    encoding: str
    offset: int  # -1 for a canary in the file's name

    def __str__(self) -> str:  # never shows the canary itself
        where = "name" if self.offset < 0 else f"offset {self.offset}"
        return f"{self.path}: {self.label} as {self.encoding} at {where}"


class Scanner:
    def __init__(self, canaries: Canaries, chunk: int = CHUNK) -> None:
        self.needles: dict[bytes, tuple[str, str]] = {}
        for label, canary in canaries.by_label.items():
            for form in forms_of(canary):
                for encoding in ENCODINGS:
                    self.needles[form.encode(encoding)] = (label, encoding)
        self.groups: dict[bytes, list[bytes]] = {}
        for needle in self.needles:
            assert len(needle) >= KEY_LENGTH
            self.groups.setdefault(needle[:KEY_LENGTH], []).append(needle)
        self.overlap = max(len(n) for n in self.needles) - 1
        self.chunk = chunk

    def _search(self, buffer: bytes, base: int, path: Path, found: set[Finding]) -> None:
        for key, needles in self.groups.items():
            position = buffer.find(key)
            while position >= 0:
                for needle in needles:
                    if buffer.startswith(needle, position):
                        label, encoding = self.needles[needle]
                        found.add(Finding(path, label, encoding, base + position))
                position = buffer.find(key, position + 1)

    def scan_file(self, path: Path) -> set[Finding]:
        found: set[Finding] = set()
        base = 0
        tail = b""
        with open(path, "rb") as handle:
            while block := handle.read(self.chunk):
                buffer = tail + block
                self._search(buffer, base, path, found)
                tail = buffer[-self.overlap :]
                base += len(buffer) - len(tail)
        return found

    def scan_name(self, path: Path) -> set[Finding]:
        found: set[Finding] = set()
        self._search(os.fsencode(path.name), 0, path, found)
        return {Finding(f.path, f.label, f.encoding, -1) for f in found}

    def scan(self, roots: Iterable[Path], *, lenient: bool = False) -> list[Finding]:
        """Every regular file and name under ``roots`` (symlinks not followed).

        ``lenient`` skips what cannot be read (other users' files in a shared temp dir, or
        files that vanish while being scanned); our own directories are scanned strictly.
        """
        found: set[Finding] = set()
        for root in roots:
            paths = [root]
            if root.is_dir() and not root.is_symlink():
                for directory, dirs, files in os.walk(root, onerror=None if lenient else _raise):
                    paths += [Path(directory, n) for n in (*dirs, *files)]
            for path in paths:
                found |= self.scan_name(path)
                try:
                    if stat.S_ISREG(path.lstat().st_mode):
                        found |= self.scan_file(path)
                except (PermissionError, FileNotFoundError):
                    if not lenient:
                        raise
        return sorted(found, key=lambda f: (str(f.path), f.label, f.encoding, f.offset))


def _raise(error: OSError) -> None:
    raise error


def describe(findings: list[Finding]) -> str:
    """One line per file, canary and encoding (the first offset and a count)."""
    first: dict[tuple[Path, str, str], Finding] = {}
    counts: dict[tuple[Path, str, str], int] = {}
    for finding in findings:
        key = (finding.path, finding.label, finding.encoding)
        first.setdefault(key, finding)
        counts[key] = counts.get(key, 0) + 1
    lines = [f"{first[k]} ({n} times)" for k, n in counts.items()]
    return "plaintext on disk:\n" + "\n".join(lines[:60])


# -- temp directories ----------------------------------------------------------------------


class SystemTemp:
    """The real temp directories, and what appears in them while a test runs."""

    def __init__(self) -> None:
        candidates = {tempfile.gettempdir(), "/tmp", "/var/tmp", "/dev/shm"}
        self.dirs = sorted({Path(d).resolve() for d in candidates if Path(d).is_dir()})
        self.before = {d: self._names(d) for d in self.dirs}

    @staticmethod
    def _names(directory: Path) -> set[str]:
        try:
            return set(os.listdir(directory))
        except OSError:
            return set()

    def new_entries(self) -> list[Path]:
        return [d / n for d in self.dirs for n in sorted(self._names(d) - self.before[d])]


@pytest.fixture
def system_temp() -> SystemTemp:
    return SystemTemp()


@pytest.fixture
def own_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, system_temp: SystemTemp) -> Path:
    """Point this process's temp directory at a directory the test owns (and scans)."""
    directory = tmp_path / "tmp"
    directory.mkdir(mode=0o700)
    for name in ("TMPDIR", "TEMP", "TMP", "SQLITE_TMPDIR"):
        monkeypatch.setenv(name, str(directory))
    monkeypatch.setattr(tempfile, "tempdir", str(directory))
    return directory


def assert_clean(scanner: Scanner, owned: list[Path], system_temp: SystemTemp) -> None:
    findings = scanner.scan(owned)
    findings += scanner.scan(system_temp.new_entries(), lenient=True)
    assert findings == [], describe(findings)
