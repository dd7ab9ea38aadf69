"""Crash safety: a writer SIGKILLed at random moments never damages the vault or loses a
change it had reported as done.

One vault is reused across every trial, so damage would accumulate. Each trial starts
tests/crash_worker.py, which loops adding and editing records and adding attachments of a
few KiB to a few MiB, and reports each change only after the call that made it returned. The
parent kills it with SIGKILL at a random moment, then unlocks the vault and checks it.

Reproduce a failing trial with MONITOR_APP_CRASH_SEED=<base seed> (printed on failure);
MONITOR_APP_CRASH_TRIALS changes the number of trials. Kill moments depend on timing, so a
seed fixes the worker's writes and the kill plan, not the exact instant.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from crash_worker import LineReader, spawn

from monitor_app.crypto import stream
from monitor_app.fsutil import TEMP_PREFIX
from monitor_app.records import audit
from monitor_app.vault import database, lifecycle
from monitor_app.vault.session import UnlockedVault

BASE_SEED = int(os.environ.get("MONITOR_APP_CRASH_SEED", "731"))
TRIALS = int(os.environ.get("MONITOR_APP_CRASH_TRIALS", "80"))
OLD_ATTACHMENTS_REREAD = 4  # per trial, besides this trial's own; all are re-read at the end


@dataclass
class Reported:
    """What workers have reported done, over all trials so far."""

    revisions: dict[str, dict[int, str]] = field(default_factory=dict)  # id -> rev -> marker
    attachments: dict[str, str] = field(default_factory=dict)  # id -> sha256

    def take(self, lines: list[str]) -> list[str]:
        """Record the done lines; returns the ids of attachments reported in ``lines``."""
        new_attachments = []
        for line in lines:
            parts = line.split()
            if parts[:2] == ["done", "record"]:
                record_id, revision, marker = parts[2], int(parts[3]), parts[4]
                self.revisions.setdefault(record_id, {})[revision] = marker
            elif parts[:2] == ["done", "attachment"]:
                self.attachments[parts[2]] = parts[3]
                new_attachments.append(parts[2])
        return new_attachments


@dataclass(frozen=True)
class KillPlan:
    anchor: str  # "spawn", "done" or "attachment"
    count: int  # how many anchor lines to wait for first
    delay: float  # then the random extra time before the kill

    @classmethod
    def draw(cls, rng: random.Random) -> KillPlan:
        roll = rng.random()
        if roll < 0.15:  # anywhere in start-up, unlock (key slots settle, blob sweep) or later
            return cls("spawn", 0, rng.uniform(0.0, 0.6))
        if roll < 0.6:  # between or during record writes and commits
            return cls("done", rng.randint(0, 8), rng.uniform(0.0, 0.04))
        # during an attachment: mid-encryption, at the rename or at the row's commit
        return cls("attachment", rng.randint(1, 3), rng.uniform(0.0, 0.03))

    def matches(self, line: str) -> bool:
        if self.anchor == "done":
            return line.startswith("done ") or line == "ready"
        return line.startswith("begin attachment")


def run_trial(vault_dir: Path, passphrase: str, seed: int, tmp: Path) -> tuple[KillPlan, list[str]]:
    rng = random.Random(seed)
    plan = KillPlan.draw(rng)
    proc = spawn(
        {"vault": str(vault_dir), "passphrase": passphrase, "mode": "crash", "seed": seed},
        stderr=tmp / f"worker-{seed}.err",
    )
    reader = LineReader(proc)
    try:
        if plan.anchor != "spawn":
            index = reader.wait_for(lambda line: line == "ready")
            # "ready" counts as the 0th done line: count=0 kills during the first write.
            needed = plan.count + (1 if plan.anchor == "done" else 0)
            for _ in range(needed):
                index = reader.wait_for(plan.matches, index) + 1
        reader.run_for(plan.delay)
    finally:
        returncode = reader.kill_and_drain()
    if returncode != -signal.SIGKILL:
        stderr = (tmp / f"worker-{seed}.err").read_text(errors="replace")
        raise AssertionError(f"worker ended on its own ({returncode}): {stderr[-2000:]}")
    return plan, reader.lines


def kill_moment(lines: list[str]) -> str:
    if "ready" not in lines:
        return "before ready"
    last = lines[-1].split()
    if last[0] == "begin":
        return f"during {last[1]}"
    return "between writes"


def check_vault(
    vault: UnlockedVault, reported: Reported, fresh: list[str], rng: random.Random, reread_all: bool
) -> None:
    conn = vault.conn
    assert database.integrity_problems(conn) == []
    chain = audit.verify(conn)
    assert chain.ok, chain

    # Whatever committed, reported or not, is whole: a record's revisions run 1..current,
    # each live record has exactly one search index row, each attachment row has its blob.
    current = dict(conn.execute("SELECT id, current_revision FROM records"))
    numbering = {
        row[0]: (row[1], row[2])
        for row in conn.execute(
            "SELECT record_id, count(*), max(revision) FROM revisions GROUP BY record_id"
        )
    }
    assert numbering == {r: (n, n) for r, n in current.items()}
    indexed = dict(conn.execute("SELECT record_id, count(*) FROM search_index GROUP BY 1"))
    live = {r[0] for r in conn.execute("SELECT id FROM records WHERE deleted_at IS NULL")}
    assert indexed == dict.fromkeys(live, 1)
    for record_id, revisions in reported.revisions.items():
        assert record_id in current, f"reported record {record_id} is missing"
        assert current[record_id] >= max(revisions), (record_id, current[record_id], revisions)
    # Every reported revision holds what was written (its marker), not just a row number.
    for record_id, revisions in reported.revisions.items():
        for revision, marker in revisions.items():
            view = vault.records.get(record_id, revision=revision)
            assert marker in json.dumps(view.fields, ensure_ascii=False), (record_id, revision)

    rows = conn.execute(
        "SELECT id, sha256, blob_name, size FROM attachments WHERE deleted_at IS NULL"
    ).fetchall()
    stored = {row[0]: row[1] for row in rows}
    for attachment_id, _, blob_name, size in rows:
        blob = vault.blobs.path_of(blob_name)
        assert blob.is_file(), f"attachment {attachment_id} has no blob"
        assert blob.stat().st_size == stream.encrypted_size(size), f"{attachment_id} truncated"
    for attachment_id, sha in reported.attachments.items():
        assert stored.get(attachment_id) == sha, f"attachment {attachment_id} lost or changed"
    # Committed but killed before it was reported: must read back whole all the same.
    unreported = [a for a in stored if a not in reported.attachments]
    for attachment_id in unreported:
        reported.attachments[attachment_id] = stored[attachment_id]
    fresh = [*fresh, *unreported]
    older = [a for a in reported.attachments if a not in fresh]
    reread = older if reread_all else rng.sample(older, min(OLD_ATTACHMENTS_REREAD, len(older)))
    for attachment_id in [*fresh, *reread]:
        data = vault.attachments.read_bytes(attachment_id)
        assert hashlib.sha256(data).hexdigest() == reported.attachments[attachment_id], (
            f"attachment {attachment_id} reads back wrong"
        )


@pytest.mark.slow
def test_sigkill_at_random_moments_never_damages_the_vault(tmp_path: Path, passphrase: str) -> None:
    vault_dir = tmp_path / "vault"
    vault, _ = lifecycle.create_vault(vault_dir, passphrase, name="Crash Test")
    vault.lock()
    reported = Reported()
    started = time.monotonic()
    moments: dict[str, int] = {}  # where the kills landed, by the worker's last line
    temp_blobs = 0
    for trial in range(TRIALS):
        seed = BASE_SEED * 1000 + trial
        plan = None
        lines: list[str] = []
        try:
            plan, lines = run_trial(vault_dir, passphrase, seed, tmp_path)
            fresh = reported.take(lines)
            moment = kill_moment(lines)
            moments[moment] = moments.get(moment, 0) + 1
            temp_blobs = sum(
                1 for p in (vault_dir / "blobs").iterdir() if p.name.startswith(TEMP_PREFIX)
            )
            vault = lifecycle.unlock(vault_dir, passphrase)
            try:
                check_vault(
                    vault, reported, fresh, random.Random(-seed), reread_all=trial == TRIALS - 1
                )
            finally:
                vault.lock()
        except Exception as exc:
            raise AssertionError(
                f"crash trial {trial} failed: base seed {BASE_SEED}, trial seed {seed}, "
                f"plan {plan}, last worker lines {lines[-4:]}: {exc!r}"
            ) from exc
    elapsed = time.monotonic() - started
    print(
        f"\ncrash trials: {TRIALS} (base seed {BASE_SEED}) in {elapsed:.1f}s; "
        f"{len(reported.revisions)} records, "
        f"{sum(len(r) for r in reported.revisions.values())} revisions, "
        f"{len(reported.attachments)} attachments committed; killed {moments}; "
        f"{temp_blobs} half-written blobs left for the sweep"
    )
    assert reported.revisions and reported.attachments, "the worker never completed a write"
    assert sum(n for m, n in moments.items() if m.startswith("during")) > 0, moments
