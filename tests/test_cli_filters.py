"""`monitorctl record list` and `monitorctl search` take the filters of the app's lists, give
the exact number of matches as `total`, and page with --limit and a cursor; a cursor they did
not print is refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from monitor_app.cli import filter_args
from monitor_app.vault import lifecycle
from tests.cli_tools import Run, invoke
from tests.conftest import PASSPHRASE
from tests.test_cli_identity import _keep_umask

__all__ = ["_keep_umask"]  # main() makes the umask private: give the suite its own back


@pytest.fixture
def seeded(tmp_path: Path) -> tuple[list[str], dict[str, list[str]]]:
    """A vault with 9 incidents at a place in Чуй (5 of them referred, 3 about пытки) and 4
    elsewhere; the ids by group, and the global arguments to open it."""
    path = tmp_path / "vault"
    vault, _ = lifecycle.create_vault(path, PASSPHRASE, name="Hub", organisation="Coalition")
    place = vault.records.add(
        "place", {"name": "ИВС", "place_type": "police_station", "region": "Чуй"}
    ).record_id
    groups: dict[str, list[str]] = {"chui": [], "referred": [], "torture": [], "place": [place]}
    for n in range(13):
        at_place = n < 9
        data: dict[str, Any] = {
            "title": f"Случай {n}",
            "incident_type": "travel_ban",
            "description": "Следы пытки" if n in (0, 3, 10) else "Отказ в свидании",
            "occurred_on": f"2024-0{1 + n % 9}-1{n % 10}",
        }
        if at_place:
            data["place_id"] = place
        if n < 5:
            data["case_status"] = "referred"
        record_id = vault.records.add("incident", data).record_id
        if at_place:
            groups["chui"].append(record_id)
        if n < 5:
            groups["referred"].append(record_id)
        if n in (0, 3, 10):
            groups["torture"].append(record_id)
    vault.lock()
    secret = tmp_path / "pass"
    secret.write_text(PASSPHRASE + "\n")
    return ["--vault", str(path), "--passphrase-file", str(secret)], groups


def _run(capsys: pytest.CaptureFixture[str], *args: str, expect: int = 0) -> Run:
    return invoke(capsys, list(args), expect)


def test_list_filters_count_and_pages(
    capsys: pytest.CaptureFixture[str], seeded: tuple[list[str], dict[str, list[str]]]
) -> None:
    base, groups = seeded
    args = [*base, "--json", "record", "list", "--region", "Чуй", "--type", "incident"]
    seen: list[str] = []
    cursor: list[str] = []
    while True:
        result = _run(capsys, *args, "--limit", "4", "--sort", "title", *cursor).json["result"]
        assert result["total"] == 9
        seen += [r["id"] for r in result["records"]]
        if result["next_cursor"] is None:
            break
        cursor = ["--cursor", result["next_cursor"]]
    assert sorted(seen) == sorted(groups["chui"]) and len(seen) == 9
    both = _run(capsys, *args, "--status", "referred", "--text", "пытка").json["result"]
    expected = set(groups["referred"]) & set(groups["torture"])
    assert {r["id"] for r in both["records"]} == expected
    assert both["total"] == len(expected) == 2
    text = _run(capsys, *base, "record", "list", "--status", "referred").out
    assert "5 matching records" in text


def test_search_filters_total_and_cursor(
    capsys: pytest.CaptureFixture[str], seeded: tuple[list[str], dict[str, list[str]]]
) -> None:
    base, groups = seeded
    first = _run(capsys, *base, "--json", "search", "пытка", "--limit", "2").json["result"]
    assert first["total"] == 3
    rest = _run(
        capsys, *base, "--json", "search", "пытка", "--limit", "2", "--cursor", first["next_cursor"]
    ).json["result"]
    assert rest["next_cursor"] is None
    found = [h["id"] for h in first["hits"] + rest["hits"]]
    assert sorted(found) == sorted(groups["torture"])
    at_place = _run(capsys, *base, "--json", "search", "пытки", "--place", groups["place"][0]).json[
        "result"
    ]
    expected = set(groups["torture"]) & set(groups["chui"])
    assert {h["id"] for h in at_place["hits"]} == expected
    assert at_place["total"] == len(expected) == 2


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        "l1.!!!",
        filter_args.search_token(3),  # a search's cursor given to a list
        filter_args._encode("l", ["modified", True, "2024", "x"]),  # another order's
        filter_args._encode("l", ["date", True, 5, None]),
    ],
)
def test_a_cursor_it_did_not_print_is_refused(
    capsys: pytest.CaptureFixture[str],
    seeded: tuple[list[str], dict[str, list[str]]],
    token: str,
) -> None:
    base, _ = seeded
    run = _run(capsys, *base, "record", "list", "--cursor", token, expect=1)
    assert "--cursor" in run.err and "Traceback" not in run.err


def test_a_wrong_filter_says_which(
    capsys: pytest.CaptureFixture[str], seeded: tuple[list[str], dict[str, list[str]]]
) -> None:
    base, _ = seeded
    run = _run(capsys, *base, "record", "list", "--status", "bogus", expect=1)
    assert "case_status" in run.err
    run = _run(capsys, *base, "search", "x", "--from", "15.11.2026", expect=1)
    assert "date_from" in run.err
