"""Full-text search inside the encrypted database (SQLite FTS5 in SQLCipher).

One index row per live record, holding only non-sensitive text plus the labels of its
vocabulary codes in every shipped language. The ``unicode61`` tokenizer folds case (Latin,
Cyrillic and others) and, with ``remove_diacritics 2``, accents, so "detenu" finds "détenu".
Chinese is written without spaces, so before indexing every Han (and kana, hangul) character
is set apart as its own token; a query's run of such characters becomes a phrase, which then
matches that run anywhere in the text: a substring search that also works for two-character
words like 酷刑. Other query words match as prefixes, which covers most Russian and Kyrgyz
inflections (задержан finds задержание's stem only when it is the prefix: "задерж").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

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


def index_text(text: str) -> str:
    return _WIDE_CHAR.sub(r" \1 ", text)


def display_text(indexed: str) -> str:
    """Undo the spacing of Han characters for snippets shown to people."""
    text = _SPACED_WIDE.sub("", indexed.replace("  ", " "))
    return text.replace(_MARK_OPEN, "[").replace(_MARK_CLOSE, "]")


def build_query(query: str) -> str | None:
    """An FTS5 MATCH expression for free text typed by a person, or None if it has no terms.

    Every term is quoted, so FTS5 operators in the input (AND, NEAR, column filters, quotes)
    are taken as plain words and cannot make the query fail.
    """
    terms: list[str] = []
    for chunk in query.split():
        position = 0
        for run in _WIDE_RUN.finditer(chunk):
            terms += [f'"{w}"*' for w in _WORD.findall(chunk[position : run.start()])]
            chars = [c for c in run.group() if unicodedata.category(c)[0] in "LN"]
            if chars:
                terms.append('"' + " ".join(chars) + '"')
            position = run.end()
        terms += [f'"{w}"*' for w in _WORD.findall(chunk[position:])]
    terms = [t for t in terms if t.strip('"*')]
    if not terms:
        return None
    return " AND ".join(terms[:MAX_QUERY_TERMS])


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
    cursor = conn.execute(
        "INSERT INTO search_index (record_id, type, body) VALUES (?, ?, ?)",
        (record_id, record_type, document),
    )
    conn.execute("UPDATE records SET search_rowid = ? WHERE id = ?", (cursor.lastrowid, record_id))


def unindex(conn: Connection, record_id: str) -> None:
    row = conn.execute("SELECT search_rowid FROM records WHERE id = ?", (record_id,)).fetchone()
    if row is not None and row[0] is not None:
        conn.execute("DELETE FROM search_index WHERE rowid = ?", (row[0],))
        conn.execute("UPDATE records SET search_rowid = NULL WHERE id = ?", (record_id,))


@dataclass(frozen=True)
class SearchHit:
    record_id: str
    type: str
    display: str
    sort_date: str | None
    snippet: str
    rank: float

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
) -> list[SearchHit]:
    expression = build_query(query)
    if expression is None:
        return []
    if not (date_from or date_to or place_id):
        # Rank inside the index first and build snippets for the page only: joining records
        # for every match before sorting costs a page decryption per match.
        inner = "SELECT record_id, snippet(search_index, 2, ?, ?, '…', 12) AS snip, rank"
        inner += " FROM search_index WHERE search_index MATCH ?"
        params_top: list[Any] = [_MARK_OPEN, _MARK_CLOSE, expression]
        if record_type:
            inner += " AND type = ?"
            params_top.append(record_type)
        inner += " ORDER BY rank LIMIT ? OFFSET ?"
        params_top += [limit, offset]
        top = conn.execute(
            "SELECT r.id, r.type, r.display, r.sort_date, top.snip, top.rank"
            f" FROM ({inner}) AS top JOIN records r ON r.id = top.record_id"
            " WHERE r.deleted_at IS NULL ORDER BY top.rank",
            params_top,
        ).fetchall()
        return [SearchHit(r[0], r[1], r[2], r[3], display_text(r[4]), float(r[5])) for r in top]
    sql = [
        "SELECT r.id, r.type, r.display, r.sort_date,",
        " snippet(search_index, 2, ?, ?, '…', 12), bm25(search_index) AS rank",
        " FROM search_index JOIN records r ON r.id = search_index.record_id",
        " WHERE search_index MATCH ? AND r.deleted_at IS NULL",
    ]
    params: list[Any] = [_MARK_OPEN, _MARK_CLOSE, expression]
    if record_type:
        sql.append(" AND r.type = ?")
        params.append(record_type)
    if date_from:
        sql.append(" AND r.sort_date >= ?")
        params.append(date_from)
    if date_to:
        # A date_to of 2024-05 includes every day of May: compare against the next prefix.
        sql.append(" AND substr(r.sort_date, 1, length(?)) <= ?")
        params += [date_to, date_to]
    if place_id:
        sql.append(" AND (r.place_id = ? OR r.id = ?)")
        params += [place_id, place_id]
    sql.append(" ORDER BY rank LIMIT ? OFFSET ?")
    params += [limit, offset]
    rows = conn.execute("".join(sql), params).fetchall()
    return [SearchHit(r[0], r[1], r[2], r[3], display_text(r[4]), float(r[5])) for r in rows]
