"""The unlocked vault's own identity: its fingerprint, public keys and contact card."""

from __future__ import annotations

from typing import TYPE_CHECKING

from monitor_app.errors import VaultError
from monitor_app.identity import keys
from monitor_app.identity.card import ContactCard, make_card

if TYPE_CHECKING:
    from monitor_app.vault.session import UnlockedVault


class OwnIdentity:
    """``vault.identity``. Private keys are read from the database only when asked for."""

    def __init__(self, vault: UnlockedVault) -> None:
        self.vault = vault

    def keys(self) -> keys.Identity:
        """The key pairs, private halves included: for signing and decrypting only."""
        with self.vault.reading() as conn:
            identity = keys.load(conn)
        if identity is None:  # every unlock gives a vault its identity; this is damage
            raise VaultError("database_damaged", reason="identity_missing")
        return identity

    @property
    def fingerprint(self) -> str:
        return self.keys().fingerprint

    @property
    def signing_public_key(self) -> bytes:
        return self.keys().signing_public

    @property
    def encryption_public_key(self) -> bytes:
        return self.keys().encryption_public

    @property
    def created_at(self) -> str:
        return self.keys().created_at

    def contact_card(
        self,
        *,
        name: str | None = None,
        organisation: str | None = None,
        role: str | None = None,
    ) -> ContactCard:
        """This vault's card, self-signed now; name and organisation default to the vault's."""
        author = self.vault.author
        return make_card(
            self.keys(),
            name=author.name if name is None else name,
            organisation=author.organisation if organisation is None else organisation,
            role=role,
        )

    def card(
        self,
        *,
        name: str | None = None,
        organisation: str | None = None,
        role: str | None = None,
    ) -> bytes:
        """The card file to hand to others (see ``monitor_app.identity.card``)."""
        return self.contact_card(name=name, organisation=organisation, role=role).to_bytes()
