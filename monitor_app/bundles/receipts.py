"""Receipts: the recipient of a bundle confirms, to its author, that it imported it.

A receipt is a bundle of kind ``receipt`` (docs/bundle-format.md): the same signed, padded,
age-encrypted tar as a records bundle, with an empty ``records.jsonl``, no attachments, and a
manifest ``receipt`` naming the bundle received and the SHA-256 of its ``SHA256SUMS``. It is
encrypted to the author only, who must be a verified contact.

On the author's side, importing a receipt (through ``importing.import_bundle``) checks that it
names a bundle this vault sent, with the same checksums, to the receipt's signer; then records
which recipient confirmed it and sets ``bundles_out.receipt_at``, in one transaction with its
audit entry. The receipt itself is kept in ``bundles_in`` (status ``receipt``) so the same
receipt twice changes nothing and the signer's sequence numbers stay without gaps.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from monitor_app.bundles import export, selection
from monitor_app.bundles.reading import BundleRefused, BundleSummary
from monitor_app.bundles.received import IMPORTED, record_received
from monitor_app.clock import now_iso
from monitor_app.errors import MonitorError
from monitor_app.jobs import CancelToken, Progress
from monitor_app.records import audit

if TYPE_CHECKING:
    from monitor_app.identity.contacts import Contact
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
    file_name: str | None = None,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> ReceiptResult:
    """Write a receipt for the imported bundle ``bundle_id`` into the folder ``destination``,
    encrypted to that bundle's author, and record it as an outgoing bundle."""
    with vault.reading() as conn:
        row = conn.execute(
            "SELECT author_fingerprint, sums_sha256 FROM bundles_in"
            " WHERE bundle_id = ? AND status = ?",
            (bundle_id, IMPORTED),
        ).fetchone()
    if row is None:
        raise MonitorError("receipt_bundle_unknown", bundle_id=bundle_id)
    author, sums_sha256 = str(row[0]), str(row[1])
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
        receipt={"bundle_id": bundle_id, "sums_sha256": sums_sha256},
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


def apply_receipt(vault: UnlockedVault, summary: BundleSummary) -> None:
    """Record a verified signer's receipt (see the module notes), or raise ``BundleRefused``
    with ``receipt_unknown_bundle``, ``receipt_mismatch`` or ``receipt_not_recipient``."""
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
        now = now_iso()
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
