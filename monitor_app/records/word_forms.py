"""Other forms of a word: "пытка" finds "пытки" and "пыткам", "detainees" finds "detainee".

Beside each row of the full-text index (``search_index``, the words as written) the vault
keeps a row of ``search_forms`` with the same rowid: the stems of its words, by the Snowball
stemmers (the reference implementation of the algorithms, maintained by their authors): the
Russian one for Cyrillic words, the English, French and Spanish ones for Latin words (a record
does not say its language, and the three rarely disagree in ways that find wrong records).
A query term matches a record when the record has a word beginning with it (as before) or a
word of the same stem. Kyrgyz and Kazakh have no Snowball stemmer: their words are found by
their beginnings, which covers most of their suffixes, as they are agglutinative.

Stems are derived from the index text only, which holds no sensitive field, so building them
needs no revision to be read. Vaults from before schema version 10 have index rows without
forms: ``catch_up`` adds them, a batch per transaction, from the newest row down, resumable
after an interruption; until it has finished, a search finds those records by the exact words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import TYPE_CHECKING

import snowballstemmer

from monitor_app.jobs import CancelToken, Progress
from monitor_app.vault.database import Connection

if TYPE_CHECKING:
    from monitor_app.vault.session import UnlockedVault

_WORD = re.compile(r"[^\W\d_]{3,}")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[a-zA-Z\u00c0-\u024f]")
_LATIN_LANGUAGES = ("english", "french", "spanish")
# Where catch_up has still to look: index rows with a smaller rowid may lack their forms.
PENDING_KEY = "word_forms_below"
BATCH = 2_000


@lru_cache(maxsize=4)
def _stemmer(language: str) -> snowballstemmer.Stemmer:
    return snowballstemmer.stemmer(language)


def compiled() -> bool:
    """Whether the stemmers are PyStemmer's compiled ones (snowballstemmer's fallback, pure
    Python, gives the same stems at about 30 us a word instead of 0.4)."""
    return type(_stemmer("russian")).__module__ == "Stemmer"


@lru_cache(maxsize=65_536)
def stems(word: str) -> tuple[str, ...]:
    """The stems of one word (lower case), by the stemmers of its script; none for a word of
    another script (Han, Arabic) or of fewer than three letters."""
    word = word.lower()
    if len(word) < 3:
        return ()
    if _CYRILLIC.match(word):
        languages: Iterable[str] = ("russian",)
    elif _LATIN.match(word):
        languages = _LATIN_LANGUAGES
    else:
        return ()
    return tuple(dict.fromkeys(_stemmer(language).stemWord(word) for language in languages))


def forms_of(text: str) -> str:
    """The text of a ``search_forms`` row: every distinct stem of the words of ``text``."""
    found: dict[str, None] = {}
    for word in _WORD.findall(text):
        for stem in stems(word):
            found[stem] = None
    return " ".join(found)


def index(conn: Connection, rowid: int, text: str) -> None:
    """Give index row ``rowid`` its forms (replacing any)."""
    conn.execute("DELETE FROM search_forms WHERE rowid = ?", (rowid,))
    forms = forms_of(text)
    if forms:
        conn.execute("INSERT INTO search_forms (rowid, forms) VALUES (?, ?)", (rowid, forms))


def unindex(conn: Connection, rowid: int) -> None:
    conn.execute("DELETE FROM search_forms WHERE rowid = ?", (rowid,))


def pending(vault: UnlockedVault) -> int:
    """How many index rows may still lack their forms (0 once catch_up has finished)."""
    with vault.reading() as conn:
        below = _below(conn)
        if below <= 0:
            return 0
        # Counted on the records' index of their search rows: counting the FTS5 table's
        # rowids reads its whole index, seconds at a million records, and the vault is held
        # meanwhile (each live record has one index row; deleted ones have none).
        row = conn.execute(
            "SELECT count(*) FROM records WHERE search_rowid < ?"
            " AND deleted_at IS NULL AND purged_at IS NULL",
            (below,),
        )
        return int(row.fetchone()[0])


def catch_up(
    vault: UnlockedVault,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> int:
    """Add the forms of the index rows written before schema version 10; returns how many.

    One transaction per batch of BATCH rows, newest first (the records a reviewer is most
    likely to look for), so the vault stays usable meanwhile; cancelling keeps the batches
    done, and the next call goes on from there. ``progress(done, total)`` follows each
    batch."""
    total = pending(vault)
    done = 0
    while True:
        if cancel is not None:
            cancel.raise_if_cancelled()
        with vault.transaction() as conn:
            below = _below(conn)
            if below <= 0:
                return done
            rows = conn.execute(
                "SELECT rowid, body FROM search_index WHERE rowid < ? ORDER BY rowid DESC LIMIT ?",
                (below, BATCH),
            ).fetchall()
            for rowid, body in rows:
                index(conn, int(rowid), str(body))
            lowest = int(rows[-1][0]) if len(rows) == BATCH else 0
            conn.execute("UPDATE meta SET value = ? WHERE key = ?", (str(lowest), PENDING_KEY))
        done += len(rows)
        if progress is not None:
            progress(done, max(total, done))


def _below(conn: Connection) -> int:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (PENDING_KEY,)).fetchone()
    return int(row[0]) if row else 0
