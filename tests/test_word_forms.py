"""Searching by word forms: a word as it comes to mind finds the record written with another
form of it, records with the form as typed come first, and vaults from before the word forms
were indexed get them, with progress, resumably."""

from __future__ import annotations

import pytest

from monitor_app.errors import Cancelled
from monitor_app.jobs import CancelToken
from monitor_app.records import word_forms
from monitor_app.vault.session import UnlockedVault
from tests.test_search import both_orders, ids, incident

__all__ = ["both_orders"]  # the fixture either_order uses


def test_russian_forms_find_each_other_exact_first(vault: UnlockedVault, both_orders: str) -> None:
    plural = incident(vault, "Следы пытки на руках задержанного.")
    dative = incident(vault, "Заявление о пыткам подвергнутых лицах.")
    exact = incident(vault, "Пытка электрическим током в отделе.")
    incident(vault, "Отказ в передаче продуктов.")
    for query in ("пытка", "пытки", "пыткам", "ПЫТКА"):
        assert set(ids(vault.records.search(query))) == {plural, dative, exact}, query
    if both_orders == "ranked":  # a common word's matches come newest first instead
        assert ids(vault.records.search("пытка"))[0] == exact
        assert ids(vault.records.search("пыткам"))[0] == dative
        assert ids(vault.records.search("пытки"))[0] == plural


@pytest.mark.parametrize(
    ("written", "typed"),
    [
        ("La détenue a été frappée.", "détenu"),
        ("Le détenu a été frappé.", "détenue"),
        ("Le détenu a été frappé.", "detenues"),
        ("The detainee was beaten.", "detainees"),
        ("Three detainees were beaten.", "detainee"),
        ("La detenida fue golpeada.", "detenidos"),
    ],
)
def test_latin_forms(vault: UnlockedVault, written: str, typed: str) -> None:
    target = incident(vault, written)
    incident(vault, "Nothing of the kind here.")
    assert ids(vault.records.search(typed)) == [target]


def test_forms_combine_with_other_words_and_filters(vault: UnlockedVault) -> None:
    both = incident(vault, "Пытки и избиение в ИВС", occurred_on="2024-05-02")
    incident(vault, "Пытки без избиения", occurred_on="2024-05-03")
    incident(vault, "Избиение в ИВС", occurred_on="2024-05-04")
    incident(vault, "Пытки и избиение в ИВС", occurred_on="2023-01-01")
    hits = vault.records.search("пытка ивс", date_from="2024-01-01")
    assert ids(hits) == [both]
    assert "[Пытки]" in hits[0].snippet


def test_kyrgyz_words_by_their_beginnings(vault: UnlockedVault) -> None:
    target = incident(vault, "Камактагылар кыйноого кабылышкан.")
    incident(vault, "Тамак-аш берилген жок.")
    assert ids(vault.records.search("кыйноо")) == [target]
    assert ids(vault.records.search("камакта")) == [target]


def test_an_edit_and_a_deletion_change_the_forms(vault: UnlockedVault) -> None:
    record = incident(vault, "Пытки в колонии")
    vault.records.edit(record, {"description": "Угрозы родственникам"})
    assert vault.records.search("пытка") == []
    assert ids(vault.records.search("угроза")) == [record]
    vault.records.delete(record, "duplicate")
    assert vault.records.search("угроза") == []
    with vault.reading() as conn:
        assert conn.execute("SELECT count(*) FROM search_forms").fetchone()[0] == 0


def _as_before_word_forms(vault: UnlockedVault) -> None:
    """Leave the vault as schema version 9 left it: index rows without forms."""
    with vault.transaction() as conn:
        conn.execute("DELETE FROM search_forms")
        conn.execute(
            "UPDATE meta SET value = (SELECT max(rowid) + 1 FROM search_index) WHERE key = ?",
            (word_forms.PENDING_KEY,),
        )


def test_catch_up_indexes_older_rows_with_progress(
    vault: UnlockedVault, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(word_forms, "BATCH", 3)
    old = [incident(vault, f"Пытки номер {n}") for n in range(7)]
    _as_before_word_forms(vault)
    assert word_forms.pending(vault) == 7
    assert vault.records.search("пытка") == []  # found by the exact words only, meanwhile
    newer = incident(vault, "Пытки после обновления")
    assert ids(vault.records.search("пытка")) == [newer]
    seen: list[tuple[int, int | None]] = []
    assert word_forms.catch_up(vault, lambda done, total: seen.append((done, total))) == 7
    assert seen == [(3, 7), (6, 7), (7, 7)]
    assert word_forms.pending(vault) == 0
    assert set(ids(vault.records.search("пытка", limit=-1))) == {*old, newer}
    assert word_forms.catch_up(vault) == 0


def test_catch_up_cancelled_keeps_its_batches_and_resumes(
    vault: UnlockedVault, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(word_forms, "BATCH", 2)
    records = [incident(vault, f"Пытки номер {n}") for n in range(5)]
    _as_before_word_forms(vault)
    token = CancelToken()

    def cancel_after_first(done: int, total: int | None) -> None:
        token.cancel()

    with pytest.raises(Cancelled):
        word_forms.catch_up(vault, cancel_after_first, token)
    assert word_forms.pending(vault) == 3
    # The newest records were done first.
    assert set(ids(vault.records.search("пытка"))) == set(records[-2:])
    assert word_forms.catch_up(vault) == 3
    assert set(ids(vault.records.search("пытка"))) == set(records)


def test_hostile_words_in_a_query_stay_words(vault: UnlockedVault) -> None:
    target = incident(vault, "Пытки NEAR отделом, forms body")
    incident(vault, "Пытки")
    for query in ('пытка" NEAR "*', "forms:пытка", "пытка NEAR(", "{forms body}:пытк", "near*"):
        assert ids(vault.records.search(query)) == [target], query


def test_the_compiled_stemmers_are_installed_and_agree_with_the_reference() -> None:
    # PyStemmer is a dependency: without it every record's forms cost 75 times as much.
    import snowballstemmer.russian_stemmer as reference

    from monitor_app.records import word_forms

    assert word_forms.compiled()
    pure = reference.RussianStemmer()
    for word in ("пытка", "пытки", "пыткам", "задержанного", "избиениями", "сотрудниками"):
        assert word_forms.stems(word) == (pure.stemWord(word),)
