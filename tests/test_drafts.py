"""Drafts: unsaved editor content kept in the encrypted vault, one per record, any shape."""

from __future__ import annotations

import pytest

from monitor_app.errors import MonitorError
from monitor_app.records.drafts import MAX_DRAFT_BYTES
from monitor_app.vault import lifecycle
from monitor_app.vault.session import UnlockedVault
from tests.conftest import PASSPHRASE


def test_a_new_record_draft_survives_lock_and_unlock(vault: UnlockedVault) -> None:
    # Incomplete and invalid on purpose: a draft is what the user typed so far.
    data = {"title": "Допрос без адвоката", "occurred_on": "2024-1", "unknown": [1, 2]}
    draft_id = vault.drafts.save("incident", data)
    path = vault.path
    vault.lock()
    with lifecycle.unlock(path, PASSPHRASE) as again:
        (draft,) = again.drafts.list()
        assert (draft.draft_id, draft.record_type, draft.record_id) == (draft_id, "incident", None)
        assert draft.data == data
        again.drafts.discard(draft_id)
        assert again.drafts.list() == []
        with pytest.raises(MonitorError) as caught:
            again.drafts.get(draft_id)
        assert caught.value.code == "not_found"


def test_one_draft_per_record_and_saving_replaces_it(vault: UnlockedVault) -> None:
    place = vault.records.add("place", {"name": "ИВС", "place_type": "police_station"})
    first = vault.drafts.save("place", {"name": "ИВС-1"}, record_id=place.record_id,
                              base_revision=1)  # fmt: skip
    second = vault.drafts.save("place", {"name": "ИВС-2"}, record_id=place.record_id,
                               base_revision=1)  # fmt: skip
    assert first == second
    draft = vault.drafts.for_record(place.record_id)
    assert draft is not None and draft.data == {"name": "ИВС-2"} and draft.base_revision == 1
    assert len(vault.drafts.list()) == 1
    assert vault.drafts.for_record("00000000-0000-4000-8000-000000000000") is None


def test_deleting_a_record_removes_its_draft_only(vault: UnlockedVault) -> None:
    place = vault.records.add("place", {"name": "ИВС", "place_type": "police_station"})
    other = vault.records.add("place", {"name": "СИЗО", "place_type": "pretrial_detention_centre"})
    vault.drafts.save("place", {"name": "ИВС-1"}, record_id=place.record_id, base_revision=1)
    kept = vault.drafts.save("place", {"name": "x"}, record_id=other.record_id, base_revision=1)
    new = vault.drafts.save("place", {"name": "new"})
    vault.records.delete(place.record_id, "entered twice")
    assert vault.drafts.for_record(place.record_id) is None
    assert {d.draft_id for d in vault.drafts.list()} == {kept, new}


@pytest.mark.parametrize(
    ("record_type", "data", "field", "reason"),
    [
        ("prison", {}, "type", "unknown_code"),
        ("place", ["not", "an", "object"], "draft", "wrong_type"),
        ("place", {"notes": "x" * (MAX_DRAFT_BYTES + 1)}, "draft", "too_long"),
    ],
)
def test_refused_drafts_change_nothing(
    vault: UnlockedVault, record_type: str, data: object, field: str, reason: str
) -> None:
    with pytest.raises(MonitorError) as caught:
        vault.drafts.save(record_type, data)  # type: ignore[arg-type]
    assert caught.value.params["field"] == field and caught.value.params["reason"] == reason
    assert vault.drafts.list() == []


def test_summaries_list_drafts_without_their_values(vault: UnlockedVault) -> None:
    place = vault.records.add("place", {"name": "ИВС №1", "place_type": "police_station"})
    person = vault.records.add("person", {"pseudonym": "KG-7", "real_name": "Secret Name"})
    new_id = vault.drafts.save("incident", {"fields": {"title": "typed, never saved"}})
    vault.drafts.save("place", {"fields": {"name": "typed"}}, record_id=place.record_id)
    vault.drafts.save("person", {"sensitive": {"real_name": "x"}}, record_id=person.record_id)
    summaries = {s.draft_id: s for s in vault.drafts.summaries()}
    assert [s.draft_id for s in vault.drafts.summaries()] == [
        d.draft_id for d in vault.drafts.list()
    ]
    assert summaries[new_id].display is None and summaries[new_id].record_type == "incident"
    assert summaries[new_id].draft_title == "typed, never saved"  # what it would be called
    by_record = {s.record_id: s for s in summaries.values()}
    assert by_record[place.record_id].display == "ИВС №1"  # the saved title, not the draft's
    assert by_record[person.record_id].display == "KG-7"  # the pseudonym, as lists show it
    assert by_record[place.record_id].draft_title is None
    assert "typed" not in repr([s for s in vault.drafts.summaries() if s.record_id])


def test_a_new_records_draft_is_called_what_it_would_be_called_and_nothing_else(
    vault: UnlockedVault,
) -> None:
    place = vault.records.add("place", {"name": "ИВС №1", "place_type": "police_station"})
    visit = vault.drafts.save(
        "visit",
        {"fields": {"place_id": place.record_id, "started_at": "2026-11-15T09:30+06:00"}},
    )
    person = vault.drafts.save(
        "person",
        {"fields": {"gender": "male"}, "sensitive": {"real_name": "Secret Name"}},
    )
    empty = vault.drafts.save("incident", {"fields": {"title": "  ", "description": "x"}})
    odd = vault.drafts.save("incident", {"fields": {"title": ["not", "text"]}})
    titles = {s.draft_id: s.draft_title for s in vault.drafts.summaries()}
    assert titles == {visit: "ИВС №1, 2026-11-15", person: "", empty: "", odd: ""}
    assert "Secret" not in repr(vault.drafts.summaries())
