"""Canary test: no plaintext of any record, attachment or secret ever reaches the disk.

Unique canary strings (Latin, Cyrillic and Han, new ones every run) go into every kind of
field, sensitive fields, an attachment, its name and caption, the vault's name and the
passphrase. After a full round of use (edit, delete, reveal, search, read back) every file
under the vault directory, the process's temp directory and whatever appeared in the system
temp directories during the test is searched for every canary, encoded as UTF-8, UTF-16-LE
and UTF-16-BE, also in the lower-cased, accent-folded and Han-spaced forms the search index
would store. The same is checked while the vault is open (WAL present) and after a writer is
SIGKILLed half-way through a 20 MiB attachment made of canary text.

``test_scanner_finds_planted_canaries`` shows the scanner does find canaries where they are
deliberately written, including in an unencrypted SQLite database: the test can fail.
"""

from __future__ import annotations

import io
import os
import secrets
import signal
import sqlite3
from pathlib import Path

import pytest
from crash_worker import LineReader, spawn

from monitor_app.records import audit
from monitor_app.records.facets import Filters
from monitor_app.records.search import index_text
from monitor_app.vault import database, lifecycle
from tests.canary_tools import (
    Canaries,
    Scanner,
    SystemTemp,
    assert_clean,
    describe,
    fold_marks,
    own_temp,
    system_temp,
)

ATTACHMENT_SIZE = 20 * 1024 * 1024

__all__ = ["own_temp", "system_temp"]  # fixtures used by name

# -- the scanner can fail ------------------------------------------------------------------


def test_scanner_finds_planted_canaries(tmp_path_factory: pytest.TempPathFactory) -> None:
    planted = tmp_path_factory.mktemp("planted")  # a separate directory, never a vault
    canaries = Canaries()
    canaries.make("planted")
    canaries.make("never written")
    latin, cyrillic, han = canaries.of("planted")
    scanner = Scanner(canaries, chunk=4096)
    noise = secrets.token_bytes

    (planted / "utf8.bin").write_bytes(noise(1000) + latin.encode() + noise(1000))
    (planted / "utf16le.bin").write_bytes(noise(1001) + cyrillic.encode("utf-16-le") + noise(9))
    # across the boundary between two 4096-byte chunks
    (planted / "utf16be.bin").write_bytes(noise(4090) + han.encode("utf-16-be") + noise(5000))
    (planted / "folded.txt").write_text(f"x {fold_marks(cyrillic.lower())} y", "utf-8")
    (planted / "fts.txt").write_text(index_text(han), "utf-8")
    (planted / "sub").mkdir()
    (planted / "sub" / f"{latin}.jpg").write_bytes(b"")
    (planted / "decoy.bin").write_bytes(b"CANARY0123456789AB" + "金丝雀".encode() + noise(64))
    (planted / "clean.bin").write_bytes(noise(20000))

    # An unencrypted SQLite database with a WAL: what a vault without SQLCipher would leave.
    plain = sqlite3.connect(planted / "plain.db")
    plain.execute("PRAGMA journal_mode = WAL")
    plain.execute("CREATE TABLE t (body TEXT)")
    plain.execute("INSERT INTO t VALUES (?)", (f"{latin} {cyrillic} {han}",))
    plain.commit()
    plain.close()
    # The same canaries in a real (encrypted) vault: found nowhere.
    vault, _ = lifecycle.create_vault(planted / "vault", "planted passphrase", name="Planted")
    vault.records.add("place", {"name": f"{latin} {cyrillic} {han}", "place_type": "other"})
    vault.lock()

    findings = scanner.scan([planted])
    found = {(f.path.relative_to(planted).as_posix(), f.label, f.encoding) for f in findings}
    assert found == {
        ("utf8.bin", "planted/latin", "utf-8"),
        ("utf16le.bin", "planted/cyrillic", "utf-16-le"),
        ("utf16be.bin", "planted/han", "utf-16-be"),
        ("folded.txt", "planted/cyrillic", "utf-8"),
        ("fts.txt", "planted/han", "utf-8"),
        (f"sub/{latin}.jpg", "planted/latin", "utf-8"),
        ("plain.db", "planted/latin", "utf-8"),
        ("plain.db", "planted/cyrillic", "utf-8"),
        ("plain.db", "planted/han", "utf-8"),
    }, describe(findings)
    by_path = {f.path.name: f.offset for f in findings}
    assert by_path["utf16be.bin"] == 4090
    assert by_path["utf16le.bin"] == 1001


# -- use of a vault ------------------------------------------------------------------------


def test_no_canary_reaches_disk(tmp_path: Path, own_temp: Path, system_temp: SystemTemp) -> None:
    canaries = Canaries()
    passphrase = canaries.add("passphrase", "pass " + canaries.make("passphrase"))
    vault_dir = tmp_path / "vault"
    vault, code = lifecycle.create_vault(
        vault_dir,
        passphrase,
        name=canaries.make("vault name"),
        organisation=canaries.make("organisation"),
    )
    canaries.add("recovery code", code)
    records = vault.records
    place = records.add(
        "place",
        {
            "name": canaries.make("place name"),
            "place_type": "temporary_detention_facility",
            "authority": canaries.make("place authority"),
            "address": canaries.make("place address"),
            "notes": canaries.make("place notes") + "\n" + canaries.make("place notes 2"),
        },
    )
    # A saved search names what a reviewer is looking for: as telling as a record.
    vault.saved_searches.save(
        canaries.make("saved search name"),
        Filters(text=canaries.make("saved search words"), place=(place.record_id,)),
        record_type="incident",
    )
    person = records.add(
        "person",
        {
            "pseudonym": canaries.make("pseudonym"),
            "notes": canaries.make("person notes"),
            "real_name": canaries.make("real name"),
            "identity_document": canaries.make("identity document"),
            "contact": canaries.make("contact"),
            "address": canaries.make("person address"),
            "sensitive_notes": canaries.make("sensitive notes"),
        },
    )
    doomed = records.add(
        "person",
        {
            "pseudonym": canaries.make("deleted pseudonym"),
            "notes": canaries.make("deleted notes"),
            "real_name": canaries.make("deleted real name"),
        },
    )
    incident = records.add(
        "incident",
        {
            "title": canaries.make("incident title"),
            "incident_type": "torture",
            "description": canaries.make("incident description") + " " + "x" * 5000,
            "occurred_on": {"date": "2024-03", "precision": "month"},
            "place_id": place.record_id,
            "location_text": canaries.make("location"),
            "people": [{"person_id": person.record_id, "role": "victim"}],
            "methods": [canaries.make("method")],
            "injuries": canaries.make("injuries"),
        },
    )
    # Edits: the old values stay in earlier revisions, the new ones are current.
    records.edit(
        incident.record_id,
        {
            "title": canaries.make("edited title"),
            "description": canaries.make("edited description"),
        },
    )
    records.edit(
        person.record_id,
        {
            "sensitive_notes": canaries.make("edited sensitive notes"),
            "notes": canaries.make("edited person notes"),
        },
    )
    records.delete(doomed.record_id, canaries.make("deletion reason"))

    attachment_text = canaries.make("attachment text")
    content = (attachment_text + "\n").encode("utf-8") * 4000 + (attachment_text + "\n").encode(
        "utf-16-le"
    ) * 1000
    info = vault.attachments.add_stream(
        incident.record_id,
        io.BytesIO(content),
        original_name=canaries.make("attachment name")[:40] + ".txt",
        caption=canaries.make("caption"),
    )

    # Reveal, search, read back: the data is really there and usable.
    revealed = records.get(person.record_id, reveal_sensitive=True).sensitive
    assert revealed is not None
    assert revealed["real_name"] == " ".join(canaries.of("real name"))
    assert revealed["sensitive_notes"] == " ".join(canaries.of("edited sensitive notes"))
    live = {
        place.record_id: ["place name", "place authority", "place address", "place notes"],
        person.record_id: ["pseudonym", "edited person notes"],
        incident.record_id: ["edited title", "edited description", "location", "method"],
    }
    for record_id, labels in live.items():
        for label in labels:
            for canary in canaries.of(label):
                hits = {h.record_id for h in records.search(canary)}
                assert record_id in hits, f"search for {label} found {hits}"
    not_found = ["deleted pseudonym", "incident title", "real name", "contact", "person notes"]
    for label in not_found:  # deleted, replaced by an edit, or sensitive (never indexed)
        for canary in canaries.of(label):
            assert records.search(canary) == [], label
    assert vault.attachments.read_bytes(info.attachment_id) == content
    assert database.integrity_problems(vault.conn) == []
    assert audit.verify(vault.conn).ok

    scanner = Scanner(canaries)
    # While unlocked, with the write-ahead log on disk.
    assert (vault_dir / "vault.db-wal").is_file()
    assert_clean(scanner, [tmp_path, own_temp], system_temp)

    vault.lock()
    assert not (vault_dir / "vault.db-wal").exists()
    assert_clean(scanner, [tmp_path, own_temp], system_temp)

    # Reopen (recovery path, blob sweep) and lock again.
    reopened = lifecycle.unlock(vault_dir, passphrase)
    assert reopened.records.get(person.record_id).revision == 2
    reopened.lock()
    assert_clean(scanner, [tmp_path, own_temp], system_temp)


# -- a crash mid-write ---------------------------------------------------------------------


def test_no_canary_on_disk_after_crash_mid_write(
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
    system_temp: SystemTemp,
    passphrase: str,
) -> None:
    vault_dir = tmp_path / "vault"
    vault, _ = lifecycle.create_vault(vault_dir, passphrase, name="Crash canary")
    vault.lock()
    child_temp = tmp_path / "child-tmp"
    child_temp.mkdir(mode=0o700)
    env = dict(os.environ)
    for name in ("TMPDIR", "TEMP", "TMP", "SQLITE_TMPDIR"):
        env[name] = str(child_temp)

    canaries = Canaries()
    config = {
        "vault": str(vault_dir),
        "passphrase": passphrase,
        "mode": "canary",
        "records": [
            {
                "type": "person",
                "data": {
                    "pseudonym": canaries.make("child pseudonym"),
                    "notes": canaries.make("child notes"),
                    "real_name": canaries.make("child real name"),
                    "contact": canaries.make("child contact"),
                },
            },
            {
                "type": "incident",
                "data": {
                    "title": canaries.make("child title"),
                    "incident_type": "torture",
                    "description": canaries.make("child description"),
                    "occurred_on": "2023-11-02",
                },
            },
        ],
        "attachment_text": canaries.make("child attachment"),
        "attachment_size": ATTACHMENT_SIZE,
        "attachment_name": canaries.make("child attachment name")[:40] + ".txt",
    }
    # The log lives outside every scanned directory: a traceback could quote the canaries.
    log = tmp_path_factory.mktemp("worker-log") / "worker.err"
    proc = spawn(config, stderr=log, env=env)  # config and passphrase go through a pipe
    reader = LineReader(proc)
    try:
        reader.wait_for(lambda line: line.startswith("attaching"))
    finally:
        returncode = reader.kill_and_drain()
    assert returncode == -signal.SIGKILL, log.read_text(errors="replace")
    assert [line.split()[:2] for line in reader.lines[:3]] == [
        ["ready"],
        ["done", "record"],
        ["done", "record"],
    ]

    # Half of the attachment had been encrypted to disk when the worker died.
    partial = [p for p in (vault_dir / "blobs").iterdir() if p.is_file()]
    assert len(partial) == 1 and partial[0].name.startswith(".tmp-"), partial
    assert partial[0].stat().st_size >= ATTACHMENT_SIZE // 4

    scanner = Scanner(canaries)
    assert_clean(scanner, [tmp_path, child_temp], system_temp)

    # The canaries did reach the vault (encrypted): the scan above was not vacuous.
    vault = lifecycle.unlock(vault_dir, passphrase)
    try:
        assert database.integrity_problems(vault.conn) == []
        assert audit.verify(vault.conn).ok
        for canary in canaries.of("child title") + canaries.of("child pseudonym"):
            assert len(vault.records.search(canary)) == 1
        assert vault.conn.execute("SELECT count(*) FROM attachments").fetchone()[0] == 0
    finally:
        vault.lock()
    assert_clean(scanner, [tmp_path, child_temp], system_temp)
