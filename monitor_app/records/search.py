"""Full-text search inside the encrypted database (SQLite FTS5 in SQLCipher).

One index row per live record, holding only non-sensitive text plus the labels of its
vocabulary codes in every shipped language. The ``unicode61`` tokenizer folds case (Latin,
Cyrillic and others) and, with ``remove_diacritics 2``, accents, so "detenu" finds "détenu".
Chinese is written without spaces, so before indexing every Han (and kana, hangul) character
is set apart as its own token; a query's run of such characters becomes a phrase, which then
matches that run anywhere in the text: a substring search that also works for two-character
words like 酷刑. Other query words match as prefixes, which covers most Russian and Kyrgyz
inflections (задержан finds задержание's stem only when it is the prefix: "задерж").

Order: when at most RANK_MAX_MATCHES records match, the best match comes first (bm25). When
more match, which in a large vault is any common word, they come newest first, as in the
record list. Ranking needs every match scored before the first can be shown, which took up to
half a second at 100 000 records; and among thousands of matches bm25 mostly favours short
notes and repeated words, while a monitor going through a common word usually wants the
recent cases, and narrows the search with another word or a filter, which brings back the
ranked order.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from monitor_app.records import word_forms
from monitor_app.records.schema import Field, RecordType
from monitor_app.records.vocabularies import Vocabularies
from monitor_app.vault.database import Connection

_WIDE = (
    "\u2e80-\u2fdf\u3005\u3040-\u30ff\u3100-\u312f\u31a0-\u31bf\u3400-\u4dbf"
    "\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f"
)
_WIDE_CHAR = re.compile(f"([{_WIDE}])")
_WIDE_RUN = re.compile(f"[{_WIDE}]+")
# Private-use marks around a snippet's match until the index spacing is removed, so that
# "[" and "]" do not keep the spaces around a Chinese match.
_MARK_OPEN, _MARK_CLOSE = "\ue000", "\ue001"
_SPACED_WIDE = re.compile(
    f"(?<=[{_WIDE}{_MARK_OPEN}{_MARK_CLOSE}]) (?=[{_WIDE}])"
    f"|(?<=[{_WIDE}]) (?=[{_MARK_OPEN}{_MARK_CLOSE}])"
)
# Letters and digits only: "_" or a lone punctuation mark would become an FTS5 phrase with
# no tokens, and one such term would make the whole AND query match nothing.
_WORD = re.compile(r"[^\W_]+")
MAX_QUERY_TERMS = 32
# bm25 is computed for every match before the best ones are known: about 8 µs a match on
# SQLCipher when cipher_memory_security was on (it made the allocation FTS5 does per scored
# row two system calls), so a word found in 35 000 records took 300 ms to rank. Above this
# many matches search() orders by date instead, at a cost that hardly grows with the
# matches; at this many, ranking takes about 20 to 30 ms on the bench machine. See
# bench/README.md.
RANK_MAX_MATCHES = 2_000
# Records read per step while looking for the newest matching ones.
_WALK_BATCH = 256


def index_text(text: str) -> str:
    return _WIDE_CHAR.sub(r" \1 ", text)


def display_text(indexed: str) -> str:
    """Undo the spacing of Han characters for snippets shown to people."""
    text = _SPACED_WIDE.sub("", indexed.replace("  ", " "))
    return text.replace(_MARK_OPEN, "[").replace(_MARK_CLOSE, "]")


@dataclass(frozen=True)
class Query:
    """Free text typed by a person, as FTS5 expressions, or None from ``parse`` if it has no
    terms. Every term is quoted, so FTS5 operators in the input (AND, NEAR, column filters,
    quotes) are taken as plain words and cannot make the query fail.

    A record matches when each term is the beginning of one of its words (``exact``, over
    ``search_index``) or has the stem of one of them (over ``search_forms``, see
    records/word_forms.py).
    """

    exact: str  # every term as typed, ANDed, each the beginning of a word
    whole: str  # every term as typed, ANDed, each a whole word
    terms: tuple[tuple[str, str | None], ...]  # each term's exact expression, and its forms'
    highlight: str  # any term or the beginning of its stems: the words a snippet marks

    def match_sql(self) -> tuple[str, list[str]]:
        """A SELECT of the rowids of the matching index rows, and its parameters."""
        if all(forms is None for _, forms in self.terms):
            return "SELECT rowid FROM search_index WHERE search_index MATCH ?", [self.exact]
        parts: list[str] = []
        params: list[str] = []
        for exact, forms in self.terms:
            part = "SELECT rowid FROM search_index WHERE search_index MATCH ?"
            params.append(exact)
            if forms is not None:
                part += " UNION SELECT rowid FROM search_forms WHERE search_forms MATCH ?"
                params.append(forms)
            parts.append(f"SELECT rowid FROM ({part})")
        return " INTERSECT ".join(parts), params


def _term(word: str) -> tuple[str, str | None, list[str]]:
    stems = word_forms.stems(word)
    forms = " OR ".join(f'"{stem}"' for stem in stems) or None
    return f'"{word}"*', forms, [f'"{word}"*', *(f'"{stem}"*' for stem in stems)]


def parse(query: str) -> Query | None:
    terms: list[tuple[str, str | None]] = []
    marked: list[str] = []
    for chunk in query.split():
        position = 0
        words: list[str] = []
        for run in _WIDE_RUN.finditer(chunk):
            words += _WORD.findall(chunk[position : run.start()])
            chars = [c for c in run.group() if unicodedata.category(c)[0] in "LN"]
            if chars:
                phrase = '"' + " ".join(chars) + '"'
                terms.append((phrase, None))
                marked.append(phrase)
            position = run.end()
        words += _WORD.findall(chunk[position:])
        for word in words:
            exact, forms, highlight = _term(word)
            terms.append((exact, forms))
            marked += highlight
    terms = terms[:MAX_QUERY_TERMS]
    if not terms:
        return None
    return Query(
        " AND ".join(exact for exact, _ in terms),
        " AND ".join(exact.rstrip("*") for exact, _ in terms),
        tuple(terms),
        " OR ".join(dict.fromkeys(marked)),
    )


def build_query(query: str) -> str | None:
    """The FTS5 expression of the exact terms of ``query`` (see Query)."""
    parsed = parse(query)
    return parsed.exact if parsed is not None else None


def _collect(spec: Field, value: Any, vocab: Vocabularies, out: list[str]) -> None:
    if spec.sensitive or value is None:
        return
    kind = spec.kind
    if kind in ("text", "long_text"):
        out.append(value)
    elif kind == "text_list":
        out.extend(value)
    elif kind in ("vocab", "vocab_list") and spec.vocabulary:
        for code in value if isinstance(value, list) else [value]:
            entry = vocab.get(spec.vocabulary).entry(code)
            if entry is not None:
                out.extend(dict.fromkeys(entry.labels.values()))
    elif kind == "object":
        for sub in spec.fields:
            _collect(sub, value.get(sub.name), vocab, out)
    elif kind == "object_list":
        for item in value:
            for sub in spec.fields:
                _collect(sub, item.get(sub.name), vocab, out)


def document_for(record_type: RecordType, fields: dict[str, Any], vocab: Vocabularies) -> str:
    parts: list[str] = []
    for spec in record_type.fields:
        _collect(spec, fields.get(spec.name), vocab, parts)
    return index_text("\n".join(parts))


# record_id is UNINDEXED in the FTS table, so deleting by it would read the whole index on
# every edit. Each record keeps the rowid of its index row instead (records.search_rowid).
def reindex(conn: Connection, record_id: str, record_type: str, document: str) -> None:
    """Replace the index row of a record whose ``records`` row already exists."""
    unindex(conn, record_id)
    rowid = index_new(conn, record_id, record_type, document)
    conn.execute("UPDATE records SET search_rowid = ? WHERE id = ?", (rowid, record_id))


def index_new(conn: Connection, record_id: str, record_type: str, document: str) -> int:
    """Add an index row for a record that has none; returns its rowid, which the caller
    keeps in ``records.search_rowid``."""
    cursor = conn.execute(
        "INSERT INTO search_index (record_id, type, body) VALUES (?, ?, ?)",
        (record_id, record_type, document),
    )
    rowid = int(cursor.lastrowid)
    word_forms.index(conn, rowid, document)
    return rowid


def unindex(conn: Connection, record_id: str) -> None:
    row = conn.execute("SELECT search_rowid FROM records WHERE id = ?", (record_id,)).fetchone()
    if row is not None and row[0] is not None:
        conn.execute("DELETE FROM search_index WHERE rowid = ?", (row[0],))
        word_forms.unindex(conn, row[0])
        conn.execute("UPDATE records SET search_rowid = NULL WHERE id = ?", (record_id,))


@dataclass(frozen=True)
class SearchHit:
    record_id: str
    type: str
    display: str
    sort_date: str | None
    snippet: str
    rank: float
    modified_at: str | None = None  # what a record list shows in its Modified column

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.record_id,
            "type": self.type,
            "display": self.display,
            "date": self.sort_date,
            "snippet": self.snippet,
            "rank": self.rank,
        }


def search(
    conn: Connection,
    query: str,
    *,
    record_type: str | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
    place_id: str | None = None,
    limit: int = 50,
    offset: int = 0,
    extra: tuple[list[str], list[Any]] | None = None,
) -> list[SearchHit]:
    """Live records whose indexed text holds every term of ``query``, one page of them.

    Up to RANK_MAX_MATCHES matching index rows (counted before the filters), the best match
    comes first (bm25; ties: the older index row first). Above that the page is newest first
    by record date, the order of the list view (``sort_date`` descending, then id descending;
    undated records last), and ``rank`` still holds each hit's bm25 score. A negative
    ``limit`` means no limit.
    """
    parsed = parse(query)
    if parsed is None or limit == 0:
        return []
    offset = max(offset, 0)
    matches = [row[0] for row in conn.execute(*parsed.match_sql())]
    if not matches:
        return []
    where, params = _record_filter(record_type, date_from, date_to, place_id)
    if extra is not None:  # conditions on "records AS r" (facets.where with prefix "r.")
        where = " AND ".join([where, *extra[0]])
        params = [*params, *extra[1]]
    if len(matches) <= RANK_MAX_MATCHES:
        page = _best_first(conn, parsed, matches, where, params, limit, offset)
    else:
        page = _newest_first(conn, matches, where, params, limit, offset)
    return _page_hits(conn, parsed, page)


def _record_filter(
    record_type: str | None, date_from: str | None, date_to: str | None, place_id: str | None
) -> tuple[str, list[Any]]:
    """A condition on ``records AS r`` for the filters, and its parameters."""
    clauses, params = ["r.deleted_at IS NULL"], []
    if record_type:
        clauses.append("r.type = ?")
        params.append(record_type)
    if date_from:
        clauses.append("r.sort_date >= ?")
        params.append(date_from)
    if date_to:
        # A date_to of 2024-05 includes every day of May: compare against the next prefix.
        # The second bound follows from the first; it is there so that an index can seek to
        # it instead of walking past every newer record.
        clauses.append("substr(r.sort_date, 1, length(?)) <= ? AND r.sort_date < ?")
        params += [date_to, date_to, date_to + "\U0010ffff"]
    if place_id:
        clauses.append("(r.place_id = ? OR r.id = ?)")
        params += [place_id, place_id]
    return " AND ".join(clauses), params


def _best_first(
    conn: Connection,
    query: Query,
    matches: list[int],
    where: str,
    params: list[Any],
    limit: int,
    offset: int,
) -> list[tuple[int, str]]:
    """(index rowid, record id) of the page, from at most RANK_MAX_MATCHES: first the records
    with every term as a whole word as typed, then as the beginning of a word, each in bm25
    order, then those found by other forms of a word."""
    ranked: list[int] = []
    written: set[int] = set()
    for expression in dict.fromkeys((query.whole, query.exact)):
        for (rowid,) in conn.execute(
            "SELECT rowid FROM search_index WHERE search_index MATCH ?"
            " ORDER BY bm25(search_index), rowid",
            (expression,),
        ):
            if rowid not in written:
                ranked.append(rowid)
                written.add(rowid)
    ranked += sorted(rowid for rowid in matches if rowid not in written)
    page: list[tuple[int, str]] = []
    skip = offset
    # Records are looked up for the best matches only, a slice at a time: without a filter
    # the first slice is the page; a filter that rejects many matches makes the slices grow.
    step = len(ranked) if limit < 0 else offset + limit
    start = 0
    while start < len(ranked):
        chunk = ranked[start : start + step]
        start += len(chunk)
        step *= 2
        kept = dict(
            conn.execute(
                "SELECT s.rowid, r.id FROM search_index AS s JOIN records AS r"
                " ON r.id = s.record_id WHERE s.rowid IN (SELECT value FROM json_each(?))"
                f" AND {where}",
                [json.dumps(chunk), *params],
            ).fetchall()
        )
        for fts_rowid in chunk:
            if fts_rowid not in kept:
                continue
            if skip:
                skip -= 1
                continue
            page.append((fts_rowid, kept[fts_rowid]))
            if len(page) == limit:
                return page
    return page


def _newest_first(
    conn: Connection, matches: list[int], where: str, params: list[Any], limit: int, offset: int
) -> list[tuple[int, str]]:
    """(index rowid, record id) of the page: the newest matching records that pass the filter.

    Walks the records in list order through an index and stops once the page is full, so a
    word found in most records costs about one page of records, not one row per match.
    """
    # Records rows are never removed (a purge leaves a stub), so the last rowid is about
    # their number: enough to guess how many rows the walk will read.
    size = conn.execute("SELECT max(rowid) FROM records").fetchone()[0] or 0
    if _walk_in_sql(offset + limit if limit >= 0 else size, size, len(matches)):
        rows = conn.execute(
            f"SELECT r.search_rowid, r.id FROM records AS r WHERE {where}"
            " AND r.search_rowid IN (SELECT value FROM json_each(?))"
            " ORDER BY r.sort_date DESC, r.id DESC LIMIT ? OFFSET ?",
            [*params, json.dumps(matches), limit, offset],
        ).fetchall()
        return [(fts_rowid, record_id) for fts_rowid, record_id in rows]
    found = set(matches)
    cursor = conn.execute(
        f"SELECT r.search_rowid, r.id FROM records AS r WHERE {where}"
        " ORDER BY r.sort_date DESC, r.id DESC",
        params,
    )
    page: list[tuple[int, str]] = []
    skip = offset
    try:
        while rows := cursor.fetchmany(_WALK_BATCH):
            for fts_rowid, record_id in rows:
                if fts_rowid not in found:
                    continue
                if skip:
                    skip -= 1
                    continue
                page.append((fts_rowid, record_id))
                if len(page) == limit:
                    return page
    finally:
        cursor.close()  # the statement would otherwise stay open, holding its read
    return page


def _walk_in_sql(page_end: int, records: int, matches: int) -> bool:
    """Whether to let SQLite test the walked records against the matches.

    Walking in Python costs about 1.7 µs a record read; in SQL about 0.8 µs, after building a
    lookup of the matches at about 1.2 µs each. The walk reads about page_end * records /
    matches records: few for a common word and a page of 50, tens of thousands for a page of
    1 000 (the record table's filter) among a few thousand matches. SQL pays off about when
    the walk would read more records than there are matches.
    """
    return page_end * records > matches * matches


def _page_hits(conn: Connection, query: Query, page: list[tuple[int, str]]) -> list[SearchHit]:
    """Snippets, scores and list columns for the page's records, in the page's order."""
    if not page:
        return []
    fts_rowids = [fts_rowid for fts_rowid, _ in page]
    # One pass over the matches, with snippet() and bm25() run for the page's rows only. The
    # rowid IN test is written "+rowid" so that it is not given to FTS5 as a lookup: FTS5
    # would then evaluate the whole query again for every rowid (5 ms each on a large vault).
    # The BETWEEN bounds it does use, to skip the matches outside the page's range of rowids.
    details = {
        row[0]: (row[1], row[2])
        for row in conn.execute(
            "SELECT rowid, snippet(search_index, 2, ?, ?, '…', 12), bm25(search_index)"
            " FROM search_index WHERE search_index MATCH ? AND rowid BETWEEN ? AND ?"
            " AND +rowid IN (SELECT value FROM json_each(?))",
            (
                _MARK_OPEN,
                _MARK_CLOSE,
                query.highlight,
                min(fts_rowids),
                max(fts_rowids),
                json.dumps(fts_rowids),
            ),
        )
    }
    records = {
        row[0]: row
        for row in conn.execute(
            "SELECT id, type, display, sort_date, modified_at FROM records"
            " WHERE id IN (SELECT value FROM json_each(?)) AND deleted_at IS NULL",
            (json.dumps([record_id for _, record_id in page]),),
        )
    }
    unmarked = [fts_rowid for fts_rowid in fts_rowids if fts_rowid not in details]
    if unmarked:
        # A word found by its stem alone where the stem does not begin the word as written
        # (English "happi" for "happy"): nothing to mark, the text's beginning instead.
        for rowid, start in conn.execute(
            "SELECT rowid, substr(body, 1, 100) FROM search_index"
            " WHERE rowid IN (SELECT value FROM json_each(?))",
            (json.dumps(unmarked),),
        ):
            details[rowid] = (" ".join(str(start).split()[:12]) + " …", 0.0)
    hits = []
    for fts_rowid, record_id in page:
        if fts_rowid in details and record_id in records:
            _, type_name, display, sort_date, modified_at = records[record_id]
            snippet, score = details[fts_rowid]
            shown = display_text(snippet)
            hits.append(
                SearchHit(record_id, type_name, display, sort_date, shown, score, modified_at)
            )
    return hits
