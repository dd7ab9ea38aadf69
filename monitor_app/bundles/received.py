"""The vault's ledger of bundles it has taken in (``bundles_in``), shared by record bundles
and receipts: one row per bundle, so the same bundle twice is recognised and the author's
sequence numbers show what is missing."""

from __future__ import annotations

from monitor_app.bundles.reading import BundleSummary
from monitor_app.vault.database import Connection

IMPORTED = "imported"  # bundles_in.status of a merged records bundle


def record_received(conn: Connection, summary: BundleSummary, status: str, at: str) -> None:
    """Add the bundle to the ledger; call inside the transaction that applies it."""
    conn.execute(
        "INSERT INTO bundles_in (bundle_id, author_fingerprint, sequence, follows,"
        " sums_sha256, imported_at, status) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            summary.bundle_id,
            summary.author_fingerprint,
            summary.sequence,
            summary.follows,
            summary.sums_sha256,
            at,
            status,
        ),
    )
