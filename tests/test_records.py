"""Records: add, edit, delete, get, list and history of places, visits, incidents and people.

Strict validation is exercised table by table against ``validate`` (cheap, one case per test)
and then once through the store, which must refuse the same input as a whole and write nothing.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from monitor_app.errors import MonitorError, NotFoundError, ValidationError
from monitor_app.messages import describe
from monitor_app.records import audit
from monitor_app.records.schema import RECORD_TYPES
from monitor_app.records.validation import validate
from monitor_app.records.vocabularies import default_vocabularies
from monitor_app.vault import lifecycle
from monitor_app.vault.session import UnlockedVault
from tests.conftest import HOSTILE_TEXTS

TYPES = ("place", "visit", "incident", "person")
SENSITIVE = (
    "real_name",
    "date_of_birth",
    "identity_document",
    "contact",
    "address",
    "sensitive_notes",
)
# A person whose sensitive values are distinctive enough to be searched for in any output.
PERSON_SENSITIVE = {
    "real_name": "Канарейкина Айзада Жаныбековна",
    "date_of_birth": {"date": "1990-05", "precision": "month"},
    "identity_document": "AN-CANARY-7654321",
    "contact": "+996 555 CANARY 01\nTelegram @canary_contact",
    "address": "ул. Канареечная 17, кв. 4\nБишкек",
    "sensitive_notes": "Канарейка: отец работает в ГКНБ",
}
SENSITIVE_STRINGS = (
    "Канарейкина",
    "1990-05",
    "AN-CANARY-7654321",
    "CANARY 01",
    "canary_contact",
    "Канареечная",
    "отец работает",
)


# -- helpers ---------------------------------------------------------------------------------
def audit_log(vault: UnlockedVault) -> list[audit.AuditEntry]:
    with vault.reading() as conn:
        return audit.entries(conn, limit=100_000)


def is_aware_timestamp(text: str) -> bool:
    parsed = datetime.fromisoformat(text)
    return parsed.tzinfo is not None and parsed.utcoffset() is not None


def place_data(**extra: Any) -> dict[str, Any]:
    return {"name": "ИВС ГУВД Бишкек", "place_type": "temporary_detention_facility", **extra}


def sample(vault: UnlockedVault, type_name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Valid input for ``type_name`` (creating what it refers to) and the expected public
    fields, already in their normal form."""
    if type_name == "place":
        data = place_data(authority="МВД", region="Чүй", capacity=40, notes="Камеры\nподвал")
        return data, data
    if type_name == "visit":
        place = vault.records.add("place", place_data())
        data = {
            "place_id": place.record_id,
            "started_at": "2024-03-15T09:30:00+06:00",
            "ended_at": "2024-03-15",
            "visit_type": "in_depth",
            "announced": False,
            "team": [{"name": "Aida K.", "role": "lead"}, {"name": "Jean D."}],
            "access": "restricted",
            "areas_inspected": ["камеры", "медпункт"],
            "occupancy": 37,
            "interviews_count": 5,
            "interviews_private": True,
            "observations": [{"theme": "overcrowding", "text": "8 человек в камере на 4"}],
            "recommendations": [{"text": "Ремонт вентиляции", "status": "new"}],
            "follow_up_on": {"date": "2024-06", "precision": "month"},
            "summary": "Посещение ИВС: переполненность",
        }
        return data, data
    if type_name == "incident":
        place = vault.records.add("place", place_data())
        person = vault.records.add("person", {"pseudonym": "Свидетель А"})
        data = {
            "title": "Избиение при задержании",
            "incident_type": "torture",
            "description": "Le détenu a été battu.\n审讯中发生酷刑",
            "occurred_on": {"date": "2024-03-15", "precision": "day"},
            "place_id": place.record_id,
            "people": [{"person_id": person.record_id, "role": "victim"}],
            "perpetrators": [{"institution": "МВД", "rank": "лейтенант"}],
            "methods": ["удары", "угрозы"],
            "medical": {"examined": True, "consistency": "consistent"},
            "sources": [{"source_type": "detainee", "reliability": "credible"}],
            "consent": {"share_with_coalition": "given", "use_in_court": "refused"},
            "reprisal_risk": "medium",
            "do_not_contact": False,
            "legal_actions": [{"action": "Жалоба прокурору", "date": "2024-04"}],
            "case_status": "new",
        }
        expected = {
            **data,
            "legal_actions": [
                {"action": "Жалоба прокурору", "date": {"date": "2024-04", "precision": "month"}}
            ],
        }
        return data, expected
    assert type_name == "person"
    data = {
        "pseudonym": "Свидетель Б",
        "roles": ["victim", "witness"],
        "gender": "female",
        "age": 34,
        "nationality": "Кыргызстан",
        "consent": {"record_interview": "given", "submit_to_un": "not_asked"},
        "reprisal_risk": "high",
        "do_not_contact": True,
        "follow_up_on": "2024-09",
    }
    expected = {**data, "follow_up_on": {"date": "2024-09", "precision": "month"}}
    return data, expected


def vocab_codes(name: str) -> set[str]:
    return set(default_vocabularies().get(name).codes())


EDITS = {
    "place": {"capacity": 120, "notes": "После ремонта"},
    "visit": {"summary": "Повторное посещение", "occupancy": 41},
    "incident": {"case_status": "under_review", "injuries": "Гематомы"},
    "person": {"age": 35, "occupation": "водитель"},
}


# -- adding and reading ----------------------------------------------------------------------
def test_vocabulary_codes_used_here_exist() -> None:
    # Guards the fixtures of this module against vocabulary changes.
    assert "detainee" in vocab_codes("source_type")
    assert "credible" in vocab_codes("reliability")
    assert "consistent" in vocab_codes("medical_consistency")
    assert "new" in vocab_codes("recommendation_status")


@pytest.mark.parametrize("type_name", TYPES)
def test_add_assigns_uuid_author_and_aware_timestamps(vault: UnlockedVault, type_name: str) -> None:
    data, expected = sample(vault, type_name)
    before = len(audit_log(vault))
    view = vault.records.add(type_name, data)

    assert uuid.UUID(view.record_id).version == 4
    assert str(uuid.UUID(view.record_id)) == view.record_id
    assert view.type == type_name
    assert view.revision == 1
    author = vault.author.author_id
    assert author and uuid.UUID(author)
    assert view.created_by == author and view.modified_by == author
    assert is_aware_timestamp(view.created_at)
    assert view.created_at == view.modified_at
    assert view.fields == expected

    stored = vault.records.get(view.record_id)
    assert stored.fields == expected
    assert stored.sensitive is None
    assert (stored.created_at, stored.created_by) == (view.created_at, author)
    assert is_aware_timestamp(stored.modified_at)
    body = stored.to_json()
    assert body["id"] == view.record_id and body["type"] == type_name
    assert "sensitive" not in body and "deleted_at" not in body

    listed = vault.records.list(type_name)
    assert view.record_id in [r.record_id for r in listed]
    assert all(r.type == type_name for r in listed)

    log = audit_log(vault)
    assert len(log) == before + 1
    assert (log[-1].action, log[-1].record_id) == ("record_created", view.record_id)
    assert log[-1].actor == author


def test_ids_are_unique_and_unknown_ids_are_not_found(vault: UnlockedVault) -> None:
    views = vault.records.add_many("place", [place_data(name=f"Place {i}") for i in range(20)])
    assert len({v.record_id for v in views}) == 20
    assert vault.records.count("place") == 20
    missing = str(uuid.uuid4())
    with pytest.raises(NotFoundError) as info:
        vault.records.get(missing)
    assert info.value.code == "not_found"
    with pytest.raises(NotFoundError):
        vault.records.edit(missing, {"name": "x"})
    with pytest.raises(NotFoundError):
        vault.records.delete(missing, "no such record")
    with pytest.raises(NotFoundError):
        vault.records.history(missing)
    with pytest.raises(ValidationError) as unknown_type:
        vault.records.add("prisoner", {"name": "x"})
    assert unknown_type.value.params["field"] == "type"
    assert vault.records.count() == 20


def test_list_orders_by_date_and_never_shows_sensitive_values(vault: UnlockedVault) -> None:
    base = {"title": "t", "incident_type": "other", "description": "d"}
    dates = ["2024-03-15", "2023", "2024-05", {"precision": "unknown"}]
    views = [
        vault.records.add("incident", {**base, "title": f"I{i}", "occurred_on": d})
        for i, d in enumerate(dates)
    ]
    listed = vault.records.list("incident", order_by="date", descending=False)
    by_id = {r.record_id: r for r in listed}
    assert [by_id[v.record_id].sort_date for v in views] == ["2024-03-15", "2023", "2024-05", None]
    dated = [r.sort_date for r in listed if r.sort_date is not None]
    assert dated == sorted(dated)
    assert by_id[views[0].record_id].display == "I0"

    person = vault.records.add("person", {"pseudonym": "Свидетель Б", **PERSON_SENSITIVE})
    rows = vault.records.list()
    assert person.record_id in [r.record_id for r in rows]
    text = json.dumps([r.to_json() for r in rows], ensure_ascii=False)
    for secret in SENSITIVE_STRINGS:
        assert secret not in text


# -- fuzzy dates and timestamps --------------------------------------------------------------
FUZZY_OK = [
    ("2024-03-15", {"date": "2024-03-15", "precision": "day"}),
    ("2024-03", {"date": "2024-03", "precision": "month"}),
    ("2024", {"date": "2024", "precision": "year"}),
    ("2024-02-29", {"date": "2024-02-29", "precision": "day"}),
    ({"date": "2024-03-15", "precision": "day"}, {"date": "2024-03-15", "precision": "day"}),
    ({"date": "2024-03", "precision": "month"}, {"date": "2024-03", "precision": "month"}),
    ({"date": "2024", "precision": "year"}, {"date": "2024", "precision": "year"}),
    (
        {"date": "2024-03", "precision": "approximate"},
        {"date": "2024-03", "precision": "approximate"},
    ),
    (
        {"date": "2024-03-15", "precision": "approximate"},
        {"date": "2024-03-15", "precision": "approximate"},
    ),
    ({"date": "2024", "precision": "approximate"}, {"date": "2024", "precision": "approximate"}),
    ({"precision": "unknown"}, {"precision": "unknown"}),
]

FUZZY_BAD = [
    ("2024-02-30", "occurred_on", "invalid_date"),
    ("2023-02-29", "occurred_on", "invalid_date"),
    ("2024-13", "occurred_on", "invalid_date"),
    ("15.03.2024", "occurred_on", "invalid_date"),
    ("March 2024", "occurred_on", "invalid_date"),
    ("", "occurred_on", "invalid_date"),
    (20240315, "occurred_on", "wrong_type"),
    (["2024"], "occurred_on", "wrong_type"),
    ({"date": "2024-03", "precision": "sometime"}, "occurred_on.precision", "unknown_code"),
    ({"date": "2024-03"}, "occurred_on.precision", "unknown_code"),
    ({"date": "2024-03", "precision": "day"}, "occurred_on.date", "invalid_date"),
    ({"date": "2024-13", "precision": "approximate"}, "occurred_on", "invalid_date"),
    ({"precision": "day"}, "occurred_on.date", "required"),
    ({"date": "2024", "precision": "unknown"}, "occurred_on.date", "not_allowed"),
    ({"date": "2024", "precision": "year", "note": "x"}, "occurred_on.note", "unknown_field"),
]


def incident_with(**fields: Any) -> dict[str, Any]:
    return {
        "title": "Угрозы",
        "incident_type": "threats_and_intimidation",
        "description": "Угрожали родственникам",
        "occurred_on": "2024-03-15",
        **fields,
    }


@pytest.mark.parametrize(("given", "stored"), FUZZY_OK)
def test_fuzzy_date_forms_are_accepted(given: Any, stored: dict[str, str]) -> None:
    valid = validate(
        RECORD_TYPES["incident"], incident_with(occurred_on=given), default_vocabularies()
    )
    assert valid.public["occurred_on"] == stored


@pytest.mark.parametrize(("given", "field", "reason"), FUZZY_BAD)
def test_malformed_fuzzy_dates_are_refused(given: Any, field: str, reason: str) -> None:
    with pytest.raises(ValidationError) as info:
        validate(RECORD_TYPES["incident"], incident_with(occurred_on=given), default_vocabularies())
    assert info.value.params["field"] == field
    assert info.value.params["reason"] == reason


def test_fuzzy_dates_round_trip_through_the_vault(vault: UnlockedVault) -> None:
    views = [vault.records.add("incident", incident_with(occurred_on=g)) for g, _ in FUZZY_OK]
    for view, (_given, stored) in zip(views, FUZZY_OK, strict=True):
        assert vault.records.get(view.record_id).fields["occurred_on"] == stored
    sort_dates = {r.record_id: r.sort_date for r in vault.records.list("incident", limit=100)}
    for view, (_given, stored) in zip(views, FUZZY_OK, strict=True):
        assert sort_dates[view.record_id] == stored.get("date")
    # A sensitive fuzzy date follows the same rules.
    person = vault.records.add("person", {"pseudonym": "P", "date_of_birth": "1990"})
    revealed = vault.records.get(person.record_id, reveal_sensitive=True)
    assert revealed.sensitive == {"date_of_birth": {"date": "1990", "precision": "year"}}


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("2024-03-15", "2024-03-15"),
        ("2024-03-15T09:30:00+06:00", "2024-03-15T09:30:00+06:00"),
        ("2024-03-15T09:30+06:00", "2024-03-15T09:30:00+06:00"),
        ("2024-03-15T03:30:00+00:00", "2024-03-15T03:30:00+00:00"),
    ],
)
def test_timestamps_accept_dates_and_offset_datetimes(given: str, stored: str) -> None:
    data = {"place_id": str(uuid.uuid4()), "started_at": given, "visit_type": "ad_hoc"}
    valid = validate(RECORD_TYPES["visit"], data, default_vocabularies())
    assert valid.public["started_at"] == stored


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        ("2024-03-15T09:30:00", "timezone_required"),
        ("2024-03-15 09:30", "timezone_required"),
        ("yesterday", "invalid_datetime"),
        ("2024-02-30", "invalid_date"),
        (1710473400, "wrong_type"),
    ],
)
def test_malformed_timestamps_are_refused(given: Any, reason: str) -> None:
    data = {"place_id": str(uuid.uuid4()), "started_at": given, "visit_type": "ad_hoc"}
    with pytest.raises(ValidationError) as info:
        validate(RECORD_TYPES["visit"], data, default_vocabularies())
    assert info.value.params["field"] == "started_at"
    assert info.value.params["reason"] == reason


# -- strict validation -----------------------------------------------------------------------
REF = "4b0f8f9e-0000-4000-8000-000000000001"
BASES: dict[str, dict[str, Any]] = {
    "place": place_data(),
    "visit": {"place_id": REF, "started_at": "2024-03-15", "visit_type": "ad_hoc"},
    "incident": incident_with(),
    "person": {"pseudonym": "Свидетель"},
}
INVALID = [
    # (type, changes, field, reason)
    ("place", {"colour": "red"}, "colour", "unknown_field"),
    ("place", {"Name": "x"}, "Name", "unknown_field"),
    ("place", {"name": None}, "name", "required"),
    ("place", {"name": 42}, "name", "wrong_type"),
    ("place", {"name": ["x"]}, "name", "wrong_type"),
    ("place", {"name": "line\nbreak"}, "name", "control_characters"),
    ("place", {"name": "bell\x07"}, "name", "control_characters"),
    ("place", {"name": "x" * 1001}, "name", "too_long"),
    ("place", {"notes": "x" * 200_001}, "notes", "too_long"),
    ("place", {"notes": "nul\x00"}, "notes", "control_characters"),
    ("place", {"place_type": "gulag"}, "place_type", "unknown_code"),
    ("place", {"place_type": "Police_Station"}, "place_type", "unknown_code"),
    ("place", {"place_type": 1}, "place_type", "wrong_type"),
    ("place", {"capacity": "40"}, "capacity", "wrong_type"),
    ("place", {"capacity": 40.0}, "capacity", "wrong_type"),
    ("place", {"capacity": True}, "capacity", "wrong_type"),
    ("place", {"capacity": -1}, "capacity", "out_of_range"),
    ("place", {"capacity": 1_000_001}, "capacity", "out_of_range"),
    ("visit", {"place_id": "not-a-uuid"}, "place_id", "invalid_id"),
    ("visit", {"place_id": 7}, "place_id", "wrong_type"),
    ("visit", {"visit_type": "surprise"}, "visit_type", "unknown_code"),
    ("visit", {"announced": "yes"}, "announced", "wrong_type"),
    ("visit", {"announced": 1}, "announced", "wrong_type"),
    ("visit", {"team": {"name": "x"}}, "team", "wrong_type"),
    ("visit", {"team": [{"role": "lead"}]}, "team.0.name", "required"),
    ("visit", {"team": [{"name": "a"}, {"name": "b", "age": 3}]}, "team.1.age", "unknown_field"),
    ("visit", {"areas_inspected": ["ok", 5]}, "areas_inspected.1", "wrong_type"),
    ("visit", {"areas_inspected": ["x"] * 1001}, "areas_inspected", "too_long"),
    (
        "visit",
        {"observations": [{"theme": "weather", "text": "x"}]},
        "observations.0.theme",
        "unknown_code",
    ),
    (
        "visit",
        {"recommendations": [{"text": "x", "status": "maybe"}]},
        "recommendations.0.status",
        "unknown_code",
    ),
    ("incident", {"incident_type": "torture "}, "incident_type", "unknown_code"),
    ("incident", {"description": None}, "description", "required"),
    ("incident", {"occurred_on": None}, "occurred_on", "required"),
    ("incident", {"title": "two\rlines"}, "title", "control_characters"),
    ("incident", {"methods": "удары"}, "methods", "wrong_type"),
    ("incident", {"people": [{"person_id": REF, "role": "hero"}]}, "people.0.role", "unknown_code"),
    ("incident", {"people": [{"role": "victim"}]}, "people.0.person_id", "required"),
    ("incident", {"medical": {"examined": "yes"}}, "medical.examined", "wrong_type"),
    ("incident", {"medical": {"consistency": "maybe"}}, "medical.consistency", "unknown_code"),
    ("incident", {"medical": {"doctor": "x"}}, "medical.doctor", "unknown_field"),
    ("incident", {"sources": [{"reliability": "credible"}]}, "sources.0.source_type", "required"),
    ("incident", {"reprisal_risk": "extreme"}, "reprisal_risk", "unknown_code"),
    ("incident", {"case_status": "archived"}, "case_status", "unknown_code"),
    ("incident", {"do_not_contact": "no"}, "do_not_contact", "wrong_type"),
    (
        "incident",
        {"legal_actions": [{"action": "x", "date": "soon"}]},
        "legal_actions.0.date",
        "invalid_date",
    ),
    ("person", {"roles": ["victim", "victim"]}, "roles", "duplicate"),
    ("person", {"roles": ["victim", "villain"]}, "roles.1", "unknown_code"),
    ("person", {"roles": "victim"}, "roles", "wrong_type"),
    ("person", {"gender": "unknown"}, "gender", "unknown_code"),
    ("person", {"age": 131}, "age", "out_of_range"),
    ("person", {"age": "34"}, "age", "wrong_type"),
    ("person", {"reprisal_risk": "HIGH"}, "reprisal_risk", "unknown_code"),
    ("person", {"consent": ["given"]}, "consent", "wrong_type"),
    ("person", {"consent": {"use_in_court": "maybe"}}, "consent.use_in_court", "unknown_code"),
    ("person", {"consent": {"use_in_court": True}}, "consent.use_in_court", "wrong_type"),
    ("person", {"consent": {"sell_to_press": "given"}}, "consent.sell_to_press", "unknown_code"),
    ("person", {"real_name": 12}, "real_name", "wrong_type"),
    # Lone surrogates: a Python string (and a JSON escape) can hold them, UTF-8 cannot.
    ("place", {"name": "x\ud800"}, "name", "invalid_text"),
    ("place", {"notes": "two\nlines \udfff"}, "notes", "invalid_text"),
    ("place", {"place_type": "police_station\ud800"}, "place_type", "invalid_text"),
    ("place", {"name\ud800": "x"}, "name\ufffd", "invalid_text"),
    ("visit", {"areas_inspected": ["ok", "\udc80"]}, "areas_inspected.1", "invalid_text"),
    ("visit", {"team": [{"name": "half an emoji \ud83d"}]}, "team.0.name", "invalid_text"),
    ("visit", {"team": [{"name": "a", "r\udc00le": "x"}]}, "team.0.r\ufffdle", "invalid_text"),
    ("incident", {"medical": {"examined_by": "\ud800"}}, "medical.examined_by", "invalid_text"),
    ("person", {"roles": ["victim", "\ud800"]}, "roles.1", "invalid_text"),
    (
        "person",
        {"consent": {"use_in_court": "given\udfff"}},
        "consent.use_in_court",
        "invalid_text",
    ),
    (
        "person",
        {"consent": {"use_in\ud800court": "given"}},
        "consent.use_in\ufffdcourt",
        "invalid_text",
    ),
    ("person", {"real_name": "Канарейкин\udc00"}, "real_name", "invalid_text"),
]


@pytest.mark.parametrize(
    ("type_name", "changes", "field", "reason"),
    INVALID,
    ids=[f"{t}-{f}-{r}" for t, _c, f, r in INVALID],
)
def test_validation_names_the_field_and_reason(
    type_name: str, changes: dict[str, Any], field: str, reason: str
) -> None:
    data = {k: v for k, v in {**BASES[type_name], **changes}.items() if v is not None}
    # The base is valid: the change alone makes it fail.
    validate(RECORD_TYPES[type_name], BASES[type_name], default_vocabularies())
    with pytest.raises(ValidationError) as info:
        validate(RECORD_TYPES[type_name], data, default_vocabularies())
    assert info.value.code == "validation_failed"
    assert info.value.params["field"] == field
    assert info.value.params["reason"] == reason
    assert f"field='{field}'" in str(info.value)


def test_not_an_object_is_refused() -> None:
    for value in (None, [], "name", 3):
        with pytest.raises(ValidationError) as info:
            validate(RECORD_TYPES["place"], value, default_vocabularies())
        assert info.value.params["reason"] == "wrong_type"


def test_store_refuses_invalid_input_as_a_whole(vault: UnlockedVault) -> None:
    vault.records.add("place", place_data())
    entries_before = len(audit_log(vault))
    counts_before = {t: vault.records.count(t) for t in TYPES}
    for type_name, changes, field, reason in INVALID:
        # Field checks come before reference checks, so REF never needs to exist here.
        data = {k: v for k, v in {**BASES[type_name], **changes}.items() if v is not None}
        with pytest.raises(ValidationError) as info:
            vault.records.add(type_name, data)
        assert (info.value.params["field"], info.value.params["reason"]) == (field, reason)
    # add_many: one bad item refuses the whole batch.
    with pytest.raises(ValidationError) as info:
        vault.records.add_many("place", [place_data(), place_data(capacity=-5)])
    assert info.value.params["field"] == "capacity"
    assert {t: vault.records.count(t) for t in TYPES} == counts_before
    assert len(audit_log(vault)) == entries_before


def test_references_must_exist_and_have_the_right_type(vault: UnlockedVault) -> None:
    place = vault.records.add("place", place_data())
    person = vault.records.add("person", {"pseudonym": "P"})
    cases = [
        ("visit", {**BASES["visit"], "place_id": str(uuid.uuid4())}, "place_id"),
        ("visit", {**BASES["visit"], "place_id": person.record_id}, "place_id"),
        ("incident", incident_with(place_id=person.record_id), "place_id"),
        ("incident", incident_with(visit_id=place.record_id), "visit_id"),
        (
            "incident",
            incident_with(people=[{"person_id": place.record_id, "role": "victim"}]),
            "people.0.person_id",
        ),
    ]
    for type_name, data, field in cases:
        with pytest.raises(ValidationError) as info:
            vault.records.add(type_name, data)
        assert info.value.params["field"] == field
        assert info.value.params["reason"] == "unknown_reference"
    visit = vault.records.add("visit", {**BASES["visit"], "place_id": place.record_id})
    incident = vault.records.add(
        "incident",
        incident_with(
            place_id=place.record_id,
            visit_id=visit.record_id,
            people=[{"person_id": person.record_id, "role": "witness"}],
        ),
    )
    assert incident.fields["visit_id"] == visit.record_id
    # A reference written in upper case is stored in canonical form.
    upper = vault.records.add("visit", {**BASES["visit"], "place_id": place.record_id.upper()})
    assert upper.fields["place_id"] == place.record_id


# -- editing and history ---------------------------------------------------------------------
@pytest.mark.parametrize("type_name", TYPES)
def test_every_edit_is_a_new_revision_and_old_ones_stay(
    vault: UnlockedVault, type_name: str
) -> None:
    data, expected = sample(vault, type_name)
    view = vault.records.add(type_name, data)
    first = vault.records.get(view.record_id).to_json()

    edited = vault.records.edit(view.record_id, EDITS[type_name])
    assert edited.revision == 2
    assert edited.fields == {**expected, **EDITS[type_name]}
    assert edited.created_at == view.created_at
    assert is_aware_timestamp(edited.modified_at)
    assert edited.modified_at >= view.created_at
    assert edited.modified_by == vault.author.author_id

    # Removing a field with null is a third revision; the second still has it.
    removed_field = sorted(EDITS[type_name])[0]
    third = vault.records.edit(view.record_id, {removed_field: None})
    assert third.revision == 3
    assert removed_field not in third.fields

    assert vault.records.get(view.record_id, revision=1).to_json() == first
    assert vault.records.get(view.record_id, revision=1).fields == expected
    second = vault.records.get(view.record_id, revision=2)
    assert second.fields[removed_field] == EDITS[type_name][removed_field]
    assert vault.records.get(view.record_id).revision == 3

    history = vault.records.history(view.record_id)
    assert [h.revision for h in history] == [1, 2, 3]
    assert history[1].changed_fields == sorted(EDITS[type_name])
    assert history[2].changed_fields == [removed_field]
    assert all(h.author == vault.author.author_id for h in history)
    assert all(is_aware_timestamp(h.created_at) for h in history)
    assert [h.created_at for h in history] == sorted(h.created_at for h in history)

    edits = [e for e in audit_log(vault) if e.action == "record_edited"]
    assert [(e.record_id, e.details["revision"]) for e in edits] == [
        (view.record_id, 2),
        (view.record_id, 3),
    ]
    with pytest.raises(NotFoundError) as info:
        vault.records.get(view.record_id, revision=4)
    assert info.value.code == "revision_not_found"


def test_revisions_survive_locking_and_unlocking(
    vault: UnlockedVault, vault_dir: Path, passphrase: str
) -> None:
    data, _expected = sample(vault, "incident")
    view = vault.records.add("incident", data)
    vault.records.edit(view.record_id, {"description": "Новое описание"})
    first = vault.records.get(view.record_id, revision=1).to_json()
    vault.lock()
    with lifecycle.unlock(vault_dir, passphrase) as reopened:
        assert reopened.records.get(view.record_id, revision=1).to_json() == first
        current = reopened.records.get(view.record_id)
        assert current.revision == 2
        assert current.fields["description"] == "Новое описание"


def test_revision_numbers_start_at_one(vault: UnlockedVault) -> None:
    view = vault.records.add("place", place_data())
    vault.records.edit(view.record_id, {"capacity": 3})
    for number in (0, -1, 3):
        with pytest.raises(NotFoundError) as info:
            vault.records.get(view.record_id, revision=number)
        assert info.value.code == "revision_not_found", number


def test_refused_edit_writes_nothing(vault: UnlockedVault) -> None:
    view = vault.records.add("place", place_data(capacity=10))
    entries = len(audit_log(vault))
    bad_patches: list[Any] = [
        {"capacity": "ten"},
        {"name": None},
        {"place_type": "gulag"},
        {"unknown": "x"},
        ["capacity", 3],
        "capacity=3",
    ]
    for patch in bad_patches:
        with pytest.raises(ValidationError):
            vault.records.edit(view.record_id, patch)
    assert [h.revision for h in vault.records.history(view.record_id)] == [1]
    assert vault.records.get(view.record_id).fields == place_data(capacity=10)
    assert len(audit_log(vault)) == entries


def test_patch_naming_an_unknown_field_is_refused_even_when_null(vault: UnlockedVault) -> None:
    # Strict validation: a patch is refused as a whole when it names a field the type does
    # not have, whatever its value; it must not produce an empty revision.
    view = vault.records.add("place", place_data())
    with pytest.raises(ValidationError) as info:
        vault.records.edit(view.record_id, {"colour": None})
    assert info.value.params["field"] == "colour"
    assert info.value.params["reason"] == "unknown_field"
    assert [h.revision for h in vault.records.history(view.record_id)] == [1]


def test_patch_key_utf8_cannot_encode_is_refused_with_a_printable_field(
    vault: UnlockedVault,
) -> None:
    # A hostile patch (from a script, over monitorctl --json) naming a field with a lone
    # surrogate: refused as invalid text, and the error's field is printable.
    view = vault.records.add("place", place_data())
    with pytest.raises(ValidationError) as info:
        vault.records.edit(view.record_id, {"name\ud800": "x"})
    assert info.value.params["reason"] == "invalid_text"
    assert info.value.params["field"] == "name\ufffd"
    describe(info.value).encode("utf-8")
    assert [h.revision for h in vault.records.history(view.record_id)] == [1]


def test_delete_reason_is_checked_like_any_text(vault: UnlockedVault) -> None:
    view = vault.records.add("place", place_data())
    entries = len(audit_log(vault))
    for reason, why in (("dup\ud800", "invalid_text"), ("x" * 200_001, "too_long")):
        with pytest.raises(ValidationError) as info:
            vault.records.delete(view.record_id, reason)
        assert (info.value.params["field"], info.value.params["reason"]) == ("reason", why)
    assert vault.records.get(view.record_id).deleted_at is None
    assert len(audit_log(vault)) == entries


# -- deleting --------------------------------------------------------------------------------
def test_delete_needs_a_reason_and_is_audited(vault: UnlockedVault) -> None:
    place = vault.records.add("place", place_data())
    view = vault.records.add("incident", incident_with(place_id=place.record_id))
    vault.records.edit(view.record_id, {"case_status": "closed"})
    for reason in ("", "   ", "\n", None, 5):
        with pytest.raises(ValidationError) as info:
            vault.records.delete(view.record_id, reason)  # type: ignore[arg-type]
        assert info.value.params["field"] == "reason"
    assert vault.records.get(view.record_id).deleted_at is None
    assert all(e.action != "record_deleted" for e in audit_log(vault))

    vault.records.delete(view.record_id, "дубликат записи 12")
    last = audit_log(vault)[-1]
    assert last.action == "record_deleted"
    assert last.record_id == view.record_id
    assert last.details == {"type": "incident", "reason": "дубликат записи 12"}
    assert last.actor == vault.author.author_id

    # Gone from lists and counts, still readable with its history.
    assert view.record_id not in [r.record_id for r in vault.records.list()]
    assert vault.records.count("incident") == 0
    assert vault.records.count("incident", include_deleted=True) == 1
    listed = vault.records.list(include_deleted=True)
    assert view.record_id in [r.record_id for r in listed]
    shown = vault.records.get(view.record_id)
    assert shown.deleted_reason == "дубликат записи 12"
    assert shown.deleted_at is not None and is_aware_timestamp(shown.deleted_at)
    assert shown.to_json()["deleted_reason"] == "дубликат записи 12"
    assert vault.records.get(view.record_id, revision=1).fields["title"] == "Угрозы"
    assert [h.revision for h in vault.records.history(view.record_id)] == [1, 2]

    # No further changes.
    with pytest.raises(NotFoundError) as info2:
        vault.records.edit(view.record_id, {"case_status": "new"})
    assert info2.value.code == "record_deleted"
    with pytest.raises(NotFoundError) as info3:
        vault.records.delete(view.record_id, "again")
    assert info3.value.code == "record_deleted"
    assert sum(e.action == "record_deleted" for e in audit_log(vault)) == 1

    # A deleted record can no longer be referred to.
    vault.records.delete(place.record_id, "closed facility entered by mistake")
    with pytest.raises(ValidationError) as info:
        vault.records.add("incident", incident_with(place_id=place.record_id))
    assert info.value.params["field"] == "place_id"
    assert info.value.params["reason"] == "unknown_reference"


# -- sensitive person fields -----------------------------------------------------------------
def everything_shown(vault: UnlockedVault, record_id: str) -> str:
    """Every output that must never hold sensitive values, as one text."""
    parts = [
        vault.records.get(record_id).to_json(),
        vault.records.get(record_id, revision=1).to_json(),
        [r.to_json() for r in vault.records.list(limit=1000, include_deleted=True)],
        [h.to_json() for h in vault.records.history(record_id)],
        [e.to_json() for e in audit_log(vault)],
    ]
    return json.dumps(parts, ensure_ascii=False)


def test_sensitive_fields_are_hidden_unless_revealed(vault: UnlockedVault) -> None:
    data, expected = sample(vault, "person")
    view = vault.records.add("person", {**data, **PERSON_SENSITIVE})
    assert view.sensitive is None
    assert view.fields == expected
    assert not set(SENSITIVE) & set(view.fields)

    shown = vault.records.get(view.record_id)
    assert shown.sensitive is None
    assert shown.fields == expected
    assert "sensitive" not in shown.to_json()
    reveals_before = sum(e.action == "sensitive_revealed" for e in audit_log(vault))
    assert reveals_before == 0

    text = everything_shown(vault, view.record_id)
    for secret in SENSITIVE_STRINGS:
        assert secret not in text, secret
    assert sum(e.action == "sensitive_revealed" for e in audit_log(vault)) == 0

    revealed = vault.records.get(view.record_id, reveal_sensitive=True)
    assert revealed.sensitive == PERSON_SENSITIVE
    assert revealed.fields == expected
    assert revealed.to_json()["sensitive"] == PERSON_SENSITIVE
    last = audit_log(vault)[-1]
    assert last.action == "sensitive_revealed"
    assert last.record_id == view.record_id
    assert last.actor == vault.author.author_id
    for secret in SENSITIVE_STRINGS:
        assert secret not in json.dumps(last.to_json(), ensure_ascii=False)


def test_sensitive_edits_keep_history_without_values(vault: UnlockedVault) -> None:
    view = vault.records.add("person", {"pseudonym": "Свидетель В", **PERSON_SENSITIVE})
    # Editing a public field keeps every sensitive one.
    vault.records.edit(view.record_id, {"age": 40})
    assert vault.records.get(view.record_id, reveal_sensitive=True).sensitive == PERSON_SENSITIVE
    # Editing a sensitive field touches only that one; the old value stays in revision 1.
    vault.records.edit(view.record_id, {"real_name": "Другое Имя Канарейкина", "contact": None})
    current = vault.records.get(view.record_id, reveal_sensitive=True)
    assert current.revision == 3
    expected_now = {k: v for k, v in PERSON_SENSITIVE.items() if k != "contact"}
    assert current.sensitive == {**expected_now, "real_name": "Другое Имя Канарейкина"}
    assert current.fields == {"pseudonym": "Свидетель В", "age": 40}
    old = vault.records.get(view.record_id, revision=1, reveal_sensitive=True)
    assert old.sensitive == PERSON_SENSITIVE
    assert audit_log(vault)[-1].details.get("revision") == 1

    history = vault.records.history(view.record_id)
    assert [h.changed_fields for h in history][1:] == [["age"], ["contact", "real_name"]]
    text = everything_shown(vault, view.record_id)
    for secret in (*SENSITIVE_STRINGS, "Другое Имя"):
        assert secret not in text, secret
    reveals = [e for e in audit_log(vault) if e.action == "sensitive_revealed"]
    assert len(reveals) == 3
    assert all(e.record_id == view.record_id for e in reveals)


SENSITIVE_BAD = [
    ("real_name", "Канарейкин\nЖаныбек", "control_characters"),
    ("real_name", "Канарейкин " * 100, "too_long"),
    ("real_name", {"first": "Канарейкин"}, "wrong_type"),
    ("identity_document", 1234567890123, "wrong_type"),
    ("identity_document", "AN Канарейкин\x1b[31m", "control_characters"),
    ("date_of_birth", "Канарейкин", "invalid_date"),
    ("date_of_birth", "1987-02-31", "invalid_date"),
    ("date_of_birth", {"date": "Канарейкин", "precision": "day"}, "invalid_date"),
    ("contact", ["+996 Канарейкин"], "wrong_type"),
    ("contact", "Канарейкин\x00", "control_characters"),
    ("address", "Канарейкин " * 20_000, "too_long"),
    ("sensitive_notes", 31337.5, "wrong_type"),
]


def leaks(error: MonitorError, value: Any) -> list[str]:
    needles = [str(value)] if not isinstance(value, str) else [value]
    needles += ["Канарейкин", "1234567890123", "31337", "1987-02-31"]
    shown = [
        str(error),
        repr(error),
        json.dumps(error.to_json(), ensure_ascii=False),
        describe(error),
        repr(error.args),
        repr(error.params),
    ]
    return [n for n in needles for s in shown if n and n in s]


@pytest.mark.parametrize(("field", "value", "reason"), SENSITIVE_BAD)
def test_sensitive_values_never_appear_in_errors(field: str, value: Any, reason: str) -> None:
    data = {"pseudonym": "P", field: value}
    with pytest.raises(ValidationError) as info:
        validate(RECORD_TYPES["person"], data, default_vocabularies())
    assert info.value.params["field"].split(".")[0] == field
    assert info.value.params["reason"] == reason
    assert leaks(info.value, value) == []


def test_sensitive_values_never_appear_in_store_errors(vault: UnlockedVault) -> None:
    view = vault.records.add("person", {"pseudonym": "P", "real_name": "Верное Имя"})
    for field, value, _reason in SENSITIVE_BAD:
        with pytest.raises(ValidationError) as added:
            vault.records.add("person", {"pseudonym": "P", field: value})
        assert leaks(added.value, value) == []
        with pytest.raises(ValidationError) as edited:
            vault.records.edit(view.record_id, {field: value})
        assert leaks(edited.value, value) == []
    # A sensitive field on a type that has no such field names the field, not the value.
    with pytest.raises(ValidationError) as info:
        vault.records.add("place", place_data(real_name="Канарейкин"))
    assert info.value.params["field"] == "real_name"
    assert leaks(info.value, "Канарейкин") == []
    assert vault.records.count("person") == 1
    assert vault.records.get(view.record_id, reveal_sensitive=True).sensitive == {
        "real_name": "Верное Имя"
    }


# -- consent and reprisal risk ---------------------------------------------------------------
def test_consent_per_use_and_reprisal_risk_are_stored_and_versioned(vault: UnlockedVault) -> None:
    every_use = dict.fromkeys(sorted(vocab_codes("consent_use")), "given")
    assert len(every_use) >= 5
    person = vault.records.add(
        "person",
        {"pseudonym": "P", "consent": every_use, "reprisal_risk": "high", "do_not_contact": True},
    )
    assert person.fields["consent"] == every_use
    assert person.fields["reprisal_risk"] == "high"
    assert person.fields["do_not_contact"] is True

    withdrawn = {**every_use, "use_in_court": "withdrawn", "submit_to_un": "refused"}
    vault.records.edit(person.record_id, {"consent": withdrawn, "reprisal_risk": "low"})
    current = vault.records.get(person.record_id)
    assert current.fields["consent"] == withdrawn
    assert current.fields["reprisal_risk"] == "low"
    old = vault.records.get(person.record_id, revision=1)
    assert old.fields["consent"] == every_use
    assert old.fields["reprisal_risk"] == "high"
    assert vault.records.history(person.record_id)[1].changed_fields == [
        "consent",
        "reprisal_risk",
    ]

    for status in sorted(vocab_codes("consent_status")):
        incident = vault.records.add(
            "incident", incident_with(consent={"public_report_anonymised": status})
        )
        assert incident.fields["consent"] == {"public_report_anonymised": status}
    for risk in sorted(vocab_codes("reprisal_risk")):
        incident = vault.records.add("incident", incident_with(reprisal_risk=risk))
        assert vault.records.get(incident.record_id).fields["reprisal_risk"] == risk

    for bad, field in [
        ({"use_in_court": "perhaps"}, "consent.use_in_court"),
        ({"use_in_court": None}, "consent.use_in_court"),
        ({"tell_the_police": "given"}, "consent.tell_the_police"),
    ]:
        with pytest.raises(ValidationError) as info:
            vault.records.edit(person.record_id, {"consent": bad})
        assert info.value.params["field"] == field
    with pytest.raises(ValidationError) as risk_error:
        vault.records.edit(person.record_id, {"reprisal_risk": "severe"})
    assert risk_error.value.params["field"] == "reprisal_risk"
    assert vault.records.get(person.record_id).revision == 2


# -- hostile text ----------------------------------------------------------------------------
def test_hostile_texts_round_trip_exactly(
    vault: UnlockedVault, vault_dir: Path, passphrase: str
) -> None:
    ids: dict[str, tuple[str, str, str]] = {}
    for index, text in enumerate(HOSTILE_TEXTS):
        place = vault.records.add("place", place_data(name=text, notes=f"{text}\n{text}"))
        incident = vault.records.add(
            "incident",
            incident_with(title=text, description=text, methods=[text], location_text=text),
        )
        person = vault.records.add(
            "person", {"pseudonym": text, "real_name": text, "sensitive_notes": f"{text}\r\n"}
        )
        ids[text] = (place.record_id, incident.record_id, person.record_id)
        assert place.fields["name"] == text, index

    def check(target: UnlockedVault) -> None:
        displays = {r.record_id: r.display for r in target.records.list(limit=1000)}
        for text, (place_id, incident_id, person_id) in ids.items():
            place = target.records.get(place_id)
            assert place.fields["name"] == text
            assert place.fields["notes"] == f"{text}\n{text}"
            incident = target.records.get(incident_id).fields
            assert (incident["title"], incident["description"]) == (text, text)
            assert (incident["methods"], incident["location_text"]) == ([text], text)
            person = target.records.get(person_id, reveal_sensitive=True)
            assert person.fields["pseudonym"] == text
            assert person.sensitive == {"real_name": text, "sensitive_notes": f"{text}\r\n"}
            for record_id in (place_id, incident_id, person_id):
                assert displays[record_id] == text[:200]

    check(vault)
    vault.lock()
    with lifecycle.unlock(vault_dir, passphrase) as reopened:
        check(reopened)


def test_names_are_titles_of_held_records_never_sensitive(vault: UnlockedVault) -> None:
    person = vault.records.add(
        "person", {"pseudonym": "KG-9", "roles": ["victim"], "real_name": "zqxnamecanary"}
    )
    place = vault.records.add("place", place_data())
    vault.records.delete(place.record_id, "duplicate")
    names = vault.records.names([person.record_id, place.record_id, str(uuid.uuid4())])
    assert set(names) == {person.record_id, place.record_id}
    assert (names[person.record_id].display, names[person.record_id].deleted) == ("KG-9", False)
    assert names[place.record_id].deleted and not names[place.record_id].purged
    assert "zqxnamecanary" not in repr(names)
