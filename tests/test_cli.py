"""monitorctl as scripts use it: a separate process, passphrases from files or stdin."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PASSPHRASE

ROOT = Path(__file__).resolve().parents[1]


def run(
    *args: str, stdin: str | bytes = b"", check: bool = True, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    data = stdin.encode() if isinstance(stdin, str) else stdin
    result = subprocess.run(
        [sys.executable, "-m", "monitor_app.cli.main", *args],
        input=data,
        capture_output=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        timeout=120,
    )
    if check and result.returncode != 0:
        raise AssertionError(result.stderr.decode())
    return result


def as_json(result: subprocess.CompletedProcess[bytes]) -> Any:
    return json.loads(result.stdout)


@pytest.fixture
def cli_vault(tmp_path: Path) -> tuple[list[str], Path]:
    secret = tmp_path / "pass.txt"
    secret.write_text(PASSPHRASE + "\n")
    vault = tmp_path / "vault"
    base = ["--vault", str(vault), "--passphrase-file", str(secret)]
    created = as_json(run("--json", *base, "init", "--name", "Monitor", "--org", "Org"))
    assert created["ok"] and len(created["result"]["recovery_code"].split("-")) == 7
    return base, tmp_path


def test_init_prints_recovery_code_once_and_refuses_existing(tmp_path: Path) -> None:
    secret = tmp_path / "p"
    secret.write_text(PASSPHRASE)
    base = ["--vault", str(tmp_path / "v"), "--passphrase-file", str(secret)]
    first = run(*base, "init", "--name", "A")
    assert b"Recovery code" in first.stdout
    code = first.stdout.decode().split("\n\n")[2].strip()
    assert len(code) == 41
    again = run(*base, "--json", "init", "--name", "A", check=False)
    assert again.returncode == 1
    assert as_json(again)["error"]["code"] == "vault_exists"
    info = as_json(run(*base, "--json", "info"))
    assert info["ok"] and code not in json.dumps(info)


def test_record_lifecycle(cli_vault: tuple[list[str], Path]) -> None:
    base, tmp = cli_vault
    place = {"name": "СИЗО-1 Бишкек", "place_type": "pretrial_detention_centre"}
    place_id = (
        run(*base, "record", "add", "--type", "place", "--json", "-", stdin=json.dumps(place))
        .stdout.decode()
        .strip()
    )
    incident_file = tmp / "incident.json"
    incident_file.write_text(
        json.dumps(
            {
                "title": "Избиение при задержании",
                "incident_type": "torture",
                "description": "Le détenu a été battu; 审讯中发生酷刑",
                "occurred_on": {"date": "2024-03", "precision": "month"},
                "place_id": place_id,
            }
        ),
        encoding="utf-8",
    )
    added = as_json(
        run("--json", *base, "record", "add", "--type", "incident", "--json", str(incident_file))
    )
    incident_id = added["result"]["id"]
    edited = as_json(
        run(
            "--json",
            *base,
            "record",
            "edit",
            incident_id,
            "--json",
            "-",
            stdin='{"case_status": "under_review"}',
        )
    )
    assert edited["result"]["revision"] == 2
    shown = as_json(run(*base, "--json", "record", "show", incident_id, "--revision", "1"))
    assert "case_status" not in shown["result"]["fields"]
    history = as_json(run(*base, "--json", "record", "history", incident_id))
    assert [r["changed_fields"] for r in history["result"]["revisions"]][1] == ["case_status"]
    for query in ("detenu", "酷刑", "избиение"):
        hits = as_json(run(*base, "--json", "search", query))["result"]["hits"]
        assert [h["id"] for h in hits] == [incident_id], query
    listed = as_json(run(*base, "--json", "record", "list", "--type", "incident"))
    assert [r["id"] for r in listed["result"]["records"]] == [incident_id]
    run(*base, "record", "delete", incident_id, "--reason", "entered twice")
    assert as_json(run(*base, "--json", "search", "detenu"))["result"]["hits"] == []
    log = as_json(run(*base, "--json", "audit", "log"))["result"]["entries"]
    assert log[-1]["action"] == "record_deleted"
    assert log[-1]["details"]["reason"] == "entered twice"
    assert as_json(run(*base, "--json", "audit", "verify"))["result"]["ok"] is True


def test_passphrase_and_document_both_on_stdin(cli_vault: tuple[list[str], Path]) -> None:
    base, _ = cli_vault
    vault_args = base[:2]
    document = json.dumps({"pseudonym": "KG-17", "real_name": "Секретное Имя"})
    result = run(
        *vault_args,
        "--passphrase-file",
        "-",
        "record",
        "add",
        "--type",
        "person",
        "--json",
        "-",
        stdin=PASSPHRASE + "\n" + document,
    )
    person_id = result.stdout.decode().strip()
    hidden = as_json(run(*base, "--json", "record", "show", person_id))["result"]
    assert "sensitive" not in hidden and "Секретное" not in json.dumps(hidden)
    shown = as_json(run(*base, "--json", "record", "show", person_id, "--reveal-sensitive"))
    assert shown["result"]["sensitive"]["real_name"] == "Секретное Имя"


def test_attachments_round_trip(cli_vault: tuple[list[str], Path]) -> None:
    base, tmp = cli_vault
    place_id = (
        run(
            *base,
            "record",
            "add",
            "--type",
            "place",
            "--json",
            "-",
            stdin='{"name": "ИВС", "place_type": "temporary_detention_facility"}',
        )
        .stdout.decode()
        .strip()
    )
    original = tmp / "scan.pdf"
    original.write_bytes(os.urandom(200_000))
    attached = as_json(run("--json", *base, "attach", place_id, str(original)))["result"]
    import hashlib

    assert attached["sha256"] == hashlib.sha256(original.read_bytes()).hexdigest()
    out = tmp / "copy.pdf"
    run(*base, "attachment", "get", attached["id"], "--out", str(out))
    assert out.read_bytes() == original.read_bytes()
    refused = run(
        *base, "--json", "attachment", "get", attached["id"], "--out", str(out), check=False
    )
    assert refused.returncode == 1
    assert as_json(refused)["error"]["code"] == "output_exists"


@pytest.mark.parametrize(
    ("document", "field", "reason"),
    [
        (
            '{"name": "x", "place_type": "police_station", "colour": "red"}',
            "colour",
            "unknown_field",
        ),
        ('{"name": 5, "place_type": "police_station"}', "name", "wrong_type"),
        ('{"name": "x", "place_type": "castle"}', "place_type", "unknown_code"),
        # A lone surrogate, which JSON can escape but UTF-8 cannot encode.
        ('{"name": "x\\ud800", "place_type": "police_station"}', "name", "invalid_text"),
        (
            '{"name": "x", "place_type": "police_station", "n\\udc00me": "y"}',
            "n\ufffdme",
            "invalid_text",
        ),
    ],
)
def test_validation_errors_name_the_field(
    cli_vault: tuple[list[str], Path], document: str, field: str, reason: str
) -> None:
    base, _ = cli_vault
    result = run(
        "--json",
        *base,
        "record",
        "add",
        "--type",
        "place",
        "--json",
        "-",
        stdin=document,
        check=False,
    )
    assert result.returncode == 1
    error = as_json(result)["error"]
    assert error["code"] == "validation_failed"
    assert error["params"]["field"] == field and error["params"]["reason"] == reason
    assert field in result.stderr.decode()


def test_malformed_json_and_usage_errors(cli_vault: tuple[list[str], Path]) -> None:
    base, _ = cli_vault
    for bad in ('{"name": ', '{"name": "a", "name": "b"}', '{"capacity": NaN}', "\xff"):
        result = run(
            "--json",
            *base,
            "record",
            "add",
            "--type",
            "place",
            "--json",
            "-",
            stdin=bad.encode("latin-1"),
            check=False,
        )
        assert result.returncode == 1
        assert as_json(result)["error"]["code"] == "invalid_json"
    assert run(*base, "record", "frobnicate", check=False).returncode == 2
    assert (
        run(*base, "record", "add", "--type", "spaceship", "--json", "-", check=False).returncode
        == 2
    )


def test_wrong_passphrase_and_missing_passphrase(cli_vault: tuple[list[str], Path]) -> None:
    base, tmp = cli_vault
    wrong = tmp / "wrong"
    wrong.write_text("not the passphrase at all\n")
    result = run("--json", "--vault", base[1], "--passphrase-file", str(wrong), "info", check=False)
    assert result.returncode == 1
    assert as_json(result)["error"]["code"] == "wrong_passphrase"
    assert b"passphrase is not correct" in result.stderr
    # No terminal and no passphrase file: a clear error, not a hang.
    result = run("--json", "--vault", base[1], "info", check=False)
    assert as_json(result)["error"]["code"] == "passphrase_required"
    # The sentence follows the user's language; the code and JSON keys do not change.
    russian = run("--json", "--vault", base[1], "--passphrase-file", str(wrong), "info",
                  check=False, env={"LANGUAGE": "ru"})  # fmt: skip
    assert as_json(russian)["error"]["code"] == "wrong_passphrase"
    assert "парольная фраза" in russian.stderr.decode().lower()


def test_passwd_and_recover(tmp_path: Path) -> None:
    secret = tmp_path / "p"
    secret.write_text(PASSPHRASE + "\n")
    vault = ["--vault", str(tmp_path / "v")]
    code = as_json(run("--json", *vault, "--passphrase-file", str(secret), "init", "--name", "A"))[
        "result"
    ]["recovery_code"]
    new = tmp_path / "new"
    new.write_text("a brand new passphrase\n")
    run(*vault, "--passphrase-file", str(secret), "passwd", "--new-passphrase-file", str(new))
    assert run(*vault, "--passphrase-file", str(secret), "info", check=False).returncode == 1
    run(*vault, "--passphrase-file", str(new), "info")
    code_file = tmp_path / "code"
    code_file.write_text(code.lower().replace("-", " "))
    third = tmp_path / "third"
    third.write_text("the third passphrase\n")
    run(
        *vault,
        "recover",
        "--recovery-code-file",
        str(code_file),
        "--new-passphrase-file",
        str(third),
    )
    run(*vault, "--passphrase-file", str(third), "info")
    typo = tmp_path / "typo"
    typo.write_text(("0" if code[0] != "0" else "1") + code[1:])
    result = run(
        "--json",
        *vault,
        "recover",
        "--recovery-code-file",
        str(typo),
        "--new-passphrase-file",
        str(third),
        check=False,
    )
    assert as_json(result)["error"]["code"] == "recovery_code_typo"
    assert as_json(result)["error"]["params"]["group"] == 1


def test_vocab_lists_codes_with_labels() -> None:
    names = as_json(run("--json", "vocab"))["result"]["vocabularies"]
    for name in (
        "incident_type",
        "place_type",
        "visit_type",
        "access_status",
        "consent_use",
        "reprisal_risk",
        "case_status",
        "person_role",
    ):
        assert name in names
    torture = next(
        e
        for e in as_json(run("--json", "vocab", "incident_type"))["result"]["entries"]
        if e["code"] == "torture"
    )
    assert torture["labels"]["zh_CN"] == "酷刑"
    assert run("--json", "vocab", "nonsense", check=False).returncode == 1


def test_terminal_output_neutralises_escape_sequences(cli_vault: tuple[list[str], Path]) -> None:
    base, _ = cli_vault
    run(
        *base,
        "record",
        "add",
        "--type",
        "place",
        "--json",
        "-",
        stdin=b'{"name": "x\\u202ered\\u2066", "place_type": "other"}',
    )
    listed = run(*base, "record", "list").stdout.decode()
    assert "\u202e" not in listed and "\u2066" not in listed and "red" in listed
    refused = run(
        *base,
        "record",
        "add",
        "--type",
        "place",
        "--json",
        "-",
        check=False,
        stdin=b'{"name": "x\\u001b[31m\\u009b", "place_type": "other"}',
    )
    assert refused.returncode == 1 and b"control characters" in refused.stderr


def test_core_and_cli_load_no_qt(cli_vault: tuple[list[str], Path]) -> None:
    base, _ = cli_vault
    probe = (
        "import sys, monitor_app, monitor_app.cli.main as m\n"
        "import monitor_app.vault.lifecycle, monitor_app.records.store, monitor_app.demo\n"
        f"code = m.main({[*base, 'info']!r})\n"
        f"code += m.main({[*base, 'search', 'x']!r})\n"
        "loaded = [n for n in sys.modules if n.split('.')[0] in ('PySide6', 'shiboken6', 'ui')]\n"
        "print('QT', loaded, code)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, cwd=ROOT, timeout=120
    )
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode().strip().splitlines()[-1] == "QT [] 0"
