"""The columns of a record list: which a type has, their titles, their cells, and which of the
optional ones a person chose to see (remembered per type in QSettings: column keys only,
never anything from a record).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final

from PySide6.QtCore import QSettings

from monitor_app.i18n import _
from monitor_app.records.store import SORT_COLUMNS
from ui.common.widgets import date_text, modified_text, shown_alone

# The column keys are the core's sort keys (store.SORT_COLUMNS) where it has one: sorting
# maps one to one. "place" and "author" have no order in the core and do not sort.
COLUMNS: dict[str, tuple[str, ...]] = {
    "place": ("display", "modified"),
    "visit": ("date", "display", "modified"),
    "incident": ("date", "display", "modified"),
    "person": ("display", "modified"),
}
# Columns a person can show or hide (header context menu); only the fields each type has
# (records/schema.py: case status only on incidents, reprisal risk on incidents and people,
# a place and its region on visits and incidents).
OPTIONAL_COLUMNS: dict[str, tuple[str, ...]] = {
    "place": ("region", "author"),
    "visit": ("place", "region", "author"),
    "incident": ("case_status", "reprisal_risk", "place", "region", "author"),
    "person": ("reprisal_risk", "author"),
}
# Shown until a person chooses otherwise: what a reviewer working incidents reads first.
DEFAULT_SHOWN: dict[str, tuple[str, ...]] = {"incident": ("case_status",)}
# Names read best alphabetically; visits and incidents newest first.
DEFAULT_SORT: dict[str, tuple[str, bool]] = {
    "place": ("display", False),
    "visit": ("date", True),
    "incident": ("date", True),
    "person": ("display", False),
}
VOCABULARY_COLUMNS = ("case_status", "reprisal_risk")
SETTINGS_APP = "monitor_app"
SETTINGS_NAME = "lists"

# A row is a plain tuple, not a named tuple or dataclass: CPython's garbage collector stops
# tracking tuples of strings, so 100 000 loaded rows do not lengthen every full collection.
Row = tuple[str, str, str | None, str | None, str | None, str | None, str | None, str | None, str]
ID: Final = 0
DISPLAY: Final = 1
DATE: Final = 2
MODIFIED: Final = 3
PLACE: Final = 4
CASE_STATUS: Final = 5
REPRISAL_RISK: Final = 6
REGION: Final = 7
AUTHOR: Final = 8
_FIELDS = {
    "place": PLACE,
    "case_status": CASE_STATUS,
    "reprisal_risk": REPRISAL_RISK,
    "region": REGION,
    "author": AUTHOR,
}


def all_columns(type_name: str) -> tuple[str, ...]:
    return COLUMNS[type_name] + OPTIONAL_COLUMNS[type_name]


def sortable(key: str) -> bool:
    return key in SORT_COLUMNS


@dataclass
class CellLabels:
    """What ids and codes in a row are shown as: place titles and author names as read for
    the loaded rows, vocabulary labels from the vault's vocabularies."""

    places: dict[str, str] = field(default_factory=dict)
    authors: dict[str, str] = field(default_factory=dict)
    vocabulary: Callable[[str, str], str] = lambda _vocabulary, code: code


def column_title(type_name: str, key: str) -> str:
    if key == "display":
        titles = {
            "place": _("Name"),
            "visit": _("Title"),  # the summary, or (without one) the place and date
            "incident": _("Title"),
            "person": _("Pseudonym"),
        }
        return titles.get(type_name, _("Title"))
    if key == "date":
        return {"visit": _("Started"), "incident": _("Occurred")}.get(type_name, _("Date"))
    others = {
        "case_status": _("Case status"),
        "reprisal_risk": _("Reprisal risk"),
        "place": _("Place"),
        "region": _("Region"),
        "author": _("Author"),
    }
    return others.get(key, _("Modified"))


def cell_text(key: str, row: Sequence[str | None], labels: CellLabels | None = None) -> str:
    """A cell as plain text; record text through ``shown_alone`` (controls made visible)."""
    if key == "display":
        return shown_alone(row[DISPLAY] or "") or _("(untitled)")
    if key == "date":
        return date_text(row[DATE])
    if key == "modified":
        return modified_text(row[MODIFIED])
    value = row[_FIELDS[key]] if len(row) > _FIELDS[key] else None
    if not value:
        return ""
    labels = labels or CellLabels()
    if key in VOCABULARY_COLUMNS:
        return labels.vocabulary(key, value)
    if key == "place":
        return shown_alone(labels.places.get(value, ""))
    if key == "author":
        return labels.authors.get(value, "")
    return shown_alone(value)


# -- which optional columns are shown ----------------------------------------------------------
def _settings() -> QSettings:
    return QSettings(QSettings.Scope.UserScope, SETTINGS_APP, SETTINGS_NAME)


def shown_columns(type_name: str) -> tuple[str, ...]:
    """The optional columns shown for ``type_name``, as last chosen (or the default)."""
    stored = _settings().value(f"{type_name}/columns")
    if stored is None:
        return DEFAULT_SHOWN.get(type_name, ())
    chosen = [stored] if isinstance(stored, str) else list(stored) if stored else []
    # Only keys this type has: a settings file is not trusted to name anything else.
    return tuple(key for key in OPTIONAL_COLUMNS[type_name] if key in chosen)


def remember_columns(type_name: str, keys: Iterable[str]) -> None:
    wanted = set(keys)
    shown = [key for key in OPTIONAL_COLUMNS[type_name] if key in wanted]
    settings = _settings()
    # An empty list reads back as None from some formats: store a marker instead.
    settings.setValue(f"{type_name}/columns", shown or "")
    settings.sync()
