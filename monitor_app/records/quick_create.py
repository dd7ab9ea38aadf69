"""The short form for creating a record from inside another one.

A monitor writing up an incident in the middle of an interview must be able to add the person
(or the place) the incident links to without leaving it. The short form asks only for what the
record cannot be saved without, plus the few fields worth settling at once (a person's roles
and consent: "do no harm" comes before anything else); the rest is added later in the
record's own editor. The record itself is created the one ordinary way, ``RecordStore.add``,
so it is validated, signed and audited like any other.

Only types whose required fields can all be typed into a short form are offered: a visit
needs its place (a link of its own), which would be a picker inside a picker.
"""

from __future__ import annotations

from typing import Any

from monitor_app.errors import ValidationError
from monitor_app.records.schema import RECORD_TYPES, Field

# Asked besides the required fields, by type; the order on screen is the schema's.
EXTRA_FIELDS: dict[str, tuple[str, ...]] = {
    "person": ("roles", "consent"),
    "place": ("region",),
}


def can_quick_create(type_name: str | None) -> bool:
    return type_name in EXTRA_FIELDS


def quick_fields(type_name: str) -> tuple[Field, ...]:
    """The fields of the short form: every required field of the type and its extras, in
    schema order. Never a protected field: a short form is filled in a hurry."""
    if not can_quick_create(type_name):
        raise ValidationError(field="type", reason="unknown_code")
    record_type = RECORD_TYPES[type_name]
    extras = EXTRA_FIELDS[type_name]
    return tuple(
        spec
        for spec in record_type.fields
        if not spec.sensitive and (spec.required or spec.name in extras)
    )


def prefill(type_name: str, typed: str) -> dict[str, Any]:
    """What the short form starts with: the text searched for, as the new record's title
    (a pseudonym, a place's name), when there is any."""
    text = " ".join(typed.split())  # one line, as a title is
    return {RECORD_TYPES[type_name].title_field: text} if text else {}


def quick_data(type_name: str, values: dict[str, Any]) -> dict[str, Any]:
    """The record for ``RecordStore.add``: the short form's fields that were given. Anything
    else is refused (naming it), so the short form cannot write what it does not show."""
    names = {spec.name for spec in quick_fields(type_name)}
    for name in values:
        if name not in names:
            raise ValidationError(field=str(name)[:64], reason="unknown_field")
    return {name: value for name, value in values.items() if value is not None}


def title_of(type_name: str, fields: dict[str, Any]) -> str:
    """The display text of a record with these fields (what a picker shows for it)."""
    return str(fields.get(RECORD_TYPES[type_name].title_field) or "")
