"""Dates with precision: testimony rarely gives an exact day.

Stored as ``{"date": "YYYY[-MM[-DD]]", "precision": P}`` where P is one of day, month, year,
approximate, unknown. A bare ISO date string is always accepted and means an exact day (or a
month/year when given as ``YYYY-MM`` or ``YYYY``). ``sort_key`` gives a string that sorts
chronologically, with less precise dates placed at the start of their period.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from monitor_app.errors import ValidationError

PRECISIONS = ("day", "month", "year", "approximate", "unknown")
_PATTERNS = {
    "day": re.compile(r"^\d{4}-\d{2}-\d{2}$"),
    "month": re.compile(r"^\d{4}-\d{2}$"),
    "year": re.compile(r"^\d{4}$"),
}


def _precision_of(text: str) -> str | None:
    for precision, pattern in _PATTERNS.items():
        if pattern.match(text):
            return precision
    return None


def check_bound(text: str, field: str) -> None:
    """A date range's bound: YYYY, YYYY-MM or YYYY-MM-DD, a day of the calendar."""
    if "\n" in text or _precision_of(text) is None:
        raise ValidationError(field=field, reason="invalid_date")
    _check_calendar(text, field)


def _check_calendar(text: str, field: str) -> None:
    parts = [int(p) for p in text.split("-")]
    try:
        date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)
    except ValueError:
        raise ValidationError(field=field, reason="invalid_date") from None
    if parts[0] < 1900:
        raise ValidationError(field=field, reason="invalid_date")


def normalise_fuzzy_date(value: Any, field: str) -> dict[str, str]:
    if isinstance(value, str):
        text = value.strip()
        precision = _precision_of(text)
        if precision is None:
            raise ValidationError(field=field, reason="invalid_date")
        _check_calendar(text, field)
        return {"date": text, "precision": precision}
    if not isinstance(value, dict):
        raise ValidationError(field=field, reason="wrong_type", expected="date")
    unknown = set(value) - {"date", "precision"}
    if unknown:
        raise ValidationError(field=f"{field}.{sorted(unknown)[0]}", reason="unknown_field")
    precision = value.get("precision")
    if precision not in PRECISIONS:
        raise ValidationError(field=f"{field}.precision", reason="unknown_code")
    if precision == "unknown":
        if value.get("date") not in (None, ""):
            raise ValidationError(field=f"{field}.date", reason="not_allowed")
        return {"precision": "unknown"}
    given = value.get("date")
    if not isinstance(given, str):
        raise ValidationError(field=f"{field}.date", reason="required")
    text = given
    shape = _precision_of(text)
    if shape is None or (precision != "approximate" and shape != precision):
        raise ValidationError(field=f"{field}.date", reason="invalid_date")
    _check_calendar(text, field)
    return {"date": text, "precision": precision}


def sort_key(value: dict[str, str] | None) -> str | None:
    if not value or "date" not in value:
        return None
    return value["date"]


def normalise_timestamp(value: Any, field: str) -> str:
    """An ISO 8601 date or date-time; a date-time must carry its UTC offset."""
    if not isinstance(value, str):
        raise ValidationError(field=field, reason="wrong_type", expected="datetime")
    text = value.strip()
    if _PATTERNS["day"].match(text):
        _check_calendar(text, field)
        return text
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError(field=field, reason="invalid_datetime") from None
    if parsed.tzinfo is None:
        raise ValidationError(field=field, reason="timezone_required")
    return parsed.isoformat()
