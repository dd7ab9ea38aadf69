"""Controlled vocabularies: stable codes with translated labels, loaded from data files.

Each vocabulary is one JSON file ``<name>.json``::

    {"format": "monitor_app.vocabulary", "version": 1, "name": "incident_type",
     "entries": [{"code": "torture", "labels": {"en": "Torture", "ru": "Пытки", ...}}, ...]}

Records store codes, never labels, so a code once shipped is never renamed or removed.

Loading order and merge rules
-----------------------------
The shipped files (``resources/vocabularies``) load first, then each extra directory in the
order given (for example a coalition's additions in the user's config directory), each
directory's ``*.json`` files in name order. An extra file may:

* add a new vocabulary (a name not loaded yet);
* add entries with new codes to an existing vocabulary (appended after the existing ones);
* add labels in languages an existing entry does not have yet.

It can never remove an entry or change a label that is already there: a label for a language
the entry already has is ignored, so a hostile or careless extra file cannot relabel
"torture" as something harmless. An extra directory that does not exist is skipped.

Strictness
----------
Every file is untrusted. A file is refused, and loading fails with
``MonitorError("vocabulary_invalid", file=<file name only>, reason=<short reason>)``, when it
is not a regular file, is larger than 1 MiB, is not UTF-8, is not JSON (including duplicate
keys and NaN/Infinity), has the wrong format or version, unexpected keys, a name that is not
the file name, no entries, a code not matching ``^[a-z][a-z0-9_]{0,63}$``, a duplicate code,
labels that are not a non-empty object of strings, no ``en`` label, a malformed language tag,
or an empty, over-long or control-character label (C0/C1 controls, lone surrogates and bidi
embedding/override/isolate characters). Where it helps, ``entry`` gives the 0-based index of
the offending entry. File contents never go into an error.
"""

from __future__ import annotations

import functools
import json
import os
import re
import stat
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from monitor_app.errors import MonitorError, NotFoundError
from monitor_app.resources import resources_dir

FORMAT = "monitor_app.vocabulary"
VERSION = 1
SHIPPED_LANGUAGES: tuple[str, ...] = ("en", "ru", "fr", "zh_CN", "ky")
FALLBACK_LANGUAGE = "en"
MAX_FILE_BYTES = 1024 * 1024
MAX_LABEL_CHARS = 200

CODE_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,63}")
# "en", "zh_CN", "sr_Latn", "es_419": language, then an optional region or script.
LANGUAGE_PATTERN = re.compile(r"[a-z]{2,3}(?:_(?:[A-Z]{2}|[0-9]{3}|[A-Z][a-z]{3}))?")

_FILE_KEYS = frozenset({"format", "version", "name", "entries"})
_ENTRY_KEYS = frozenset({"code", "labels"})
# Bidi embeddings, overrides and isolates can make a label display as something else.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


@dataclass(frozen=True)
class VocabularyEntry:
    code: str
    labels: Mapping[str, str]

    def label(self, lang: str) -> str:
        """The label in ``lang``, else the same language in another variant, else English,
        else the code itself. ``zh-CN`` is treated as ``zh_CN``."""
        lang = lang.replace("-", "_")
        found = self.labels.get(lang)
        if found:
            return found
        base = lang.split("_", 1)[0]
        found = self.labels.get(base)
        if found:
            return found
        for tag in sorted(self.labels):
            if tag.split("_", 1)[0] == base and self.labels[tag]:
                return self.labels[tag]
        return self.labels.get(FALLBACK_LANGUAGE) or self.code


@dataclass(frozen=True)
class Vocabulary:
    name: str
    entries: tuple[VocabularyEntry, ...]
    _by_code: Mapping[str, VocabularyEntry] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        by_code = {entry.code: entry for entry in self.entries}
        if len(by_code) != len(self.entries):
            raise ValueError("duplicate codes in vocabulary")
        object.__setattr__(self, "_by_code", MappingProxyType(by_code))

    def codes(self) -> frozenset[str]:
        return frozenset(self._by_code)

    def entry(self, code: str) -> VocabularyEntry | None:
        return self._by_code.get(code)

    def label(self, code: str, lang: str) -> str:
        """The entry's label; an unknown code (e.g. from a newer coalition file) shows as is."""
        entry = self._by_code.get(code)
        return entry.label(lang) if entry is not None else code

    def to_json(self) -> dict[str, Any]:
        """The same shape as a vocabulary file, so it can be written out and loaded again."""
        return {
            "format": FORMAT,
            "version": VERSION,
            "name": self.name,
            "entries": [
                {"code": entry.code, "labels": dict(entry.labels)} for entry in self.entries
            ],
        }


class Vocabularies:
    """All loaded vocabularies by name. Immutable once loaded."""

    def __init__(self, vocabularies: Iterable[Vocabulary]) -> None:
        self._by_name: dict[str, Vocabulary] = {v.name: v for v in vocabularies}

    @classmethod
    def load(cls, extra_dirs: Iterable[Path] = ()) -> Vocabularies:
        """Shipped vocabularies, then additions from ``extra_dirs`` (see the module docstring)."""
        merged: dict[str, _Draft] = {}
        for path in _vocabulary_files(resources_dir() / "vocabularies", required=True):
            name, entries = _read_file(path)
            merged[name] = _Draft(entries)
        for directory in extra_dirs:
            for path in _vocabulary_files(Path(directory), required=False):
                name, entries = _read_file(path)
                if name in merged:
                    merged[name].add(entries)
                else:
                    merged[name] = _Draft(entries)
        return cls(draft.freeze(name) for name, draft in sorted(merged.items()))

    def names(self) -> list[str]:
        return sorted(self._by_name)

    def get(self, name: str) -> Vocabulary:
        vocabulary = self._by_name.get(name)
        if vocabulary is None:
            raise NotFoundError("vocabulary_not_found", name=name)
        return vocabulary

    def is_valid(self, name: str, code: object) -> bool:
        """Whether ``code`` is a code of vocabulary ``name``. An unknown vocabulary name is a
        programming error and raises ``vocabulary_not_found`` rather than rejecting quietly."""
        vocabulary = self.get(name)
        return isinstance(code, str) and code in vocabulary.codes()


def user_vocabulary_dir() -> Path:
    """Where a coalition's additions to the vocabularies are installed for this user."""
    from monitor_app import locations

    return locations.current().settings_dir / "vocabularies"


@functools.cache
def default_vocabularies() -> Vocabularies:
    """The shipped vocabularies plus the user's additions, loaded once per process."""
    return Vocabularies.load([user_vocabulary_dir()])


# --- loading ------------------------------------------------------------------------------


class _Draft:
    """A vocabulary being merged: ordered codes with mutable label dicts."""

    def __init__(self, entries: list[tuple[str, dict[str, str]]]) -> None:
        self.labels: dict[str, dict[str, str]] = {}
        self.add(entries)

    def add(self, entries: list[tuple[str, dict[str, str]]]) -> None:
        for code, labels in entries:
            existing = self.labels.setdefault(code, {})
            for lang, text in labels.items():
                existing.setdefault(lang, text)  # never replaces a label already there

    def freeze(self, name: str) -> Vocabulary:
        return Vocabulary(
            name=name,
            entries=tuple(
                VocabularyEntry(code=code, labels=MappingProxyType(dict(labels)))
                for code, labels in self.labels.items()
            ),
        )


class _Invalid(Exception):
    def __init__(self, reason: str, entry: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.entry = entry


def _invalid(path: Path, reason: str, entry: int | None = None) -> MonitorError:
    params: dict[str, Any] = {"file": path.name, "reason": reason}
    if entry is not None:
        params["entry"] = entry
    return MonitorError("vocabulary_invalid", **params)


def _vocabulary_files(directory: Path, *, required: bool) -> Iterator[Path]:
    try:
        names = sorted(child.name for child in directory.iterdir() if child.name.endswith(".json"))
    except FileNotFoundError:
        if required:
            raise _invalid(directory, "missing") from None
        return
    except OSError:
        raise _invalid(directory, "unreadable") from None
    for name in names:
        if not name.startswith("."):
            yield directory / name


def _read_file(path: Path) -> tuple[str, list[tuple[str, dict[str, str]]]]:
    data = _read_bytes(path)
    try:
        return _parse(data, expected_name=path.name.removesuffix(".json"))
    except _Invalid as exc:
        raise _invalid(path, exc.reason, exc.entry) from None


def _read_bytes(path: Path) -> bytes:
    # O_NONBLOCK: opening a FIFO planted under a .json name must not hang the app.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        raise _invalid(path, "unreadable") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _invalid(path, "not_a_file")
        if info.st_size > MAX_FILE_BYTES:
            raise _invalid(path, "too_large")
        chunks: list[bytes] = []
        size = 0
        while size <= MAX_FILE_BYTES:  # the file may grow after fstat
            chunk = os.read(fd, MAX_FILE_BYTES + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > MAX_FILE_BYTES:
            raise _invalid(path, "too_large")
        return b"".join(chunks)
    except OSError:
        raise _invalid(path, "unreadable") from None
    finally:
        os.close(fd)


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _Invalid("duplicate_key")
        result[key] = value
    return result


def _no_constants(name: str) -> Any:
    raise _Invalid("malformed_json")


def _parse(data: bytes, expected_name: str) -> tuple[str, list[tuple[str, dict[str, str]]]]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise _Invalid("not_utf8") from None
    text = text.removeprefix("\ufeff")
    try:
        doc = json.loads(text, object_pairs_hook=_no_duplicate_keys, parse_constant=_no_constants)
    except (ValueError, RecursionError):
        raise _Invalid("malformed_json") from None

    if not isinstance(doc, dict):
        raise _Invalid("not_an_object")
    if doc.get("format") != FORMAT:
        raise _Invalid("wrong_format")
    version = doc.get("version")
    if type(version) is not int:  # bool is an int subclass; true must not pass as 1
        raise _Invalid("wrong_version")
    if version != VERSION:
        raise _Invalid("unsupported_version")
    if set(doc) != _FILE_KEYS:
        raise _Invalid("missing_key" if _FILE_KEYS - set(doc) else "unexpected_key")
    name = doc["name"]
    if not isinstance(name, str) or not CODE_PATTERN.fullmatch(name):
        raise _Invalid("bad_name")
    if name != expected_name:
        raise _Invalid("name_mismatch")
    raw_entries = doc["entries"]
    if not isinstance(raw_entries, list):
        raise _Invalid("bad_entries")
    if not raw_entries:
        raise _Invalid("no_entries")

    entries: list[tuple[str, dict[str, str]]] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_entries):
        code, labels = _parse_entry(raw, index)
        if code in seen:
            raise _Invalid("duplicate_code", index)
        seen.add(code)
        entries.append((code, labels))
    return name, entries


def _parse_entry(raw: Any, index: int) -> tuple[str, dict[str, str]]:
    if not isinstance(raw, dict) or set(raw) != _ENTRY_KEYS:
        raise _Invalid("bad_entry", index)
    code = raw["code"]
    if not isinstance(code, str) or not CODE_PATTERN.fullmatch(code):
        raise _Invalid("bad_code", index)
    raw_labels = raw["labels"]
    if not isinstance(raw_labels, dict) or not raw_labels:
        raise _Invalid("bad_labels", index)
    labels: dict[str, str] = {}
    for lang, text in raw_labels.items():
        if not LANGUAGE_PATTERN.fullmatch(lang):
            raise _Invalid("bad_language", index)
        if not isinstance(text, str):
            raise _Invalid("bad_label", index)
        text = unicodedata.normalize("NFC", text.strip())
        if not text or len(text) > MAX_LABEL_CHARS or not _is_clean(text):
            raise _Invalid("bad_label", index)
        labels[lang] = text
    if FALLBACK_LANGUAGE not in labels:
        raise _Invalid("missing_en_label", index)
    return code, labels


def _is_clean(text: str) -> bool:
    return not any(
        char in _BIDI_CONTROLS or unicodedata.category(char) in ("Cc", "Cs") for char in text
    )
