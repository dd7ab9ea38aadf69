"""The demo data (core, no Qt): all four record types, several languages, searchable."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from monitor_app.crypto import kdf
from monitor_app.demo import (
    DEMO_NAME,
    DEMO_PASSPHRASE,
    create_demo_vault,
    populate_demo,
)
from monitor_app.records.vocabularies import default_vocabularies
from monitor_app.vault import lifecycle
from monitor_app.vault.session import UnlockedVault

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def demo_vault(vault: UnlockedVault) -> UnlockedVault:
    populate_demo(vault)
    return vault


def test_all_four_record_types_in_the_requested_amounts(demo_vault: UnlockedVault) -> None:
    records = demo_vault.records
    assert 3 <= records.count("place") <= 4
    assert 2 <= records.count("visit") <= 3
    assert 6 <= records.count("incident") <= 10
    assert 4 <= records.count("person") <= 5


@pytest.mark.parametrize(
    ("query", "expected_title"),
    [
        ("избиение", "Избиение при допросе в ИВС Северного района"),  # Russian
        ("ырайымсыз", "Камерада ырайымсыз мамиле"),  # Kyrgyz
        ("酷刑", "审讯期间遭受酷刑的指控"),  # Chinese, two characters inside a run
        ("审讯", "审讯期间遭受酷刑的指控"),
        ("radiation", "Procédure de radiation contre une avocate"),  # French
        ("summoned", "Lawyer summoned after testifying to the UN Committee against Torture"),
    ],
)
def test_searchable_in_several_languages(
    demo_vault: UnlockedVault, query: str, expected_title: str
) -> None:
    titles = [hit.display for hit in demo_vault.records.search(query)]
    assert expected_title in titles


def test_places_cover_the_requested_kinds(demo_vault: UnlockedVault) -> None:
    records = demo_vault.records
    kinds = {records.get(row.record_id).fields["place_type"] for row in records.list("place")}
    assert {
        "temporary_detention_facility",
        "pretrial_detention_centre",
        "prison_or_penal_colony",
        "psychiatric_institution",
    } <= kinds


def test_incident_types_are_varied_and_known(demo_vault: UnlockedVault) -> None:
    records = demo_vault.records
    types = [records.get(row.record_id).fields["incident_type"] for row in records.list("incident")]
    known = default_vocabularies().get("incident_type").codes()
    assert set(types) <= known
    assert {
        "torture",
        "ill_treatment",
        "threats_and_intimidation",
        "reprisal_for_un_cooperation",
        "judicial_harassment",
    } <= set(types)


def test_people_are_case_codes_with_consent_and_clearly_fake_identities(
    demo_vault: UnlockedVault,
) -> None:
    records = demo_vault.records
    people = [records.get(row.record_id, reveal_sensitive=True) for row in records.list("person")]
    for person in people:
        assert re.fullmatch(r"KG-\d{4}-\d{3}", person.fields["pseudonym"])
        assert person.fields["consent"], "consent is recorded per use"
        assert person.fields["reprisal_risk"] in {"low", "medium", "high"}
        for value in (person.sensitive or {}).values():
            if isinstance(value, str):
                assert "DEMO" in value or "fictitious" in value
    # Sensitive fields stay out of the search index.
    assert demo_vault.records.search("Демоевич") == []


def test_create_demo_vault(tmp_path: Path) -> None:
    path = tmp_path / "demo"
    vault, code = create_demo_vault(path)
    try:
        assert vault.meta("name") == DEMO_NAME
        slot = vault.slots.slot_of_type("passphrase")
        assert slot is not None and slot.kdf_params == kdf.MINIMUM
        assert vault.records.count("incident") > 0
        assert code
    finally:
        vault.lock()
    reopened = lifecycle.unlock(path, DEMO_PASSPHRASE)
    try:
        assert reopened.records.count("person") > 0
    finally:
        reopened.lock()


def test_demo_module_does_not_import_qt() -> None:
    script = (
        "import sys, monitor_app.demo\n"
        "assert not [m for m in sys.modules if m.startswith('PySide6')], 'Qt imported'\n"
    )
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, check=True, timeout=60)
