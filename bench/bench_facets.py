"""Faceted lists and searching by word forms at hub scale.

Run from the repository root:

    .venv/bin/python bench/bench_facets.py [--quick] [--n N] [--dir DIR]

Builds a vault of 200 places in 8 regions and N incidents of the bench corpus (default
100 000; --quick 10 000; the hub's case is --n 1000000), each given a case status, a
reprisal risk and a place at random (a few left without), then times through the real
RecordStore: exact counts under each facet and combinations, the counts beside each facet's
values, the first page of a filtered list, and searches with their exact count, for a common
word and a rare one, with and without filters. Each figure is printed beside references from
the same run: a bare ``SELECT count(*)`` of every row and a raw FTS5 count of the same word.
Also the time to add the word forms of every index row (what a vault from before schema
version 10 does after its unlock). Always exits 0; see bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("MONITOR_APP_KDF_PROFILE", "test")  # unlocking is not measured here

import corpus  # bench/corpus.py, next to this file
from bench_listing import median_ms

from monitor_app.records import word_forms
from monitor_app.records.facets import Filters
from monitor_app.vault import lifecycle
from monitor_app.vault.session import UnlockedVault

STATUSES = ["new", "under_review", "referred", "complaint_filed", "closed", None]
RISKS = ["low", "medium", "high", None]
REGIONS = ["Чуй", "Ош", "Нарын", "Талас", "Баткен", "Жалал-Абад", "Ысык-Көл", "Бишкек"]
PASSPHRASE = "bench facets passphrase"
LIST_TARGET_MS, COMMON_TARGET_MS, RARE_TARGET_MS = 100.0, 200.0, 20.0


def build(folder: Path, total: int) -> tuple[UnlockedVault, list[str]]:
    vault, _code = lifecycle.create_vault(folder / "vault", PASSPHRASE, name="B")
    rng = random.Random(16)
    places = [
        view.record_id
        for view in vault.records.add_many(
            "place",
            [
                {"name": f"ИВС {n}", "place_type": "police_station", "region": REGIONS[n % 8]}
                for n in range(200)
            ],
        )
    ]
    made = 0
    started = time.perf_counter()
    for batch in corpus.batches(total, 1000):
        for data in batch:
            for name, pool in (("case_status", STATUSES), ("reprisal_risk", RISKS)):
                value = rng.choice(pool)
                if value:
                    data[name] = value
            if rng.random() < 0.95:
                data["place_id"] = places[int(len(places) * rng.random() ** 2)]
        vault.records.add_many("incident", batch)
        made += len(batch)
        if made % 50_000 == 0:
            print(f"  built {made} of {total} ({time.perf_counter() - started:.0f} s)", flush=True)
    print(f"  built in {time.perf_counter() - started:.1f} s", flush=True)
    return vault, places


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--n", type=int)
    parser.add_argument("--dir", type=Path)
    parser.add_argument(
        "--keep", action="store_true", help="leave the vault (for bench_import.py --hub)"
    )
    args = parser.parse_args(argv)
    total = args.n or (10_000 if args.quick else 100_000)
    folder = Path(tempfile.mkdtemp(dir=args.dir, prefix="bench-facets-"))
    try:
        print(f"building {total} incidents…", flush=True)
        vault, places = build(folder, total)
        records = vault.records

        def raw(sql: str, *params: object) -> Callable[[], object]:
            def run() -> object:
                with vault.reading() as conn:
                    return conn.execute(sql, params).fetchone()

            return run

        reference = median_ms(raw("SELECT count(*) FROM records"))
        fts = "SELECT count(*) FROM search_index WHERE search_index MATCH ?"
        common, rare = "пытка", "Karakol"
        raw_common = median_ms(raw(fts, '"пытк"*'))
        raw_rare = median_ms(raw(fts, '"karakol"*'))
        common_n = records.count(filters=Filters(text=common))
        rare_n = records.count(filters=Filters(text=rare))
        print(
            f"\nreferences: bare count(*) {reference:.2f} ms; raw FTS5 count of пытк* "
            f"{raw_common:.2f} ms, of karakol* {raw_rare:.2f} ms"
        )
        print(f"'{common}' matches {common_n} records, '{rare}' {rare_n}")
        incidents = ("incident",)
        place = places[3]
        lists = [
            ("count: status", Filters(type=incidents, case_status=("referred",))),
            ("count: place", Filters(type=incidents, place=(place,))),
            (
                "count: region + risk",
                Filters(type=incidents, region=("Ош",), reprisal_risk=("high",)),
            ),
            (
                "count: status + region + dates",
                Filters(
                    type=incidents,
                    case_status=("new", "referred"),
                    region=("Чуй",),
                    date_from="2018",
                    date_to="2020-06",
                ),
            ),
        ]
        rows: list[tuple[str, float, float]] = []
        for label, filters in lists:
            rows.append(
                (label, median_ms(lambda f=filters: records.count(filters=f)), LIST_TARGET_MS)
            )
        for label, filters in lists[:2] + lists[3:]:
            for order in ("date", "display"):
                rows.append(
                    (
                        f"first page by {order}: {label[7:]}",
                        median_ms(
                            lambda f=filters, o=order: records.list(
                                None, limit=100, order_by=o, filters=f
                            )
                        ),
                        LIST_TARGET_MS,
                    )
                )
        for facet in ("case_status", "reprisal_risk", "region", "place", "author", "organisation"):
            for label, filters in (("all", Filters(type=incidents)), ("status", lists[0][1])):
                rows.append(
                    (
                        f"facet counts {facet}, {label}",
                        median_ms(lambda f=filters, c=facet: records.facet_counts(f, c), times=3),
                        LIST_TARGET_MS,
                    )
                )
        for word, target in ((common, COMMON_TARGET_MS), (rare, RARE_TARGET_MS)):
            for label, filters in (
                ("alone", Filters(text=word)),
                ("+ type", Filters(text=word, type=incidents)),
                (
                    "+ status + region",
                    Filters(text=word, case_status=("referred",), region=("Чуй",)),
                ),
            ):
                rows.append(
                    (
                        f"search '{word}' {label}: count",
                        median_ms(lambda f=filters: records.count(filters=f)),
                        target,
                    )
                )
            rows.append(
                (
                    f"search '{word}': first page and count",
                    median_ms(
                        lambda w=word: (
                            records.search(w, limit=50),
                            records.count(filters=Filters(text=w)),
                        )
                    ),
                    target,
                )
            )
        print(f"\nat {total} incidents (median ms; ratio to the bare count; target at 1 000 000)")
        for label, ms, target in rows:
            verdict = "PASS" if ms <= target else "MISS"
            print(f"  {label:<48} {ms:10.2f} ms  x{ms / reference:8.1f}  ≤{target:.0f} {verdict}")

        with vault.transaction() as conn:  # as a vault from before schema version 10
            conn.execute("DELETE FROM search_forms")
            conn.execute(
                "UPDATE meta SET value = (SELECT max(rowid) + 1 FROM search_index) WHERE key = ?",
                (word_forms.PENDING_KEY,),
            )
        started = time.perf_counter()
        done = word_forms.catch_up(vault)
        spent = time.perf_counter() - started
        print(f"\nword forms of {done} index rows added after the unlock in {spent:.1f} s")
        vault.lock()
    finally:
        if args.keep:
            print(f"kept: {folder / 'vault'} (passphrase: {PASSPHRASE!r})")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
