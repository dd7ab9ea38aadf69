"""The record types and their fields (docs/schema.md describes them for people).

Field names follow the field guide (shared/domain.md section 4). Each field has a kind;
vocabulary fields name the controlled vocabulary (resources/vocabularies) whose codes they take.
Sensitive fields (a person's real name, date of birth, documents, contact, address) are stored
apart from the rest, never indexed for search, and returned only on explicit request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Kind = Literal[
    "text",
    "long_text",
    "int",
    "bool",
    "vocab",
    "vocab_list",
    "fuzzy_date",
    "timestamp",
    "ref",
    "text_list",
    "object",
    "object_list",
    "consent",
]

TEXT_MAX = 1_000
LONG_TEXT_MAX = 200_000
LIST_MAX = 1_000


@dataclass(frozen=True)
class Field:
    name: str
    kind: Kind
    required: bool = False
    sensitive: bool = False
    vocabulary: str | None = None
    ref_type: str | None = None
    minimum: int | None = None
    maximum: int | None = None
    fields: tuple[Field, ...] = ()  # for object and object_list

    @property
    def searchable(self) -> bool:
        return not self.sensitive


@dataclass(frozen=True)
class RecordType:
    name: str
    fields: tuple[Field, ...]
    title_field: str
    date_field: str | None = None
    place_field: str | None = None
    by_name: dict[str, Field] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.by_name.update({f.name: f for f in self.fields})

    @property
    def sensitive_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.sensitive)


def _f(name: str, kind: Kind, **options: object) -> Field:
    return Field(name, kind, **options)  # type: ignore[arg-type]


CONSENT = _f("consent", "consent")
REPRISAL_RISK = _f("reprisal_risk", "vocab", vocabulary="reprisal_risk")
DO_NOT_CONTACT = _f("do_not_contact", "bool")

PLACE = RecordType(
    "place",
    (
        _f("name", "text", required=True),
        _f("place_type", "vocab", required=True, vocabulary="place_type"),
        _f("authority", "text"),
        _f("region", "text"),
        _f("address", "text"),
        _f("capacity", "int", minimum=0, maximum=1_000_000),
        _f("notes", "long_text"),
    ),
    title_field="name",
)

VISIT = RecordType(
    "visit",
    (
        _f("place_id", "ref", required=True, ref_type="place"),
        _f("started_at", "timestamp", required=True),
        _f("ended_at", "timestamp"),
        _f("visit_type", "vocab", required=True, vocabulary="visit_type"),
        _f("announced", "bool"),
        _f(
            "team",
            "object_list",
            fields=(_f("name", "text", required=True), _f("role", "text")),
        ),
        _f("access", "vocab", vocabulary="access_status"),
        _f("obstruction_notes", "long_text"),
        _f("areas_inspected", "text_list"),
        _f("registers_checked", "long_text"),
        _f("register_anomalies", "long_text"),
        _f("occupancy", "int", minimum=0, maximum=1_000_000),
        _f("interviews_count", "int", minimum=0, maximum=100_000),
        _f("interviews_private", "bool"),
        _f(
            "observations",
            "object_list",
            fields=(
                _f("theme", "vocab", required=True, vocabulary="observation_theme"),
                _f("text", "long_text", required=True),
            ),
        ),
        _f("good_practices", "long_text"),
        _f(
            "recommendations",
            "object_list",
            fields=(
                _f("text", "long_text", required=True),
                _f("status", "vocab", required=True, vocabulary="recommendation_status"),
            ),
        ),
        _f("follow_up_on", "fuzzy_date"),
        _f("summary", "long_text"),
    ),
    title_field="summary",
    date_field="started_at",
    place_field="place_id",
)

INCIDENT = RecordType(
    "incident",
    (
        _f("title", "text", required=True),
        _f("incident_type", "vocab", required=True, vocabulary="incident_type"),
        _f("description", "long_text", required=True),
        _f("occurred_on", "fuzzy_date", required=True),
        _f("ended_on", "fuzzy_date"),
        _f("place_id", "ref", ref_type="place"),
        _f("location_text", "text"),
        _f("visit_id", "ref", ref_type="visit"),
        _f(
            "people",
            "object_list",
            fields=(
                _f("person_id", "ref", required=True, ref_type="person"),
                _f("role", "vocab", required=True, vocabulary="person_role"),
            ),
        ),
        _f(
            "perpetrators",
            "object_list",
            fields=(
                _f("institution", "text"),
                _f("unit", "text"),
                _f("rank", "text"),
                _f("involvement", "text"),
            ),
        ),
        _f("methods", "text_list"),
        _f("injuries", "long_text"),
        _f(
            "medical",
            "object",
            fields=(
                _f("examined", "bool"),
                _f("examined_by", "text"),
                _f("findings", "long_text"),
                _f("consistency", "vocab", vocabulary="medical_consistency"),
            ),
        ),
        _f(
            "sources",
            "object_list",
            fields=(
                _f("source_type", "vocab", required=True, vocabulary="source_type"),
                _f("reliability", "vocab", vocabulary="reliability"),
                _f("notes", "long_text"),
            ),
        ),
        CONSENT,
        REPRISAL_RISK,
        DO_NOT_CONTACT,
        _f("reprisal_follow_up_on", "fuzzy_date"),
        _f(
            "legal_actions",
            "object_list",
            fields=(
                _f("action", "text", required=True),
                _f("addressed_to", "text"),
                _f("date", "fuzzy_date"),
                _f("response", "long_text"),
                _f("status", "vocab", vocabulary="legal_action_status"),
            ),
        ),
        _f("case_status", "vocab", vocabulary="case_status"),
    ),
    title_field="title",
    date_field="occurred_on",
    place_field="place_id",
)

PERSON = RecordType(
    "person",
    (
        _f("pseudonym", "text", required=True),
        _f("roles", "vocab_list", vocabulary="person_role"),
        _f("gender", "vocab", vocabulary="gender"),
        _f("age", "int", minimum=0, maximum=130),
        _f("age_range", "text"),
        _f("nationality", "text"),
        _f("occupation", "text"),
        _f("notes", "long_text"),
        CONSENT,
        REPRISAL_RISK,
        DO_NOT_CONTACT,
        _f("follow_up_on", "fuzzy_date"),
        _f("real_name", "text", sensitive=True),
        _f("date_of_birth", "fuzzy_date", sensitive=True),
        _f("identity_document", "text", sensitive=True),
        _f("contact", "long_text", sensitive=True),
        _f("address", "long_text", sensitive=True),
        _f("sensitive_notes", "long_text", sensitive=True),
    ),
    title_field="pseudonym",
)

RECORD_TYPES: dict[str, RecordType] = {t.name: t for t in (PLACE, VISIT, INCIDENT, PERSON)}
