"""The vault's own identity: an Ed25519 signing key and an X25519 encryption key.

The private halves exist on disk only as two raw 32-byte values in the ``identity`` table of
the encrypted database (one row). They are never written to files, logs, errors, the audit log
or a ``repr``. The public halves and the fingerprint are derived from them when loaded.

Every vault gets its identity when it is created; a vault from before schema version 2 gets one
the first time it is unlocked (``ensure``), recorded in the audit log like any other change.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from monitor_app.clock import now_iso
from monitor_app.identity import fingerprint as fp
from monitor_app.records import audit
from monitor_app.vault.database import Connection

KEY_LENGTH = 32


def _raw_private(key: Ed25519PrivateKey | X25519PrivateKey) -> bytes:
    return key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())


@dataclass(frozen=True, repr=False, eq=False)
class Identity:
    """A vault's key pairs. Hold it only as long as needed; never log or print it."""

    signing_private: Ed25519PrivateKey
    encryption_private: X25519PrivateKey
    created_at: str
    signing_public: bytes = field(init=False)
    encryption_public: bytes = field(init=False)
    fingerprint: str = field(init=False)

    def __post_init__(self) -> None:
        signing_public = self.signing_private.public_key().public_bytes(
            Encoding.Raw, PublicFormat.Raw
        )
        encryption_public = self.encryption_private.public_key().public_bytes(
            Encoding.Raw, PublicFormat.Raw
        )
        object.__setattr__(self, "signing_public", signing_public)
        object.__setattr__(self, "encryption_public", encryption_public)
        object.__setattr__(self, "fingerprint", fp.compute(signing_public, encryption_public))

    def __repr__(self) -> str:
        return f"<Identity {fp.format_fingerprint(self.fingerprint)}>"

    @classmethod
    def generate(cls) -> Identity:
        """Fresh key pairs from the operating system's randomness (via the library)."""
        return cls(Ed25519PrivateKey.generate(), X25519PrivateKey.generate(), now_iso())

    @classmethod
    def from_private_bytes(
        cls, signing_private: bytes, encryption_private: bytes, created_at: str
    ) -> Identity:
        if len(signing_private) != KEY_LENGTH or len(encryption_private) != KEY_LENGTH:
            raise ValueError("private keys are 32 bytes")
        return cls(
            Ed25519PrivateKey.from_private_bytes(signing_private),
            X25519PrivateKey.from_private_bytes(encryption_private),
            created_at,
        )

    def sign(self, message: bytes) -> bytes:
        """A 64-byte Ed25519 signature of ``message``."""
        return self.signing_private.sign(message)

    def exchange(self, peer_public: bytes) -> bytes:
        """X25519 shared secret with a peer's public key (ValueError on a low-order key)."""
        return self.encryption_private.exchange(X25519PublicKey.from_public_bytes(peer_public))

    def signing_private_bytes(self) -> bytes:
        """Raw 32-byte Ed25519 seed, for the signature format code only; never store or log."""
        return _raw_private(self.signing_private)

    def encryption_private_bytes(self) -> bytes:
        """Raw 32-byte X25519 scalar, for the encryption format code only; never store or log."""
        return _raw_private(self.encryption_private)


def load(conn: Connection) -> Identity | None:
    """The vault's identity, or None in a vault that has none yet."""
    row = conn.execute(
        "SELECT signing_private_key, encryption_private_key, created_at FROM identity WHERE id = 1"
    ).fetchone()
    if row is None:
        return None
    return Identity.from_private_bytes(bytes(row[0]), bytes(row[1]), str(row[2]))


def store(conn: Connection, identity: Identity, actor: str) -> None:
    """Write the vault's identity; must run inside the transaction that records it."""
    assert conn.in_transaction, "the identity is written in its change's own transaction"
    conn.execute(
        "INSERT INTO identity (id, signing_private_key, encryption_private_key, created_at)"
        " VALUES (1, ?, ?, ?)",
        (
            identity.signing_private_bytes(),
            identity.encryption_private_bytes(),
            identity.created_at,
        ),
    )
    audit.append(conn, actor, "identity_created", None, {"fingerprint": identity.fingerprint})


def ensure(conn: Connection, actor: str) -> bool:
    """Give the vault an identity if it has none (a vault from before schema version 2).

    Returns True when one was created. Runs its own transaction.
    """
    if conn.execute("SELECT 1 FROM identity WHERE id = 1").fetchone():
        return False
    conn.execute("BEGIN IMMEDIATE")
    try:
        created = conn.execute("SELECT 1 FROM identity WHERE id = 1").fetchone() is None
        if created:
            store(conn, Identity.generate(), actor)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return created
