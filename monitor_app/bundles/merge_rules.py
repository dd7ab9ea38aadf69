"""How an incoming revision meets what this vault holds: one set of rules for the import and
for its preview (bundles/importing.py merges, bundles/ledger.py only counts), so that the
summary shown before merging is what merging does.

- A record the vault does not have is added with all its revisions.
- A record purged here takes nothing back: the coalition holds it (``RecordState.purged``).
- A revision number the vault holds is compared (``compare``): the same content is held
  already, even when one side lacks the sensitive fields the person's consent kept back;
  the same public content arriving with sensitive fields the stored one lacks fills them in;
  anything else is a conflict, kept aside for review. Device clocks order nothing.
- A revision number the vault lacks is added; if it is above the record's current revision
  it becomes the current one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from monitor_app.bundles.reading import IncomingRevision
from monitor_app.vault.database import Connection

Comparison = Literal["held", "fill_sensitive", "conflict"]


@dataclass(frozen=True)
class RecordState:
    type: str
    current_revision: int
    deleted: bool
    purged: bool


def record_state(conn: Connection, record_id: str) -> RecordState | None:
    row = conn.execute(
        "SELECT type, current_revision, deleted_at, purged_at FROM records WHERE id = ?",
        (record_id,),
    ).fetchone()
    if row is None:
        return None
    return RecordState(str(row[0]), int(row[1]), row[2] is not None, row[3] is not None)


def stored_revision(conn: Connection, incoming: IncomingRevision) -> Any:
    """The vault's row (fields, sensitive, created_at, author) of the same revision, or None."""
    return conn.execute(
        "SELECT fields, sensitive, created_at, author FROM revisions"
        " WHERE record_id = ? AND revision = ?",
        (incoming.record_id, incoming.revision),
    ).fetchone()


def compare(stored: Any, incoming: IncomingRevision) -> Comparison:
    """``stored`` is what ``stored_revision`` found for ``incoming``."""
    same_public = (
        json.loads(stored[0]) == incoming.valid.public
        and stored[2] == incoming.created_at
        and stored[3] == incoming.author
    )
    stored_sensitive = json.loads(stored[1]) if stored[1] else None
    incoming_sensitive = incoming.valid.sensitive or None
    if same_public and (incoming_sensitive is None or stored_sensitive == incoming_sensitive):
        return "held"
    if same_public and stored_sensitive is None:
        return "fill_sensitive"
    return "conflict"
