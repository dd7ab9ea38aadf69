"""A number next to a noun takes the plural form of the language: "1 record", "2 records";
in Russian "1 запись", "2 записи", "5 записей", "21 запись" (three forms), in Chinese one.

The shipped catalogs are used as they are, so a missing form or a wrong Plural-Forms header
shows up here as a wrong sentence.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from monitor_app import counted, i18n
from monitor_app.bundles import ledger
from monitor_app.bundles.outcome_text import purged_lines
from ui.handoff.export_wizard import preview_text
from ui.records.record_list_page import RecordListPage, status_text


@pytest.fixture
def language() -> Iterator[Any]:
    yield i18n.set_language
    i18n.set_language(None)


def _list_model(total: int, filter_text: str = "") -> Any:
    """Stands for the records table model: what ``status_text`` reads of it."""
    return SimpleNamespace(
        started=True,
        loading=False,
        total=total,
        filter_text=filter_text,
        filtered=bool(filter_text),
        sort_key="title",
        rowCount=lambda: total,
    )


def test_english_list_counts(language: Any) -> None:
    language("en")
    assert status_text(_list_model(1)) == "1 record"
    assert status_text(_list_model(2)) == "2 records"
    assert status_text(_list_model(1, "aida")) == "1 match"
    assert status_text(_list_model(2, "aida")) == "2 matches"


@pytest.mark.parametrize(
    ("n", "expected"),
    [(1, "1 запись"), (2, "2 записи"), (5, "5 записей"), (11, "11 записей"), (21, "21 запись")],
)
def test_russian_has_three_forms(language: Any, n: int, expected: str) -> None:
    language("ru")
    assert counted.records(n) == expected
    assert status_text(_list_model(n)) == expected


def test_russian_list_of_matches(language: Any) -> None:
    language("ru")
    texts = [status_text(_list_model(n, "айда")) for n in (1, 3, 7)]
    assert texts == ["1 совпадение", "3 совпадения", "7 совпадений"]


def test_export_preview_counts_each_noun_by_its_own_number(language: Any) -> None:
    language("en")
    one = ledger.ExportPreview(revisions=1, records=1, attachments=1, withheld_people=0)
    assert "1 record (1 revision) and 1 attachment." in preview_text(one, None)
    mixed = ledger.ExportPreview(revisions=3, records=1, attachments=0, withheld_people=0)
    assert "1 record (3 revisions) and 0 attachments." in preview_text(mixed, None)
    language("ru")
    assert "1 запись (3 редакции) и 0 вложений." in preview_text(mixed, None)


def test_core_sentence_with_a_count(language: Any) -> None:
    language("en")
    assert purged_lines(1)[0].startswith("Left out: 1 revision or attachment of records")
    assert purged_lines(2)[0].startswith("Left out: 2 revisions or attachments of records")


@pytest.mark.parametrize(
    ("lang", "one", "two", "five"),
    [
        ("ky", "1 жазуу", "2 жазуу", "5 жазуу"),
        ("fr", "1 fiche", "2 fiches", "5 fiches"),
        ("zh_CN", "1 条记录", "2 条记录", "5 条记录"),
    ],
)
def test_other_languages(language: Any, lang: str, one: str, two: str, five: str) -> None:
    language(lang)
    assert [counted.records(n) for n in (1, 2, 5)] == [one, two, five]


def test_french_zero_is_singular(language: Any) -> None:
    # French uses the singular for 0 and 1 (plural=(n > 1)), unlike English.
    language("fr")
    assert counted.attachments(0) == "0 pièce jointe"
    assert counted.attachments(2) == "2 pièces jointes"


def test_record_list_page_counts_its_records(qtbot: Any, vault: Any, language: Any) -> None:
    """The status line of a real list page, as the records come in: "1 record", and in
    Russian each of the three forms, "21" taking the form of "1"."""
    page = RecordListPage("place")
    qtbot.addWidget(page, before_close_func=lambda page: page.shutdown())
    page.show()
    page.set_vault(vault)

    def shown_with(total: int) -> str:
        while vault.records.count("place") < total:
            n = vault.records.count("place")
            vault.records.add("place", {"name": f"Station {n}", "place_type": "other"})
        with qtbot.waitSignal(page.model.loaded, timeout=10_000):
            page.refresh()
        return str(page.status_label.text())

    language("en")
    assert shown_with(1) == "1 record"
    language("ru")
    assert shown_with(1) == "1 запись"
    assert shown_with(2) == "2 записи"
    assert shown_with(5) == "5 записей"
    assert shown_with(21) == "21 запись"
    page.shutdown()
