"""Dossiers: everything naming one person or one place, read through record_links.

Each incident naming a person appears once, with its roles, in date order (undated last);
deleted and purged records do not; counts match a count of the records themselves; an edit
that stops naming the person takes the incident out; a wrong id gives a typed error."""

from __future__ import annotations

import io
import random
from pathlib import Path
from typing import Any

import pytest

from monitor_app.bundles import purge
from monitor_app.bundles.export import export_bundle
from monitor_app.bundles.importing import import_bundle
from monitor_app.bundles.receipts import export_receipt
from monitor_app.errors import NotFoundError, ValidationError
from monitor_app.records.dossiers import DossierItem, OccupancyItem, RecommendationItem
from monitor_app.vault.session import UnlockedVault

ROLES = ("victim", "witness", "relative")


def _incident(vault: UnlockedVault, n: int, people: list[dict[str, str]], **extra: Any) -> str:
    data: dict[str, Any] = {
        "title": f"Incident {n}",
        "incident_type": "torture" if n % 2 else "ill_treatment",
        "description": "d",
        "occurred_on": f"2024-{1 + n % 12:02d}-{1 + n % 28:02d}",
        "people": people,
        **extra,
    }
    return vault.records.add("incident", data).record_id


def _person(vault: UnlockedVault, name: str = "Азамат") -> str:
    return vault.records.add("person", {"pseudonym": name}).record_id


def _all(vault: UnlockedVault, person: str, section: str, limit: int = 3) -> list[Any]:
    """Every item of a section, page by page."""
    dossier = vault.dossiers.person_dossier(person, limit=limit)
    page = dossier.sections[section]
    items = list(page.items)
    while page.next_offset is not None:
        page = vault.dossiers.section_page(
            "person", person, section, offset=page.next_offset, limit=limit
        )
        items += page.items
    return items


def test_each_incident_once_with_its_roles_in_date_order(vault: UnlockedVault) -> None:
    person, other = _person(vault), _person(vault, "Other")
    rng = random.Random(7)
    expected: dict[str, set[str]] = {}
    for n in range(17):
        roles = rng.sample(ROLES, rng.randint(0, 2))
        people = [{"person_id": person, "role": r} for r in roles]
        people.append({"person_id": other, "role": "victim"})
        record_id = _incident(vault, n, people)
        if roles:
            expected[record_id] = set(roles)
    undated_date = vault.records.add(
        "incident",
        {
            "title": "Undated",
            "incident_type": "torture",
            "description": "d",
            "occurred_on": {"precision": "unknown"},
            "people": [{"person_id": person, "role": "witness"}],
        },
    )
    expected[undated_date.record_id] = {"witness"}
    items = _all(vault, person, "incidents")
    assert all(isinstance(i, DossierItem) for i in items)
    ids = [i.record_id for i in items]
    assert sorted(ids) == sorted(expected) and len(ids) == len(set(ids))
    assert {i.record_id: set(i.roles) for i in items} == expected
    dates = [i.date for i in items]
    assert dates[-1] is None and ids[-1] == undated_date.record_id
    assert dates[:-1] == sorted(d for d in dates if d is not None)
    dossier = vault.dossiers.person_dossier(person)
    assert dossier.counts["incidents"] == len(expected)
    by_role = {r: sum(r in roles for roles in expected.values()) for r in ROLES}
    assert dossier.breakdowns["by_role"] == {r: n for r, n in by_role.items() if n}


def test_counts_match_a_brute_force_count(vault: UnlockedVault) -> None:
    person = _person(vault)
    place = vault.records.add("place", {"name": "ИВС", "place_type": "police_station"}).record_id
    visits = [
        vault.records.add(
            "visit",
            {"place_id": place, "started_at": f"2024-0{m}-01", "visit_type": "follow_up"},
        ).record_id
        for m in range(1, 4)
    ]
    rng = random.Random(3)
    for n in range(40):
        people = [{"person_id": person, "role": "victim"}] if rng.random() < 0.6 else []
        extra = {"visit_id": rng.choice(visits)} if rng.random() < 0.5 else {}
        record_id = _incident(vault, n, people, **extra)
        if rng.random() < 0.3:
            vault.attachments.add_stream(record_id, io.BytesIO(b"x"), original_name="a.jpg")
    vault.attachments.add_stream(person, io.BytesIO(b"p"), original_name="me.png")
    with vault.reading() as conn:
        naming = [
            r[0]
            for r in conn.execute(
                "SELECT r.id FROM records AS r JOIN revisions AS v ON v.record_id = r.id"
                " AND v.revision = r.current_revision WHERE r.type = 'incident'"
                " AND r.deleted_at IS NULL AND EXISTS (SELECT 1 FROM json_each(v.fields,"
                " '$.people') AS p WHERE json_extract(p.value, '$.person_id') = ?)",
                (person,),
            )
        ]
        their_visits = {vault.records.get(i).fields.get("visit_id") for i in naming} - {None}
        marks = ",".join("?" * (len(naming) + len(their_visits) + 1))
        attachments = conn.execute(
            f"SELECT count(*) FROM attachments WHERE record_id IN ({marks})",
            (person, *naming, *their_visits),
        ).fetchone()[0]
    dossier = vault.dossiers.person_dossier(person, limit=5)
    assert dossier.counts == {
        "incidents": len(naming),
        "visits": len(their_visits),
        "attachments": attachments,
    }
    assert len(dossier.sections["incidents"].items) == 5
    assert {i.record_id for i in _all(vault, person, "visits")} == their_visits
    assert len(_all(vault, person, "attachments")) == attachments


def test_deleted_and_edited_away_incidents_leave_the_dossier(vault: UnlockedVault) -> None:
    person = _person(vault)
    kept, deleted, edited = (
        _incident(vault, n, [{"person_id": person, "role": "victim"}]) for n in range(3)
    )
    vault.records.delete(deleted, "duplicate")
    vault.records.edit(edited, {"people": [{"person_id": _person(vault, "B"), "role": "victim"}]})
    dossier = vault.dossiers.person_dossier(person)
    assert [i.record_id for i in dossier.sections["incidents"].items] == [kept]
    assert dossier.counts["incidents"] == 1 and dossier.breakdowns["by_role"] == {"victim": 1}
    vault.records.edit(edited, {"people": [{"person_id": person, "role": "witness"}]})
    again = vault.dossiers.person_dossier(person).sections["incidents"].items
    assert {i.record_id: i.roles for i in again} == {kept: ("victim",), edited: ("witness",)}


def test_purged_incidents_do_not_appear(
    vault: UnlockedVault, hub: UnlockedVault, stick: Path
) -> None:
    vault.contacts.add(hub.identity.card(), verified=True)
    vault.contacts.set_custodian(hub.identity.fingerprint, True)
    hub.contacts.add(vault.identity.card(), verified=True)
    person = vault.records.add(
        "person", {"pseudonym": "P", "consent": {"share_with_coalition": "given"}}
    ).record_id
    handed = _incident(vault, 1, [{"person_id": person, "role": "victim"}])
    bundle = export_bundle(vault, stick, contacts=[vault.contacts.get("Hub")])
    assert import_bundle(hub, bundle.path).status == "imported"
    receipt = export_receipt(hub, bundle.bundle_id, stick)
    assert import_bundle(vault, receipt.path).status == "imported"
    vault.records.edit(person, {"pseudonym": "P2"})  # edited since: the person stays here
    later = _incident(vault, 2, [{"person_id": person, "role": "witness"}])
    result = purge.purge_handed_off(vault)
    assert handed in result.purged and person not in result.purged
    dossier = vault.dossiers.person_dossier(person)
    assert [i.record_id for i in dossier.sections["incidents"].items] == [later]
    assert dossier.counts["incidents"] == 1
    with pytest.raises(NotFoundError) as caught:
        vault.dossiers.section_page("person", handed, "incidents", offset=0)
    assert caught.value.code == "record_purged"


def test_unknown_deleted_and_wrong_type_ids(vault: UnlockedVault) -> None:
    person = _person(vault)
    place = vault.records.add("place", {"name": "X", "place_type": "police_station"}).record_id
    with pytest.raises(NotFoundError) as missing:
        vault.dossiers.person_dossier("00000000-0000-0000-0000-000000000000")
    assert missing.value.code == "not_found"
    with pytest.raises(ValidationError) as wrong:
        vault.dossiers.person_dossier(place)
    assert wrong.value.code == "dossier_wrong_type"
    with pytest.raises(ValidationError) as wrong_place:
        vault.dossiers.place_dossier(person)
    assert wrong_place.value.code == "dossier_wrong_type"
    vault.records.delete(person, "created by mistake")
    with pytest.raises(NotFoundError) as deleted:
        vault.dossiers.person_dossier(person)
    assert deleted.value.code == "record_deleted"
    with pytest.raises(ValidationError):
        vault.dossiers.place_dossier(place, limit=0)


def test_place_dossier(vault: UnlockedVault) -> None:
    place = vault.records.add("place", {"name": "СИЗО-1", "place_type": "police_station"}).record_id
    elsewhere = vault.records.add("place", {"name": "B", "place_type": "police_station"}).record_id

    def visit(day: str, occupancy: int | None, recommendations: list[str], at: str) -> str:
        data: dict[str, Any] = {"place_id": at, "started_at": day, "visit_type": "follow_up"}
        if occupancy is not None:
            data["occupancy"] = occupancy
        data["recommendations"] = [{"text": t, "status": "new"} for t in recommendations]
        return vault.records.add("visit", data).record_id

    late = visit("2024-05-01", 120, ["Repair cells"], place)
    early = visit("2023-01-01", 90, ["Open a register", "Hire a doctor"], place)
    visit("2024-02-01", None, [], place)
    visit("2024-03-01", 5, ["Other"], elsewhere)
    at_place = _incident(vault, 3, [], place_id=place, case_status="referred")
    during_visit = _incident(vault, 4, [], visit_id=early)
    _incident(vault, 5, [], place_id=elsewhere)
    gone = _incident(vault, 6, [], place_id=place)
    vault.records.delete(gone, "wrong place")
    dossier = vault.dossiers.place_dossier(place)
    assert dossier.counts == {"visits": 3, "incidents": 2, "recommendations": 3, "occupancy": 2}
    visits = dossier.sections["visits"].items
    assert visits[0].record_id == early and visits[-1].record_id == late
    assert {i.record_id for i in dossier.sections["incidents"].items} == {at_place, during_visit}
    recommendations = dossier.sections["recommendations"].items
    assert all(isinstance(r, RecommendationItem) for r in recommendations)
    assert [r.text for r in recommendations] == ["Open a register", "Hire a doctor", "Repair cells"]
    occupancy = dossier.sections["occupancy"].items
    assert [(o.visit_id, o.occupancy) for o in occupancy if isinstance(o, OccupancyItem)] == [
        (early, 90),
        (late, 120),
    ]
    assert dossier.breakdowns["by_incident_type"] == {"torture": 1, "ill_treatment": 1}
    assert dossier.breakdowns["by_case_status"] == {"referred": 1, "": 1}
    assert dossier.breakdowns["by_recommendation_status"] == {"new": 3}
