"""Dates as people type them (monitor_app/records/date_input.py): the language's own format
and ISO in, the stored form out, and the stored form back in the language's format; the
reasons a form shows say what to type, with examples in that format."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest

from monitor_app import i18n
from monitor_app.errors import ValidationError
from monitor_app.messages import describe, in_form, reason_text
from monitor_app.records import date_input
from monitor_app.records.schema import RECORD_TYPES
from monitor_app.records.validation import validate
from monitor_app.records.vocabularies import default_vocabularies


@pytest.fixture
def zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    """Set this process's time zone (as the machine's would be) for the test."""

    def use(name: str) -> None:
        monkeypatch.setenv("TZ", name)
        time.tzset()

    yield use
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize(
    ("language", "typed", "stored", "precision"),
    [
        ("ru", "15.11.2026", "2026-11-15", "day"),
        ("ky", "15.11.2026", "2026-11-15", "day"),
        ("ru", " 5.3.2026 ", "2026-03-05", "day"),
        ("ru", "11.2026", "2026-11", "month"),
        ("ky", "2026", "2026", "year"),
        ("fr", "15/11/2026", "2026-11-15", "day"),
        ("fr", "11/2026", "2026-11", "month"),
        ("ru", "2026-11-15", "2026-11-15", "day"),  # ISO is understood in every language
        ("fr", "2026-11", "2026-11", "month"),
        ("en", "2026-11-15", "2026-11-15", "day"),
        ("zh_CN", "2026-11-15", "2026-11-15", "day"),
        ("zh_CN", "2026", "2026", "year"),
    ],
)
def test_a_typed_date_becomes_the_stored_date_and_its_precision(
    language: str, typed: str, stored: str, precision: str
) -> None:
    assert date_input.parse_date(typed, "occurred_on", language) == (stored, precision)
    # What is stored is what the core has always taken.
    record = {"title": "t", "incident_type": "other", "description": "d", "occurred_on": stored}
    clean = validate(RECORD_TYPES["incident"], record, default_vocabularies()).public
    assert clean["occurred_on"] == {"date": stored, "precision": precision}


@pytest.mark.parametrize(
    ("language", "typed"),
    [
        ("ru", "31.02.2026"),  # no such day
        ("ru", "15.13.2026"),  # no such month
        ("fr", "29/02/2025"),
        ("ru", "15.11.26"),  # a two-digit year is a guess
        ("ru", "1.1.1850"),
        ("ru", "15 ноября 2026"),
        ("ru", ""),
        ("en", "15/11/2026"),  # English is ISO: day-first there would be misread
        ("en", "11/15/2026"),  # month first is never guessed
        ("zh_CN", "15.11.2026"),
        ("fr", "2026-02-30"),
    ],
)
def test_impossible_or_ambiguous_dates_are_refused(language: str, typed: str) -> None:
    with pytest.raises(ValidationError) as caught:
        date_input.parse_date(typed, "occurred_on", language)
    assert caught.value.params == {"field": "occurred_on", "reason": "invalid_date"}


@pytest.mark.parametrize(
    ("language", "stored", "shown"),
    [
        ("ru", "2026-11-15", "15.11.2026"),
        ("ky", "2026-11", "11.2026"),
        ("ru", "2026", "2026"),
        ("fr", "2026-11-15", "15/11/2026"),
        ("en", "2026-11-15", "2026-11-15"),
        ("zh_CN", "2026-11-15", "2026-11-15"),
    ],
)
def test_a_stored_date_is_shown_in_the_language_format_and_reads_back(
    language: str, stored: str, shown: str
) -> None:
    assert date_input.format_date(stored, language) == shown
    assert date_input.parse_date(shown, "f", language)[0] == stored


def test_a_time_without_an_offset_takes_this_machine_s_zone(
    zone: Callable[[str], None],
) -> None:
    zone("Asia/Bishkek")
    assert date_input.parse_timestamp("15.11.2026 10:30", "started_at", "ru") == (
        "2026-11-15T10:30:00+06:00"
    )
    assert date_input.parse_timestamp("2026-11-15T10:30", "started_at", "en") == (
        "2026-11-15T10:30:00+06:00"
    )
    zone("Europe/Paris")  # summer time starts on 29 March 2026, ends on 25 October
    assert date_input.parse_timestamp("28.03.2026 12:00", "s", "ru").endswith("+01:00")
    assert date_input.parse_timestamp("29.03.2026 12:00", "s", "ru").endswith("+02:00")
    assert date_input.parse_timestamp("24/10/2026 09:15", "s", "fr") == (
        "2026-10-24T09:15:00+02:00"
    )
    assert date_input.parse_timestamp("26/10/2026 09:15", "s", "fr") == (
        "2026-10-26T09:15:00+01:00"
    )


def test_a_typed_offset_is_kept_and_shown_only_when_it_is_not_this_machine_s(
    zone: Callable[[str], None],
) -> None:
    zone("Asia/Bishkek")
    stored = date_input.parse_timestamp("15.11.2026 10:30 +03:00", "s", "ru")
    assert stored == "2026-11-15T10:30:00+03:00"
    assert date_input.format_timestamp(stored, "ru") == "15.11.2026 10:30 +03:00"
    assert date_input.format_timestamp("2026-11-15T10:30:00+06:00", "ru") == "15.11.2026 10:30"
    for stored in ("2026-11-15T10:30:00+06:00", "2026-11-15T10:30:15+03:00", "2026-11-15"):
        shown = date_input.format_timestamp(stored, "ky")
        assert date_input.parse_timestamp(shown, "s", "ky") == stored
    assert date_input.parse_timestamp("2026-11-15T10:30:00Z", "s", "ru") == (
        "2026-11-15T10:30:00+00:00"
    )


@pytest.mark.parametrize(
    "typed",
    [
        "15.11.2026 25:00",
        "31.02.2026 10:30",
        "11.2026 10:30",
        "вчера",
        "15.11.2026 10",
        "15.11.2026 10:30 +25:00",
        "15.11.2026 10:61",
    ],
)
def test_impossible_times_are_refused(typed: str) -> None:
    with pytest.raises(ValidationError) as caught:
        date_input.parse_timestamp(typed, "started_at", "ru")
    assert caught.value.params["reason"] == "invalid_datetime"


def test_a_date_alone_is_a_valid_timestamp() -> None:
    assert date_input.parse_timestamp("15.11.2026", "started_at", "ru") == "2026-11-15"


def test_the_reasons_say_what_to_type_in_the_reader_s_format() -> None:
    error = ValidationError(field="occurred_on", reason="invalid_date")
    shown = in_form(ValidationError(field="occurred_on", reason="invalid_date"), "Occurred", "ru")
    assert "15.11.2026" in reason_text(shown) and "11.2026" in reason_text(shown)
    assert describe(shown).startswith("Occurred: ")
    # The CLI keeps the key (scripts read it) and ISO examples (what it takes).
    assert "'occurred_on'" in describe(error) and "2026-11-15" in describe(error)
    for reason in ("invalid_date", "invalid_datetime", "timezone_required"):
        for text in (
            describe(ValidationError(field="started_at", reason=reason)),
            describe(in_form(ValidationError(field="started_at", reason=reason), "S", "fr")),
        ):
            assert "ISO" not in text and "UTC" not in text and "offset" not in text
    form = in_form(ValidationError(field="started_at", reason="invalid_datetime"), "S", "fr")
    assert "15/11/2026 10:30" in describe(form)


def test_the_format_table_covers_every_shipped_language() -> None:
    assert set(date_input.DATE_FORMATS) == set(i18n.SHIPPED_LANGUAGES)
