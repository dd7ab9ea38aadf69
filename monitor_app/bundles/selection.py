"""What an export hands over: record revisions and attachments not yet handed to every one of
the chosen recipients, with person data redacted according to recorded consent.

Consent is read from each person's current revision and applied to every revision sent: a
withdrawal of consent also covers what was recorded before it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from monitor_app.bundles.manifest import AttachmentEntry
from monitor_app.records.store import stored_revision
from monitor_app.vault.database import Connection

# The use a person must have consented to for identifying fields to leave the vault.
SHARE_USE = "share_with_coalition"
CONSENT_GIVEN = "given"


@dataclass(frozen=True)
class RevisionRef:
    record_id: str
    revision: int


@dataclass(frozen=True)
class Selection:
    revisions: tuple[RevisionRef, ...]
    attachments: tuple[AttachmentEntry, ...]
    redacted_people: tuple[str, ...]  # person ids whose identifying fields stay behind

    @property
    def empty(self) -> bool:
        return not self.revisions and not self.attachments


def _handed_to_all(conn: Connection, item: str, recipients: Sequence[str]) -> set[tuple[str, int]]:
    """Items every recipient already received."""
    common: set[tuple[str, int]] | None = None
    for recipient in recipients:
        rows = conn.execute(
            "SELECT i.item_id, i.revision FROM bundle_items i"
            " JOIN bundle_recipients r ON r.bundle_id = i.bundle_id"
            " WHERE r.recipient = ? AND i.item = ?",
            (recipient, item),
        )
        got = {(str(row[0]), int(row[1])) for row in rows}
        common = got if common is None else common & got
    return common or set()


def _record_filter(record_ids: Sequence[str] | None) -> tuple[str, list[Any]]:
    if record_ids is None:
        return "", []
    return f" AND r.id IN ({','.join('?' * len(record_ids))})", list(record_ids)


def select(
    conn: Connection, recipients: Sequence[str], record_ids: Sequence[str] | None = None
) -> Selection:
    """Live records (all, or ``record_ids``) and their attachments, less what every recipient
    already holds. Call inside one read of the vault."""
    where, params = _record_filter(record_ids)
    sent = _handed_to_all(conn, "revision", recipients)
    revisions = tuple(
        RevisionRef(str(row[0]), int(row[1]))
        for row in conn.execute(
            "SELECT v.record_id, v.revision FROM revisions v JOIN records r ON r.id = v.record_id"
            # Revisions received before signatures existed are not sent on: nobody could
            # tell who wrote them.
            f" WHERE r.deleted_at IS NULL AND v.signature IS NOT NULL{where}"
            " ORDER BY v.record_id, v.revision",
            params,
        )
        if (str(row[0]), int(row[1])) not in sent
    )
    sent_attachments = _handed_to_all(conn, "attachment", recipients)
    attachments = tuple(
        AttachmentEntry(*row)
        for row in conn.execute(
            "SELECT a.id, a.record_id, a.sha256, a.size, a.original_name, a.media_type,"
            " a.added_at, a.caption FROM attachments a JOIN records r ON r.id = a.record_id"
            f" WHERE a.deleted_at IS NULL AND r.deleted_at IS NULL{where} ORDER BY a.id",
            params,
        )
        if (str(row[0]), 0) not in sent_attachments
    )
    return Selection(revisions, attachments, tuple(sorted(_people_without_consent(conn))))


def _people_without_consent(conn: Connection) -> set[str]:
    rows = conn.execute(
        "SELECT v.record_id, v.fields FROM revisions v JOIN records r"
        " ON r.id = v.record_id AND r.current_revision = v.revision WHERE r.type = 'person'"
    )
    withheld = set()
    for record_id, fields_json in rows:
        consent = json.loads(fields_json).get("consent") or {}
        if consent.get(SHARE_USE) != CONSENT_GIVEN:
            withheld.add(str(record_id))
    return withheld


def withheld_revisions(conn: Connection, chosen: Selection) -> set[RevisionRef]:
    """The chosen revisions that went out without sensitive fields they hold (purge keeps
    those records: what was withheld exists nowhere else)."""
    people = set(chosen.redacted_people)
    return {
        ref
        for ref in chosen.revisions
        if ref.record_id in people
        and conn.execute(
            "SELECT 1 FROM revisions WHERE record_id = ? AND revision = ?"
            " AND sensitive IS NOT NULL AND sensitive NOT IN ('', '{}')",
            (ref.record_id, ref.revision),
        ).fetchone()
    }


def record_lines(
    conn: Connection, revisions: Sequence[RevisionRef], redacted_people: Sequence[str]
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each selected revision's hash and the object that becomes its line in records.jsonl:
    the body as its author signed it, the signature, and the sensitive fields with their
    salt only where the person consented to sharing them."""
    withheld = set(redacted_people)
    for ref in revisions:
        revision = stored_revision(conn, ref.record_id, ref.revision)
        assert revision.signature is not None  # select() leaves unsigned revisions out
        line: dict[str, Any] = {
            "signed": revision.body.decode("utf-8"),
            "signature": revision.signature.hex(),
        }
        if revision.sensitive is not None and ref.record_id not in withheld:
            assert revision.salt is not None
            line["sensitive"] = revision.sensitive
            line["sensitive_salt"] = revision.salt.hex()
        yield revision.hash, line
