"""Import: merge a verified bundle into the vault, in one transaction or not at all.

``reading.open_bundle`` decrypts, checks and stages the bundle (encrypted, in the blob store).
Here the signer decides: this vault itself or a bundle not addressed to it is refused; an
unknown or unverified signer puts the bundle in quarantine (its summary is returned, nothing is
merged; the file is kept, to be released once the contact is verified: bundles/quarantine.py).
A verified signer's bundle is merged:

- records and attachments keep their original ids;
- the same bundle twice changes nothing (``already_imported``); bundles are known by their
  signer and id together, so another signer reusing an id cannot block the genuine bundle;
- every revision enters through ``RecordStore.put``, which verifies its author's signature
  (a revision that does not verify refuses the whole bundle) and joins it to the record's
  chain: a revision whose parent is the current one becomes current, any other is kept and
  listed as a conflict, a revision already held changes nothing (never filled in place). A
  bundle's signer may bring revisions other authors signed (a hub forwarding): each keeps
  its author, and who brought it is stored beside it. No number or clock decides anything;
- what the bundle carried is noted item by item, so that a receipt can say exactly what this
  vault kept of it (bundles/receipts.py);
- the author's sequence numbers that a bundle says came before it, and that were never
  imported, are reported as ``missing``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from monitor_app.bundles import quarantine, receipts
from monitor_app.bundles.errors import BundleError
from monitor_app.bundles.reading import (
    BundleRefused,
    BundleSummary,
    Staging,
    open_bundle,
    verify_bundle,
)
from monitor_app.bundles.received import IMPORTED, record_received
from monitor_app.clock import now_iso
from monitor_app.errors import MonitorError
from monitor_app.jobs import CancelToken, Progress, check
from monitor_app.records import audit, chain, provenance
from monitor_app.records.store import RecordStore
from monitor_app.vault.database import Connection

if TYPE_CHECKING:
    from monitor_app.vault.session import UnlockedVault

__all__ = ["ImportResult", "import_bundle", "verify_bundle"]

ALREADY_IMPORTED = "already_imported"
QUARANTINED = "quarantined"


@dataclass(frozen=True)
class ImportResult:
    status: str  # imported | already_imported | quarantined
    summary: BundleSummary
    records_added: int = 0  # records new to this vault
    records_updated: int = 0  # existing records whose current revision moved forward
    revisions_added: int = 0  # every revision stored, older ones included
    attachments_added: int = 0
    unchanged: int = 0  # revisions already held (by hash)
    conflicts: int = 0  # revisions kept outside the record's chain: a fork, a missing parent
    missing: tuple[int, ...] = ()  # the author's sequences announced but never imported
    # Revisions and attachments of records purged here after their handoff: not taken
    # back, or a colleague's bundle would undo the purge on this computer.
    purged_skipped: int = 0

    @property
    def added(self) -> int:
        return self.records_added

    @property
    def updated(self) -> int:
        return self.records_updated

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "bundle": self.summary.to_json(),
            "records_added": self.records_added,
            "records_updated": self.records_updated,
            "revisions_added": self.revisions_added,
            "attachments_added": self.attachments_added,
            "unchanged": self.unchanged,
            "conflicts": self.conflicts,
            "missing": list(self.missing),
            "purged_skipped": self.purged_skipped,
        }


@dataclass
class _Counts:
    records_added: int = 0
    records_updated: int = 0
    revisions_added: int = 0
    attachments_added: int = 0
    unchanged: int = 0
    conflicts: int = 0
    purged_skipped: int = 0


def _missing(conn: Connection, author_fingerprint: str) -> tuple[int, ...]:
    rows = conn.execute(
        "SELECT sequence, follows FROM bundles_in WHERE author_fingerprint = ?",
        (author_fingerprint,),
    ).fetchall()
    imported = {int(row[0]) for row in rows}
    announced = {int(row[1]) for row in rows if row[1] is not None}
    return tuple(sorted(announced - imported))


def _audit(vault: UnlockedVault, action: str, details: dict[str, Any]) -> None:
    with vault.transaction() as conn:
        audit.append(conn, vault.author.author_id, action, None, details)


def import_bundle(
    vault: UnlockedVault,
    path: Path,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
    *,
    release_of: str | None = None,
) -> ImportResult:
    """Verify the bundle at ``path`` and merge it (see the module notes).

    Damaged, malformed or undecryptable bundles raise and leave the vault byte-identical. An
    authentic bundle this vault refuses (``BundleRefused``) is recorded as ``bundle_refused``
    with its reason code, then the error is raised.

    ``release_of``: the bundle is a quarantined copy being released as signed by this
    fingerprint (bundles/quarantine.py). Unless its own signature says so, and its signer is
    verified, it is refused before anything is written: never kept or logged again.
    """
    try:
        staging = open_bundle(vault, path, progress, cancel)
    except BundleRefused as exc:
        _audit(vault, "bundle_refused", _refusal(exc))
        raise
    keep: frozenset[str] = frozenset()
    try:
        summary = staging.summary
        assert summary is not None
        if release_of is not None:
            quarantine.check_signer(summary, release_of)
        with vault.reading() as conn:
            row = conn.execute(
                "SELECT sums_sha256 FROM bundles_in WHERE author_fingerprint = ? AND bundle_id = ?",
                (summary.author_fingerprint, summary.bundle_id),
            ).fetchone()
            missing = _missing(conn, summary.author_fingerprint)
        if row is not None:
            if str(row[0]) != summary.sums_sha256:
                raise BundleError(reason="bundle_id_reused")
            return ImportResult(ALREADY_IMPORTED, summary, missing=missing)
        if not summary.signer_verified:
            # Kept so that it can be released once the signer is verified, without the
            # stick (bundles/quarantine.py); the audit entry names the copy by its hash.
            kept = quarantine.keep(vault, path, cancel)
            _audit(
                vault,
                quarantine.ACTION,
                {
                    "bundle_id": summary.bundle_id,
                    "author_fingerprint": summary.author_fingerprint,
                    "signer_known": summary.signer_known,
                    "sequence": summary.sequence,
                    "revisions": summary.revisions,
                    "attachments": summary.attachments,
                    "kept_sha256": kept,
                },
            )
            return ImportResult(QUARANTINED, summary, missing=missing)
        if summary.kind == receipts.KIND:
            try:
                receipts.apply_receipt(vault, summary)
            except BundleRefused as exc:
                _audit(vault, "bundle_refused", _refusal(exc))
                raise
            with vault.reading() as conn:
                missing = _missing(conn, summary.author_fingerprint)
            return ImportResult(IMPORTED, summary, missing=missing)
        try:
            counts, keep, missing = _merge(vault, staging, summary, cancel)
        except BundleRefused as exc:
            _audit(vault, "bundle_refused", _refusal(exc))
            raise
        return ImportResult(
            IMPORTED,
            summary,
            records_added=counts.records_added,
            records_updated=counts.records_updated,
            revisions_added=counts.revisions_added,
            attachments_added=counts.attachments_added,
            unchanged=counts.unchanged,
            conflicts=counts.conflicts,
            missing=missing,
            purged_skipped=counts.purged_skipped,
        )
    finally:
        staging.discard(keep)


def _refusal(error: MonitorError) -> dict[str, Any]:
    """Audit details of a refusal: its code, and ids, field names and reason words only."""
    details: dict[str, Any] = {"reason": error.code}
    for key in ("bundle_id", "author_fingerprint", "receipt_for", "field", "index"):
        value = error.params.get(key)
        if isinstance(value, str | int):
            details[key] = value
    detail = error.params.get("reason")
    if isinstance(detail, str):
        details["detail"] = detail
    return details


def _merge(
    vault: UnlockedVault, staging: Staging, summary: BundleSummary, cancel: CancelToken | None
) -> tuple[_Counts, frozenset[str], tuple[int, ...]]:
    manifest = staging.manifest
    assert manifest is not None
    store = RecordStore(vault, staging.vocabularies)
    counts = _Counts()
    used: set[str] = set()
    new_records: set[str] = set()
    updated_records: set[str] = set()
    actor = vault.author.author_id
    origin = chain.Origin(summary.author_fingerprint, summary.bundle_id)
    carried: list[tuple[str, str, str, bool]] = []
    with vault.transaction() as conn:
        for index, incoming in enumerate(staging.revisions(cancel)):
            check(cancel)
            try:
                outcome = store.put(conn, incoming.revision, incoming.valid, origin)
            except provenance.RevisionError as exc:
                raise BundleRefused(exc.code, index=index, **exc.params) from None
            _count(outcome, incoming.record_id, counts, new_records, updated_records)
            revision = incoming.revision
            carried.append(("revision", revision.hash, revision.record_id, revision.withheld))
        _note_items(conn, summary, carried)
        counts.records_added = len(new_records)
        counts.records_updated = len(updated_records - new_records)
        for entry in manifest.attachments:
            check(cancel)
            carried = [("attachment", entry.attachment_id, entry.record_id, False)]
            _note_items(conn, summary, carried)
            if conn.execute(
                "SELECT 1 FROM attachments WHERE id = ?", (entry.attachment_id,)
            ).fetchone():
                continue
            owner = conn.execute(
                "SELECT purged_at FROM records WHERE id = ?", (entry.record_id,)
            ).fetchone()
            if owner is None:
                raise BundleRefused("bundle_record_invalid", reason="attachment_record_unknown")
            if owner[0] is not None:
                counts.purged_skipped += 1
                continue
            # A second attachment of one content gets its copy here: for a verified signer.
            blob = staging.blob_for(entry.sha256, cancel)
            conn.execute(
                "INSERT INTO attachments (id, record_id, blob_name, blob_key, size, sha256,"
                " original_name, media_type, caption, added_at, added_by)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    entry.attachment_id,
                    entry.record_id,
                    blob.name,
                    blob.key,
                    blob.size,
                    blob.digest.hexdigest(),
                    entry.original_name,
                    entry.media_type,
                    entry.caption,
                    entry.added_at,
                    summary.author_fingerprint,
                ),
            )
            used.add(blob.name)
            counts.attachments_added += 1
        record_received(conn, summary, IMPORTED, now_iso())
        missing = _missing(conn, summary.author_fingerprint)
        audit.append(
            conn,
            actor,
            "bundle_imported",
            None,
            {
                "bundle_id": summary.bundle_id,
                "author_fingerprint": summary.author_fingerprint,
                "sequence": summary.sequence,
                "records_added": counts.records_added,
                "records_updated": counts.records_updated,
                "revisions_added": counts.revisions_added,
                "attachments_added": counts.attachments_added,
                "conflicts": counts.conflicts,
                "missing": list(missing),
                "purged_skipped": counts.purged_skipped,
            },
        )
    return counts, frozenset(used), missing


def _count(
    outcome: chain.Outcome,
    record_id: str,
    counts: _Counts,
    new_records: set[str],
    updated_records: set[str],
) -> None:
    if outcome == "created":
        new_records.add(record_id)
    elif outcome == "advanced":
        updated_records.add(record_id)
    elif outcome == "held":
        counts.unchanged += 1
    elif outcome == "ancestor":
        pass  # an earlier revision arriving after its child: stored, nothing else moves
    elif outcome == "purged":  # purged here: the coalition holds it, this computer need not
        counts.purged_skipped += 1
    else:
        counts.conflicts += 1
    if outcome in ("created", "advanced", "ancestor", "conflict"):
        counts.revisions_added += 1


def _note_items(
    conn: Connection, summary: BundleSummary, items: list[tuple[str, str, str, bool]]
) -> None:
    """What the bundle carried (item kind, key, record id, withheld), for the receipt that
    says what was kept of it."""
    conn.executemany(
        "INSERT OR IGNORE INTO bundle_in_items (author_fingerprint, bundle_id, item, item_key,"
        " record_id, withheld) VALUES (?, ?, ?, ?, ?, ?)",
        [
            (summary.author_fingerprint, summary.bundle_id, item, key, record_id, int(withheld))
            for item, key, record_id, withheld in items
        ],
    )
