"""Receipts: the recipient of a bundle confirms, to its author, that it imported it.

A receipt is a bundle of kind ``receipt`` (docs/bundle-format.md): the same signed, padded,
age-encrypted tar as a records bundle, with an empty ``records.jsonl``, no attachments, and a
manifest ``receipt`` naming the bundle received and the SHA-256 of its ``SHA256SUMS``, and
listing item by item what the receipt's writer holds of it now: every revision (by hash) and
attachment (by id) kept, and every one not kept with why (purged here, held already without
the sensitive fields this bundle carried). It is encrypted to the author only, who must be a
verified contact.

On the author's side, importing a receipt (through ``importing.import_bundle``) checks that it
names a bundle this vault sent, with the same checksums, to the receipt's signer, and that it
lists only what that bundle carried; then records which recipient confirmed which items, in
one transaction with its audit entry. Only the items listed as kept are confirmed, and a
purge counts them only from the contacts marked as custodians (bundles/purge.py). The receipt
itself is kept in ``bundles_in`` (status ``receipt``) so the same receipt twice changes
nothing and the signer's sequence numbers stay without gaps.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from monitor_app.bundles import export, selection
from monitor_app.bundles.manifest import ReceiptRef
from monitor_app.bundles.reading import BundleRefused, BundleSummary
from monitor_app.bundles.received import IMPORTED, record_received
from monitor_app.clock import now_iso
from monitor_app.errors import MonitorError
from monitor_app.jobs import CancelToken, Progress
from monitor_app.records import audit

if TYPE_CHECKING:
    from monitor_app.identity.contacts import Contact
    from monitor_app.vault.database import Connection
    from monitor_app.vault.session import UnlockedVault

KIND = "receipt"
STATUS = "receipt"  # bundles_in.status of an applied receipt
_NOTHING = selection.Selection((), (), ())


@dataclass(frozen=True)
class ReceiptResult:
    bundle_id: str  # the receipt's own bundle id
    receipt_for: str  # the bundle it confirms
    recipient: str  # fingerprint of the author it was encrypted to
    path: Path
    size: int
    sequence: int

    def to_json(self) -> dict[str, Any]:
        return {
            "bundle_id": self.bundle_id,
            "receipt_for": self.receipt_for,
            "recipient": self.recipient,
            "path": str(self.path),
            "size": self.size,
            "sequence": self.sequence,
        }


def export_receipt(
    vault: UnlockedVault,
    bundle_id: str,
    destination: Path,
    *,
    author_fingerprint: str | None = None,
    file_name: str | None = None,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> ReceiptResult:
    """Write a receipt for the imported bundle ``bundle_id`` into the folder ``destination``,
    encrypted to that bundle's author, and record it as an outgoing bundle."""
    with vault.reading() as conn:
        rows = conn.execute(
            "SELECT author_fingerprint, sums_sha256 FROM bundles_in"
            " WHERE bundle_id = ? AND status = ?"
            + ("" if author_fingerprint is None else " AND author_fingerprint = ?"),
            (bundle_id, IMPORTED)
            if author_fingerprint is None
            else (bundle_id, IMPORTED, author_fingerprint),
        ).fetchall()
        if len(rows) != 1:
            # None, or the same id from two signers: the user names the author.
            raise MonitorError("receipt_bundle_unknown", bundle_id=bundle_id)
        author, sums_sha256 = str(rows[0][0]), str(rows[0][1])
        held = what_is_held(conn, author, bundle_id, sums_sha256)
    contact = vault.contacts.get(author)
    export._check_contacts([contact], ())
    if not destination.is_dir():
        raise MonitorError("export_destination_missing", path=str(destination))
    target = destination / (file_name or export.neutral_name())
    if target.exists():
        raise MonitorError("export_target_exists", path=str(target))
    plan = export._plan(
        vault,
        _NOTHING,
        [contact],
        (),
        cancel,
        kind=KIND,
        receipt=held.to_json(),
    )
    size = export._write_and_record(
        target,
        plan,
        [contact],
        (),
        lambda file_sha256, size: _record_receipt(
            vault, plan, contact, bundle_id, file_sha256, size
        ),
        progress,
        cancel,
    )
    return ReceiptResult(
        plan.bundle_id, bundle_id, contact.fingerprint, target, size, plan.sequence
    )


def _record_receipt(
    vault: UnlockedVault,
    plan: export._Plan,
    contact: Contact,
    receipt_for: str,
    file_sha256: str,
    size: int,
) -> None:
    with vault.transaction() as conn:
        export._insert_bundle_out(conn, plan, [contact.fingerprint], (), file_sha256, size)
        audit.append(
            conn,
            vault.author.author_id,
            "receipt_exported",
            details={
                "bundle_id": plan.bundle_id,
                "receipt_for": receipt_for,
                "sequence": plan.sequence,
                "recipient": contact.fingerprint,
            },
        )


def what_is_held(conn: Connection, author: str, bundle_id: str, sums_sha256: str) -> ReceiptRef:
    """What this vault holds now of the bundle ``bundle_id`` from ``author``, item by item:
    a revision is kept when it is here with everything the bundle carried of it."""
    kept_revisions: list[str] = []
    kept_attachments: list[str] = []
    not_kept: list[tuple[str, str, str]] = []
    rows = conn.execute(
        "SELECT i.item, i.item_key, i.withheld, v.hash IS NOT NULL,"
        " v.sensitive IS NULL AND v.sensitive_names != '[]', a.id IS NOT NULL,"
        " r.purged_at IS NOT NULL"
        " FROM bundle_in_items i"
        " LEFT JOIN revisions v ON i.item = 'revision' AND v.hash = i.item_key"
        " LEFT JOIN attachments a ON i.item = 'attachment' AND a.id = i.item_key"
        " LEFT JOIN records r ON r.id = i.record_id"
        " WHERE i.author_fingerprint = ? AND i.bundle_id = ? ORDER BY i.item, i.item_key",
        (author, bundle_id),
    )
    for item, key, came_withheld, revision_held, held_withheld, *rest in rows:
        attachment_held, purged = rest
        key, gone = str(key), "purged_here" if purged else "not_held"
        if item == "revision":
            if not revision_held:
                not_kept.append(("revision", key, gone))
            elif held_withheld and not came_withheld:
                not_kept.append(("revision", key, "held_without_sensitive"))
            else:
                kept_revisions.append(key)
        elif attachment_held:
            kept_attachments.append(key)
        else:
            not_kept.append(("attachment", key, gone))
    return ReceiptRef(
        bundle_id,
        sums_sha256,
        tuple(sorted(kept_revisions)),
        tuple(sorted(kept_attachments)),
        tuple(sorted(not_kept)),
    )


def _sent_items(conn: Connection, bundle_id: str) -> dict[tuple[str, str], tuple[str, int]]:
    """(item, revision hash or attachment id) -> (item id, revision) of bundle_items."""
    sent: dict[tuple[str, str], tuple[str, int]] = {}
    for item, item_id, number, revision_hash in conn.execute(
        "SELECT i.item, i.item_id, i.revision, v.hash FROM bundle_items i"
        " LEFT JOIN revisions v ON i.item = 'revision' AND v.record_id = i.item_id"
        " AND v.revision = i.revision WHERE i.bundle_id = ?",
        (bundle_id,),
    ):
        key = str(revision_hash) if item == "revision" else str(item_id)
        sent[(str(item), key)] = (str(item_id), int(number))
    return sent


def apply_receipt(vault: UnlockedVault, summary: BundleSummary) -> None:
    """Record a verified signer's receipt (see the module notes), or raise ``BundleRefused``
    with ``receipt_unknown_bundle``, ``receipt_mismatch``, ``receipt_not_recipient`` or
    ``receipt_lists_unsent``."""
    ref = summary.receipt
    assert summary.kind == KIND and ref is not None
    params = {
        "bundle_id": summary.bundle_id,
        "author_fingerprint": summary.author_fingerprint,
        "receipt_for": ref.bundle_id,
    }
    with vault.transaction() as conn:
        row = conn.execute(
            "SELECT sums_sha256, kind FROM bundles_out WHERE bundle_id = ?", (ref.bundle_id,)
        ).fetchone()
        if row is None or str(row[1]) != "records":
            raise BundleRefused("receipt_unknown_bundle", **params)
        if str(row[0]) != ref.sums_sha256:
            raise BundleRefused("receipt_mismatch", **params)
        if not conn.execute(
            "SELECT 1 FROM bundle_recipients WHERE bundle_id = ? AND recipient = ?",
            (ref.bundle_id, summary.author_fingerprint),
        ).fetchone():
            raise BundleRefused("receipt_not_recipient", **params)
        sent = _sent_items(conn, ref.bundle_id)
        listed = [("revision", h) for h in ref.kept_revisions]
        listed += [("attachment", a) for a in ref.kept_attachments]
        listed += [(item, key) for item, key, _ in ref.not_kept]
        if any(pair not in sent for pair in listed):
            # A receipt naming what was never sent would confirm something that does not exist.
            raise BundleRefused("receipt_lists_unsent", **params)
        now = now_iso()
        conn.executemany(
            "INSERT OR IGNORE INTO receipt_items (bundle_id, recipient, item, item_id, revision,"
            " receipt_bundle_id) VALUES (?, ?, ?, ?, ?, ?)",
            [
                (
                    ref.bundle_id,
                    summary.author_fingerprint,
                    item,
                    *sent[(item, key)],
                    summary.bundle_id,
                )
                for item, key in listed[: len(ref.kept_revisions) + len(ref.kept_attachments)]
            ],
        )
        conn.execute(
            "INSERT OR IGNORE INTO bundle_receipts (bundle_id, recipient, receipt_bundle_id,"
            " received_at) VALUES (?, ?, ?, ?)",
            (ref.bundle_id, summary.author_fingerprint, summary.bundle_id, now),
        )
        conn.execute(
            "UPDATE bundles_out SET receipt_at = ? WHERE bundle_id = ? AND receipt_at IS NULL",
            (now, ref.bundle_id),
        )
        record_received(conn, summary, STATUS, now)
        audit.append(
            conn,
            vault.author.author_id,
            "receipt_imported",
            None,
            {
                "bundle_id": summary.bundle_id,
                "receipt_for": ref.bundle_id,
                "author_fingerprint": summary.author_fingerprint,
                "sequence": summary.sequence,
            },
        )
