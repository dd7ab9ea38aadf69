"""Vault lifecycle: create, lock, unlock, recover; on-disk privacy; refusals that change nothing."""

from __future__ import annotations

import io
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor_app.crypto import recovery_code as rc
from monitor_app.errors import MonitorError, VaultError
from monitor_app.vault import database, keyslots, lifecycle, migrations
from monitor_app.vault.session import UnlockedVault
from tests.conftest import PASSPHRASE
from tests.vault_checks import assert_refused_unchanged, snapshot

MARKER = "Маркер-открытого-текста-7f3a"


def locked_vault_with_data(vault: UnlockedVault) -> Path:
    place = vault.records.add("place", {"name": MARKER, "place_type": "police_station"})
    vault.attachments.add_stream(
        place.record_id, io.BytesIO(b"photo bytes " * 100), original_name="cell.jpg"
    )
    path = vault.path
    vault.lock()
    return path


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """One locked vault with a record and an attachment; tests work on copies of it."""
    path = tmp_path_factory.mktemp("template") / "vault"
    vault, code = lifecycle.create_vault(path, PASSPHRASE, name="Template")
    vault.records.add_many(
        "place",
        [{"name": f"Place {i}", "place_type": "other", "notes": "n" * 3000} for i in range(40)],
    )
    locked_vault_with_data(vault)
    yield path, code


@pytest.fixture
def copied(template: tuple[Path, str], tmp_path: Path) -> tuple[Path, str]:
    """A private copy of the locked template vault (modes preserved) and its recovery code."""
    source, code = template
    target = tmp_path / "copy"
    shutil.copytree(source, target)
    return target, code


@pytest.fixture(scope="module")
def other_code(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The recovery code of another vault."""
    other, code = lifecycle.create_vault(
        tmp_path_factory.mktemp("other") / "vault", PASSPHRASE, name="Other"
    )
    other.lock()
    return code


# -- round trips -------------------------------------------------------------------------------


def test_create_lock_unlock_round_trip(vault_dir: Path) -> None:
    vault, code = lifecycle.create_vault(vault_dir, PASSPHRASE, name="Aida K.", organisation="Org")
    place = vault.records.add(
        "place", {"name": "СИЗО-1", "place_type": "pretrial_detention_centre"}
    )
    vault_id = vault.vault_id
    vault.lock()
    assert vault.is_locked

    again = lifecycle.unlock(vault_dir, PASSPHRASE)
    try:
        assert again.vault_id == vault_id
        assert again.records.get(place.record_id).fields["name"] == "СИЗО-1"
        assert again.author.name == "Aida K."
        assert again.author.organisation == "Org"
        assert again.meta("vault_id") == vault_id
    finally:
        again.lock()

    recovered = lifecycle.unlock_with_recovery_code(vault_dir, code)
    try:
        assert recovered.records.get(place.record_id).fields["name"] == "СИЗО-1"
    finally:
        recovered.lock()


def test_unlock_as_context_manager_locks_on_exit(created_vault: tuple[UnlockedVault, str]) -> None:
    vault, _ = created_vault
    path = vault.path
    vault.lock()
    with lifecycle.unlock(path, PASSPHRASE) as opened:
        assert not opened.is_locked
    assert opened.is_locked


def test_directory_is_0700_and_every_file_0600(vault: UnlockedVault) -> None:
    place = vault.records.add("place", {"name": "ИВС", "place_type": "police_station"})
    vault.attachments.add_stream(place.record_id, io.BytesIO(b"x" * 5000), original_name="a.png")
    path = vault.path

    def check() -> int:
        assert stat.S_IMODE(path.stat().st_mode) == 0o700
        files = 0
        for entry in path.rglob("*"):
            mode = stat.S_IMODE(entry.stat().st_mode)
            if entry.is_dir():
                assert mode == 0o700, entry
            else:
                assert mode == 0o600, entry
                files += 1
        return files

    # While unlocked (WAL files present) and after locking.
    assert check() >= 3
    assert list((path / "blobs").iterdir())
    vault.lock()
    assert check() >= 3
    blobs = list((path / "blobs").iterdir())
    assert len(blobs) == 1
    assert stat.S_IMODE(blobs[0].stat().st_mode) == 0o600


def test_database_has_no_plaintext_header_or_content(vault: UnlockedVault) -> None:
    vault.records.add("place", {"name": MARKER, "place_type": "police_station", "notes": MARKER})
    path = vault.path
    needle = MARKER.encode("utf-8")
    # Nothing readable anywhere in the vault, also while it is open (WAL).
    for entry in path.rglob("*"):
        if entry.is_file():
            assert needle not in entry.read_bytes(), entry
    vault.lock()
    data = (path / database.DB_NAME).read_bytes()
    assert not data.startswith(b"SQLite format 3")
    assert b"SQLite format" not in data[:100]
    assert len(data) % database.PAGE_SIZE == 0
    for name in (b"CREATE TABLE", b"search_index", b"records", b"keyslots"):
        assert name not in data
    for entry in path.rglob("*"):
        if entry.is_file():
            assert needle not in entry.read_bytes(), entry


def test_locked_vault_leaves_only_expected_files(vault: UnlockedVault) -> None:
    path = locked_vault_with_data(vault)
    names = {str(p.relative_to(path)) for p in path.rglob("*")}
    blobs = {n for n in names if n.startswith("blobs/")}
    assert names - blobs == {"blobs", "keyslots.json", "vault.db"}
    assert len(blobs) == 1


def test_lock_makes_everything_refuse(vault: UnlockedVault) -> None:
    place = vault.records.add("place", {"name": "ИВС", "place_type": "police_station"})
    records = vault.records
    vault.lock()
    vault.lock()  # idempotent
    with pytest.raises(VaultError) as caught:
        _ = vault.conn
    assert caught.value.code == "vault_locked"
    for action in (
        lambda: vault.records.list(),
        lambda: records.list(),
        lambda: records.get(place.record_id),
        lambda: records.search("ИВС"),
        lambda: records.add("place", {"name": "x", "place_type": "other"}),
        lambda: vault.data_key(),
        lambda: vault.slots,
        lambda: vault.attachments.list(place.record_id),
        lambda: vault.meta("vault_id"),
    ):
        with pytest.raises(VaultError) as caught:
            action()
        assert caught.value.code == "vault_locked"
    assert "locked" in repr(vault)


def test_passphrase_shorter_than_ten_characters_is_refused(vault_dir: Path) -> None:
    for short in ("", "123456789", "пароль123", "🙂🙂🙂🙂🙂🙂🙂🙂🙂"):
        with pytest.raises(VaultError) as caught:
            lifecycle.create_vault(vault_dir, short, name="A")
        assert caught.value.code == "passphrase_too_short"
        assert caught.value.params["minimum"] == 10
        assert short not in str(caught.value) or short == ""
    assert not vault_dir.exists()
    # Exactly ten characters (not bytes) is enough.
    vault, _ = lifecycle.create_vault(vault_dir, "ключ-10-ok", name="A")
    vault.lock()
    lifecycle.unlock(vault_dir, "ключ-10-ok").lock()


def test_create_refuses_a_non_empty_directory(tmp_path: Path) -> None:
    target = tmp_path / "busy"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    before = snapshot(target)
    with pytest.raises(VaultError) as caught:
        lifecycle.create_vault(target, PASSPHRASE, name="A")
    assert caught.value.code == "vault_exists"
    assert snapshot(target) == before


def test_unlock_missing_directory_is_vault_not_found(tmp_path: Path) -> None:
    with pytest.raises(VaultError) as caught:
        lifecycle.unlock(tmp_path / "nowhere", PASSPHRASE)
    assert caught.value.code == "vault_not_found"
    (tmp_path / "empty").mkdir()
    with pytest.raises(VaultError) as caught:
        lifecycle.unlock(tmp_path / "empty", PASSPHRASE)
    assert caught.value.code == "vault_not_found"


# -- refusals that leave the directory byte-identical ------------------------------------------


def test_wrong_passphrase(copied: tuple[Path, str]) -> None:
    path, _ = copied
    for wrong in ("correct horse battery stapler", PASSPHRASE.upper()):
        error = assert_refused_unchanged(
            path,
            "wrong_passphrase",
            lambda w=wrong: lifecycle.unlock(path, w),  # type: ignore[misc]
        )
        assert isinstance(error, VaultError)
        assert wrong not in str(error)
        assert error.params == {}


def test_wrong_recovery_code_of_another_vault(copied: tuple[Path, str], other_code: str) -> None:
    path, code = copied
    assert other_code != code
    rc.parse(other_code)  # a valid code, checksum and all
    assert_refused_unchanged(
        path, "wrong_recovery_code", lambda: lifecycle.unlock_with_recovery_code(path, other_code)
    )


def test_recovery_code_typo_names_the_group(copied: tuple[Path, str]) -> None:
    path, code = copied
    groups = code.split("-")
    groups[3] = groups[3][:2] + ("Z" if groups[3][2] != "Z" else "Y") + groups[3][3:]
    typo = "-".join(groups)
    error = assert_refused_unchanged(
        path, "recovery_code_typo", lambda: lifecycle.unlock_with_recovery_code(path, typo)
    )
    assert error.params == {"group": 4}
    assert_refused_unchanged(
        path,
        "recovery_code_malformed",
        lambda: lifecycle.unlock_with_recovery_code(path, code[:-3]),
    )


@pytest.mark.parametrize("cut", ["half_pages", "half_odd", "one_page_short", "empty"])
def test_truncated_database_is_damaged(copied: tuple[Path, str], cut: str) -> None:
    path, code = copied
    db = path / database.DB_NAME
    size = db.stat().st_size
    pages = size // database.PAGE_SIZE
    assert pages > 20
    new_size = {
        "half_pages": pages // 2 * database.PAGE_SIZE,
        "half_odd": size // 2 + 1234,
        "one_page_short": size - database.PAGE_SIZE,
        "empty": 0,
    }[cut]
    assert (new_size % database.PAGE_SIZE == 0) == (cut != "half_odd")
    with open(db, "r+b") as handle:
        handle.truncate(new_size)
    error = assert_refused_unchanged(
        path, "database_damaged", lambda: lifecycle.unlock(path, PASSPHRASE)
    )
    assert isinstance(error, VaultError)
    if cut == "half_pages":
        # The recovery code meets the same damaged file.
        assert_refused_unchanged(
            path, "database_damaged", lambda: lifecycle.unlock_with_recovery_code(path, code)
        )


def test_database_missing_is_damaged(copied: tuple[Path, str]) -> None:
    path, _ = copied
    (path / database.DB_NAME).unlink()
    assert_refused_unchanged(path, "database_damaged", lambda: lifecycle.unlock(path, PASSPHRASE))


def test_database_overwritten_with_garbage_is_damaged(copied: tuple[Path, str]) -> None:
    path, _ = copied
    db = path / database.DB_NAME
    size = db.stat().st_size
    with open(db, "r+b") as handle:
        handle.write(b"\xa5" * database.PAGE_SIZE)  # page 1 destroyed
    assert db.stat().st_size == size
    assert_refused_unchanged(path, "database_damaged", lambda: lifecycle.unlock(path, PASSPHRASE))


def test_database_of_another_vault_is_refused(
    copied: tuple[Path, str], created_vault: tuple[UnlockedVault, str]
) -> None:
    path, _ = copied
    other, _ = created_vault
    other_db = other.path / database.DB_NAME
    other.lock()
    (path / database.DB_NAME).write_bytes(other_db.read_bytes())
    # A different data key: the other vault's database cannot be read with this vault's key.
    assert_refused_unchanged(path, "database_damaged", lambda: lifecycle.unlock(path, PASSPHRASE))


def test_missing_keyslots_file(copied: tuple[Path, str]) -> None:
    path, code = copied
    (path / keyslots.FILE_NAME).unlink()
    assert_refused_unchanged(path, "keyslots_missing", lambda: lifecycle.unlock(path, PASSPHRASE))
    assert_refused_unchanged(
        path, "keyslots_missing", lambda: lifecycle.unlock_with_recovery_code(path, code)
    )


def test_database_from_a_newer_schema_is_too_new(copied: tuple[Path, str]) -> None:
    path, code = copied
    vault = lifecycle.unlock(path, PASSPHRASE)
    newer = migrations.SCHEMA_VERSION + 1
    vault.conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(newer),))
    assert vault.meta("schema_version") == str(newer)
    vault.lock()
    error = assert_refused_unchanged(
        path, "vault_too_new", lambda: lifecycle.unlock(path, PASSPHRASE)
    )
    assert error.params == {"found": newer, "supported": migrations.SCHEMA_VERSION}
    assert_refused_unchanged(
        path, "vault_too_new", lambda: lifecycle.unlock_with_recovery_code(path, code)
    )


def test_keyslots_from_a_newer_format_is_too_new(copied: tuple[Path, str]) -> None:
    path, code = copied
    slot_path = path / keyslots.FILE_NAME
    text = slot_path.read_text()
    assert '"format_version": 1,' in text
    slot_path.write_text(text.replace('"format_version": 1,', '"format_version": 2,'))
    error = assert_refused_unchanged(
        path, "vault_too_new", lambda: lifecycle.unlock(path, PASSPHRASE)
    )
    assert error.params == {"found": 2, "supported": 1}
    assert_refused_unchanged(
        path, "vault_too_new", lambda: lifecycle.unlock_with_recovery_code(path, code)
    )


def test_copied_template_itself_unlocks(copied: tuple[Path, str]) -> None:
    # Control for the refusals above: an untouched copy opens with the same secrets.
    path, code = copied
    with lifecycle.unlock(path, PASSPHRASE) as vault:
        assert any(s.display == MARKER for s in vault.records.list(limit=1000))
    with lifecycle.unlock_with_recovery_code(path, code) as vault:
        assert vault.records.count("place") == 41


# -- recovery and passphrase change ------------------------------------------------------------


def test_recover_then_change_passphrase(created_vault: tuple[UnlockedVault, str]) -> None:
    vault, code = created_vault
    path = vault.path
    place = vault.records.add(
        "place", {"name": "Колония №47", "place_type": "prison_or_penal_colony"}
    )
    vault.lock()

    recovered = lifecycle.unlock_with_recovery_code(path, code.lower().replace("-", " "))
    lifecycle.change_passphrase(recovered, "a brand new passphrase")
    recovered.lock()
    assert sorted(p.name for p in path.iterdir()) == ["blobs", "keyslots.json", "vault.db"]

    assert_refused_unchanged(path, "wrong_passphrase", lambda: lifecycle.unlock(path, PASSPHRASE))
    with lifecycle.unlock(path, "a brand new passphrase") as opened:
        assert opened.records.get(place.record_id).fields["name"] == "Колония №47"
        actions = [e.action for e in _audit_entries(opened)]
        assert actions.count("passphrase_changed") == 1
    with lifecycle.unlock_with_recovery_code(path, code) as again:
        assert again.records.get(place.record_id).fields["name"] == "Колония №47"


def test_change_passphrase_refuses_short_and_keeps_old(vault: UnlockedVault) -> None:
    path = vault.path
    before = (path / keyslots.FILE_NAME).read_bytes()
    with pytest.raises(VaultError) as caught:
        lifecycle.change_passphrase(vault, "short")
    assert caught.value.code == "passphrase_too_short"
    assert (path / keyslots.FILE_NAME).read_bytes() == before
    vault.lock()
    lifecycle.unlock(path, PASSPHRASE).lock()


def _audit_entries(vault: UnlockedVault) -> list:  # type: ignore[type-arg]
    from monitor_app.records import audit

    with vault.reading() as conn:
        return audit.entries(conn)


@pytest.mark.parametrize(
    ("name", "organisation", "field", "reason"),
    [
        ("", None, "name", "required"),
        ("   ", None, "name", "required"),
        ("Aida\x1b[31m", None, "name", "control_characters"),
        ("Aida\u202eK", None, "name", "control_characters"),
        ("Aida", "Org\nline", "organisation", "control_characters"),
        ("A" * 1000, None, "name", "too_long"),
    ],
)
def test_create_refuses_author_text_a_card_could_not_carry(
    tmp_path: Path, name: str, organisation: str | None, field: str, reason: str
) -> None:
    with pytest.raises(MonitorError) as caught:
        lifecycle.create_vault(tmp_path / "v", PASSPHRASE, name=name, organisation=organisation)
    assert caught.value.code == "validation_failed"
    assert (caught.value.params["field"], caught.value.params["reason"]) == (field, reason)
    assert not (tmp_path / "v").exists()


def test_create_trims_the_author_name(tmp_path: Path) -> None:
    vault, _ = lifecycle.create_vault(
        tmp_path / "v", PASSPHRASE, name="  Aida K. ", organisation=""
    )
    with vault:
        assert vault.author.name == "Aida K." and vault.author.organisation is None
        assert vault.identity.contact_card().name == "Aida K."


def test_the_page_cache_follows_the_machine_within_bounds(vault: UnlockedVault) -> None:
    gib = 1 << 30
    assert database.cache_bytes(2 * gib) == 128 << 20  # a small laptop: a sixteenth
    assert database.cache_bytes(512 << 20) == 64 << 20  # never below 64 MiB
    assert database.cache_bytes(64 * gib) == 512 << 20  # a hub server: at most 512 MiB
    assert database.cache_bytes(0) == 64 << 20  # memory unknown
    (size,) = vault.conn.execute("PRAGMA cache_size").fetchone()
    assert -size * 1024 == database.cache_bytes()
