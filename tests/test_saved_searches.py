"""Saved searches: named filters of one list, reopened as saved, kept in the vault alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor_app.bundles.export import export_bundle
from monitor_app.bundles.importing import import_bundle
from monitor_app.errors import NotFoundError, ValidationError
from monitor_app.records.facets import Filters
from monitor_app.vault import lifecycle
from monitor_app.vault.session import UnlockedVault
from tests.conftest import PASSPHRASE

BEATINGS = Filters(
    case_status=("referred", ""),
    reprisal_risk=("high",),
    date_from="2024",
    date_to="2024-06",
    text="избиение Каракол",
)


def _place(vault: UnlockedVault, name: str = "ИВС Каракол") -> str:
    return vault.records.add("place", {"name": name, "place_type": "police_station"}).record_id


def test_a_saved_search_reopens_as_saved_and_survives_a_relock(
    vault: UnlockedVault, vault_dir: Path
) -> None:
    place = _place(vault)
    filters = Filters(**{**BEATINGS.__dict__, "place": (place,), "organisation_authors": None})
    saved = vault.saved_searches.save(
        "Каракол 2024", filters, record_type="incident", order_by="case_status", descending=False
    )
    vault.lock()
    again = lifecycle.unlock(vault_dir, PASSPHRASE)
    try:
        (reopened,) = again.saved_searches.list("incident")
        assert reopened == again.saved_searches.get(saved.search_id)
        assert reopened.filters == filters
        assert (reopened.name, reopened.record_type) == ("Каракол 2024", "incident")
        assert (reopened.order_by, reopened.descending) == ("case_status", False)
        # Each list has its own saved searches.
        assert again.saved_searches.list("visit") == [] and again.saved_searches.list() == []
    finally:
        again.lock()


def test_names_are_unique_per_list_without_regard_to_case(vault: UnlockedVault) -> None:
    first = vault.saved_searches.save("Пытки в ИВС", BEATINGS, record_type="incident")
    with pytest.raises(ValidationError) as refused:
        vault.saved_searches.save("ПЫТКИ В ИВС", Filters(text="другое"), record_type="incident")
    assert refused.value.params["reason"] == "name_taken"
    assert vault.saved_searches.get(first.search_id).filters == BEATINGS  # nothing changed
    # The same name on another list is another search.
    vault.saved_searches.save("Пытки в ИВС", Filters(), record_type="visit")
    replaced = vault.saved_searches.save(
        "пытки в ИВС", Filters(text="другое"), record_type="incident", replace=True
    )
    assert replaced.search_id == first.search_id
    assert [s.filters.text for s in vault.saved_searches.list("incident")] == ["другое"]


def test_rename_and_delete(vault: UnlockedVault) -> None:
    one = vault.saved_searches.save("Один", Filters(text="один"))
    two = vault.saved_searches.save("Два", Filters(text="два"))
    with pytest.raises(ValidationError) as refused:
        vault.saved_searches.rename(two.search_id, "один")
    assert refused.value.params["reason"] == "name_taken"
    assert vault.saved_searches.rename(one.search_id, "Первый").name == "Первый"
    assert [s.name for s in vault.saved_searches.list()] == ["Два", "Первый"]
    vault.saved_searches.delete(two.search_id)
    with pytest.raises(NotFoundError) as gone:
        vault.saved_searches.get(two.search_id)
    assert gone.value.code == "saved_search_not_found"
    with pytest.raises(NotFoundError):
        vault.saved_searches.delete(two.search_id)
    with pytest.raises(NotFoundError):
        vault.saved_searches.rename(two.search_id, "Снова")
    assert [s.name for s in vault.saved_searches.list()] == ["Первый"]


@pytest.mark.parametrize(
    ("name", "filters", "kwargs", "field", "reason"),
    [
        ("  ", Filters(), {}, "name", "required"),
        ("x" * 121, Filters(), {}, "name", "too_long"),
        ("bad\x00name", Filters(), {}, "name", None),
        ("ok", Filters(case_status=("no_such_status",)), {}, "case_status", "unknown_code"),
        ("ok", Filters(type=("no_such_type",)), {}, "type", "unknown_code"),
        ("ok", Filters(date_from="2024-13-45"), {}, "date_from", "invalid_date"),
        ("ok", Filters(date_to="2024\n"), {}, "date_to", "invalid_date"),
        ("ok", Filters(date_to="24-05"), {}, "date_to", "invalid_date"),
        ("ok", Filters(), {"record_type": "no_such_type"}, "type", "unknown_code"),
        ("ok", Filters(), {"order_by": "rowid; DROP TABLE records"}, "order_by", "unknown_code"),
    ],
)
def test_a_bad_saved_search_is_refused_and_nothing_is_stored(
    vault: UnlockedVault,
    name: str,
    filters: Filters,
    kwargs: dict[str, str],
    field: str,
    reason: str | None,
) -> None:
    with pytest.raises(ValidationError) as refused:
        vault.saved_searches.save(name, filters, **kwargs)  # type: ignore[arg-type]
    assert refused.value.params["field"] == field
    if reason is not None:
        assert refused.value.params["reason"] == reason
    assert vault.conn.execute("SELECT count(*) FROM saved_searches").fetchone()[0] == 0


def test_a_stored_search_that_was_tampered_with_is_refused_on_reading(
    vault: UnlockedVault,
) -> None:
    # Only someone with the vault key can write the table; still, what is read back goes
    # through the same checks as a CLI argument, so a damaged row is an error, not a crash.
    saved = vault.saved_searches.save("Старый", Filters(text="слово"))
    vault.conn.execute(
        "UPDATE saved_searches SET filters = ? WHERE id = ?",
        ('{"case_status": "not a list"}', saved.search_id),
    )
    with pytest.raises(ValidationError) as refused:
        vault.saved_searches.get(saved.search_id)
    assert refused.value.params["field"] == "case_status"


def test_saved_searches_never_leave_the_vault_in_a_bundle(
    vault: UnlockedVault, hub: UnlockedVault, stick: Path
) -> None:
    vault.contacts.add(hub.identity.card(), verified=True)
    hub.contacts.add(vault.identity.card(), verified=True)
    _place(vault)
    vault.saved_searches.save("Только мой", Filters(text="каракол"))
    bundle = export_bundle(vault, stick, contacts=[vault.contacts.get("Hub")]).path
    assert import_bundle(hub, bundle).status == "imported"
    assert hub.saved_searches.list() == []
