"""The hash-chained audit log: every change appends an entry, and tampering is detected.

Tampering goes through the vault's own SQL connection, as someone holding the unlocked
database could do, and is then checked with ``audit.verify`` and with ``monitorctl audit
verify``.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from monitor_app.cli.main import main
from monitor_app.errors import MonitorError
from monitor_app.records import audit
from monitor_app.vault import lifecycle
from monitor_app.vault.session import UnlockedVault

NEW_PASSPHRASE = "a different passphrase, long enough"


def entries(vault: UnlockedVault) -> list[audit.AuditEntry]:
    with vault.reading() as conn:
        return audit.entries(conn, limit=100_000)


def verify(vault: UnlockedVault) -> audit.ChainReport:
    with vault.reading() as conn:
        return audit.verify(conn)


def tamper(vault: UnlockedVault, *statements: tuple[str, tuple[Any, ...]]) -> None:
    with vault.transaction() as conn:
        for sql, params in statements:
            conn.execute(sql, params)


# -- appending -------------------------------------------------------------------------------
def test_new_vault_starts_a_verified_chain(vault: UnlockedVault) -> None:
    log = entries(vault)
    assert log[0].action == "vault_created"
    assert (log[0].seq, log[0].prev_hash, log[0].record_id) == (1, audit.GENESIS, None)
    assert all(e.actor == vault.author.author_id for e in log)
    assert [e.seq for e in log] == list(range(1, len(log) + 1))
    assert verify(vault) == audit.ChainReport(True, len(log))
    assert vault.meta("audit_head") == f"{len(log)}:{log[-1].hash}"


def test_every_change_appends_one_entry(
    vault: UnlockedVault, vault_dir: Path, passphrase: str, tmp_path: Path
) -> None:
    author = vault.author.author_id
    expected = [(e.action, e.record_id) for e in entries(vault)]

    def check_last(action: str, record_id: str | None, **details: Any) -> audit.AuditEntry:
        expected.append((action, record_id))
        log = entries(vault)
        assert [(e.action, e.record_id) for e in log] == expected
        last = log[-1]
        assert last.seq == len(log)
        assert last.actor == author
        assert datetime.fromisoformat(last.at).tzinfo is not None
        for key, value in details.items():
            assert last.details[key] == value, key
        return last

    place = vault.records.add("place", {"name": "СИЗО-1", "place_type": "police_station"})
    check_last("record_created", place.record_id, type="place")
    person = vault.records.add("person", {"pseudonym": "P", "real_name": "Тайное Имя"})
    check_last("record_created", person.record_id, type="person")
    batch = vault.records.add_many(
        "place", [{"name": n, "place_type": "military"} for n in ("A", "B")]
    )
    expected.append(("record_created", batch[0].record_id))  # one entry per record
    check_last("record_created", batch[1].record_id, type="place")

    vault.records.edit(place.record_id, {"capacity": 10})
    check_last("record_edited", place.record_id, type="place", revision=2)
    vault.records.edit(place.record_id, {"capacity": 11})
    check_last("record_edited", place.record_id, revision=3)

    vault.records.get(person.record_id, reveal_sensitive=True)
    check_last("sensitive_revealed", person.record_id)

    data = b"\x89PNG fake image" * 100
    info = vault.attachments.add_stream(place.record_id, io.BytesIO(data), original_name="cell.png")
    check_last(
        "attachment_added",
        place.record_id,
        attachment_id=info.attachment_id,
        size=len(data),
        sha256=info.sha256,
    )
    vault.attachments.save_to_file(info.attachment_id, tmp_path / "copy.png")
    check_last("attachment_saved_out", place.record_id, attachment_id=info.attachment_id)

    vault.records.delete(batch[0].record_id, "created by mistake")
    check_last("record_deleted", batch[0].record_id, type="place", reason="created by mistake")

    lifecycle.change_passphrase(vault, NEW_PASSPHRASE)
    check_last("passphrase_changed", None)

    report = verify(vault)
    assert report.ok and report.entries == len(expected)
    log = entries(vault)
    for previous, current in itertools.pairwise(log):
        assert current.prev_hash == previous.hash
        assert current.seq == previous.seq + 1
    assert len({e.hash for e in log}) == len(log)
    assert vault.meta("audit_head") == f"{log[-1].seq}:{log[-1].hash}"

    # Reading changes nothing.
    vault.records.get(place.record_id)
    vault.records.list()
    vault.records.history(place.record_id)
    vault.records.search("СИЗО")
    vault.attachments.read_bytes(info.attachment_id)
    assert len(entries(vault)) == len(expected)

    # The log survives locking and is still intact under the new passphrase.
    vault.lock()
    with lifecycle.unlock(vault_dir, NEW_PASSPHRASE) as reopened:
        assert [(e.action, e.record_id) for e in entries(reopened)] == expected
        assert verify(reopened).ok


def test_refused_changes_append_nothing(vault: UnlockedVault, tmp_path: Path) -> None:
    place = vault.records.add("place", {"name": "ИВС", "place_type": "police_station"})
    before = entries(vault)
    attempts = [
        lambda: vault.records.add("place", {"name": "x"}),
        lambda: vault.records.add("place", {"name": "x", "place_type": "gulag"}),
        lambda: vault.records.edit(place.record_id, {"capacity": -1}),
        lambda: vault.records.delete(place.record_id, " "),
        lambda: vault.attachments.add_stream(
            place.record_id, io.BytesIO(b"x"), original_name="bad\x07name"
        ),
        lambda: vault.attachments.save_to_file("0" * 32, tmp_path / "out.bin"),
        lambda: lifecycle.change_passphrase(vault, "short"),
    ]
    for attempt in attempts:
        with pytest.raises(MonitorError):
            attempt()
    assert entries(vault) == before
    assert verify(vault).ok


def test_details_never_hold_record_content(vault: UnlockedVault) -> None:
    canaries = ["Канарейкин", "CANARY-DESCRIPTION", "金丝雀", "secret-caption"]
    person = vault.records.add(
        "person",
        {"pseudonym": "Канарейкин псевдоним", "real_name": "Канарейкин", "notes": "金丝雀"},
    )
    incident = vault.records.add(
        "incident",
        {
            "title": "Канарейкин title",
            "incident_type": "torture",
            "description": "CANARY-DESCRIPTION",
            "occurred_on": "2024",
            "people": [{"person_id": person.record_id, "role": "victim"}],
        },
    )
    vault.records.edit(incident.record_id, {"description": "CANARY-DESCRIPTION 2"})
    vault.records.edit(person.record_id, {"real_name": "Канарейкин 2"})
    vault.records.get(person.record_id, reveal_sensitive=True)
    vault.attachments.add_stream(
        incident.record_id,
        io.BytesIO(b"CANARY-DESCRIPTION"),
        original_name="Канарейкин.jpg",
        caption="secret-caption",
    )
    vault.records.delete(person.record_id, "merged")
    text = json.dumps([e.to_json() for e in entries(vault)], ensure_ascii=False)
    for canary in canaries:
        assert canary not in text, canary


# -- tampering -------------------------------------------------------------------------------
class _Rollback(Exception):
    pass


def verify_tampered(
    vault: UnlockedVault, *statements: tuple[str, tuple[Any, ...]]
) -> audit.ChainReport:
    """Tamper, verify inside the same transaction, then roll the tampering back, so that one
    vault serves many cases."""
    reports: list[audit.ChainReport] = []
    with contextlib.suppress(_Rollback), vault.transaction() as conn:
        for sql, params in statements:
            conn.execute(sql, params)
        reports.append(audit.verify(conn))
        raise _Rollback
    assert verify(vault).ok, "the tampering was not rolled back"
    return reports[0]


def summary(report: audit.ChainReport) -> tuple[bool, int | None, str | None]:
    return report.ok, report.first_bad_seq, report.problem


@pytest.fixture
def busy_vault(vault: UnlockedVault) -> UnlockedVault:
    """A vault with eight more audit entries than a new one, and an intact chain."""
    created = len(entries(vault))
    for index in range(4):
        view = vault.records.add("place", {"name": f"Place {index}", "place_type": "other"})
        vault.records.edit(view.record_id, {"capacity": index})
    assert verify(vault) == audit.ChainReport(True, created + 8)
    return vault


EDITED_VALUES: list[tuple[str, Any]] = [
    ("details", '{"type": "person"}'),
    ("details", "{}"),
    ("action", "record_deleted"),
    ("actor", "00000000-0000-4000-8000-000000000000"),
    ("at", "2020-01-01T00:00:00.000000+00:00"),
    ("record_id", None),
    ("record_id", "00000000-0000-4000-8000-000000000000"),
    ("hash", "f" * 64),
]


def test_an_edited_entry_is_detected(busy_vault: UnlockedVault) -> None:
    last = len(entries(busy_vault))
    for seq in (1, last - 4, last):
        for column, value in EDITED_VALUES:
            with busy_vault.reading() as conn:
                current = conn.execute(
                    f"SELECT {column} FROM audit WHERE seq = ?", (seq,)
                ).fetchone()[0]
            if current == value:
                continue  # not a change
            report = verify_tampered(
                busy_vault, (f"UPDATE audit SET {column} = ? WHERE seq = ?", (value, seq))
            )
            assert summary(report) == (False, seq, "altered_entry"), (seq, column, value)
            assert report.entries == seq - 1
    # The same details, spelt differently (JSON whitespace), are a change too.
    for entry in entries(busy_vault):
        respelt = json.dumps(entry.details, indent=1, sort_keys=True)
        report = verify_tampered(
            busy_vault, ("UPDATE audit SET details = ? WHERE seq = ?", (respelt, entry.seq))
        )
        assert summary(report) == (False, entry.seq, "altered_entry"), entry.seq
    # A changed link is caught as such.
    report = verify_tampered(
        busy_vault, ("UPDATE audit SET prev_hash = ? WHERE seq = ?", ("0" * 64, last - 4))
    )
    assert summary(report) == (False, last - 4, "broken_link")


def test_an_edited_entry_with_its_hash_recomputed_breaks_the_next_link(
    busy_vault: UnlockedVault,
) -> None:
    seq = len(entries(busy_vault)) - 4
    with busy_vault.reading() as conn:
        row = conn.execute(
            "SELECT seq, at, actor, action, record_id, prev_hash FROM audit WHERE seq = ?", (seq,)
        ).fetchone()
    details = '{"type": "forged"}'
    forged = audit.entry_hash(row[0], row[1], row[2], row[3], row[4], details, row[5])
    tamper(
        busy_vault, ("UPDATE audit SET details = ?, hash = ? WHERE seq = ?", (details, forged, seq))
    )
    assert summary(verify(busy_vault)) == (False, seq + 1, "broken_link")


def test_a_removed_entry_is_detected(busy_vault: UnlockedVault) -> None:
    last = len(entries(busy_vault))
    for seq in (1, 2, last - 4, last - 1):
        report = verify_tampered(busy_vault, ("DELETE FROM audit WHERE seq = ?", (seq,)))
        assert summary(report) == (False, seq, "missing_entry"), seq
    # Renumbering the later entries (and the head) to close the gap does not hide it.
    gap = last - 4
    with busy_vault.reading() as conn:
        new_last_hash = conn.execute("SELECT hash FROM audit WHERE seq = ?", (last,)).fetchone()[0]
    report = verify_tampered(
        busy_vault,
        ("DELETE FROM audit WHERE seq = ?", (gap,)),
        ("UPDATE audit SET seq = seq - 1 WHERE seq > ?", (gap,)),
        (
            "UPDATE meta SET value = ? WHERE key = 'audit_head'",
            (f"{last - 1}:{new_last_hash}",),
        ),
    )
    assert summary(report) == (False, gap, "broken_link")


def test_reordered_entries_are_detected(busy_vault: UnlockedVault) -> None:
    last = len(entries(busy_vault))
    # Swap two neighbouring entries by their sequence numbers.
    for first in (1, last - 5, last - 1):
        second = first + 1
        report = verify_tampered(
            busy_vault,
            ("UPDATE audit SET seq = -1 WHERE seq = ?", (first,)),
            ("UPDATE audit SET seq = ? WHERE seq = ?", (first, second)),
            ("UPDATE audit SET seq = ? WHERE seq = -1", (second,)),
        )
        assert not report.ok, first
        assert report.first_bad_seq == first, first
    # Swap everything but the sequence numbers.
    columns = "at, actor, action, record_id, details, prev_hash, hash"
    one, two = last - 3, last - 2
    with busy_vault.reading() as conn:
        row_one = conn.execute(f"SELECT {columns} FROM audit WHERE seq = ?", (one,)).fetchone()
        row_two = conn.execute(f"SELECT {columns} FROM audit WHERE seq = ?", (two,)).fetchone()
    assignment = ", ".join(f"{c} = ?" for c in columns.split(", "))
    report = verify_tampered(
        busy_vault,
        (f"UPDATE audit SET {assignment} WHERE seq = ?", (*row_two, one)),
        (f"UPDATE audit SET {assignment} WHERE seq = ?", (*row_one, two)),
    )
    assert summary(report) == (False, one, "broken_link")


def test_a_truncated_tail_is_detected_through_the_head(busy_vault: UnlockedVault) -> None:
    last = len(entries(busy_vault))
    head = busy_vault.meta("audit_head")
    assert head is not None and head.startswith(f"{last}:")
    for cut in (1, 3, last - 1, last):
        report = verify_tampered(busy_vault, ("DELETE FROM audit WHERE seq > ?", (last - cut,)))
        assert summary(report) == (False, last - cut + 1, "missing_tail"), cut
        assert report.entries == last - cut
    changed_head = (
        "UPDATE meta SET value = ? WHERE key = 'audit_head'",
        (f"{last}:" + "0" * 64,),
    )
    assert verify_tampered(busy_vault, changed_head).problem == "missing_tail"
    removed_head = ("DELETE FROM meta WHERE key = 'audit_head'", ())
    assert verify_tampered(busy_vault, removed_head).problem == "missing_tail"


def test_appending_after_tampering_does_not_heal_the_chain(busy_vault: UnlockedVault) -> None:
    tamper(busy_vault, ("UPDATE audit SET details = '{\"x\": 1}' WHERE seq = 2", ()))
    busy_vault.records.add("place", {"name": "Новое", "place_type": "other"})
    assert summary(verify(busy_vault)) == (False, 2, "altered_entry")


# -- monitorctl audit verify -----------------------------------------------------------------
def run_cli(
    capsys: pytest.CaptureFixture[str], vault_dir: Path, secret: Path, *args: str
) -> tuple[int, dict[str, Any], str]:
    capsys.readouterr()
    code = main(
        ["--json", "--vault", str(vault_dir), "--passphrase-file", str(secret), "audit", *args]
    )
    out, err = capsys.readouterr()
    return code, json.loads(out), err


def test_cli_audit_verify_reports_tampering(
    busy_vault: UnlockedVault,
    vault_dir: Path,
    passphrase: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    secret = tmp_path / "passphrase.txt"
    secret.write_text(passphrase + "\n", encoding="utf-8")

    last = len(entries(busy_vault))
    code, body, _err = run_cli(capsys, vault_dir, secret, "verify")
    assert code == 0
    assert body == {
        "ok": True,
        "result": {"ok": True, "entries": last, "first_bad_seq": None, "problem": None},
    }
    code, log, _err = run_cli(capsys, vault_dir, secret, "log")
    assert code == 0
    assert [e["seq"] for e in log["result"]["entries"]] == list(range(1, last + 1))

    seq = last - 4
    original = entries(busy_vault)[seq - 1].action
    tamper(busy_vault, ("UPDATE audit SET action = 'record_deleted' WHERE seq = ?", (seq,)))
    code, body, err = run_cli(capsys, vault_dir, secret, "verify")
    assert code == 1
    assert body["ok"] is False
    assert body["error"]["code"] == "audit_chain_broken"
    assert body["error"]["params"] == {"first_bad_seq": seq, "problem": "altered_entry"}
    assert body["error"]["message"]
    assert err.startswith("monitorctl: ")

    # Cutting off the tail is reported the same way, with its own problem.
    tamper(
        busy_vault,
        ("UPDATE audit SET action = ? WHERE seq = ?", (original, seq)),
        ("DELETE FROM audit WHERE seq = ?", (last,)),
    )
    code, body, _err = run_cli(capsys, vault_dir, secret, "verify")
    assert code == 1
    assert body["error"]["code"] == "audit_chain_broken"
    assert body["error"]["params"] == {"first_bad_seq": last, "problem": "missing_tail"}
