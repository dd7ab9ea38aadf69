"""Vault benchmark: unlock, bulk insert, search, first page, attachment intake.

Run from the repository root:

    .venv/bin/python bench/bench_vault.py [--quick] [--n N] [--dir DIR] [--json [FILE]]

Everything goes through the real core API (lifecycle, RecordStore, AttachmentStore). The
plain-SQLite comparison opens the same schema with ``database.connect(path, None)`` and wraps
that connection in an ``UnlockedVault`` built directly, so the very same RecordStore code runs
over an unencrypted database. Figures are printed with PASS/MISS against the targets; the
script always exits 0. See bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import hashlib
import io
import os
import pstats
import shutil
import statistics
import sys
import tempfile
import time
import unicodedata
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

# The real, calibrated KDF is what is measured: never the test profile.
os.environ.pop("MONITOR_APP_KDF_PROFILE", None)

import corpus  # bench/corpus.py, next to this file
from report import Report  # bench/report.py

from monitor_app.clock import now_iso
from monitor_app.crypto import kdf, stream
from monitor_app.fsutil import make_private_dir
from monitor_app.records import audit, search
from monitor_app.records.store import RecordStore
from monitor_app.vault import database, keyslots, lifecycle, migrations
from monitor_app.vault.blobstore import BlobStore
from monitor_app.vault.session import UnlockedVault

PASSPHRASE = "correct horse battery staple, benchmark edition"
BATCH = 1000  # records per add_many call (one transaction each)
MB = 1_000_000  # throughput in MB/s is in 10^6 bytes
MIB = 1024 * 1024

TARGET_INSERT_RATIO = 1.5
TARGET_SEARCH_MS = 50.0
TARGET_LIST_MS = 50.0
TARGET_INTAKE_MBS = 300.0

# Queries a monitor would type, by language: frequent and rare words, stems (prefix match),
# two-word phrases, accent-folded French, Chinese substrings of two to four characters.
QUERIES: dict[str, tuple[str, ...]] = {
    "ru": ("задерж", "адвокат", "признательные показания", "наручниках"),
    "fr": ("detenu", "avocat", "perquisition", "fouilles humiliantes"),
    "en": ("beaten", "lawyer", "warrant", "strip searches"),
    "zh": ("审讯", "酷刑", "律师会见", "手铐"),
    "ky": ("кыйноо", "кармалган"),
}


# -- output ---------------------------------------------------------------------------------
def pad(text: str, width: int) -> str:
    """Left-align in ``width`` terminal columns (Han characters take two)."""
    cols = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(width - cols, 0)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def median_time(fn: Callable[[], Any], runs: int) -> tuple[float, float, Any]:
    """(median of ``runs`` timed calls after one untimed warm-up, warm-up time, last result)."""
    started = time.perf_counter()
    result = fn()
    first = time.perf_counter() - started
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), first, result


# -- vaults ---------------------------------------------------------------------------------
def create_plain_vault(path: Path) -> UnlockedVault:
    """The vault schema on plain SQLite, wrapped so the unchanged core code runs over it.

    Mirrors ``lifecycle.create_vault`` minus the key: ``database.connect`` with no key, the
    same migrations, the same meta rows and first audit entry. There is no key-slot file; the
    UnlockedVault is built directly (the store code only uses its connection and author).
    """
    make_private_dir(path)
    BlobStore(path).ensure()
    conn = database.connect(path / database.DB_NAME, None)
    migrations.migrate(conn)
    vault_id = str(uuid.uuid4())
    author_id = str(uuid.uuid4())
    conn.execute("BEGIN IMMEDIATE")
    meta = {
        "vault_id": vault_id,
        "name": "bench",
        "author_id": author_id,
        "author_name": "bench",
        "created_at": now_iso(),
    }
    conn.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", list(meta.items()))
    audit.append(conn, author_id, "vault_created", None, {"kdf": None})
    conn.execute("COMMIT")
    return UnlockedVault(path, vault_id, bytes(32), conn, keyslots.SlotFile(vault_id, 1, []))


def reopen_plain_vault(path: Path) -> UnlockedVault:
    """A fresh connection to the plain vault, as ``lifecycle.unlock`` gives the encrypted one."""
    conn = database.connect(path / database.DB_NAME, None)
    migrations.check_supported(conn)
    vault_id = conn.execute("SELECT value FROM meta WHERE key = 'vault_id'").fetchone()[0]
    return UnlockedVault(path, vault_id, bytes(32), conn, keyslots.SlotFile(vault_id, 1, []))


def file_is_plain_sqlite(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(16) == b"SQLite format 3\x00"


@contextlib.contextmanager
def insert_only_index() -> Iterator[None]:
    """Formerly a shim around a per-record full scan of the search index; the core now
    deletes index rows by rowid (records.search_rowid), so every part of the fill runs the
    unmodified add_many. Kept as a no-op so the three measured segments stay comparable."""
    yield


# -- 1. unlock ------------------------------------------------------------------------------
def bench_unlock(report: Report, root: Path) -> tuple[Path, UnlockedVault]:
    report.line("== 1. unlock (real calibrated Argon2id; MONITOR_APP_KDF_PROFILE unset)")
    path = root / "vault-sqlcipher"
    started = time.perf_counter()
    vault, _code = lifecycle.create_vault(path, PASSPHRASE, name="bench")
    created = time.perf_counter() - started
    slot = vault.slots.slot_of_type("passphrase")
    assert slot is not None
    params = slot.kdf_params
    vault.lock()
    times = []
    for _ in range(3):
        started = time.perf_counter()
        vault = lifecycle.unlock(path, PASSPHRASE)
        times.append(time.perf_counter() - started)
        vault.lock()
    started = time.perf_counter()
    kdf.derive_key(PASSPHRASE.encode(), b"\0" * kdf.SALT_LENGTH, params)
    derive = time.perf_counter() - started
    unlock = statistics.median(times)
    report.line(
        f"  KDF argon2id: memory {params.memory_kib // 1024} MiB, "
        f"iterations {params.iterations}, lanes {params.lanes}"
    )
    report.line(f"  create vault (calibration + KDF x2): {created:.2f} s")
    report.line(
        f"  unlock median of 3: {unlock:.3f} s  (runs: {', '.join(f'{t:.3f}' for t in times)};"
        f" Argon2id alone {derive:.3f} s)"
    )
    report.summary["unlock"] = {
        "median_s": unlock,
        "runs_s": times,
        "argon2id_s": derive,
        "memory_mib": params.memory_kib // 1024,
        "iterations": params.iterations,
        "lanes": params.lanes,
    }
    return path, lifecycle.unlock(path, PASSPHRASE)


# -- 2. insert ------------------------------------------------------------------------------
def timed_add(store: RecordStore, items: list[dict[str, Any]]) -> float:
    started = time.perf_counter()
    store.add_many("incident", items)
    return time.perf_counter() - started


def fill(
    store: RecordStore, n: int, real_head: int, real_tail: int, label: str, report: Report
) -> dict[str, float]:
    """Insert corpus records 0..n: the first ``real_head`` and the last ``real_tail`` through
    the unmodified add_many, timed apart from the middle (also unmodified)."""
    head_t = mid_t = tail_t = 0.0
    mid_n = 0
    done = 0
    last_print = time.perf_counter()
    for batch in corpus.batches(n, BATCH):
        items = batch
        while items:
            if done < real_head:
                part = items[: real_head - done]
                head_t += timed_add(store, part)
            elif done < n - real_tail:
                part = items[: n - real_tail - done]
                with insert_only_index():
                    mid_t += timed_add(store, part)
                mid_n += len(part)
            else:
                part = items
                tail_t += timed_add(store, part)
            done += len(part)
            items = items[len(part) :]
        if time.perf_counter() - last_print > 30:
            report.line(f"    … {label}: {done}/{n}")
            last_print = time.perf_counter()
    return {"head_s": head_t, "mid_s": mid_t, "mid_n": mid_n, "tail_s": tail_t}


def bench_insert(
    report: Report, n: int, real_head: int, real_tail: int, enc: UnlockedVault, plain: UnlockedVault
) -> None:
    report.line(
        f"== 2. insert {n} incidents, add_many in batches of {BATCH} (one transaction each)"
    )
    results = {}
    for label, vault in (("sqlcipher", enc), ("sqlite", plain)):
        results[label] = fill(RecordStore(vault), n, real_head, real_tail, label, report)
        count = RecordStore(vault).count("incident")
        assert count == n, (label, count)
    c, p = results["sqlcipher"], results["sqlite"]

    def rate(count: int, seconds: float) -> str:
        return f"{count / seconds:8.0f} rec/s" if seconds > 0 else "      n/a"

    mid_ratio = c["mid_s"] / p["mid_s"]
    report.line(
        f"  bulk fill, records {real_head}..{n - real_tail} ({c['mid_n']} records;"
        " unmodified add_many):"
    )
    report.line(f"    sqlcipher {rate(c['mid_n'], c['mid_s'])}  ({c['mid_s']:.1f} s)")
    report.line(f"    sqlite    {rate(p['mid_n'], p['mid_s'])}  ({p['mid_s']:.1f} s)")
    report.line(
        f"    ratio sqlcipher/sqlite time {mid_ratio:.2f} (target <= {TARGET_INSERT_RATIO})  "
        + report.verdict("insert_ratio_bulk", mid_ratio <= TARGET_INSERT_RATIO)
    )
    head_ratio = c["head_s"] / p["head_s"]
    tail_ratio = c["tail_s"] / p["tail_s"]
    report.line(f"  unmodified add_many, first {real_head} records (empty vault):")
    report.line(f"    sqlcipher {rate(real_head, c['head_s'])}  ({c['head_s']:.1f} s)")
    report.line(f"    sqlite    {rate(real_head, p['head_s'])}  ({p['head_s']:.1f} s)")
    report.line(
        f"    ratio {head_ratio:.2f} (target <= {TARGET_INSERT_RATIO})  "
        + report.verdict("insert_ratio_real_empty", head_ratio <= TARGET_INSERT_RATIO)
    )
    report.line(f"  unmodified add_many, last {real_tail} records (vault at {n - real_tail}):")
    report.line(f"    sqlcipher {rate(real_tail, c['tail_s'])}  ({c['tail_s']:.1f} s)")
    report.line(f"    sqlite    {rate(real_tail, p['tail_s'])}  ({p['tail_s']:.1f} s)")
    report.line(
        f"    ratio {tail_ratio:.2f} (target <= {TARGET_INSERT_RATIO})  "
        + report.verdict("insert_ratio_real_full", tail_ratio <= TARGET_INSERT_RATIO)
    )
    # Per-record cost of the unmodified path grows linearly with the vault (the DELETE scans
    # the index): cost(k) ~ a + b*k, a from the bulk fill, b from the last records.
    projected = {}
    for label, r in results.items():
        a = r["mid_s"] / r["mid_n"]
        b = max(r["tail_s"] / real_tail - a, 0.0) / (n - real_tail / 2)
        projected[label] = n * a + b * n * n / 2
    report.line(
        f"  projected time to add {n} records through the unmodified add_many: sqlcipher"
        f" ~{projected['sqlcipher'] / 60:.0f} min, sqlite ~{projected['sqlite'] / 60:.0f} min"
        f" (vs {c['mid_s'] * n / c['mid_n'] / 60:.1f} min / {p['mid_s'] * n / p['mid_n'] / 60:.1f}"
        " min without the per-record index scan)"
    )
    report.summary["insert"] = {
        "n": n,
        "batch": BATCH,
        "bulk": {
            "records": c["mid_n"],
            "sqlcipher_rps": c["mid_n"] / c["mid_s"],
            "sqlite_rps": p["mid_n"] / p["mid_s"],
            "ratio": mid_ratio,
        },
        "real_empty": {
            "records": real_head,
            "sqlcipher_rps": real_head / c["head_s"],
            "sqlite_rps": real_head / p["head_s"],
            "ratio": head_ratio,
        },
        "real_full": {
            "records": real_tail,
            "at": n - real_tail,
            "sqlcipher_rps": real_tail / c["tail_s"],
            "sqlite_rps": real_tail / p["tail_s"],
            "ratio": tail_ratio,
        },
        "projected_real_s": projected,
    }


# -- 3. search and list ---------------------------------------------------------------------
# Above this many matches search() returns the newest records first instead of ranking every
# match (cores before it ranked every match: None).
RANK_MAX_MATCHES: int | None = getattr(search, "RANK_MAX_MATCHES", None)


def search_order(matches: int) -> str:
    return "newest" if RANK_MAX_MATCHES is not None and matches > RANK_MAX_MATCHES else "ranked"


@contextlib.contextmanager
def ranking_every_match() -> Iterator[None]:
    """search() ranking all matches by bm25 whatever their number, as cores before
    RANK_MAX_MATCHES did: the cost that the newest-first order avoids."""
    if RANK_MAX_MATCHES is None:
        yield
        return
    search.RANK_MAX_MATCHES = sys.maxsize
    try:
        yield
    finally:
        search.RANK_MAX_MATCHES = RANK_MAX_MATCHES


def bench_search(
    report: Report, n: int, runs: int, enc: UnlockedVault, plain: UnlockedVault
) -> None:
    report.line(
        f"== 3. search and first page at {n} incidents (median of {runs} runs after a warm-up)"
    )
    stores = {"sqlcipher": RecordStore(enc), "sqlite": RecordStore(plain)}
    for name, query in corpus.MUST_MATCH.items():
        hits = stores["sqlcipher"].search(query)
        report.line(f"  check {name} ({query!r}): {len(hits)} hits " + ("ok" if hits else "NONE"))
    medians: dict[str, dict[str, float]] = {"sqlcipher": {}, "sqlite": {}}
    orders: dict[str, str] = {}
    report.line(
        f"  {'query':26} {'lang':4} {'matches':>8} {'order':6} {'sqlcipher':>10} {'sqlite':>10}"
        " ratio"
    )
    for lang, queries in QUERIES.items():
        for query in queries:
            expression = search.build_query(query)
            with enc.reading() as conn:
                matches = conn.execute(
                    "SELECT count(*) FROM search_index WHERE search_index MATCH ?", (expression,)
                ).fetchone()[0]
            row = {}
            for label, store in stores.items():
                med, _first, hits = median_time(lambda s=store, q=query: s.search(q), runs)
                medians[label][query] = med
                row[label] = med
            orders[query] = search_order(matches)
            report.line(
                f"  {pad(query, 26)} {lang:4} {matches:8d} {orders[query]:6}"
                f" {ms(row['sqlcipher']):>10} {ms(row['sqlite']):>10}"
                f" {row['sqlcipher'] / row['sqlite']:.2f}"
            )
    search_enc = statistics.median(medians["sqlcipher"].values())
    search_plain = statistics.median(medians["sqlite"].values())
    by_lang = {
        lang: statistics.median(medians["sqlcipher"][q] for q in queries)
        for lang, queries in QUERIES.items()
    }
    report.line(
        f"  order: 'ranked' = best match first (bm25), at most {RANK_MAX_MATCHES} matches;"
        " 'newest' = newest first, for more matches (search.RANK_MAX_MATCHES)"
    )
    report.line(
        "  median by language (sqlcipher): "
        + ", ".join(f"{lang} {ms(t)}" for lang, t in by_lang.items())
    )
    report.line(
        f"  search median: sqlcipher {ms(search_enc)}, sqlite {ms(search_plain)}, ratio"
        f" {search_enc / search_plain:.2f}; target < {TARGET_SEARCH_MS:.0f} ms  "
        + report.verdict("search_ms", search_enc * 1000 < TARGET_SEARCH_MS)
    )
    lists = {}
    for label, store in stores.items():
        med, first, rows = median_time(
            lambda s=store: s.list("incident", limit=100, order_by="date"), max(runs, 10)
        )
        assert len(rows) == 100
        lists[label] = (med, first)
    report.line(
        f"  first page (list incident, 100 rows, newest first): sqlcipher"
        f" {ms(lists['sqlcipher'][0])} (first call {ms(lists['sqlcipher'][1])}), sqlite"
        f" {ms(lists['sqlite'][0])}, ratio {lists['sqlcipher'][0] / lists['sqlite'][0]:.2f};"
        f" target < {TARGET_LIST_MS:.0f} ms  "
        + report.verdict("list_ms", lists["sqlcipher"][0] * 1000 < TARGET_LIST_MS)
    )
    report.summary["search"] = {
        "n": n,
        "median_ms": {"sqlcipher": search_enc * 1000, "sqlite": search_plain * 1000},
        "by_language_ms": {k: v * 1000 for k, v in by_lang.items()},
        "per_query_ms": {
            label: {q: t * 1000 for q, t in m.items()} for label, m in medians.items()
        },
        "order": orders,
        "list_first_page_ms": {k: v[0] * 1000 for k, v in lists.items()},
    }


# -- 4. attachments -------------------------------------------------------------------------
def make_source(path: Path, size: int) -> None:
    chunk = os.urandom(MIB)
    with open(path, "wb") as f:
        for offset in range(0, size, MIB):
            f.write(chunk if size - offset >= MIB else chunk[: size - offset])
            if offset % (64 * MIB) == 0:
                chunk = os.urandom(MIB)
        f.flush()
        os.fsync(f.fileno())


class NullSink(io.RawIOBase):
    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        return len(data)


def bench_attachment(
    report: Report, root: Path, size: int, runs: int, vault: UnlockedVault
) -> None:
    report.line(f"== 4. attachment intake, {size // MIB} MiB file (median of {runs} runs)")
    source = root / "source.bin"
    copy = root / "copy.bin"
    make_source(source, size)
    record_id = RecordStore(vault).list("incident", limit=1)[0].record_id
    attachments = vault.attachments
    intake_times = []
    ref_times = []
    parts: dict[str, list[float]] = {"copyfile": [], "fsync": [], "sha256": []}
    digests = set()
    for _ in range(runs):
        os.sync()  # write back earlier dirty pages (the databases) so they do not interfere
        started = time.perf_counter()
        info = attachments.add_file(record_id, source)
        intake_times.append(time.perf_counter() - started)
        digests.add(info.sha256)
        os.sync()
        t0 = time.perf_counter()
        shutil.copyfile(source, copy)
        t1 = time.perf_counter()
        with open(copy, "rb+") as f:
            os.fsync(f.fileno())
        t2 = time.perf_counter()
        with open(source, "rb") as f:
            digest = hashlib.file_digest(f, "sha256").hexdigest()
        t3 = time.perf_counter()
        ref_times.append(t3 - t0)
        for key, seconds in zip(parts, (t1 - t0, t2 - t1, t3 - t2), strict=True):
            parts[key].append(seconds)
        digests.add(digest)
        copy.unlink()
    # What the intake pass costs without the disk: read, encrypt, hash, discard.
    ceiling_times = []
    for _ in range(3):
        started = time.perf_counter()
        with open(source, "rb") as f:
            digest_obj = hashlib.sha256()
            stream.encrypt_stream(bytes(32), f, NullSink(), digest=digest_obj)
        ceiling_times.append(time.perf_counter() - started)
        digests.add(digest_obj.hexdigest())
    source.unlink()
    assert len(digests) == 1, "intake hash differs from hashlib"
    ceiling = size / statistics.median(ceiling_times) / MB
    intake = size / statistics.median(intake_times) / MB
    reference = size / statistics.median(ref_times) / MB
    report.line(
        f"  attachments.add_file (encrypt + SHA-256 + fsync): {intake:7.0f} MB/s"
        f"  (runs: {', '.join(f'{t:.2f}' for t in intake_times)} s)"
    )
    report.line(
        f"  reference copyfile + fsync + sha256:              {reference:7.0f} MB/s"
        f"  (runs: {', '.join(f'{t:.2f}' for t in ref_times)} s; median parts: "
        + ", ".join(f"{k} {statistics.median(v):.2f} s" for k, v in parts.items())
        + ")"
    )
    report.line(
        f"  without the disk: encrypt_stream + SHA-256 to a null sink: {ceiling:7.0f} MB/s"
        f"  (runs: {', '.join(f'{t:.2f}' for t in ceiling_times)} s)"
    )
    report.line(
        f"  ratio intake/reference throughput {intake / reference:.2f}; target >="
        f" {TARGET_INTAKE_MBS:.0f} MB/s  "
        + report.verdict("intake_mbs", intake >= TARGET_INTAKE_MBS)
    )
    report.summary["attachment"] = {
        "size_mib": size // MIB,
        "intake_mbs": intake,
        "reference_mbs": reference,
        "no_disk_mbs": ceiling,
        "ratio": intake / reference,
        "intake_runs_s": intake_times,
        "reference_runs_s": ref_times,
    }


# -- profiling ------------------------------------------------------------------------------
def profile(report: Report, label: str, fn: Callable[[], Any]) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    fn()
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(8)
    report.line(f"  -- cProfile: {label}")
    for text in out.getvalue().splitlines():
        if text.strip() and not text.startswith(("   Ordered", "   List reduced")):
            report.line("     " + text.rstrip())


# The query search() used before RANK_MAX_MATCHES (no date/place filter): FTS5 ranks every
# match inside the virtual table (ORDER BY rank LIMIT), then records are joined for the page.
# search() with ranking_every_match() must return the same page.
FORMER_SEARCH = (
    "SELECT r.id, r.type, r.display, r.sort_date, top.snip, top.rank FROM"
    " (SELECT record_id, snippet(search_index, 2, ?1, ?2, '…', 12) AS snip, rank"
    "  FROM search_index WHERE search_index MATCH ?3 ORDER BY rank LIMIT ?4 OFFSET ?5) AS top"
    " JOIN records r ON r.id = top.record_id WHERE r.deleted_at IS NULL ORDER BY top.rank"
)
# The match marks the core's search() passes to snippet() (display_text turns them into
# brackets); older cores used the brackets themselves.
SNIPPET_MARKS = (getattr(search, "_MARK_OPEN", "["), getattr(search, "_MARK_CLOSE", "]"))


def former_search(vault: UnlockedVault, query: str) -> list[search.SearchHit]:
    expression = search.build_query(query)
    with vault.reading() as conn:
        rows = conn.execute(FORMER_SEARCH, (*SNIPPET_MARKS, expression, 50, 0)).fetchall()
    return [
        search.SearchHit(r[0], r[1], r[2], r[3], search.display_text(r[4]), float(r[5]))
        for r in rows
    ]


def hit_keys(hits: list[search.SearchHit]) -> list[tuple[str, str, float]]:
    return [(h.record_id, h.snippet, round(h.rank, 9)) for h in hits]


def bench_profile(report: Report, runs: int, enc: UnlockedVault, plain: UnlockedVault) -> None:
    report.line("== profile (--profile)")
    vaults = {"sqlcipher": enc, "sqlite": plain}
    extra = next(corpus.batches(20, 20, seed=7))
    store = RecordStore(enc)
    profile(
        report,
        "unmodified add_many of 20 records into the full vault (sqlcipher)",
        lambda: store.add_many("incident", extra),
    )
    for label, vault in vaults.items():
        with vault.transaction() as conn:
            med, _first, _ = median_time(
                lambda c=conn: c.execute(
                    "DELETE FROM search_index WHERE record_id = ?", (str(uuid.uuid4()),)
                ),
                3,
            )
            conn.execute("SELECT 1")  # the DELETE removed nothing; the commit is empty
        report.line(
            f"  {label}: one 'DELETE FROM search_index WHERE record_id = ?' (search.reindex,"
            f" unindex): {ms(med)}"
        )
    profile(report, "search 'задерж' (sqlcipher)", lambda: store.search("задерж"))
    with enc.reading() as conn:
        plans = (
            ("DELETE FROM search_index WHERE record_id = ?", ("x",)),
            (  # search(), more than RANK_MAX_MATCHES matches: records in list order
                "SELECT r.search_rowid, r.id FROM records AS r WHERE r.deleted_at IS NULL"
                " ORDER BY r.sort_date DESC, r.id DESC",
                (),
            ),
            (  # search(), snippets and scores of the page's rows only
                "SELECT rowid, snippet(search_index, 2, '[', ']', '…', 12), bm25(search_index)"
                " FROM search_index WHERE search_index MATCH ? AND rowid BETWEEN 1 AND 9"
                " AND +rowid IN (SELECT value FROM json_each('[1, 9]'))",
                ("x",),
            ),
        )
        for sql, params in plans:
            plan = conn.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall()
            report.line(f"  query plan: {sql[:72]}…")
            for step in plan:
                report.line(f"     {step[-1]}")
    # What the newest-first order saves: search() ranking every match (the former cost, per
    # match), and that it then returns what the former query returned.
    queries = [q for qs in QUERIES.values() for q in qs]
    with enc.reading() as conn:
        counts = {
            q: conn.execute(
                "SELECT count(*) FROM search_index WHERE search_index MATCH ?",
                (search.build_query(q),),
            ).fetchone()[0]
            for q in queries
        }
    for label, vault in vaults.items():
        engine = RecordStore(vault)
        now, every, former = {}, {}, {}
        same = True
        # Query by query, the three one after the other, so that load from elsewhere on the
        # machine falls on all three alike.
        for q in queries:
            now[q] = median_time(lambda q=q, e=engine: e.search(q), runs)[0]
            with ranking_every_match():
                every[q] = median_time(lambda q=q, e=engine: e.search(q), runs)[0]
                same = same and hit_keys(engine.search(q)) == hit_keys(former_search(vault, q))
            former[q] = median_time(lambda q=q, v=vault: former_search(v, q), runs)[0]
        if label == "sqlcipher":
            report.line(
                f"  {'query':26} {'matches':>8} {'order':6} {'search':>9} {'ranking all':>12}"
                f" {'per match':>10} {'former':>9}  (sqlcipher)"
            )
            for q in queries:
                report.line(
                    f"  {pad(q, 26)} {counts[q]:8d} {search_order(counts[q]):6} {ms(now[q]):>9}"
                    f" {ms(every[q]):>12} {every[q] / max(counts[q], 1) * 1e6:7.1f} µs"
                    f" {ms(former[q]):>9}"
                )
        report.line(
            f"  {label}: search median {ms(statistics.median(now.values()))}; ranking every"
            f" match {ms(statistics.median(every.values()))} (same hits, snippets and scores"
            f" as the former query: {same}); former query"
            f" {ms(statistics.median(former.values()))}"
        )


# -- main -----------------------------------------------------------------------------------
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10 000 incidents, 128 MiB file")
    parser.add_argument("--n", type=int, help="number of incidents (default 100 000)")
    parser.add_argument("--dir", type=Path, help="parent of the temporary directory")
    parser.add_argument("--attachment-mib", type=int, help="attachment size (512, quick 128)")
    parser.add_argument(
        "--json", nargs="?", const="-", metavar="FILE", help="write a JSON summary (- = stdout)"
    )
    parser.add_argument("--profile", action="store_true", help="also print cProfile summaries")
    args = parser.parse_args()
    n = args.n or (10_000 if args.quick else 100_000)
    attachment = (args.attachment_mib or (128 if args.quick else 512)) * MIB
    runs = 3 if args.quick else 5
    real_head = min(1000 if args.quick else 2000, n // 4)
    real_tail = min(20, n // 4)
    if n < 40:
        parser.error("--n must be at least 40")

    report = Report()
    report.summary["params"] = {"n": n, "attachment_mib": attachment // MIB, "quick": args.quick}
    if args.dir:
        args.dir.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="monitor-bench-", dir=args.dir))
    report.line(
        f"monitor_app vault benchmark: n={n}, attachment {attachment // MIB} MiB, dir {root}"
        f"; python {sys.version.split()[0]}, {os.cpu_count()} CPUs"
    )
    total = time.perf_counter()
    enc = plain = None
    try:
        path, enc = bench_unlock(report, root)
        plain = create_plain_vault(root / "vault-sqlite")
        bench_insert(report, n, real_head, real_tail, enc, plain)
        enc_db, plain_db = path / database.DB_NAME, root / "vault-sqlite" / database.DB_NAME
        report.line(
            f"  database files: sqlcipher {enc_db.stat().st_size / MIB:.0f} MiB (plaintext header:"
            f" {file_is_plain_sqlite(enc_db)}), sqlite {plain_db.stat().st_size / MIB:.0f} MiB"
            f" (plaintext header: {file_is_plain_sqlite(plain_db)})"
        )
        # Both databases are reopened (closing checkpoints the WAL), so reads start alike.
        enc.lock()
        plain.lock()
        started = time.perf_counter()
        enc = lifecycle.unlock(path, PASSPHRASE)
        report.line(f"  unlock with {n} records: {time.perf_counter() - started:.3f} s")
        plain = reopen_plain_vault(root / "vault-sqlite")
        bench_search(report, n, runs, enc, plain)
        bench_attachment(report, root, attachment, 5, enc)
        if args.profile:
            bench_profile(report, runs, enc, plain)
    finally:
        for vault in (enc, plain):
            if vault is not None:
                vault.lock()
        shutil.rmtree(root, ignore_errors=True)
    report.finish(time.perf_counter() - total, args.json)
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
    sys.exit(0)
