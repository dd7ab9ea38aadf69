"""Read-only views of the handoff ledger, for the desktop app's screens.

What this vault sent (``bundles_out`` with recipients and receipts), what it took in
(``bundles_in``, plus bundles held in quarantine, which only the audit log remembers), which of
an author's bundles never arrived, what an export would carry, and what an import would change.

Pure functions over an open connection: call them inside ``vault.reading()``. Nothing here
returns record content, only ids, fingerprints, numbers and times. The import preview mirrors
``importing._merge_revision`` without writing; the import itself stays the authority.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from monitor_app.bundles import selection
from monitor_app.bundles.reading import BundleSummary, IncomingRevision
from monitor_app.records import chain
from monitor_app.vault.database import Connection

QUARANTINED = "quarantined"  # status of a bundle the audit log shows quarantined, never merged
ARCHIVE_PREFIX = "age:"  # how export keys archive recipients in bundle_recipients
_QUARANTINE_ACTION = "bundle_quarantined"
_RECEIPT_ACTION = "receipt_exported"


@dataclass(frozen=True)
class OutgoingBundle:
    bundle_id: str
    sequence: int
    kind: str  # records | receipt
    created_at: str
    size: int
    recipients: tuple[str, ...]  # contact fingerprints
    archive_recipients: tuple[str, ...]  # age1... keys
    receipt_at: str | None  # when the first receipt for it came in
    confirmed_by: tuple[str, ...]  # fingerprints of the recipients whose receipt came in


@dataclass(frozen=True)
class IncomingBundle:
    bundle_id: str
    author_fingerprint: str
    sequence: int
    status: str  # imported | receipt | quarantined
    at: str  # imported, applied, or last put in quarantine
    receipt_written: bool  # a receipt for it was written here


@dataclass(frozen=True)
class MissingBundle:
    """An author's bundle that a later one announced (``follows``) and that never came."""

    author_fingerprint: str
    sequence: int


@dataclass(frozen=True)
class ExportPreview:
    revisions: int
    records: int
    attachments: int
    withheld_people: int  # people in the bundle whose identifying fields stay behind


@dataclass(frozen=True)
class ImportPreview:
    already_imported: bool
    records_added: int
    records_updated: int
    revisions_added: int
    unchanged: int
    conflicts: int
    missing: tuple[int, ...]  # the author's sequences still missing after this bundle
    purged_skipped: int = 0  # revisions of records purged here: not taken back


# The preview's count that each outcome of records/chain.py adds to, besides "added".
_TALLY = {"held": "unchanged", "conflict": "conflicts", "purged": "purged"}


def bundles_out(conn: Connection) -> list[OutgoingBundle]:
    """Every bundle and receipt this vault wrote, newest (highest sequence) first."""
    recipients: dict[str, list[str]] = {}
    for bundle_id, recipient in conn.execute(
        "SELECT bundle_id, recipient FROM bundle_recipients ORDER BY recipient"
    ):
        if not str(recipient).startswith(ARCHIVE_PREFIX):
            recipients.setdefault(str(bundle_id), []).append(str(recipient))
    confirmed: dict[str, list[str]] = {}
    for bundle_id, recipient in conn.execute(
        "SELECT bundle_id, recipient FROM bundle_receipts ORDER BY received_at, recipient"
    ):
        confirmed.setdefault(str(bundle_id), []).append(str(recipient))
    rows = conn.execute(
        "SELECT bundle_id, sequence, kind, created_at, size, archive_recipients, receipt_at"
        " FROM bundles_out ORDER BY sequence DESC"
    ).fetchall()
    return [
        OutgoingBundle(
            bundle_id=str(row[0]),
            sequence=int(row[1]),
            kind=str(row[2]),
            created_at=str(row[3]),
            size=int(row[4]),
            recipients=tuple(recipients.get(str(row[0]), ())),
            archive_recipients=tuple(_string_list(row[5])),
            receipt_at=None if row[6] is None else str(row[6]),
            confirmed_by=tuple(confirmed.get(str(row[0]), ())),
        )
        for row in rows
    ]


def bundles_in(conn: Connection) -> list[IncomingBundle]:
    """Bundles and receipts taken in, and bundles in quarantine, newest first.

    A quarantined bundle is not in ``bundles_in`` (nothing was merged): its audit entry is the
    only trace, and it drops out of this list once the same bundle is imported. The audit log
    has no index on the action, so this scans it: call it off the GUI thread.
    """
    rows = conn.execute(
        "SELECT bundle_id, author_fingerprint, sequence, status, imported_at FROM bundles_in"
    ).fetchall()
    taken = {str(row[0]) for row in rows}
    quarantined: dict[str, IncomingBundle] = {}
    receipts_for: set[str] = set()
    for at, action, details_json in conn.execute(
        "SELECT at, action, details FROM audit WHERE action IN (?, ?) ORDER BY seq",
        (_QUARANTINE_ACTION, _RECEIPT_ACTION),
    ):
        details = _details(details_json)
        if action == _RECEIPT_ACTION:
            receipts_for.add(str(details.get("receipt_for", "")))
            continue
        bundle_id = str(details.get("bundle_id", ""))
        sequence = details.get("sequence")
        if not bundle_id or bundle_id in taken or not isinstance(sequence, int):
            continue
        quarantined[bundle_id] = IncomingBundle(  # the latest attempt wins
            bundle_id,
            str(details.get("author_fingerprint", "")),
            sequence,
            QUARANTINED,
            str(at),
            False,
        )
    found = [
        IncomingBundle(
            str(row[0]),
            str(row[1]),
            int(row[2]),
            str(row[3]),
            str(row[4]),
            str(row[0]) in receipts_for,
        )
        for row in rows
    ]
    found += quarantined.values()
    return sorted(found, key=lambda b: (b.at, b.sequence), reverse=True)


def missing_bundles(conn: Connection) -> list[MissingBundle]:
    """Per author, the sequences that a bundle taken in announced and that never came (what
    ``import_bundle`` reports as ``missing``), by author then sequence."""
    announced: dict[str, set[int]] = {}
    imported: dict[str, set[int]] = {}
    for author, sequence, follows in conn.execute(
        "SELECT author_fingerprint, sequence, follows FROM bundles_in"
    ):
        imported.setdefault(str(author), set()).add(int(sequence))
        if follows is not None:
            announced.setdefault(str(author), set()).add(int(follows))
    return [
        MissingBundle(author, number)
        for author in sorted(announced)
        for number in sorted(announced[author] - imported.get(author, set()))
    ]


def audit_length(conn: Connection) -> int:
    """Entries in the audit log. Sequence numbers run 1..n without gaps (``audit.verify``
    checks it), so the largest is the count, read from the primary key without a scan."""
    row = conn.execute("SELECT coalesce(max(seq), 0) FROM audit").fetchone()
    return int(row[0])


def selection_keys(fingerprints: Iterable[str], archive_recipients: Iterable[str]) -> list[str]:
    """The recipient keys ``export_bundle`` selects with: archive keys are tracked like
    contacts, under a prefix, so "not yet handed over" holds for them too."""
    return [*fingerprints, *(ARCHIVE_PREFIX + key for key in archive_recipients)]


def export_preview(
    conn: Connection, recipients: Sequence[str], record_ids: Sequence[str] | None = None
) -> ExportPreview:
    """What ``export_bundle`` would put in a bundle to ``recipients`` (``selection_keys``),
    and how many of its people go without their identifying fields for lack of consent."""
    chosen = selection.select(conn, recipients, record_ids)
    withheld = {ref.record_id for ref in selection.withheld_revisions(conn, chosen)}
    return ExportPreview(
        revisions=len(chosen.revisions),
        records=len({ref.record_id for ref in chosen.revisions}),
        attachments=len(chosen.attachments),
        withheld_people=len(withheld),
    )


def import_preview(
    conn: Connection, summary: BundleSummary, revisions: Iterable[IncomingRevision]
) -> ImportPreview:
    """What importing a bundle from a verified signer would change here; nothing is written.

    Counts with the rules the import itself uses (records/chain.py ``decide``), over the
    records as the bundle's earlier revisions would leave them."""
    known = conn.execute(
        "SELECT sums_sha256 FROM bundles_in WHERE author_fingerprint = ? AND bundle_id = ?",
        (summary.author_fingerprint, summary.bundle_id),
    ).fetchone()
    counts = {"added": 0, "unchanged": 0, "conflicts": 0, "purged": 0}
    new_records: set[str] = set()
    updated: set[str] = set()
    if known is None:
        states: dict[str, chain.RecordState | None] = {}
        pending: set[str] = set()
        parents: set[str] = set()  # parents named by the bundle's earlier revisions
        for incoming in revisions:
            revision = incoming.revision
            if revision.record_id not in states:
                states[revision.record_id] = chain.state_of(conn, revision.record_id)
            state = states[revision.record_id]
            held = revision.hash in pending or chain.is_held(conn, revision.hash)
            awaited = revision.hash in parents or chain.is_awaited(conn, revision)
            outcome = chain.decide(state, revision, held, awaited)
            if outcome == "created":
                new_records.add(revision.record_id)
                states[revision.record_id] = chain.RecordState(
                    revision.type, revision.hash, False, False
                )
            elif outcome == "advanced" and state is not None:
                updated.add(revision.record_id)
                states[revision.record_id] = dataclasses.replace(state, head=revision.hash)
            if outcome in ("created", "advanced", "ancestor", "conflict"):
                pending.add(revision.hash)
                if revision.parent is not None:
                    parents.add(revision.parent)
                counts["added"] += 1
            tally = _TALLY.get(outcome)
            if tally is not None:
                counts[tally] += 1
    return ImportPreview(
        already_imported=known is not None,
        records_added=len(new_records),
        records_updated=len(updated - new_records),
        revisions_added=counts["added"],
        unchanged=counts["unchanged"],
        conflicts=counts["conflicts"],
        missing=() if known is not None else _missing_after(conn, summary),
        purged_skipped=counts["purged"],
    )


def _missing_after(conn: Connection, summary: BundleSummary) -> tuple[int, ...]:
    imported = {summary.sequence}
    announced = set() if summary.follows is None else {summary.follows}
    for sequence, follows in conn.execute(
        "SELECT sequence, follows FROM bundles_in WHERE author_fingerprint = ?",
        (summary.author_fingerprint,),
    ):
        imported.add(int(sequence))
        if follows is not None:
            announced.add(int(follows))
    return tuple(sorted(announced - imported))


def _string_list(text: Any) -> list[str]:
    try:
        value = json.loads(text) if text else []
    except ValueError:
        return []
    return [str(item) for item in value] if isinstance(value, list) else []


def _details(text: Any) -> dict[str, Any]:
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
