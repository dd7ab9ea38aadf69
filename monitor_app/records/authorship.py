"""Who wrote a revision and who brought it, in words a reader can trust.

Names and fingerprints come from this vault's own contact list, looked up by the key that
signed the revision (or by the fingerprint of the bundle's signer), never from anything a
bundle says about itself. A key that no verified contact holds is shown as unverified.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from monitor_app.i18n import _
from monitor_app.identity import keys
from monitor_app.identity.fingerprint import format_fingerprint
from monitor_app.vault.database import Connection

Status = Literal["own", "verified", "unverified", "unsigned"]


@dataclass(frozen=True)
class Party:
    status: Status
    fingerprint: str | None  # of the stored contact; None for this vault or an unknown key
    name: str | None  # from the stored contact
    key: str | None  # hex of the Ed25519 key that signed (None: unsigned)

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "fingerprint": self.fingerprint,
            "name": self.name,
            "key": self.key,
        }


class Directory:
    """Lookups of keys and fingerprints against this vault's identity and contacts, cached
    for one reading."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        identity = keys.load(conn)
        self._own = None if identity is None else identity.signing_public
        self._cache: dict[bytes, Party] = {}

    def author(self, key: bytes | None) -> Party:
        if key is None:
            return Party("unsigned", None, None, None)
        key = bytes(key)
        if key == self._own:
            return Party("own", None, None, key.hex())
        if key not in self._cache:
            row = self._conn.execute(
                "SELECT fingerprint, name, verified_at FROM contacts WHERE signing_public_key = ?",
                (key,),
            ).fetchone()
            if row is None:
                self._cache[key] = Party("unverified", None, None, key.hex())
            else:
                status: Status = "verified" if row[2] is not None else "unverified"
                self._cache[key] = Party(status, str(row[0]), str(row[1]), key.hex())
        return self._cache[key]

    def bringer(self, fingerprint: str | None) -> Party | None:
        """The signer of the bundle that brought a revision (None: written here)."""
        if fingerprint is None:
            return None
        row = self._conn.execute(
            "SELECT signing_public_key FROM contacts WHERE fingerprint = ?", (fingerprint,)
        ).fetchone()
        if row is None:
            return Party("unverified", fingerprint, None, None)
        party = self.author(bytes(row[0]))
        return Party(party.status, fingerprint, party.name, party.key)


def party_text(party: Party | None) -> str:
    """A party in words, for the CLI and the GUI: never a name the bundle gave itself."""
    if party is None or party.status == "own":
        return _("this vault")
    if party.status == "unsigned":
        return _("unknown: received before revisions were signed")
    if party.name is not None and party.fingerprint is not None:
        who = f"{party.name} ({format_fingerprint(party.fingerprint)})"
        if party.status == "verified":
            return who
        return _("{who}, NOT VERIFIED").format(who=who)
    if party.key is not None:
        return _("an unknown key {key}, NOT VERIFIED").format(key=party.key[:16])
    return _("an unknown contact {fingerprint}, NOT VERIFIED").format(
        fingerprint=format_fingerprint(party.fingerprint or "")
    )
