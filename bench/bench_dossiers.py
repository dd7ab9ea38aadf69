"""Opening a dossier at hub scale: a person named in many records, a busy place.

Run from the repository root:

    .venv/bin/python bench/bench_dossiers.py [--quick] [--n N] [--dir DIR]

Builds a vault of 200 places, 2 000 people, N/50 visits and N incidents of the bench corpus
(default 100 000; --quick 10 000; the hub's case is --n 1000000) through the real RecordStore.
Each incident names one to three people; one person ("the witness everyone cites") is named
in a fifth of them, with one of three roles; half the incidents belong to a visit. Then times
through ``vault.dossiers`` (records/dossiers.py): the first page of every section and the
exact counts of that person's dossier, of a typical person's, and of the busiest place's,
and a later page deep in the big person's incidents. Each figure is printed beside references
from the same run: a bare ``SELECT count(*)`` of every record row, and a raw count of the
person's rows in record_links (the index the dossier reads). Always exits 0; see
bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("MONITOR_APP_KDF_PROFILE", "test")  # unlocking is not measured here

import corpus  # bench/corpus.py, next to this file
from bench_listing import median_ms

from monitor_app.vault import lifecycle
from monitor_app.vault.session import UnlockedVault

ROLES = ["victim", "witness", "relative"]
STATUSES = ["new", "under_review", "referred", None]
TARGET_MS = 200.0  # opening a dossier, at 1 000 000 records


def build(folder: Path, total: int) -> tuple[UnlockedVault, list[str], list[str]]:
    """The vault, its people (the first is named in a fifth of the incidents) and places."""
    vault, _code = lifecycle.create_vault(folder / "vault", "bench dossiers passphrase", name="B")
    records = vault.records
    rng = random.Random(11)
    places = [
        v.record_id
        for v in records.add_many(
            "place", [{"name": f"ИВС {n}", "place_type": "police_station"} for n in range(200)]
        )
    ]
    people = [
        v.record_id
        for v in records.add_many("person", [{"pseudonym": f"Person {n}"} for n in range(2000)])
    ]

    def place() -> str:
        return places[int(len(places) * rng.random() ** 2)]  # a few busy places

    visits = []
    for start in range(0, max(1, total // 50), 1000):
        batch = [
            {
                "place_id": place(),
                "started_at": f"20{10 + rng.randrange(15)}-0{rng.randrange(1, 10)}-15",
                "visit_type": "follow_up",
                "occupancy": rng.randrange(20, 400),
                "recommendations": [{"text": "Открыть журнал", "status": "new"}],
            }
            for _ in range(min(1000, total // 50 - start))
        ]
        visits += [v.record_id for v in records.add_many("visit", batch)]
    made = 0
    started = time.perf_counter()
    for batch in corpus.batches(total, 1000):
        for data in batch:
            named = rng.sample(people[1:], rng.randint(1, 3))
            if rng.random() < 0.2:
                named[0] = people[0]
            data["people"] = [{"person_id": p, "role": rng.choice(ROLES)} for p in named]
            data["place_id"] = place()
            if visits and rng.random() < 0.5:
                data["visit_id"] = rng.choice(visits)
            status = rng.choice(STATUSES)
            if status:
                data["case_status"] = status
        records.add_many("incident", batch)
        made += len(batch)
        if made % 50_000 == 0:
            print(f"  built {made} of {total} ({time.perf_counter() - started:.0f} s)", flush=True)
    print(f"  built in {time.perf_counter() - started:.1f} s", flush=True)
    return vault, people, places


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--n", type=int)
    parser.add_argument("--dir", type=Path)
    args = parser.parse_args(argv)
    total = args.n or (10_000 if args.quick else 100_000)
    folder = Path(tempfile.mkdtemp(dir=args.dir, prefix="bench-dossiers-"))
    try:
        print(f"building {total} incidents…", flush=True)
        vault, people, _places = build(folder, total)
        dossiers = vault.dossiers
        big, typical = people[0], people[1000]
        with vault.reading() as conn:
            busiest = conn.execute(
                "SELECT target_id FROM record_links WHERE field = 'place_id'"
                " GROUP BY target_id ORDER BY count(*) DESC LIMIT 1"
            ).fetchone()[0]

        def raw(sql: str, *params: object) -> object:
            with vault.reading() as conn:
                return conn.execute(sql, params).fetchone()

        reference = median_ms(lambda: raw("SELECT count(*) FROM records"))
        links = median_ms(lambda: raw("SELECT count(*) FROM record_links WHERE target_id = ?", big))
        first = dossiers.person_dossier(big)
        place = dossiers.place_dossier(busiest)
        print(
            f"\nreferences: bare count(*) of {total} records {reference:.2f} ms;"
            f" raw count of the big person's record_links rows {links:.2f} ms"
        )
        print(f"the big person: {first.counts}; by role {first.breakdowns['by_role']}")
        print(f"the busiest place: {place.counts}")
        deep = max(0, first.counts["incidents"] - 150)
        rows = [
            ("person named in many records: open", lambda: dossiers.person_dossier(big)),
            ("typical person: open", lambda: dossiers.person_dossier(typical)),
            ("busiest place: open", lambda: dossiers.place_dossier(busiest)),
            (
                f"big person: incidents from offset {deep}",
                lambda: dossiers.section_page("person", big, "incidents", offset=deep),
            ),
        ]
        print(f"\nat {total} incidents (median ms; ratio to the bare count; target at 1 000 000)")
        for label, action in rows:
            ms = median_ms(action, times=5)
            verdict = "PASS" if ms <= TARGET_MS else "MISS"
            print(
                f"  {label:<44} {ms:10.2f} ms  x{ms / reference:8.1f}  ≤{TARGET_MS:.0f} {verdict}"
            )
        vault.lock()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
