"""`monitorctl dossier person ID` and `dossier place ID`: counts and sections, in JSON and for
people; a later page of one section with --section and --offset; a wrong id is refused with
its code."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from monitor_app.vault import lifecycle
from tests.cli_tools import Run, invoke
from tests.conftest import PASSPHRASE
from tests.test_cli_identity import _keep_umask

__all__ = ["_keep_umask"]


@pytest.fixture
def seeded(tmp_path: Path) -> tuple[list[str], dict[str, str]]:
    path = tmp_path / "vault"
    vault, _ = lifecycle.create_vault(path, PASSPHRASE, name="Hub", organisation="Coalition")
    place = vault.records.add("place", {"name": "ИВС", "place_type": "police_station"}).record_id
    person = vault.records.add("person", {"pseudonym": "Айгуль \u202eevil"}).record_id
    visit = vault.records.add(
        "visit",
        {
            "place_id": place,
            "started_at": "2024-02-01",
            "visit_type": "follow_up",
            "occupancy": 42,
            "recommendations": [{"text": "Open a register", "status": "new"}],
        },
    ).record_id
    ids = {"place": place, "person": person, "visit": visit}
    for n in range(5):
        ids[f"incident{n}"] = vault.records.add(
            "incident",
            {
                "title": f"Случай {n}",
                "incident_type": "torture",
                "description": "d",
                "occurred_on": f"2024-0{n + 1}-10",
                "place_id": place,
                "visit_id": visit,
                "people": [{"person_id": person, "role": "victim" if n else "witness"}],
            },
        ).record_id
    vault.attachments.add_stream(ids["incident0"], io.BytesIO(b"x"), original_name="photo.jpg")
    vault.lock()
    secret = tmp_path / "pass"
    secret.write_text(PASSPHRASE + "\n")
    return ["--vault", str(path), "--passphrase-file", str(secret)], ids


def _run(capsys: pytest.CaptureFixture[str], *args: str, expect: int = 0) -> Run:
    return invoke(capsys, list(args), expect)


def test_person_dossier_json_and_pages(
    capsys: pytest.CaptureFixture[str], seeded: tuple[list[str], dict[str, str]]
) -> None:
    base, ids = seeded
    args = [*base, "--json", "dossier", "person", ids["person"]]
    result = _run(capsys, *args, "--limit", "2").json["result"]
    assert result["counts"]["incidents"] == 5 and result["counts"]["visits"] == 1
    assert result["counts"]["attachments"] == 1
    assert result["counts"]["by_role"] == {"victim": 4, "witness": 1}
    first = result["sections"]["incidents"]
    assert [i["id"] for i in first["items"]] == [ids["incident0"], ids["incident1"]]
    assert first["items"][0]["roles"] == ["witness"] and first["next_offset"] == 2
    rest = _run(capsys, *args, "--section", "incidents", "--offset", "2", "--limit", "10").json[
        "result"
    ]
    assert [i["id"] for i in rest["items"]] == [ids[f"incident{n}"] for n in (2, 3, 4)]
    assert rest["total"] == 5 and rest["next_offset"] is None


def test_person_dossier_for_people_is_safe_text(
    capsys: pytest.CaptureFixture[str], seeded: tuple[list[str], dict[str, str]]
) -> None:
    base, ids = seeded
    out = _run(capsys, *base, "dossier", "person", ids["person"]).out
    assert "Incidents: 5" in out and "Visits: 1" in out and "Attachments: 1" in out
    assert "Victim: 4" in out and ids["incident4"] in out
    assert "\u202e" not in out  # the terminal is not told to turn text around


def test_place_dossier(
    capsys: pytest.CaptureFixture[str], seeded: tuple[list[str], dict[str, str]]
) -> None:
    base, ids = seeded
    result = _run(capsys, *base, "--json", "dossier", "place", ids["place"]).json["result"]
    assert result["counts"]["visits"] == 1 and result["counts"]["incidents"] == 5
    assert result["counts"]["by_incident_type"] == {"torture": 5}
    assert result["sections"]["occupancy"]["items"] == [
        {
            "visit_id": ids["visit"],
            "date": result["sections"]["visits"]["items"][0]["date"],
            "occupancy": 42,
        }
    ]
    assert result["sections"]["recommendations"]["items"][0]["text"] == "Open a register"
    out = _run(capsys, *base, "dossier", "place", ids["place"]).out
    assert "Recommendations: 1" in out and "Open a register" in out


def test_wrong_ids_are_refused_with_their_code(
    capsys: pytest.CaptureFixture[str], seeded: tuple[list[str], dict[str, str]]
) -> None:
    base, ids = seeded
    wrong = _run(capsys, *base, "--json", "dossier", "place", ids["person"], expect=1)
    assert wrong.json["error"]["code"] == "dossier_wrong_type"
    missing = _run(capsys, *base, "--json", "dossier", "person", "nope", expect=1)
    assert missing.json["error"]["code"] == "not_found"
    assert "Traceback" not in missing.err
