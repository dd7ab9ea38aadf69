"""Dates as people type them, and back: the locale's own format in, the stored form out.

What is stored does not change (dates.py): a fuzzy date's text is ``YYYY[-MM[-DD]]`` and a
timestamp is an ISO date or an ISO date-time with its UTC offset. This module sits in front
of that, for forms: it reads "15.11.2026" (ru, ky), "15/11/2026" (fr), ISO everywhere, and
month or year alone, and writes a stored date back in the language's format for display.

Day-first formats only: "05/11/2026" is never read as May 11th, whatever the language. The
English interface uses ISO (``2026-11-05``) because a day-first date written in English is
misread by half its readers.

A date-time typed without a UTC offset is the wall clock of this computer's time zone on that
day (DST included), and is stored with that offset, as the editor's "Now" does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone

from monitor_app.errors import ValidationError
from monitor_app.i18n import current_language
from monitor_app.records import dates


@dataclass(frozen=True)
class DateFormat:
    day_first: bool  # dd.mm.yyyy; otherwise ISO's yyyy-mm-dd
    separator: str

    def join(self, day: str, month: str, year: str) -> str:
        """A date from its parts (any may be "" for a month or a year alone)."""
        parts = [day, month, year] if self.day_first else [year, month, day]
        return self.separator.join(part for part in parts if part)


ISO = DateFormat(day_first=False, separator="-")
# The one table of display formats, by interface language; unknown languages use ISO.
DATE_FORMATS: dict[str, DateFormat] = {
    "en": ISO,
    "ru": DateFormat(day_first=True, separator="."),
    "ky": DateFormat(day_first=True, separator="."),
    "fr": DateFormat(day_first=True, separator="/"),
    "zh_CN": ISO,
}

_ISO_DATE = re.compile(r"^(?P<y>\d{4})(?:-(?P<m>\d{1,2})(?:-(?P<d>\d{1,2}))?)?$")
# Day first, with the separators people use for it (a Russian user may type 15/11/2026).
_DAY_FIRST = re.compile(r"^(?:(?:(?P<d>\d{1,2})[./-])?(?P<m>\d{1,2})[./-])?(?P<y>\d{4})$")
_TIME = re.compile(
    r"^(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:\.(?P<f>\d{1,6}))?)?"
    r"\s*(?P<tz>Z|[+-]\d{2}(?::?\d{2})?)?$",
    re.IGNORECASE,
)


def date_format(language: str | None = None) -> DateFormat:
    """The format of ``language`` (the interface's by default); ``ru_RU`` or ``fr-CA`` as
    their language, as Qt's locale names them."""
    lang = (language or current_language()).replace("-", "_")
    return DATE_FORMATS.get(lang) or DATE_FORMATS.get(lang.split("_")[0], ISO)


def parse_date(text: str, field: str, language: str | None = None) -> tuple[str, str]:
    """What was typed in a date field as its stored text and precision (day, month, year);
    ISO is always understood. Refused with reason ``invalid_date``."""
    value = text.strip()
    match = _ISO_DATE.match(value)
    if match is None and date_format(language).day_first:
        match = _DAY_FIRST.match(value)
    if match is None:
        raise ValidationError(field=field, reason="invalid_date")
    year, month, day = match["y"], match["m"], match["d"]
    stored = year + (f"-{int(month):02d}" if month else "") + (f"-{int(day):02d}" if day else "")
    dates.normalise_fuzzy_date(stored, field)  # the calendar: no 31.02, no month 13
    return stored, "day" if day else "month" if month else "year"


def parse_timestamp(text: str, field: str, language: str | None = None) -> str:
    """What was typed in a date-time field as the stored text: a day alone, or the day and
    time with a UTC offset (this computer's, on that day, when none is typed)."""
    value = text.strip()
    try:
        return dates.normalise_timestamp(value, field)  # ISO, as stored or with an offset
    except ValidationError:
        pass
    head, _sep, rest = value.replace("T", " ", 1).partition(" ")
    try:
        day_text, precision = parse_date(head, field, language)
    except ValidationError:
        raise ValidationError(field=field, reason="invalid_datetime") from None
    if precision != "day":  # a timestamp is a whole day, never a month
        raise ValidationError(field=field, reason="invalid_datetime")
    if not rest.strip():
        return day_text
    match = _TIME.match(rest.strip())
    if match is None:
        raise ValidationError(field=field, reason="invalid_datetime")
    fraction = (match["f"] or "").ljust(6, "0")
    try:
        moment = datetime(
            *date.fromisoformat(day_text).timetuple()[:3],
            int(match["h"]),
            int(match["mi"]),
            int(match["s"] or 0),
            int(fraction or 0),
        )
        zone = _offset(match["tz"])
        # A naive datetime's astimezone() is the system's zone at that moment, DST included.
        aware = moment.replace(tzinfo=zone) if zone is not None else moment.astimezone()
    except (ValueError, OverflowError, OSError):  # 25:00, +25:00, a year the clock cannot hold
        raise ValidationError(field=field, reason="invalid_datetime") from None
    return aware.isoformat()


def _offset(text: str | None) -> timezone | None:
    if not text:
        return None
    if text.upper() == "Z":
        return UTC
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    sign = -1 if text[0] == "-" else 1
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def format_date(stored: str, language: str | None = None) -> str:
    """A stored ``YYYY[-MM[-DD]]`` in the language's format; other text as it is."""
    match = _ISO_DATE.match(stored.strip())
    if match is None:
        return stored
    return date_format(language).join(match["d"] or "", match["m"] or "", match["y"])


def format_timestamp(stored: str, language: str | None = None) -> str:
    """A stored timestamp in the language's format, with the wall clock as recorded. The
    offset is shown only when it is not this computer's on that day, so that saving the text
    again gives back the same value."""
    try:
        moment = datetime.fromisoformat(stored.strip())
    except ValueError:
        return stored
    if _ISO_DATE.match(stored.strip()):
        return format_date(stored, language)
    text = format_date(moment.date().isoformat(), language) + " " + moment.strftime("%H:%M")
    if moment.second or moment.microsecond:
        text += moment.strftime(":%S")
    if moment.microsecond:
        text += f".{moment.microsecond:06d}"
    if moment.tzinfo is not None and moment.utcoffset() != _local_offset(moment):
        text += " " + moment.strftime("%z")[:3] + ":" + moment.strftime("%z")[3:]
    return text


def _local_offset(moment: datetime) -> timedelta | None:
    try:
        return moment.replace(tzinfo=None).astimezone().utcoffset()
    except (OverflowError, OSError, ValueError):  # beyond what the system clock can hold
        return None


def example(precision: str | None, fmt: DateFormat | None = None) -> str:
    """A sample date in a format (the interface language's by default): 15.11.2026 (day),
    11.2026 (month), 2026 (year)."""
    fmt = fmt or date_format()
    return {
        "month": fmt.join("", "11", "2026"),
        "year": "2026",
    }.get(precision or "", fmt.join("15", "11", "2026"))


def example_timestamp(fmt: DateFormat | None = None) -> str:
    return example("day", fmt) + " 10:30"
