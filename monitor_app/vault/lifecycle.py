"""Create, unlock, recover and re-key a vault; change its passphrase.

A vault is a directory (0700) holding ``keyslots.json``, ``vault.db`` (SQLCipher 4, raw
256-bit key) and ``blobs/``. Nothing here writes to the vault before the secret has been
proven right and the database has been found intact and of a supported version, so a wrong
passphrase, a damaged file or a vault from a newer app leaves the directory untouched.
"""

from __future__ import annotations

import contextlib
import resource
import secrets
import uuid
from collections.abc import Iterator
from pathlib import Path

from monitor_app.clock import now_iso
from monitor_app.crypto import kdf, recovery_code
from monitor_app.errors import MonitorError, ValidationError, VaultError
from monitor_app.fsutil import make_private_dir, restrict_umask, storage_error
from monitor_app.identity import card
from monitor_app.identity import keys as identity_keys
from monitor_app.records import audit, signing_migration
from monitor_app.vault import database, keyslots, migrations, rekey, slot_keys
from monitor_app.vault.blobstore import BlobStore
from monitor_app.vault.device_secret import DeviceSecretStore, default_store
from monitor_app.vault.session import UnlockedVault

DATA_KEY_LENGTH = 32
MIN_PASSPHRASE_LENGTH = 10
RECOVERY_KDF = kdf.MINIMUM  # the code carries 140 random bits; the KDF is only a speed bump


def check_passphrase(passphrase: str) -> bytes:
    if len(passphrase) < MIN_PASSPHRASE_LENGTH:
        raise VaultError("passphrase_too_short", minimum=MIN_PASSPHRASE_LENGTH)
    return passphrase.encode("utf-8")


def _harden_process() -> None:
    # A core dump of an unlocked process would put keys and records on disk in plaintext.
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    restrict_umask()


def create_vault(
    path: Path,
    passphrase: str,
    *,
    name: str,
    organisation: str | None = None,
    kdf_params: kdf.KdfParams | None = None,
    use_device_secret: bool = False,
    device_store: DeviceSecretStore | None = None,
) -> tuple[UnlockedVault, str]:
    """Make a new vault; returns it unlocked and the recovery code (to show once)."""
    secret = check_passphrase(passphrase)
    name = _author_text(name, "name", required=True) or ""
    organisation = _author_text(organisation, "organisation", required=False)
    _harden_process()
    path = path.expanduser()
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise VaultError("vault_exists", path=str(path))
    params = kdf_params or kdf.calibrate()
    vault_id = str(uuid.uuid4())
    data_key = secrets.token_bytes(DATA_KEY_LENGTH)
    device_secret = None
    if use_device_secret:
        device_secret = (device_store or default_store()).create(vault_id)
    code = recovery_code.generate()
    try:
        make_private_dir(path)
        BlobStore(path).ensure()
        conn = database.connect(path / database.DB_NAME, data_key)
    except OSError as exc:
        raise storage_error(exc, path) from None
    migrations.migrate(conn)
    passphrase_slot, passphrase_kek = keyslots.make_slot(
        "passphrase", vault_id, secret, data_key, params, device_secret
    )
    recovery_slot, recovery_kek = keyslots.make_slot(
        "recovery", vault_id, recovery_code.parse(code), data_key, RECOVERY_KDF
    )
    author_id = str(uuid.uuid4())
    conn.execute("BEGIN IMMEDIATE")
    meta = {
        "vault_id": vault_id,
        "name": name,
        "author_id": author_id,
        "author_name": name,
        "created_at": now_iso(),
    }
    if organisation:
        meta["organisation"] = organisation
    conn.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", list(meta.items()))
    audit.append(conn, author_id, "vault_created", None, {"kdf": params.to_json()})
    identity_keys.store(conn, identity_keys.Identity.generate(), author_id)
    slot_keys.remember(conn, passphrase_slot.slot_id, passphrase_kek)
    slot_keys.remember(conn, recovery_slot.slot_id, recovery_kek)
    conn.execute("COMMIT")
    slots = keyslots.SlotFile(vault_id, 1, [passphrase_slot, recovery_slot])
    # The slot file is written last: until it exists, the directory is not a vault.
    keyslots.write_initial(path, slots)
    return UnlockedVault(path, vault_id, data_key, conn, slots), code


def _author_text(value: str | None, field: str, *, required: bool) -> str | None:
    """The author's name or organisation: what goes on the contact card, so held to its rules
    now rather than refused when the first card is made (leading and trailing space is
    trimmed)."""
    value = value.strip() if isinstance(value, str) else value
    try:
        return card.check_text(value or None, field, required=required)
    except MonitorError as exc:
        reason = _CARD_REASONS.get(str(exc.params.get("reason")), "not_allowed")
        raise ValidationError(
            field=field, reason=reason, maximum=exc.params.get("maximum")
        ) from None


_CARD_REASONS = {
    "missing": "required",
    "empty": "required",
    "too_long": "too_long",
    "control_characters": "control_characters",
    "wrong_type": "wrong_type",
}


def is_vault_dir(path: Path) -> bool:
    """Whether ``path`` holds a vault, or what is left of one (which ``unlock`` explains): the
    check ``_require_vault_dir`` makes, as a question. A folder that cannot be read (a stick
    pulled out, no permission) holds none as far as anyone can tell."""
    names = (keyslots.FILE_NAME, keyslots.NEXT_NAME, keyslots.PREV_NAME, database.DB_NAME)
    try:
        return path.is_dir() and any((path / name).exists() for name in names)
    except OSError:
        return False


def _require_vault_dir(path: Path) -> None:
    if not path.is_dir():
        raise VaultError("vault_not_found", path=str(path))
    names = {keyslots.FILE_NAME, keyslots.NEXT_NAME, keyslots.PREV_NAME, database.DB_NAME}
    if not any((path / n).exists() for n in names):
        raise VaultError("vault_not_found", path=str(path))


def unlock(
    path: Path, passphrase: str, *, device_store: DeviceSecretStore | None = None
) -> UnlockedVault:
    path = path.expanduser()
    _require_vault_dir(path)
    candidates = keyslots.load_candidates(path)
    secret = passphrase.encode("utf-8")
    device_problems: list[MonitorError] = []

    def opened() -> Iterator[_Opened]:
        for source, slot_file in candidates:
            slot = slot_file.slot_of_type("passphrase")
            if slot is None:
                continue
            device_secret = None
            if slot.device_secret:
                try:
                    device_secret = (device_store or default_store()).load(slot_file.vault_id)
                except MonitorError as exc:
                    device_problems.append(exc)
                    continue
            keys = keyslots.open_slot_with_kek(slot, slot_file.vault_id, secret, device_secret)
            if keys is not None:
                yield source, slot_file, slot, *keys

    vault = _open_first(path, opened())
    if vault is not None:
        return vault
    if device_problems:
        raise device_problems[0]
    raise VaultError("wrong_passphrase")


def unlock_with_recovery_code(path: Path, code: str) -> UnlockedVault:
    """Unlock with the recovery code; the caller then sets a new passphrase."""
    path = path.expanduser()
    _require_vault_dir(path)
    secret = recovery_code.parse(code)

    def opened() -> Iterator[_Opened]:
        for source, slot_file in keyslots.load_candidates(path):
            slot = slot_file.slot_of_type("recovery")
            if slot is None:
                continue
            keys = keyslots.open_slot_with_kek(slot, slot_file.vault_id, secret)
            if keys is not None:
                yield source, slot_file, slot, *keys

    vault = _open_first(path, opened())
    if vault is None:
        raise VaultError("wrong_recovery_code")
    return vault


# A slot file whose slot the secret opened: where it came from, the file, the slot, the data
# key and the slot's key-encryption key.
_Opened = tuple[Path, keyslots.SlotFile, keyslots.Slot, bytes, bytes]


def _open_first(path: Path, opened: Iterator[_Opened]) -> UnlockedVault | None:
    """Open the database with the first data key that fits it, or None if no slot opened.

    Two slot files open only after a re-key was interrupted (see rekey.py); the database then
    matches exactly one of them, the old generation or the new one.
    """
    first_error: VaultError | None = None
    for source, slot_file, slot, data_key, kek in opened:
        try:
            return _open(path, source, slot_file, data_key, (slot.slot_id, kek))
        except VaultError as exc:
            if exc.code != "database_damaged" or exc.params.get("reason") is not None:
                raise
            first_error = first_error or exc
    if first_error is not None:
        raise first_error
    return None


def _open(
    path: Path,
    slot_source: Path,
    slots: keyslots.SlotFile,
    data_key: bytes,
    slot_key: tuple[str, bytes] | None = None,
) -> UnlockedVault:
    _harden_process()
    db_path = path / database.DB_NAME
    if not db_path.is_file():
        raise VaultError("database_damaged", reason="missing")
    size = db_path.stat().st_size
    if size == 0 or size % database.PAGE_SIZE:
        raise VaultError("database_damaged", reason="truncated")
    conn = database.connect(db_path, data_key)
    try:
        migrations.check_supported(conn)
        if not database.page_count_matches_file(conn, db_path):
            raise VaultError("database_damaged", reason="truncated")
        row = conn.execute("SELECT value FROM meta WHERE key = 'vault_id'").fetchone()
        if row is None or row[0] != slots.vault_id:
            raise VaultError("database_damaged", reason="vault_id_mismatch")
    except BaseException:
        conn.close()
        raise
    # From here on the vault is known good: writes are allowed.
    try:
        migrations.migrate(conn)
        # A vault from before schema version 2 gets its identity now, recorded in its audit log.
        author = conn.execute("SELECT value FROM meta WHERE key = 'author_id'").fetchone()
        identity_keys.ensure(conn, str(author[0]) if author else "")
        # Revisions written before signatures existed are signed with that identity now.
        signing_migration.sign_unsigned(conn)
        if slot_key is not None and slot_keys.known(conn).get(slot_key[0]) != slot_key[1]:
            slot_keys.remember(conn, *slot_key)
    except BaseException:
        conn.close()
        raise
    keyslots.settle(path, slot_source)
    _remove_rekey_leftover(path)
    vault = UnlockedVault(path, slots.vault_id, data_key, conn, slots)
    referenced = {r[0] for r in conn.execute("SELECT blob_name FROM attachments")}
    vault.blobs.sweep(referenced)
    return vault


def _remove_rekey_leftover(path: Path) -> None:
    """A copy from an interrupted re-key (vault/rekey.py): its key was in a slot file that
    settle has just removed, so it holds nothing anyone can open; it only takes space."""
    with contextlib.suppress(MonitorError):
        rekey.remove_copy(path / rekey.COPY_NAME)


def change_passphrase(
    vault: UnlockedVault,
    new_passphrase: str,
    *,
    kdf_params: kdf.KdfParams | None = None,
    use_device_secret: bool | None = None,
    device_store: DeviceSecretStore | None = None,
) -> None:
    """Re-wrap the data key under a new passphrase; the data is not re-encrypted."""
    secret = check_passphrase(new_passphrase)
    current = vault.slots
    # Every slot carried over into the new file must still open, or the damage would be
    # written out again and the vault's data key re-wrapped around it. The passphrase slot
    # is replaced, so it is not checked: a broken one is what recovery is for.
    carried = [t for t in keyslots.SLOT_TYPES if t != "passphrase"]
    with vault.reading() as conn:
        slot_keys.require_openable(conn, current, vault.data_key(), carried)
    old_slot = current.slot_of_type("passphrase")
    keep_device = bool(old_slot and old_slot.device_secret)
    want_device = keep_device if use_device_secret is None else use_device_secret
    store = device_store or default_store()
    device_secret = None
    if want_device:
        device_secret = store.load(vault.vault_id) if keep_device else store.create(vault.vault_id)
    params = kdf_params or (old_slot.kdf_params if old_slot else kdf.calibrate())
    data_key = vault.data_key()
    new_slot, new_kek = keyslots.make_slot(
        "passphrase", vault.vault_id, secret, data_key, params, device_secret
    )
    new_file = current.with_slot(new_slot)

    def verify(read_back: keyslots.SlotFile) -> bool:
        slot = read_back.slot_of_type("passphrase")
        if slot is None:
            return False
        key = keyslots.open_slot(slot, read_back.vault_id, secret, device_secret)
        return key is not None and secrets.compare_digest(key, data_key)

    with vault.transaction() as conn:
        # Recorded first and committed only if the new slot file is in place and verified.
        audit.append(
            conn,
            vault.author.author_id,
            "passphrase_changed",
            None,
            {"kdf": params.to_json(), "device_secret": device_secret is not None},
        )
        slot_keys.remember(conn, new_slot.slot_id, new_kek)
        slot_keys.keep_only(conn, [s.slot_id for s in new_file.slots])
        keyslots.replace(vault.path, new_file, verify)
    vault.replace_slots(new_file)
    if keep_device and not want_device:
        store.delete(vault.vault_id)
