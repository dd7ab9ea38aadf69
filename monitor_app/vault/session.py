"""The unlocked vault: the one object that holds the data key and the open database.

Locking closes the database and drops every reference this object holds to key material (the
key buffer is overwritten first, as far as Python allows). Everything that reads or writes the
vault goes through this object, so "locked" means the same thing everywhere.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from monitor_app.errors import VaultError
from monitor_app.vault import slot_keys
from monitor_app.vault.blobstore import BlobStore
from monitor_app.vault.database import Connection
from monitor_app.vault.keyslots import SlotFile

if TYPE_CHECKING:
    from monitor_app.identity.contacts import ContactStore
    from monitor_app.identity.own import OwnIdentity
    from monitor_app.records.attachments import AttachmentStore
    from monitor_app.records.dossiers import DossierStore
    from monitor_app.records.drafts import DraftStore
    from monitor_app.records.saved_searches import SavedSearchStore
    from monitor_app.records.store import RecordStore


@dataclass(frozen=True)
class Author:
    author_id: str
    name: str
    organisation: str | None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.author_id, "name": self.name, "organisation": self.organisation}


class UnlockedVault:
    def __init__(
        self, path: Path, vault_id: str, data_key: bytes, conn: Connection, slots: SlotFile
    ) -> None:
        self.path = path
        self.vault_id = vault_id
        self._data_key: bytearray | None = bytearray(data_key)
        self._conn: Connection | None = conn
        self._slots: SlotFile | None = slots
        self._lock = threading.RLock()
        self.blobs = BlobStore(path)
        self._author: Author | None = None
        self._name: str | None = None
        # Read now, before any background job can hold the vault: a window shows them at once.
        _ = self.name, self.author

    # -- state -----------------------------------------------------------------------------
    @property
    def is_locked(self) -> bool:
        return self._conn is None

    @property
    def conn(self) -> Connection:
        if self._conn is None:
            raise VaultError("vault_locked")
        return self._conn

    def data_key(self) -> bytes:
        if self._data_key is None:
            raise VaultError("vault_locked")
        return bytes(self._data_key)

    @property
    def slots(self) -> SlotFile:
        if self._slots is None:
            raise VaultError("vault_locked")
        return self._slots

    def key_slot_warnings(self) -> list[VaultError]:
        """What would keep the recovery code from unlocking this vault, checked now against
        the recovery slot's stored key: ``recovery_slot_damaged`` (slot type and id; id None
        when the slot file has none). Empty when it would work or cannot be checked (see
        slot_keys.unopenable). The passphrase slot is not checked: a passphrase unlock has
        just proven it, and after a recovery unlock it is about to be replaced."""
        with self.reading() as conn:
            found = slot_keys.unopenable(conn, self.slots, self.data_key(), ["recovery"])
        return [
            VaultError("recovery_slot_damaged", slot_type=slot_type, slot_id=slot_id)
            for slot_type, slot_id in found
        ]

    def replace_slots(self, slots: SlotFile) -> None:
        self._slots = slots

    def replace_database(self, data_key: bytes, conn: Connection, slots: SlotFile) -> None:
        """After a re-key (vault/rekey.py): the database reopened under its new key."""
        with self._lock:
            if self._data_key is not None:
                for index in range(len(self._data_key)):
                    self._data_key[index] = 0
            self._data_key = bytearray(data_key)
            self._conn = conn
            self._slots = slots

    def lock(self) -> None:
        with self._lock:
            if self._conn is not None:
                # SQLCipher wipes every cached page (up to 64 MiB) when the database closes,
                # and the driver holds the GIL through close(), freezing every other thread
                # (the GUI's too) for a third of a second. A statement lets go of the GIL:
                # wiping the cache with shrink_memory first leaves little for close() to do.
                with contextlib.suppress(Exception):
                    self._conn.execute("PRAGMA shrink_memory")
                with contextlib.suppress(Exception):
                    self._conn.close()
            self._conn = None
            if self._data_key is not None:
                for index in range(len(self._data_key)):
                    self._data_key[index] = 0
            self._data_key = None
            self._slots = None
            self._author = None
            self._name = None

    def __enter__(self) -> UnlockedVault:
        return self

    def __exit__(self, *exc: object) -> None:
        self.lock()

    def __repr__(self) -> str:
        state = "locked" if self.is_locked else "unlocked"
        return f"<UnlockedVault {self.vault_id} {state}>"

    # -- transactions ----------------------------------------------------------------------
    @contextlib.contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One logical change: everything inside commits together or not at all."""
        with self._lock:
            conn = self.conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                with contextlib.suppress(Exception):
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    @contextlib.contextmanager
    def reading(self) -> Iterator[Connection]:
        with self._lock:
            yield self.conn

    # -- identity and services -------------------------------------------------------------
    def meta(self, key: str) -> str | None:
        with self.reading() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    @property
    def name(self) -> str:
        """The vault's name, as given when it was created (never changed): read once, so that
        the GUI thread never waits for the vault behind a long background read to show it."""
        if self._name is None:
            self._name = self.meta("name") or ""
        return self._name

    @property
    def author(self) -> Author:
        if self._author is None:
            self._author = Author(
                author_id=self.meta("author_id") or "",
                name=self.meta("author_name") or "",
                organisation=self.meta("organisation"),
            )
        return self._author

    @property
    def records(self) -> RecordStore:
        from monitor_app.records.store import RecordStore

        return RecordStore(self)

    @property
    def attachments(self) -> AttachmentStore:
        from monitor_app.records.attachments import AttachmentStore

        return AttachmentStore(self)

    @property
    def saved_searches(self) -> SavedSearchStore:
        from monitor_app.records.saved_searches import SavedSearchStore

        return SavedSearchStore(self)

    @property
    def dossiers(self) -> DossierStore:
        from monitor_app.records.dossiers import DossierStore

        return DossierStore(self)

    @property
    def drafts(self) -> DraftStore:
        from monitor_app.records.drafts import DraftStore

        return DraftStore(self)

    @property
    def identity(self) -> OwnIdentity:
        from monitor_app.identity.own import OwnIdentity

        return OwnIdentity(self)

    @property
    def contacts(self) -> ContactStore:
        from monitor_app.identity.contacts import ContactStore

        return ContactStore(self)
