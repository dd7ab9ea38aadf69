"""The short form's fields (monitor_app/records/quick_create.py), without Qt: every required
field of the type is asked, so a record made from the form alone validates, and it is created
(and audited) the ordinary way."""

from __future__ import annotations

import pytest

from monitor_app.errors import ValidationError
from monitor_app.records import audit
from monitor_app.records.quick_create import (
    can_quick_create,
    prefill,
    quick_data,
    quick_fields,
    title_of,
)
from monitor_app.records.schema import RECORD_TYPES
from monitor_app.vault.session import UnlockedVault


def names(type_name: str) -> list[str]:
    return [spec.name for spec in quick_fields(type_name)]


def test_a_person_is_asked_pseudonym_roles_and_consent() -> None:
    assert names("person") == ["pseudonym", "roles", "consent"]
    assert [spec.vocabulary for spec in quick_fields("person")][1] == "person_role"


def test_a_place_is_asked_name_type_and_region() -> None:
    assert names("place") == ["name", "place_type", "region"]


@pytest.mark.parametrize("type_name", ["person", "place"])
def test_every_required_field_is_asked_and_none_protected(type_name: str) -> None:
    required = {spec.name for spec in RECORD_TYPES[type_name].fields if spec.required}
    assert required <= set(names(type_name))
    assert not any(spec.sensitive for spec in quick_fields(type_name))


def test_only_types_a_short_form_can_complete_are_offered() -> None:
    assert can_quick_create("person") and can_quick_create("place")
    # A visit needs its place, an incident its date and description: not a short form.
    assert not can_quick_create("visit") and not can_quick_create("incident")
    assert not can_quick_create(None)
    with pytest.raises(ValidationError):
        quick_fields("visit")


def test_the_search_text_becomes_the_title() -> None:
    assert prefill("person", "  KG-017 \n  Bishkek ") == {"pseudonym": "KG-017 Bishkek"}
    assert prefill("place", "ИВС Ош") == {"name": "ИВС Ош"}
    assert prefill("person", "   ") == {}


def test_fields_the_form_does_not_show_are_refused_by_name() -> None:
    with pytest.raises(ValidationError) as caught:
        quick_data("person", {"pseudonym": "P", "real_name": "never from a short form"})
    assert caught.value.params["field"] == "real_name"
    assert quick_data("person", {"pseudonym": "P", "roles": None}) == {"pseudonym": "P"}


def test_a_short_form_record_is_created_and_audited_like_any_other(
    vault: UnlockedVault,
) -> None:
    data = quick_data(
        "person",
        {"pseudonym": "KG-017", "roles": ["witness"], "consent": {"record_interview": "given"}},
    )
    person = vault.records.add("person", data)
    assert vault.records.get(person.record_id).fields == data
    assert title_of("person", person.fields) == "KG-017"
    place = vault.records.add(
        "place", quick_data("place", {"name": "ИВС Ош", "place_type": "other", "region": "Osh"})
    )
    assert title_of("place", place.fields) == "ИВС Ош"
    with vault.reading() as conn:
        created = [(e.action, e.record_id) for e in audit.entries(conn)]
    assert ("record_created", person.record_id) in created
    assert ("record_created", place.record_id) in created


def test_an_empty_short_form_names_the_required_field(vault: UnlockedVault) -> None:
    with pytest.raises(ValidationError) as caught:
        vault.records.add("place", quick_data("place", {"name": "Colony 3"}))
    assert caught.value.params["field"] == "place_type"
    assert vault.records.count() == 0
