"""The demo data (core, no Qt): all four record types, several languages, searchable."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor_app.bundles import ledger
from monitor_app.bundles.importing import import_bundle
from monitor_app.crypto import kdf
from monitor_app.demo import (
    DEMO_NAME,
    DEMO_ORGANISATION,
    DEMO_PASSPHRASE,
    create_demo_vault,
    populate_demo,
)
from monitor_app.demo_handoff import (
    BUNDLES_DIR,
    COLLEAGUE,
    HUB,
    NEWCOMER,
    REVIEWER,
    UPDATED_INCIDENT,
)
from monitor_app.errors import MonitorError
from monitor_app.identity.contacts import Contact
from monitor_app.records import audit
from monitor_app.records.vocabularies import default_vocabularies
from monitor_app.vault import lifecycle
from monitor_app.vault.session import UnlockedVault

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def demo_vault(vault: UnlockedVault) -> UnlockedVault:
    populate_demo(vault)
    return vault


@pytest.fixture(scope="module")
def handoff_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UnlockedVault]:
    """The demo vault as ``--demo`` makes it: with contacts and a handoff history."""
    workspace = tmp_path_factory.mktemp("demo")
    vault, _code = create_demo_vault(workspace / "vault", workspace=workspace)
    yield vault
    vault.lock()


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
        # Without a workspace: no other parties, so no contacts and no bundles.
        assert vault.contacts.list() == []
        with vault.reading() as conn:
            assert ledger.bundles_out(conn) == [] and ledger.bundles_in(conn) == []
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


# --- contacts and handoff history (create_demo_vault with a workspace, as --demo does) -------


def _contacts(vault: UnlockedVault) -> dict[str, Contact]:
    return {contact.name: contact for contact in vault.contacts.list()}


def test_demo_contacts_and_their_trust(handoff_demo: UnlockedVault) -> None:
    contacts = _contacts(handoff_demo)
    assert set(contacts) == {HUB.name, REVIEWER.name, COLLEAGUE.name, NEWCOMER.name}
    hub, reviewer = contacts[HUB.name], contacts[REVIEWER.name]
    assert hub.verified and hub.handoff_recipient and hub.role == "hub"
    assert reviewer.verified and not reviewer.handoff_recipient
    assert contacts[COLLEAGUE.name].verified
    assert not contacts[NEWCOMER.name].verified  # imported, fingerprint never compared
    assert [c.name for c in handoff_demo.contacts.handoff_recipients()] == [HUB.name]
    for contact in contacts.values():
        assert "demo" in contact.name or "демо" in contact.name
        assert contact.organisation is not None and "fictitious" in contact.organisation
    assert contacts[HUB.name].organisation == DEMO_ORGANISATION


def test_demo_bundles_out_with_the_hubs_receipt(handoff_demo: UnlockedVault) -> None:
    contacts = _contacts(handoff_demo)
    hub, colleague = contacts[HUB.name].fingerprint, contacts[COLLEAGUE.name].fingerprint
    with handoff_demo.reading() as conn:
        out = ledger.bundles_out(conn)
    records = [b for b in out if b.kind == "records"]
    assert all(hub in b.recipients for b in records)
    confirmed = [b for b in records if b.receipt_at is not None]
    assert len(confirmed) == 1 and confirmed[0].confirmed_by == (hub,)
    assert confirmed[0].sequence == 1
    assert [b.receipt_at for b in records if b not in confirmed] == [None]  # "Not yet"
    receipts = [b for b in out if b.kind == "receipt"]
    assert [b.recipients for b in receipts] == [(colleague,)]


def test_demo_bundles_in_imported_and_quarantined(handoff_demo: UnlockedVault) -> None:
    contacts = _contacts(handoff_demo)
    with handoff_demo.reading() as conn:
        incoming = {b.author_fingerprint: b for b in ledger.bundles_in(conn)}
        assert ledger.missing_bundles(conn) == []
        assert audit.verify(conn).ok
    assert len(incoming) == 3
    from_colleague = incoming[contacts[COLLEAGUE.name].fingerprint]
    assert from_colleague.status == "imported" and from_colleague.receipt_written
    assert incoming[contacts[HUB.name].fingerprint].status == "receipt"
    assert incoming[contacts[NEWCOMER.name].fingerprint].status == ledger.QUARANTINED


def test_the_history_leaves_the_records_as_populate_demo_makes_them(
    handoff_demo: UnlockedVault, demo_vault: UnlockedVault
) -> None:
    """Same counts, the same most recently changed record (the overview looks the same),
    and the colleague's update in it; nothing from the quarantined bundle."""
    latest = {}
    for vault in (handoff_demo, demo_vault):
        counts = {t: vault.records.count(t) for t in ("place", "visit", "incident", "person")}
        assert counts == {"place": 4, "visit": 3, "incident": 9, "person": 5}
        (row,) = vault.records.list(order_by="modified", limit=1)
        latest[vault] = vault.records.get(row.record_id)
        assert latest[vault].fields["title"] == UPDATED_INCIDENT
    updated = latest[handoff_demo]
    assert updated.revision == 2 and updated.modified_by != handoff_demo.author.author_id
    assert len(updated.fields["sources"]) == 2


def test_the_quarantined_bundle_imports_once_its_signer_is_verified(tmp_path: Path) -> None:
    vault, _code = create_demo_vault(tmp_path / "vault", workspace=tmp_path)
    try:
        newcomer = _contacts(vault)[NEWCOMER.name]
        vault.contacts.verify(newcomer.fingerprint)
        statuses = []
        for path in (tmp_path / BUNDLES_DIR).iterdir():
            try:
                statuses.append(import_bundle(vault, path).status)
            except MonitorError as exc:  # what this vault wrote, for the hub or the colleague
                assert exc.code == "bundle_not_for_this_vault", exc.code
                statuses.append("not_for_this_vault")
        assert sorted(statuses) == [
            "already_imported",  # the hub's receipt
            "already_imported",  # the colleague's update
            "imported",  # the newcomer's bundle, out of quarantine
            *["not_for_this_vault"] * 3,
        ]
        assert vault.records.count("incident") == 10
        with vault.reading() as conn:
            assert all(b.status != ledger.QUARANTINED for b in ledger.bundles_in(conn))
    finally:
        vault.lock()


WRITES_ONLY_IN_WORKSPACE = """
import sys
from pathlib import Path
from monitor_app.demo import create_demo_vault

workspace = Path(sys.argv[1])
vault, _code = create_demo_vault(workspace / "vault", workspace=workspace)
vault.lock()
"""


def test_the_demo_writes_only_in_its_workspace(tmp_path: Path) -> None:
    """Home, temporary, config and data folders and the working directory stay empty; the
    other parties' vaults are gone from the workspace, the bundle files are kept there."""
    places = {name: tmp_path / name for name in ("home", "tmp", "config", "data", "cwd")}
    for path in places.values():
        path.mkdir()
    workspace = tmp_path / "workspace"
    workspace.mkdir(mode=0o700)
    env = {
        **os.environ,
        "HOME": str(places["home"]),
        "TMPDIR": str(places["tmp"]),
        "XDG_CONFIG_HOME": str(places["config"]),
        "XDG_DATA_HOME": str(places["data"]),
        "XDG_CACHE_HOME": str(places["data"] / "cache"),
        "PYTHONPATH": str(ROOT),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    subprocess.run(
        [sys.executable, "-c", WRITES_ONLY_IN_WORKSPACE, str(workspace)],
        cwd=places["cwd"],
        env=env,
        check=True,
        timeout=120,
    )
    assert {name: sorted(p.iterdir()) for name, p in places.items()} == {
        name: [] for name in places
    }
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*places, "workspace"])
    assert sorted(p.name for p in workspace.iterdir()) == sorted(["vault", BUNDLES_DIR])
    assert lifecycle.is_vault_dir(workspace / "vault")
    bundles = list((workspace / BUNDLES_DIR).iterdir())
    assert len(bundles) == 6 and all(p.suffix == ".bin" for p in bundles)
