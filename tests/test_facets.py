"""Faceted lists at the hub: every facet alone and combined with words, with exact counts
checked against a count by brute force over what the test wrote; the counts beside each
facet's values; keyset paging that returns every kept record once, in every order, also
while records are added; filters that cannot be right are refused."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from monitor_app.bundles.export import export_bundle
from monitor_app.bundles.importing import import_bundle
from monitor_app.errors import ValidationError
from monitor_app.records.facets import NONE, Filters
from monitor_app.records.listing import Cursor
from monitor_app.vault.session import UnlockedVault

STATUSES = ["new", "under_review", "referred", "complaint_filed", "closed", None]
RISKS = ["low", "medium", "high", None]
WORDS = ["пытки", "избиение", "угрозы", "detainee", "beaten"]


@dataclass
class Written:
    """What the test wrote, to count by brute force."""

    id: str
    type: str
    author: str
    case_status: str | None = None
    reprisal_risk: str | None = None
    place: str | None = None
    region: str | None = None
    date: str | None = None
    words: frozenset[str] = frozenset()
    deleted: bool = False


class Hub:
    def __init__(self, vault: UnlockedVault) -> None:
        self.vault = vault
        self.written: dict[str, Written] = {}
        self.regions: dict[str, str | None] = {}

    def place(self, name: str, region: str | None) -> str:
        data: dict[str, Any] = {"name": name, "place_type": "police_station"}
        if region:
            data["region"] = region
        record_id = self.vault.records.add("place", data).record_id
        self.regions[record_id] = region
        self.written[record_id] = Written(
            record_id, "place", self.vault.author.author_id, region=region
        )
        return record_id

    def incident(
        self, vault: UnlockedVault, rng: random.Random, places: list[str], *, anywhere: bool = True
    ) -> str:
        status, risk = rng.choice(STATUSES), rng.choice(RISKS)
        place = rng.choice([*places, None] if anywhere else places)
        date = f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        words = frozenset(rng.sample(WORDS, rng.randint(1, 2)))
        data: dict[str, Any] = {
            "title": f"Случай {len(self.written)}",
            "incident_type": "travel_ban",
            "description": " ".join(sorted(words)),
            "occurred_on": date,
        }
        if status:
            data["case_status"] = status
        if risk:
            data["reprisal_risk"] = risk
        if place:
            data["place_id"] = place
        record_id = vault.records.add("incident", data).record_id
        self.written[record_id] = Written(
            record_id,
            "incident",
            "",
            status,
            risk,
            place,
            self.regions.get(place) if place else None,
            date,
            words,
        )
        return record_id

    def kept(self, filters: Filters, authors: dict[str, str]) -> set[str]:
        """The ids ``filters`` should keep, by brute force."""
        stems = {"пытка": "пытки", "beating": "beaten", "detainees": "detainee"}

        def one_of(values: tuple[str, ...], value: str | None) -> bool:
            return not values or (value or NONE) in values

        found = set()
        for w in self.written.values():
            organisation = authors.get(w.author)
            if w.deleted or not one_of(filters.type, w.type):
                continue
            if not (
                one_of(filters.case_status, w.case_status)
                and one_of(filters.reprisal_risk, w.reprisal_risk)
                and one_of(filters.place, w.place)
                and one_of(filters.region, w.region)
                and one_of(filters.author, w.author)
                and one_of(filters.organisation, organisation)
            ):
                continue
            if filters.date_from and (w.date or "") < filters.date_from:
                continue
            if filters.date_to and (not w.date or w.date[: len(filters.date_to)] > filters.date_to):
                continue
            wanted = [stems.get(t, t) for t in filters.text.split()]
            if not all(word in w.words for word in wanted):
                continue
            found.add(w.id)
        return found


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A hub with places in two regions and one without, incidents of its own and incidents
    brought by a field monitor of another organisation, some deleted."""
    from monitor_app.vault import lifecycle
    from tests.conftest import PASSPHRASE

    base = tmp_path_factory.mktemp("facets")
    hub_vault, _ = lifecycle.create_vault(
        base / "hub", PASSPHRASE, name="Hub", organisation="Coalition"
    )
    field, _ = lifecycle.create_vault(
        base / "field", PASSPHRASE, name="Field", organisation="Field NGO"
    )
    rng = random.Random(15)
    hub = Hub(hub_vault)
    places = [hub.place("ИВС №1", "Чуй"), hub.place("СИЗО-1", "Ош"), hub.place("ОВД", None)]
    for _ in range(60):
        hub.incident(hub_vault, rng, places)
    for w in hub.written.values():
        w.author = w.author or hub_vault.author.author_id
    # The field vault knows the places through the hub's bundle, and writes its own cases.
    field.contacts.add(hub_vault.identity.card(), verified=True)
    hub_vault.contacts.add(field.identity.card(), verified=True)
    stick = base / "stick"
    stick.mkdir()
    bundle = export_bundle(hub_vault, stick, contacts=[hub_vault.contacts.get("Field")]).path
    import_bundle(field, bundle)
    field_author = "key:" + field.identity.keys().signing_public.hex()
    before = set(hub.written)
    for _ in range(40):
        hub.incident(field, rng, places)
    for record_id in set(hub.written) - before:
        hub.written[record_id].author = field_author
    back = base / "back"
    back.mkdir()
    import_bundle(hub_vault, export_bundle(field, back, contacts=[field.contacts.get("Hub")]).path)
    for record_id in rng.sample(sorted(before - set(places)), 8):
        hub_vault.records.delete(record_id, "entered twice")
        hub.written[record_id].deleted = True
    field.lock()
    authors = {hub_vault.author.author_id: "Coalition", field_author: "Field NGO"}
    yield hub, authors
    hub_vault.lock()


def _every_id(vault: UnlockedVault, filters: Filters, order_by: str, descending: bool) -> list[str]:
    found: list[str] = []
    after: Cursor | None = None
    while page := vault.records.list(
        None, limit=7, order_by=order_by, descending=descending, after=after, filters=filters
    ):
        found += [r.record_id for r in page]
        after = page[-1].cursor(order_by)
    return found


CASES = [
    Filters(type=("incident",)),
    Filters(case_status=("referred",)),
    Filters(case_status=("new", "closed")),
    Filters(case_status=(NONE,)),
    Filters(reprisal_risk=("high",)),
    Filters(reprisal_risk=(NONE, "low")),
    Filters(region=("Чуй",)),
    Filters(region=(NONE,), type=("incident",)),
    Filters(date_from="2024-03", date_to="2024-05"),
    Filters(date_to="2024-02-10"),
    Filters(date_from="2024-11-15"),
    Filters(organisation=("Field NGO",)),
    Filters(organisation=("Coalition",), type=("incident",)),
    Filters(text="пытка"),
    Filters(text="detainees beating"),
    Filters(text="пытки", case_status=("new", "under_review"), reprisal_risk=("high", NONE)),
    Filters(text="угрозы", region=("Ош",), organisation=("Field NGO",), date_from="2024-06"),
    Filters(case_status=("referred",), region=("Чуй", "Ош"), reprisal_risk=("medium", NONE)),
]


@pytest.mark.parametrize("filters", CASES, ids=lambda f: repr(f)[8:70])
def test_each_facet_and_combined_counts_exactly(seeded: Any, filters: Filters) -> None:
    hub, authors = seeded
    expected = hub.kept(filters, authors)
    assert expected, "a case that keeps nothing tests little"
    assert hub.vault.records.count(filters=filters) == len(expected)
    for order_by in ("date", "modified", "display"):
        for descending in (True, False):
            found = _every_id(hub.vault, filters, order_by, descending)
            assert len(found) == len(set(found)), (order_by, descending)
            assert set(found) == expected, (order_by, descending)


def test_place_and_author_facets(seeded: Any) -> None:
    hub, authors = seeded
    for place in [w.id for w in hub.written.values() if w.type == "place"]:
        filters = Filters(place=(place,))
        assert hub.vault.records.count(filters=filters) == len(hub.kept(filters, authors))
    for author in authors:
        filters = Filters(author=(author,), text="избиение")
        expected = hub.kept(filters, authors)
        assert expected
        assert hub.vault.records.count(filters=filters) == len(expected)


@pytest.mark.parametrize(
    "filters",
    [
        Filters(),
        Filters(case_status=("referred",)),
        Filters(text="пытки", region=("Чуй",)),
        Filters(organisation=("Field NGO",), reprisal_risk=("high", "low")),
    ],
    ids=repr,
)
def test_facet_counts_are_those_of_the_other_filters(seeded: Any, filters: Filters) -> None:
    hub, authors = seeded
    for facet, value_of in [
        ("case_status", lambda w: w.case_status),
        ("reprisal_risk", lambda w: w.reprisal_risk),
        ("region", lambda w: w.region),
        ("type", lambda w: w.type),
        ("place", lambda w: w.place),
        ("author", lambda w: w.author),
        ("organisation", lambda w: authors.get(w.author)),
    ]:
        others = replace(filters, **{facet: ()})
        expected = Counter(value_of(hub.written[i]) or NONE for i in hub.kept(others, authors))
        assert hub.vault.records.facet_counts(filters, facet) == dict(expected), facet


def test_paging_while_records_are_added(vault: UnlockedVault) -> None:
    hub = Hub(vault)
    rng = random.Random(7)
    places = [hub.place("ИВС", "Чуй")]
    for _ in range(30):
        hub.incident(vault, rng, places)
    filters = Filters(type=("incident",), region=("Чуй",))
    expected = hub.kept(filters, {})
    for order_by in ("date", "modified", "display"):
        seen: list[str] = []
        after: Cursor | None = None
        added: set[str] = set()
        while page := vault.records.list(
            None, limit=4, order_by=order_by, after=after, filters=filters
        ):
            seen += [r.record_id for r in page]
            after = page[-1].cursor(order_by)
            added.add(hub.incident(vault, rng, places))  # lands before or after the cursor
        assert len(seen) == len(set(seen)), order_by
        assert expected <= set(seen) <= expected | added, order_by
        expected = hub.kept(filters, {})


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        (Filters(case_status=("bogus",)), "case_status"),
        (Filters(reprisal_risk=("extreme",)), "reprisal_risk"),
        (Filters(type=("prisoner",)), "type"),
        (Filters(date_from="15.11.2026"), "date_from"),
        (Filters(date_to="2024-5"), "date_to"),
        (Filters(region=("a\x00b",)), "region"),
        (Filters(place=tuple(str(n) for n in range(201))), "place"),
    ],
)
def test_filters_that_cannot_be_right_are_refused(
    vault: UnlockedVault, filters: Filters, field: str
) -> None:
    for attempt in (
        lambda: vault.records.count(filters=filters),
        lambda: vault.records.list(None, filters=filters),
        lambda: vault.records.facet_counts(filters, "region"),
    ):
        with pytest.raises(ValidationError) as caught:
            attempt()
        assert caught.value.params["field"] == field


def test_a_hostile_region_is_a_plain_value(vault: UnlockedVault, tmp_path: Path) -> None:
    hub = Hub(vault)
    hostile = "Чуй') OR 1=1 --"
    place = hub.place("ИВС", hostile)
    hub.place("Другое", "Ош")
    assert vault.records.count(filters=Filters(region=(hostile,))) == 1
    assert vault.records.facet_counts(Filters(), "region") == {hostile: 1, "Ош": 1}
    assert [r.record_id for r in vault.records.list(None, filters=Filters(region=(hostile,)))] == [
        place
    ]


def test_a_place_changing_region_moves_its_records(vault: UnlockedVault) -> None:
    hub = Hub(vault)
    place = hub.place("ИВС", "Чуй")
    rng = random.Random(3)
    for _ in range(5):
        hub.incident(vault, rng, [place], anywhere=False)
    hub.incident(vault, rng, [hub.place("СИЗО", "Чуй")], anywhere=False)
    n = vault.records.count(filters=Filters(type=("incident",), place=(place,)))
    assert n == 5
    vault.records.edit(place, {"region": "Нарын"})
    assert vault.records.count(filters=Filters(type=("incident",), region=("Нарын",))) == n
    assert vault.records.count(filters=Filters(type=("incident",), region=("Чуй",))) == 1


def test_a_vault_from_schema_9_gets_its_facets_and_word_forms(
    vault_dir: Path, vault: UnlockedVault
) -> None:
    from monitor_app.records import word_forms
    from monitor_app.vault import lifecycle, migrations
    from tests.conftest import PASSPHRASE

    hub = Hub(vault)
    place = hub.place("ИВС", "Чуй")
    rng = random.Random(9)
    for _ in range(12):
        hub.incident(vault, rng, [place])
    visit = vault.records.add(
        "visit",
        {"place_id": place, "started_at": "2026-11-15T10:00:00+06:00", "visit_type": "ad_hoc"},
    ).record_id
    expected = {f: vault.records.facet_counts(Filters(), f) for f in ("case_status", "region")}
    by_type = vault.dossiers.place_dossier(place).breakdowns["by_incident_type"]
    assert by_type and "" not in by_type
    with vault.transaction() as conn:  # undo versions 12 to 10, as an older app left it
        conn.execute("ALTER TABLE records DROP COLUMN kind")
        for name in ("status", "risk", "region"):
            conn.execute(f"DROP INDEX records_live_sort_{name}")
        conn.execute("DROP TABLE record_links")
        conn.execute("DROP TABLE saved_searches")
        conn.execute("UPDATE records SET display = '' WHERE id = ?", (visit,))
        conn.execute("DROP TABLE search_forms")
        for name in ("search", "status", "risk", "region", "place", "author"):
            conn.execute(f"DROP INDEX records_live_{name}")
        for column in ("case_status", "reprisal_risk", "region"):
            conn.execute(f"ALTER TABLE records DROP COLUMN {column}")
        conn.execute("DELETE FROM meta WHERE key = ?", (word_forms.PENDING_KEY,))
        conn.execute("UPDATE meta SET value = '9' WHERE key = 'schema_version'")
    vault.lock()
    again = lifecycle.unlock(vault_dir, PASSPHRASE)
    try:
        assert again.meta("schema_version") == str(migrations.SCHEMA_VERSION)
        for facet, counts in expected.items():
            assert again.records.facet_counts(Filters(), facet) == counts
        assert again.dossiers.place_dossier(place).breakdowns["by_incident_type"] == by_type
        assert again.records.names([visit])[visit].display == "ИВС, 2026-11-15"
        assert word_forms.pending(again) == 14
        plural = Filters(text="пытка")
        assert again.records.count(filters=plural) == 0  # the exact words only, meanwhile
        assert word_forms.catch_up(again) == 14
        assert again.records.count(filters=plural) == len(hub.kept(plural, {})) > 0
    finally:
        again.lock()
