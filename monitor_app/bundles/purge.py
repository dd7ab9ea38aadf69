"""Drop from a field vault what its recipients have confirmed holding.

A laptop that is seized should hold as little as possible. Once a recipient's receipt names a
bundle (bundles/receipts.py), the records in it are held elsewhere, and ``purge_handed_off``
removes them here, keeping a stub per record: its id, type and date, and the receipt that
allowed the purge, so that links from other records still resolve and the monitor can see
what went where.

A record is purged only when all of it was confirmed: every revision and every attachment it
has went out in bundles whose receipt lists it as kept, from a contact the monitor marked as
a custodian of their records (the hub, the coordinator's archive). A receipt from any other
recipient of the same bundle confirms nothing here. Deleted records are purged on the same
terms; a record with an unsaved draft is kept (the draft would have nothing left to be saved
into), and the plan says so. A record edited after its handoff is
kept until the edit, too, is handed off and confirmed. A person whose identifying fields were
withheld for lack of consent is kept too, unless the caller says otherwise
(``include_withheld``): those fields exist nowhere else, and dropping them is a decision the
monitor makes, not the software.

Purging deletes the content, the history, the attachments (rows and encrypted files) and the
index entries in one transaction, merges the full-text index so no segment keeps the words,
then re-keys the vault (vault/rekey.py), which also vacuums it: pages that held the purged
content, wherever the disk keeps them, are under a key that nothing opens any more.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from monitor_app.clock import now_iso
from monitor_app.errors import MonitorError
from monitor_app.jobs import CancelToken, Progress, check, no_progress
from monitor_app.records import audit, search, titles
from monitor_app.vault import rekey
from monitor_app.vault.database import Connection
from monitor_app.vault.session import UnlockedVault

ACTION = "record_purged"


@dataclass(frozen=True)
class Stub:
    """What is left of a purged record."""

    record_id: str
    type: str
    date: str | None
    receipt: str  # the receipt bundle's id
    purged_at: str

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.record_id,
            "type": self.type,
            "date": self.date,
            "receipt": self.receipt,
            "purged_at": self.purged_at,
        }


@dataclass(frozen=True)
class PurgePlan:
    purge: tuple[tuple[str, str], ...]  # (record id, receipt bundle id)
    kept_withheld: tuple[str, ...]  # record ids kept: identifying fields went out withheld
    kept_draft: tuple[str, ...] = ()  # record ids kept: they have an unsaved draft


@dataclass(frozen=True)
class PurgeResult:
    purged: tuple[str, ...]
    kept_withheld: tuple[str, ...]
    attachments: int
    rekeyed: bool
    dry_run: bool
    kept_draft: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "purged": list(self.purged),
            "kept_withheld": list(self.kept_withheld),
            "kept_draft": list(self.kept_draft),
            "attachments": self.attachments,
            "rekeyed": self.rekeyed,
            "dry_run": self.dry_run,
        }


# item (kind, id, revision) -> (receipt bundle id, went out withheld in every confirmed copy)
_Confirmed = dict[tuple[str, str, int], tuple[str, bool]]


def _confirmed(conn: Connection) -> _Confirmed:
    """Every outgoing item that a custodian's receipt lists as kept."""
    confirmed: _Confirmed = {}
    rows = conn.execute(
        "SELECT i.item, i.item_id, i.revision, i.redacted, c.receipt_bundle_id"
        " FROM receipt_items c"
        " JOIN contacts k ON k.fingerprint = c.recipient AND k.custodian = 1"
        " JOIN bundle_items i ON i.bundle_id = c.bundle_id AND i.item = c.item"
        " AND i.item_id = c.item_id AND i.revision = c.revision"
        " ORDER BY c.receipt_bundle_id, c.bundle_id"
    )
    for item, item_id, revision, redacted, receipt in rows:
        key = (str(item), str(item_id), int(revision))
        earlier = confirmed.get(key)
        withheld = bool(redacted) and (earlier is None or earlier[1])
        confirmed[key] = (str(receipt), withheld)
    return confirmed


def plan(conn: Connection, *, include_withheld: bool = False) -> PurgePlan:
    """Which live records are confirmed in full (see the module notes)."""
    confirmed = _confirmed(conn)
    revisions: dict[str, list[int]] = {}
    for record_id, revision in conn.execute(
        "SELECT v.record_id, v.revision FROM revisions v JOIN records r ON r.id = v.record_id"
        " WHERE r.purged_at IS NULL"
    ):
        revisions.setdefault(str(record_id), []).append(int(revision))
    attachments: dict[str, list[str]] = {}
    for attachment_id, record_id in conn.execute(
        "SELECT id, record_id FROM attachments WHERE deleted_at IS NULL"
    ):
        attachments.setdefault(str(record_id), []).append(str(attachment_id))
    drafts = {
        str(r[0]) for r in conn.execute("SELECT record_id FROM drafts WHERE record_id IS NOT NULL")
    }
    purge: list[tuple[str, str]] = []
    kept: list[str] = []
    kept_draft: list[str] = []
    for record_id, numbers in sorted(revisions.items()):
        items = [("revision", record_id, n) for n in numbers]
        items += [("attachment", a, 0) for a in attachments.get(record_id, [])]
        if not all(item in confirmed for item in items):
            continue
        if not include_withheld and any(confirmed[item][1] for item in items):
            kept.append(record_id)
            continue
        if record_id in drafts:
            kept_draft.append(record_id)
            continue
        current = ("revision", record_id, max(numbers))
        purge.append((record_id, confirmed[current][0]))
    return PurgePlan(tuple(purge), tuple(kept), tuple(kept_draft))


def purge_handed_off(
    vault: UnlockedVault,
    *,
    include_withheld: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> PurgeResult:
    """Purge every record confirmed in full, then re-key the vault. One transaction: on any
    failure before the commit nothing changes. Cancel works until the commit; the re-key that
    follows takes seconds and is not interrupted (a half-finished purge would be pointless)."""
    progress = progress or no_progress
    with vault.reading() as conn:
        chosen = plan(conn, include_withheld=include_withheld)
    record_ids = tuple(record_id for record_id, _ in chosen.purge)
    if dry_run or not chosen.purge:
        count = _attachment_count(vault, record_ids)
        return PurgeResult(
            record_ids, chosen.kept_withheld, count, False, dry_run, chosen.kept_draft
        )
    rekey.require_slot_keys(vault)  # before anything is deleted
    check(cancel)
    blob_names: list[str] = []
    with vault.transaction() as conn:
        # Planned again inside the write transaction: nothing can change in between.
        chosen = plan(conn, include_withheld=include_withheld)
        record_ids = tuple(record_id for record_id, _ in chosen.purge)
        stamp = now_iso()
        for index, (record_id, receipt) in enumerate(chosen.purge):
            blob_names += _purge_record(conn, vault, record_id, receipt, stamp)
            progress(index + 1, len(chosen.purge) + 1)
            check(cancel)
        # FTS5 keeps deleted words in its older segments until they are merged.
        conn.execute("INSERT INTO search_index (search_index) VALUES ('optimize')")
        conn.execute("INSERT INTO search_forms (search_forms) VALUES ('optimize')")
    for name in blob_names:
        # A file left by a failure here is unreadable (its key went with the row) and is
        # removed by the blob store's sweep at a later unlock.
        with contextlib.suppress(MonitorError):
            vault.blobs.remove(name)
    rekey.rekey(vault)
    progress(len(chosen.purge) + 1, len(chosen.purge) + 1)
    return PurgeResult(
        record_ids, chosen.kept_withheld, len(blob_names), True, False, chosen.kept_draft
    )


def _attachment_count(vault: UnlockedVault, record_ids: tuple[str, ...]) -> int:
    if not record_ids:
        return 0
    marks = ",".join("?" * len(record_ids))
    with vault.reading() as conn:
        row = conn.execute(
            f"SELECT count(*) FROM attachments WHERE record_id IN ({marks})", record_ids
        ).fetchone()
    return int(row[0])


def _purge_record(
    conn: Connection, vault: UnlockedVault, record_id: str, receipt: str, stamp: str
) -> list[str]:
    """Delete one record's content, leaving its stub; returns its blob files to remove."""
    rows = conn.execute("SELECT blob_name FROM attachments WHERE record_id = ?", (record_id,))
    blobs = [str(row[0]) for row in rows]
    record_type = conn.execute("SELECT type FROM records WHERE id = ?", (record_id,)).fetchone()[0]
    search.unindex(conn, record_id)
    conn.execute("DELETE FROM attachments WHERE record_id = ?", (record_id,))
    conn.execute("DELETE FROM revisions WHERE record_id = ?", (record_id,))
    conn.execute("DELETE FROM conflicts WHERE record_id = ?", (record_id,))
    conn.execute("DELETE FROM legacy_conflicts WHERE record_id = ?", (record_id,))
    conn.execute("DELETE FROM drafts WHERE record_id = ?", (record_id,))
    conn.execute("DELETE FROM record_links WHERE record_id = ?", (record_id,))
    conn.execute(
        "UPDATE records SET display = '', place_id = NULL, case_status = NULL,"
        " reprisal_risk = NULL, region = NULL, kind = NULL, purged_at = ?, purged_receipt = ?"
        " WHERE id = ?",
        (stamp, receipt, record_id),
    )
    if record_type == "place":
        titles.retitle_linked(conn, record_id)  # visits called by its name no longer are
    audit.append(
        conn,
        vault.author.author_id,
        ACTION,
        record_id,
        {"type": record_type, "receipt": receipt, "attachments": len(blobs)},
    )
    return blobs


def stubs(vault: UnlockedVault) -> list[Stub]:
    """Purged records, newest purge first."""
    with vault.reading() as conn:
        rows = conn.execute(
            "SELECT id, type, sort_date, purged_receipt, purged_at FROM records"
            " WHERE purged_at IS NOT NULL ORDER BY purged_at DESC, id"
        ).fetchall()
    return [Stub(str(r[0]), str(r[1]), r[2], str(r[3]), str(r[4])) for r in rows]
