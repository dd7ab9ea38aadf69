"""Contacts: other vaults' cards, checked by fingerprint, some chosen to receive handoffs.

A contact is identified by its signing key. Adding a card:

- of an unknown signing key makes a new contact (even under a name already used);
- identical in content to the stored card (whatever its time) changes nothing;
- of a known signing key with other details, and made after the stored card, updates the
  contact. The contact stays verified only if both keys are unchanged; a new encryption key
  (a new fingerprint) must be verified again and is no longer a handoff recipient. An older
  card that differs is refused (``card_outdated``), so a replayed card cannot roll a contact
  back.

Only verified contacts can be handoff recipients. Every change is one transaction together with
its audit entry; audit details carry fingerprints, never names.
"""

from __future__ import annotations

import base64
import builtins
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from monitor_app.clock import now_iso
from monitor_app.errors import ContactError
from monitor_app.identity import fingerprint as fp
from monitor_app.identity import keys
from monitor_app.identity.card import ContactCard, parse_card
from monitor_app.records import audit
from monitor_app.vault.database import Connection

if TYPE_CHECKING:
    from monitor_app.vault.session import UnlockedVault

_COLUMNS = (
    "fingerprint, name, organisation, role, signing_public_key, encryption_public_key,"
    " verified_at, added_at, updated_at, card_created_at, handoff_recipient, custodian"
)


@dataclass(frozen=True)
class Contact:
    fingerprint: str  # canonical: 32 digits
    name: str
    organisation: str | None
    role: str | None
    signing_public_key: bytes
    encryption_public_key: bytes
    verified_at: str | None
    added_at: str
    updated_at: str
    card_created_at: str
    handoff_recipient: bool
    # Holds this vault's records for good (the hub, an archive): only a custodian's receipt
    # lets a purge drop what was handed off.
    custodian: bool = False

    @property
    def verified(self) -> bool:
        return self.verified_at is not None

    @property
    def fingerprint_display(self) -> str:
        return fp.format_fingerprint(self.fingerprint)

    def to_json(self) -> dict[str, Any]:
        return {
            "fingerprint": self.fingerprint,
            "fingerprint_display": self.fingerprint_display,
            "name": self.name,
            "organisation": self.organisation,
            "role": self.role,
            "signing_public_key": base64.b64encode(self.signing_public_key).decode("ascii"),
            "encryption_public_key": base64.b64encode(self.encryption_public_key).decode("ascii"),
            "verified": self.verified,
            "verified_at": self.verified_at,
            "added_at": self.added_at,
            "updated_at": self.updated_at,
            "card_created_at": self.card_created_at,
            "handoff_recipient": self.handoff_recipient,
            "custodian": self.custodian,
        }


def _contact(row: Any) -> Contact:
    return Contact(
        fingerprint=row[0],
        name=row[1],
        organisation=row[2],
        role=row[3],
        signing_public_key=bytes(row[4]),
        encryption_public_key=bytes(row[5]),
        verified_at=row[6],
        added_at=row[7],
        updated_at=row[8],
        card_created_at=row[9],
        handoff_recipient=bool(row[10]),
        custodian=bool(row[11]),
    )


def _name_key(name: str) -> str:
    return unicodedata.normalize("NFC", name).strip().casefold()


class ContactStore:
    """``vault.contacts``."""

    def __init__(self, vault: UnlockedVault) -> None:
        self.vault = vault

    # -- writing ---------------------------------------------------------------------------
    def add(self, card_bytes: bytes, verified: bool = False) -> Contact:
        """Add or update a contact from a card file (see the module notes)."""
        card = parse_card(card_bytes)
        actor = self.vault.author.author_id
        with self.vault.transaction() as conn:
            own = keys.load(conn)
            if own is not None and (
                card.signing_public_key == own.signing_public
                or card.encryption_public_key == own.encryption_public
            ):
                raise ContactError("contact_is_self")
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM contacts WHERE signing_public_key = ?",
                (card.signing_public_key,),
            ).fetchone()
            if row is None:
                self._insert(conn, actor, card, verified)
            else:
                self._update(conn, actor, _contact(row), card, verified)
            return self._one(conn, card.signing_public_key)

    def _insert(self, conn: Connection, actor: str, card: ContactCard, verified: bool) -> None:
        stamp = now_iso()
        conn.execute(
            "INSERT INTO contacts (fingerprint, name, organisation, role, signing_public_key,"
            " encryption_public_key, card, card_created_at, added_at, updated_at, verified_at,"
            " handoff_recipient) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
            (
                card.fingerprint,
                card.name,
                card.organisation,
                card.role,
                card.signing_public_key,
                card.encryption_public_key,
                card.to_bytes(),
                card.created_at,
                stamp,
                stamp,
                stamp if verified else None,
            ),
        )
        audit.append(
            conn,
            actor,
            "contact_added",
            None,
            {"fingerprint": card.fingerprint, "verified": verified},
        )

    def _update(
        self, conn: Connection, actor: str, stored: Contact, card: ContactCard, verified: bool
    ) -> None:
        same = (
            card.name == stored.name
            and card.organisation == stored.organisation
            and card.role == stored.role
            and card.encryption_public_key == stored.encryption_public_key
        )
        if same:
            if verified and not stored.verified:
                self._mark_verified(conn, actor, stored)
            return
        if datetime.fromisoformat(card.created_at) <= datetime.fromisoformat(
            stored.card_created_at
        ):
            raise ContactError("card_outdated")
        keys_changed = card.encryption_public_key != stored.encryption_public_key
        stamp = now_iso()
        keep_verified = stored.verified_at if not keys_changed else None
        if verified and keep_verified is None:
            keep_verified = stamp
        conn.execute(
            "UPDATE contacts SET fingerprint = ?, name = ?, organisation = ?, role = ?,"
            " encryption_public_key = ?, card = ?, card_created_at = ?, updated_at = ?,"
            " verified_at = ?, handoff_recipient = ? WHERE signing_public_key = ?",
            (
                card.fingerprint,
                card.name,
                card.organisation,
                card.role,
                card.encryption_public_key,
                card.to_bytes(),
                card.created_at,
                stamp,
                keep_verified,
                0 if keys_changed else int(stored.handoff_recipient),
                card.signing_public_key,
            ),
        )
        details: dict[str, Any] = {
            "fingerprint": card.fingerprint,
            "keys_changed": keys_changed,
            "verified": keep_verified is not None,
        }
        if keys_changed:
            details["previous_fingerprint"] = stored.fingerprint
        audit.append(conn, actor, "contact_updated", None, details)

    def _mark_verified(self, conn: Connection, actor: str, contact: Contact) -> None:
        conn.execute(
            "UPDATE contacts SET verified_at = ? WHERE signing_public_key = ?",
            (now_iso(), contact.signing_public_key),
        )
        audit.append(conn, actor, "contact_verified", None, {"fingerprint": contact.fingerprint})

    def verify(self, fingerprint: str) -> Contact:
        """Mark the contact with this fingerprint verified (compared aloud, in person)."""
        canonical = fp.parse(fingerprint)
        actor = self.vault.author.author_id
        with self.vault.transaction() as conn:
            contact = self._by_fingerprint(conn, canonical)
            if not contact.verified:
                self._mark_verified(conn, actor, contact)
            return self._by_fingerprint(conn, canonical)

    def set_handoff_recipient(self, fingerprint: str, recipient: bool) -> Contact:
        """Choose (or stop choosing) a verified contact to receive handoff bundles."""
        canonical = fp.parse(fingerprint)
        actor = self.vault.author.author_id
        with self.vault.transaction() as conn:
            contact = self._by_fingerprint(conn, canonical)
            if recipient and not contact.verified:
                raise ContactError("contact_not_verified")
            if contact.handoff_recipient != recipient:
                conn.execute(
                    "UPDATE contacts SET handoff_recipient = ? WHERE signing_public_key = ?",
                    (int(recipient), contact.signing_public_key),
                )
                audit.append(
                    conn,
                    actor,
                    "contact_handoff_recipient_set",
                    None,
                    {"fingerprint": canonical, "handoff_recipient": recipient},
                )
            return self._by_fingerprint(conn, canonical)

    def set_custodian(self, fingerprint: str, custodian: bool) -> Contact:
        """Mark (or stop marking) a verified contact as a custodian of this vault's records:
        its receipts, and only those of custodians, let a purge drop what it holds."""
        canonical = fp.parse(fingerprint)
        actor = self.vault.author.author_id
        with self.vault.transaction() as conn:
            contact = self._by_fingerprint(conn, canonical)
            if custodian and not contact.verified:
                raise ContactError("contact_not_verified")
            if contact.custodian != custodian:
                conn.execute(
                    "UPDATE contacts SET custodian = ? WHERE signing_public_key = ?",
                    (int(custodian), contact.signing_public_key),
                )
                audit.append(
                    conn,
                    actor,
                    "contact_custodian_set",
                    None,
                    {"fingerprint": canonical, "custodian": custodian},
                )
            return self._by_fingerprint(conn, canonical)

    def remove(self, fingerprint: str) -> None:
        canonical = fp.parse(fingerprint)
        actor = self.vault.author.author_id
        with self.vault.transaction() as conn:
            contact = self._by_fingerprint(conn, canonical)
            conn.execute(
                "DELETE FROM contacts WHERE signing_public_key = ?", (contact.signing_public_key,)
            )
            audit.append(conn, actor, "contact_removed", None, {"fingerprint": canonical})

    # -- reading ---------------------------------------------------------------------------
    def list(self) -> list[Contact]:
        with self.vault.reading() as conn:
            rows = conn.execute(f"SELECT {_COLUMNS} FROM contacts").fetchall()
        contacts = [_contact(row) for row in rows]
        return sorted(contacts, key=lambda c: (_name_key(c.name), c.fingerprint))

    def handoff_recipients(self) -> builtins.list[Contact]:
        return [c for c in self.list() if c.handoff_recipient]

    def get(self, fingerprint_or_name: str) -> Contact:
        """The contact with this fingerprint, or else the only one with this name."""
        canonical = fp.try_parse(fingerprint_or_name)
        with self.vault.reading() as conn:
            if canonical is not None:
                return self._by_fingerprint(conn, canonical)
        if not isinstance(fingerprint_or_name, str):
            raise ContactError("contact_unknown")
        wanted = _name_key(fingerprint_or_name)
        matches = [c for c in self.list() if _name_key(c.name) == wanted]
        if not matches:
            raise ContactError("contact_unknown")
        if len(matches) > 1:
            raise ContactError("contact_ambiguous", count=len(matches))
        return matches[0]

    def by_signing_key(self, signing_public_key: bytes) -> Contact | None:
        """The contact holding this Ed25519 key, e.g. to check who signed a bundle."""
        with self.vault.reading() as conn:
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM contacts WHERE signing_public_key = ?",
                (bytes(signing_public_key),),
            ).fetchone()
        return None if row is None else _contact(row)

    def card(self, fingerprint: str) -> bytes:
        """The contact's card as it was added, e.g. to pass it on."""
        canonical = fp.parse(fingerprint)
        with self.vault.reading() as conn:
            contact = self._by_fingerprint(conn, canonical)
            row = conn.execute(
                "SELECT card FROM contacts WHERE signing_public_key = ?",
                (contact.signing_public_key,),
            ).fetchone()
        return bytes(row[0])

    # -- helpers ---------------------------------------------------------------------------
    def _by_fingerprint(self, conn: Connection, canonical: str) -> Contact:
        rows = conn.execute(
            f"SELECT {_COLUMNS} FROM contacts WHERE fingerprint = ?", (canonical,)
        ).fetchall()
        if not rows:
            raise ContactError("contact_unknown")
        if len(rows) > 1:  # only a deliberate collision of the 106-bit code gets here
            raise ContactError("contact_ambiguous", count=len(rows))
        return _contact(rows[0])

    def _one(self, conn: Connection, signing_public_key: bytes) -> Contact:
        row = conn.execute(
            f"SELECT {_COLUMNS} FROM contacts WHERE signing_public_key = ?",
            (signing_public_key,),
        ).fetchone()
        return _contact(row)
