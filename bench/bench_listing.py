"""Record lists at hub scale: counts, first pages and pages deep in the list, by cursor.

Run from the repository root:

    .venv/bin/python bench/bench_listing.py [--quick] [--n N] [--dir DIR]

Builds a vault of N incidents of the bench corpus (default 100 000; --quick 10 000; the
hub's case is --n 1000000, which takes a while to build), then times through the real
RecordStore: the count of live incidents, the first page in each order, a page at 90 % of
the list read after a cursor and (for comparison, what lists did before schema version 9)
at an OFFSET, and scrolling the whole list page by page. Each figure is printed beside a
reference from the same run: a bare ``SELECT count(*)`` of every row. Always exits 0; see
bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("MONITOR_APP_KDF_PROFILE", "test")  # unlocking is not measured here

import corpus  # bench/corpus.py, next to this file

from monitor_app.records.store import SORT_COLUMNS
from monitor_app.vault import lifecycle
from monitor_app.vault.session import UnlockedVault

PAGE = 100
TARGET_MS = 100.0  # every page and count at a million records


def median_ms(action: Callable[[], object], times: int = 5) -> float:
    spent = []
    for _ in range(times):
        start = time.perf_counter()
        action()
        spent.append((time.perf_counter() - start) * 1000)
    return statistics.median(spent)


def build(folder: Path, total: int) -> UnlockedVault:
    vault, _code = lifecycle.create_vault(folder / "vault", "bench listing passphrase", name="B")
    made = 0
    started = time.perf_counter()
    for batch in corpus.batches(total, 1000):
        vault.records.add_many("incident", batch)
        made += len(batch)
        if made % 50_000 == 0:
            print(f"  built {made} of {total} ({time.perf_counter() - started:.0f} s)", flush=True)
    return vault


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--n", type=int)
    parser.add_argument("--dir", type=Path)
    args = parser.parse_args(argv)
    total = args.n or (10_000 if args.quick else 100_000)
    folder = Path(tempfile.mkdtemp(dir=args.dir, prefix="bench-listing-"))
    try:
        print(f"building {total} incidents…", flush=True)
        vault = build(folder, total)
        records = vault.records

        def bare_count() -> object:
            with vault.reading() as conn:
                return conn.execute("SELECT count(*) FROM records").fetchone()

        reference = median_ms(bare_count)
        print(f"\nreference: bare count(*) of every row {reference:.2f} ms")
        rows = [("count of live incidents", median_ms(lambda: records.count("incident")))]
        rows.append(("count of all live records", median_ms(lambda: records.count())))
        deep = int(total * 0.9)
        for order in SORT_COLUMNS:
            for descending in (True, False):
                name = f"{order} {'desc' if descending else 'asc'}"

                def first(order: str = order, descending: bool = descending) -> object:
                    return records.list(
                        "incident", limit=PAGE, order_by=order, descending=descending
                    )

                rows.append((f"first page, {name}", median_ms(first)))
                before = records.list(
                    "incident", limit=1, offset=deep - 1, order_by=order, descending=descending
                )
                cursor = before[0].cursor(order)

                def by_cursor(
                    order: str = order, descending: bool = descending, cursor: object = cursor
                ) -> object:
                    return records.list(
                        "incident", limit=PAGE, order_by=order, descending=descending, after=cursor
                    )  # type: ignore[arg-type]

                def by_offset(order: str = order, descending: bool = descending) -> object:
                    return records.list(
                        "incident", limit=PAGE, offset=deep, order_by=order, descending=descending
                    )

                rows.append((f"page at 90 %, cursor, {name}", median_ms(by_cursor)))
                rows.append((f"page at 90 %, OFFSET, {name}", median_ms(by_offset, times=3)))
        print(
            f"\nat {total} incidents (median ms; ratio to the reference; target for cursor"
            f" pages and counts ≤ {TARGET_MS:.0f} ms at 1 000 000)"
        )
        for label, ms in rows:
            verdict = "" if "OFFSET" in label else ("  PASS" if ms <= TARGET_MS else "  MISS")
            print(f"  {label:<40} {ms:10.2f} ms  x{ms / reference:8.1f}{verdict}")

        started = time.perf_counter()
        seen, after = 0, None
        while True:
            page = records.list("incident", limit=1000, order_by="date", after=after)
            seen += len(page)
            if len(page) < 1000:
                break
            after = page[-1].cursor("date")
        scroll = time.perf_counter() - started
        print(
            f"\nscrolling all {seen} incidents by date, 1000 a page: {scroll:.2f} s"
            f" (target < 30 s at 1 000 000)"
        )
        vault.lock()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
