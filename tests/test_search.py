"""Full-text search in Russian, Kyrgyz, French, English and Chinese; filters; what is never
searchable; edits and deletions; queries full of FTS5 syntax.

Incidents here mostly use the type ``travel_ban``: vocabulary labels (in every language) are
indexed too, and this type's labels share no word or Han character with the test queries.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from monitor_app.records import search
from monitor_app.records.search import SearchHit
from monitor_app.vault.session import UnlockedVault
from tests.conftest import HOSTILE_TEXTS

CHINESE = "报告:他在审讯中遭受酷刑并被殴打"
# 酷 and 刑 both occur here, but never next to each other.
CHINESE_SCATTERED = "他的刑期很长，夏天酷暑难耐"


def ids(hits: list[SearchHit]) -> list[str]:
    return [h.record_id for h in hits]


def incident(vault: UnlockedVault, description: str, **fields: Any) -> str:
    data = {
        "title": "Запись",
        "incident_type": "travel_ban",
        "description": description,
        "occurred_on": "2024-03-15",
        **fields,
    }
    return vault.records.add("incident", data).record_id


def place(vault: UnlockedVault, name: str, **fields: Any) -> str:
    data = {"name": name, "place_type": "police_station", **fields}
    return vault.records.add("place", data).record_id


@pytest.fixture(params=["ranked", "newest_first", "newest_first_in_sql"])
def both_orders(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test with the order of a few matches (bm25) and with the order of a query with
    more than RANK_MAX_MATCHES matches (newest first), the records walked in Python and in
    SQL: what a search finds must not depend on how many records match."""
    if request.param != "ranked":
        monkeypatch.setattr(search, "RANK_MAX_MATCHES", 0)
        in_sql = request.param == "newest_first_in_sql"
        monkeypatch.setattr(search, "_walk_in_sql", lambda *_: in_sql)
    return str(request.param)


either_order = pytest.mark.usefixtures("both_orders")


# -- languages -------------------------------------------------------------------------------
@either_order
def test_russian_inflected_prefix(vault: UnlockedVault) -> None:
    target = incident(vault, "Избиение задержанного в ИВС после допроса")
    other = incident(vault, "Отказ в передаче продуктовой посылки")
    for query in ("задерж", "задержанного", "ЗАДЕРЖАННОГО", "Задержан", "избиение допрос"):
        assert ids(vault.records.search(query)) == [target], query
    assert ids(vault.records.search("посылк")) == [other]
    assert vault.records.search("освобожден") == []
    # Every word must match (AND), not any of them.
    assert vault.records.search("задерж посылк") == []


@either_order
def test_kyrgyz_letters(vault: UnlockedVault) -> None:
    target = incident(vault, "Түрмөдө кыйноо: өч алуу, үй-бүлө, ң тамгасы. Жаңылык")
    incident(vault, "Башка окуя")
    for query in ("түрмөдө", "Түрмө", "өч", "ӨЧ АЛУУ", "үй-бүлө", "бүлө", "ң", "жаңы", "ЖАҢЫЛЫК"):
        assert ids(vault.records.search(query)) == [target], query
    # ү, ө and ң are letters inside the word, not separators: a fragment that starts after one
    # of them is not a word of the text.
    assert vault.records.search("рмөдө") == []
    assert vault.records.search("ылык") == []


@either_order
def test_french_with_and_without_accents(vault: UnlockedVault) -> None:
    accented = incident(vault, "Le détenu a été arrêté à l'aube, sans avocat.")
    plain = incident(vault, "Un autre detenu, arrete la veille")
    incident(vault, "Rien à voir")
    for query in ("détenu", "detenu", "DÉTENU", "Detenu", "arrêté", "arrete", "ARRÊT"):
        assert set(ids(vault.records.search(query))) == {accented, plain}, query
    assert ids(vault.records.search("avocat")) == [accented]
    assert ids(vault.records.search("ete")) == [accented]
    assert ids(vault.records.search("veille")) == [plain]


@either_order
def test_english_words_and_prefixes(vault: UnlockedVault) -> None:
    target = incident(vault, "The detainee was beaten during interrogation and denied a doctor.")
    incident(vault, "Food parcels were refused.")
    for query in ("beaten", "BEAT", "interrogat", "detainee doctor", "Denied", "denies"):
        assert ids(vault.records.search(query)) == [target], query
    assert vault.records.search("bearing") == []
    assert vault.records.search("doctors refusing") == []


@either_order
def test_chinese_substrings(vault: UnlockedVault) -> None:
    target = incident(vault, CHINESE)
    scattered = incident(vault, CHINESE_SCATTERED)
    latin = incident(vault, "Rapport:酷刑abc殴打")
    assert set(ids(vault.records.search("酷刑"))) == {target, latin}
    assert set(ids(vault.records.search("殴打"))) == {target, latin}
    # Substrings of any length inside a run with no spaces.
    assert ids(vault.records.search("遭受酷刑并")) == [target]
    assert ids(vault.records.search("审讯中")) == [target]
    assert set(ids(vault.records.search("酷"))) == {target, scattered, latin}
    assert set(ids(vault.records.search("刑"))) == {target, scattered, latin}
    assert ids(vault.records.search("酷暑")) == [scattered]
    # The characters must be adjacent, in that order.
    assert ids(vault.records.search("刑酷")) == []
    assert ids(vault.records.search("酷刑期")) == []
    # Han and Latin mixed in one query word; two Han words are both required.
    assert ids(vault.records.search("酷刑abc")) == [latin]
    assert ids(vault.records.search("审讯 殴打")) == [target]
    assert ids(vault.records.search("酷暑 殴打")) == []


@either_order
def test_snippet_shows_chinese_without_index_spacing(vault: UnlockedVault) -> None:
    incident(vault, CHINESE)
    (hit,) = vault.records.search("审讯")
    assert "[" in hit.snippet and "]" in hit.snippet
    # With the highlight marks taken out, the snippet is the text as written: no spaces
    # between Han characters, also around the highlighted match.
    plain = hit.snippet.replace("[", "").replace("]", "")
    assert "他在审讯中遭受酷刑" in plain


@either_order
def test_vocabulary_labels_are_searchable_in_every_language(vault: UnlockedVault) -> None:
    torture = incident(vault, "Описание без названия типа", incident_type="torture")
    incident(vault, "Другое описание", incident_type="travel_ban")
    for query in ("torture", "пытки", "酷刑", "кыйноо", "Torture"):
        assert ids(vault.records.search(query)) == [torture], query


# -- ranking ---------------------------------------------------------------------------------
def test_more_mentions_rank_higher(vault: UnlockedVault) -> None:
    filler = "сегодня в камере было холодно и сыро"
    once = incident(vault, f"{filler}, один раз карцер, {filler}, {filler}")
    thrice = incident(vault, f"карцер {filler}, карцер снова, {filler} карцер")
    for index in range(6):
        incident(vault, f"запись номер {index}: {filler}")
    hits = vault.records.search("карцер")
    assert ids(hits) == [thrice, once]
    assert hits[0].rank < hits[1].rank
    # Order by relevance holds whichever was written first.
    again_more = incident(vault, f"изолятор {filler}, изолятор, {filler} изолятор")
    again_once = incident(vault, f"{filler}, {filler}, изолятор, {filler}")
    assert ids(vault.records.search("изолятор")) == [again_more, again_once]


def test_many_matches_come_newest_first(
    vault: UnlockedVault, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Ranking every match costs too much when a word is in thousands of records; above
    # RANK_MAX_MATCHES the results come in the order of the list view instead.
    monkeypatch.setattr(search, "RANK_MAX_MATCHES", 3)
    dates: list[Any] = ["2021-05-01", "2024-02", "2019", {"precision": "unknown"}, "2023-11-30"]
    matching = {
        # The oldest dated one mentions the word most: it would be first by relevance.
        incident(vault, "этапирование, " * (3 if date == "2019" else 1), occurred_on=date)
        for date in dates
    }
    matching.add(place(vault, "Изолятор", notes="этапирование"))
    incident(vault, "другое")
    listed = [r.record_id for r in vault.records.list(limit=100) if r.record_id in matching]
    newest = ["2024-02", "2023-11-30", "2021-05-01", "2019", None, None]
    # The same whether the records are walked in Python or in SQL.
    for in_sql in (False, True):
        monkeypatch.setattr(search, "_walk_in_sql", lambda *_, answer=in_sql: answer)
        hits = vault.records.search("этапирование")
        assert ids(hits) == listed
        assert [h.sort_date for h in hits] == newest
        assert all("[этапирование]" in h.snippet for h in hits)
        # Pages follow the same order, and a negative limit means all of them.
        pages = [vault.records.search("этапирование", limit=2, offset=o) for o in (0, 2, 4, 6)]
        assert [ids(page) for page in pages] == [listed[0:2], listed[2:4], listed[4:6], []]
        assert ids(vault.records.search("этапирование", limit=-1)) == listed
        assert ids(vault.records.search("этапирование", limit=-1, offset=5)) == listed[5:]
        assert vault.records.search("этапирование", limit=0) == []
    # The score is still each record's bm25, as with few matches.
    newest_ranks = {h.record_id: h.rank for h in vault.records.search("этапирование")}
    monkeypatch.setattr(search, "RANK_MAX_MATCHES", 100)
    ranked = vault.records.search("этапирование")
    assert {h.record_id: h.rank for h in ranked} == newest_ranks
    assert ranked[0].sort_date == "2019"
    # At or under the threshold, the best match comes first whatever its date.
    monkeypatch.setattr(search, "RANK_MAX_MATCHES", 3)
    twice = incident(vault, "конвой конвой", occurred_on="2010")
    once = incident(vault, "конвой", occurred_on="2024-06-01")
    assert ids(vault.records.search("конвой")) == [twice, once]


@pytest.fixture
def statements(vault: UnlockedVault) -> Iterator[list[str]]:
    """Every statement the vault's connection runs, including those FTS5 runs inside a
    query: a content read per row whose text it needs (snippets), a size lookup per row it
    scores (bm25)."""
    seen: list[str] = []
    with vault.reading() as conn:
        conn.set_trace_callback(seen.append)
    yield seen
    with vault.reading() as conn:
        conn.set_trace_callback(None)


def test_a_common_word_scores_and_quotes_only_the_page(
    vault: UnlockedVault, monkeypatch: pytest.MonkeyPatch, statements: list[str]
) -> None:
    # Work, not time: the rows FTS5 reads and scores for a word found in every record.
    total = 60
    vault.records.add_many(
        "incident",
        [
            {
                "title": f"Запись {n}",
                "incident_type": "travel_ban",
                "description": f"этап номер {n}",
                "occurred_on": f"2020-01-{n % 28 + 1:02d}",
            }
            for n in range(total)
        ],
    )

    def search_counting(limit: int) -> tuple[list[SearchHit], int, int]:
        statements.clear()
        hits = vault.records.search("этап", limit=limit)
        content = sum("search_index_content" in s for s in statements)
        sizes = sum("search_index_docsize" in s for s in statements)
        return hits, content, sizes

    # Ranked (few enough matches): every match is scored, only the page is quoted.
    hits, content, sizes = search_counting(5)
    assert len(hits) == 5
    assert sizes >= total
    assert content <= 2 * 5
    # Newest first (too many matches to rank): only the page is scored and quoted.
    monkeypatch.setattr(search, "RANK_MAX_MATCHES", total // 2)
    hits, content, sizes = search_counting(5)
    assert [h.sort_date for h in hits] == ["2020-01-28"] * 2 + ["2020-01-27"] * 2 + ["2020-01-26"]
    assert content <= 5
    assert sizes <= 5
    hits, content, sizes = search_counting(20)
    assert len(hits) == 20
    assert content <= 20
    assert sizes <= 20
    # Records tested against the matches in SQL (a big page among few matches): the same.
    monkeypatch.setattr(search, "_walk_in_sql", lambda *_: True)
    in_sql, content, sizes = search_counting(20)
    assert ids(in_sql) == ids(hits)
    assert content <= 20
    assert sizes <= 20


# -- filters ---------------------------------------------------------------------------------
@either_order
def test_filter_by_type(vault: UnlockedVault) -> None:
    place_id = place(vault, "Отдел", notes="этап заключённых")
    incident_id = incident(vault, "этап в колонию")
    person_id = vault.records.add("person", {"pseudonym": "П", "notes": "этап"}).record_id
    assert set(ids(vault.records.search("этап"))) == {place_id, incident_id, person_id}
    assert ids(vault.records.search("этап", record_type="incident")) == [incident_id]
    assert ids(vault.records.search("этап", record_type="place")) == [place_id]
    assert ids(vault.records.search("этап", record_type="person")) == [person_id]
    assert [h.type for h in vault.records.search("этап", record_type="place")] == ["place"]


@either_order
def test_filter_by_date_range(vault: UnlockedVault) -> None:
    dated: dict[str, Any] = {
        "2023": "2023",
        "2024-01-10": "2024-01-10",
        "2024-03": "2024-03",
        "2024-05~": {"date": "2024-05", "precision": "approximate"},
        "2024-05-31": "2024-05-31",
        "2024-06-01": "2024-06-01",
        "unknown": {"precision": "unknown"},
    }
    by_label = {
        label: incident(vault, f"конвой {label}", occurred_on=value)
        for label, value in dated.items()
    }

    def found(**filters: str) -> set[str]:
        hits = vault.records.search("конвой", **filters)  # type: ignore[arg-type]
        reverse = {v: k for k, v in by_label.items()}
        return {reverse[h.record_id] for h in hits}

    assert found() == set(dated)
    assert found(date_from="2024-03", date_to="2024-05") == {"2024-03", "2024-05~", "2024-05-31"}
    assert found(date_from="2024-05-31") == {"2024-05-31", "2024-06-01"}
    assert found(date_to="2024-01") == {"2023", "2024-01-10"}
    assert found(date_from="2024-01-10", date_to="2024-01-10") == {"2024-01-10"}
    assert found(date_from="2025") == set()
    # Visits are dated by their start time.
    place_id = place(vault, "ИВС")
    visit = vault.records.add(
        "visit",
        {
            "place_id": place_id,
            "started_at": "2024-04-02T10:00:00+06:00",
            "visit_type": "ad_hoc",
            "summary": "конвой на выезде",
        },
    ).record_id
    hits = vault.records.search("конвой", date_from="2024-04", date_to="2024-04")
    assert ids(hits) == [visit]


@either_order
def test_filter_by_place(vault: UnlockedVault) -> None:
    first = place(vault, "СИЗО-1")
    second = place(vault, "ИВС Ош")
    at_first = incident(vault, "голодовка", place_id=first)
    at_second = incident(vault, "голодовка", place_id=second)
    nowhere = incident(vault, "голодовка")
    visit = vault.records.add(
        "visit",
        {
            "place_id": first,
            "started_at": "2024-03-15",
            "visit_type": "follow_up",
            "summary": "голодовка продолжается",
        },
    ).record_id
    assert set(ids(vault.records.search("голодовка"))) == {at_first, at_second, nowhere, visit}
    assert set(ids(vault.records.search("голодовка", place_id=first))) == {at_first, visit}
    assert ids(vault.records.search("голодовка", place_id=second)) == [at_second]
    assert ids(vault.records.search("голодовка", place_id=first, record_type="visit")) == [visit]
    assert ids(vault.records.search("СИЗО", place_id=first)) == [first]
    # Moving the incident moves it between the filters.
    vault.records.edit(at_second, {"place_id": first})
    assert ids(vault.records.search("голодовка", place_id=second)) == []
    assert at_second in ids(vault.records.search("голодовка", place_id=first))


# -- never searchable ------------------------------------------------------------------------
SECRETS = {
    "real_name": "Жаныбекова Айзада",
    "date_of_birth": "1991-07-04",
    "identity_document": "AN7654321",
    "contact": "+996 700 111 222, Signal zzsecretcontact",
    "address": "ул. Тайногорская 17",
    "sensitive_notes": "отецвспецслужбах и 秘密线人",
}
SECRET_QUERIES = (
    "Жаныбекова",
    "Айзада",
    "AN7654321",
    "zzsecretcontact",
    "Тайногорская",
    "отецвспецслужбах",
    "秘密线人",
    "1991",
    "700 111 222",
)


@either_order
def test_sensitive_person_fields_are_never_searchable(vault: UnlockedVault) -> None:
    person = vault.records.add(
        "person", {"pseudonym": "Свидетель Бакыт", "notes": "видел избиение", **SECRETS}
    ).record_id
    incident(vault, "Свидетель видел избиение", people=[{"person_id": person, "role": "witness"}])

    def check() -> None:
        for query in SECRET_QUERIES:
            assert vault.records.search(query) == [], query
        for query in ("Бакыт", "избиение", "Свидетель"):
            hits = vault.records.search(query)
            assert person in ids(hits), query
            shown = " ".join(f"{h.display} {h.snippet} {h.sort_date}" for h in hits)
            for secret in SECRET_QUERIES:
                assert secret not in shown, (query, secret)

    check()
    vault.records.get(person, reveal_sensitive=True)
    vault.records.edit(person, {"real_name": "Жаныбекова Айзада Новая", "age": 30})
    check()
    assert vault.records.search("Новая") == []


# -- edits and deletions ---------------------------------------------------------------------
@either_order
def test_edited_text_replaces_the_old_text(vault: UnlockedVault) -> None:
    record = incident(vault, "старыйтекст про конвой", title="Заголовокпервый")
    assert ids(vault.records.search("старыйтекст")) == [record]
    vault.records.edit(record, {"description": "новыйтекст про конвой", "title": "Второйзаголовок"})
    assert vault.records.search("старыйтекст") == []
    assert vault.records.search("Заголовокпервый") == []
    hits = vault.records.search("новыйтекст")
    assert ids(hits) == [record]
    assert hits[0].display == "Второйзаголовок"
    assert ids(vault.records.search("второйзаголовок")) == [record]
    assert ids(vault.records.search("конвой")) == [record]  # one index row per record
    # Removing a field removes its text.
    vault.records.edit(record, {"injuries": "переломребра"})
    assert ids(vault.records.search("переломребра")) == [record]
    vault.records.edit(record, {"injuries": None})
    assert vault.records.search("переломребра") == []
    # Changing the vocabulary code changes the indexed labels.
    vault.records.edit(record, {"incident_type": "torture"})
    assert ids(vault.records.search("пытки")) == [record]
    vault.records.edit(record, {"incident_type": "travel_ban"})
    assert vault.records.search("пытки") == []


@either_order
def test_deleted_records_leave_search(vault: UnlockedVault) -> None:
    doomed = incident(vault, "дубликат: этапирование 酷刑 détenu")
    kept = incident(vault, "оригинал: этапирование")
    doomed_place = place(vault, "Удалённыйизолятор")
    assert set(ids(vault.records.search("этапирование"))) == {doomed, kept}
    vault.records.delete(doomed, "duplicate")
    vault.records.delete(doomed_place, "entered by mistake")
    assert ids(vault.records.search("этапирование")) == [kept]
    for query in ("дубликат", "酷刑", "detenu", "Удалённыйизолятор"):
        assert vault.records.search(query) == [], query


# -- hostile queries -------------------------------------------------------------------------
FTS_QUERIES = [
    '"',
    '""',
    '"detenu',
    "'",
    "*",
    "**",
    "detenu*",
    "*detenu",
    "-",
    "-detenu",
    "detenu -arrete",
    "NOT",
    "NOT detenu",
    "AND",
    "OR",
    "detenu OR",
    "AND OR NOT",
    "NEAR",
    "NEAR(",
    "NEAR(detenu arrete)",
    "NEAR(detenu arrete, 2)",
    "NEAR/2",
    "(",
    ")",
    "()",
    "(detenu",
    "detenu)",
    ":",
    "body:",
    "body:detenu",
    "record_id:x",
    "{body type}: detenu",
    "- body : detenu",
    "^",
    "^detenu",
    "+",
    "detenu + arrete",
    "\\",
    "%",
    "_",
    "[",
    "]",
    "{",
    "}",
    "&&",
    "||",
    ";",
    "' OR 1=1 --",
    "\x00",
    "detenu\x00arrete",
    "\u202e",
    "\u0301",
    "🙂",
    "・",
    "⿰",
    "、",
    "x" * 5000,
    " ".join(["detenu"] * 100),
    " ".join(f"w{i}" for i in range(200)),
    "",
    "   ",
    *HOSTILE_TEXTS,
]


@either_order
def test_fts_syntax_in_queries_never_raises(vault: UnlockedVault) -> None:
    target = incident(vault, "Le détenu arrêté à l'aube. 酷刑")
    for index, text in enumerate(HOSTILE_TEXTS):
        incident(vault, f"hostile {index}", title=text)
    for query in FTS_QUERIES:
        hits = vault.records.search(query)
        assert isinstance(hits, list), query
        for filters in ({"record_type": "incident"}, {"date_from": "2024", "date_to": "2024-12"}):
            vault.records.search(query, **filters)  # type: ignore[arg-type]
    # Operators are plain words: these find the record that holds the words.
    for query in ('"detenu"', "detenu*", "(detenu", "detenu)", "^detenu", "-detenu", "{detenu}"):
        assert target in ids(vault.records.search(query)), query


@either_order
def test_hostile_texts_find_their_own_records(vault: UnlockedVault) -> None:
    records = [incident(vault, "hostile", title=text) for text in HOSTILE_TEXTS]
    incident(vault, "unrelated")
    missed = [
        text[:40]
        for text, record in zip(HOSTILE_TEXTS, records, strict=True)
        if record not in ids(vault.records.search(text))
    ]
    assert missed == []


PUNCTUATION = ["-", "*", '"', "(", ":", "^", "+", "'", "_", "・"]


@either_order
def test_punctuation_alone_does_not_hide_results(vault: UnlockedVault) -> None:
    # A query term made only of punctuation is ignored, whatever the punctuation: it must not
    # turn a query that finds a record into one that finds nothing.
    target = incident(vault, "Le détenu 他在审讯中遭受酷刑")
    hiding = [
        query
        for junk in PUNCTUATION
        for query in (f"detenu {junk}", f"酷刑 {junk}", f"{junk} detenu")
        if ids(vault.records.search(query)) != [target]
    ]
    assert hiding == []
