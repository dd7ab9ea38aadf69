"""The vault's identity: key pairs, fingerprints, contact cards, and the schema 2 migration."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
import sqlcipher3

from monitor_app.errors import CODES, ContactError, MonitorError
from monitor_app.identity import card as card_mod
from monitor_app.identity import fingerprint as fp
from monitor_app.identity import keys
from monitor_app.identity.card import ContactCard, make_card, parse_card
from monitor_app.messages import MESSAGES, describe
from monitor_app.records import audit
from monitor_app.vault import lifecycle, migrations, slot_keys
from monitor_app.vault.session import UnlockedVault
from tests.conftest import PASSPHRASE

NEW_CODES = {
    "card_invalid",
    "card_signature_invalid",
    "card_outdated",
    "contact_unknown",
    "contact_ambiguous",
    "contact_is_self",
    "contact_not_verified",
    "fingerprint_invalid",
}


def secret_forms(identity: keys.Identity) -> list[bytes]:
    """Every way a private key could plausibly be written out: raw, hex, base64."""
    forms = []
    for raw in (identity.signing_private_bytes(), identity.encryption_private_bytes()):
        forms += [
            raw,
            raw.hex().encode(),
            raw.hex().upper().encode(),
            base64.b64encode(raw),
            base64.urlsafe_b64encode(raw).rstrip(b"="),
        ]
    return forms


def all_file_bytes(directory: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def actions(vault: UnlockedVault) -> list[str]:
    with vault.reading() as conn:
        return [entry.action for entry in audit.entries(conn)]


# -- identity in a vault ---------------------------------------------------------------------


def test_identity_created_with_the_vault(vault: UnlockedVault) -> None:
    identity = vault.identity.keys()
    assert len(identity.signing_public) == 32
    assert len(identity.encryption_public) == 32
    assert len(identity.signing_private_bytes()) == 32
    assert len(identity.encryption_private_bytes()) == 32
    assert identity.fingerprint == fp.compute(identity.signing_public, identity.encryption_public)
    assert vault.identity.fingerprint == identity.fingerprint
    assert vault.identity.signing_public_key == identity.signing_public
    assert vault.identity.encryption_public_key == identity.encryption_public
    assert actions(vault) == ["vault_created", "identity_created"]
    with vault.reading() as conn:
        entry = audit.entries(conn)[1]
        assert entry.details == {"fingerprint": identity.fingerprint}
        assert audit.verify(conn).ok
        assert migrations.stored_version(conn) == migrations.SCHEMA_VERSION


def test_the_key_pairs_work(vault: UnlockedVault) -> None:
    identity = vault.identity.keys()
    signature = identity.sign(b"message")
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    Ed25519PublicKey.from_public_bytes(identity.signing_public).verify(signature, b"message")
    other = keys.Identity.generate()
    assert identity.exchange(other.encryption_public) == other.exchange(identity.encryption_public)


def test_each_vault_has_its_own_identity(vault: UnlockedVault, tmp_path: Path) -> None:
    with lifecycle.create_vault(tmp_path / "second", PASSPHRASE, name="Second")[0] as second:
        assert second.identity.fingerprint != vault.identity.fingerprint
        assert second.identity.signing_public_key != vault.identity.signing_public_key


def test_identity_is_stable_across_lock_and_unlock(
    vault: UnlockedVault, recovery_code: str
) -> None:
    path = vault.path
    before = vault.identity.keys()
    vault.lock()
    with lifecycle.unlock(path, PASSPHRASE) as again:
        after = again.identity.keys()
        assert after.fingerprint == before.fingerprint
        assert after.signing_private_bytes() == before.signing_private_bytes()
        assert after.encryption_private_bytes() == before.encryption_private_bytes()
        assert after.created_at == before.created_at
    with lifecycle.unlock_with_recovery_code(path, recovery_code) as recovered:
        assert recovered.identity.fingerprint == before.fingerprint
        assert actions(recovered).count("identity_created") == 1


def test_locked_vault_refuses_identity(vault: UnlockedVault) -> None:
    own = vault.identity
    vault.lock()
    with pytest.raises(MonitorError) as caught:
        own.keys()
    assert caught.value.code == "vault_locked"


def test_private_keys_never_reach_a_file_in_plaintext(vault: UnlockedVault) -> None:
    identity = vault.identity.keys()
    forms = secret_forms(identity)
    # Work that exercises the keys and the database, so the WAL holds identity pages too.
    vault.identity.card(role="monitor")
    vault.contacts.add(make_card(keys.Identity.generate(), name="Someone").to_bytes())
    vault.records.add("place", {"name": "ИВС", "place_type": "police_station"})
    path = vault.path
    unlocked_files = all_file_bytes(path)
    assert any(p.name.endswith("-wal") for p in unlocked_files)
    vault.lock()
    for files in (unlocked_files, all_file_bytes(path)):
        for file_path, content in files.items():
            for form in forms:
                assert form not in content, file_path.name
    # Nor in what the objects print.
    for text in (repr(identity), str(identity)):
        for form in forms:
            assert form.decode("latin-1") not in text
    assert fp.format_fingerprint(identity.fingerprint) in repr(identity)


# -- migration from schema version 1 ---------------------------------------------------------


def v1_schema() -> list[tuple[str, str, str]]:
    conn = sqlcipher3.connect(":memory:", isolation_level=None)
    conn.execute("BEGIN")
    migrations.MIGRATIONS[1](conn)
    conn.execute("COMMIT")
    rows = conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
    conn.close()
    return [tuple(r) for r in rows]


PROVENANCE_COLUMNS = (
    "hash",
    "parent",
    "author_key",
    "signature",
    "sensitive_salt",
    "sensitive_digest",
    "sensitive_names",
    "brought_by",
    "bundle_id",
)


def downgrade_to_v1(vault: UnlockedVault) -> None:
    """Turn a new vault into what version 1 of the app left on disk."""
    v1_names = {name for _, name, _ in v1_schema()}
    with vault.transaction() as conn:
        later = conn.execute(
            "SELECT type, name FROM sqlite_master WHERE type IN ('table', 'index')"
            " AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'search_index_%'"
            " AND name NOT LIKE 'search_forms_%'"  # dropped with search_forms (version 10)
        ).fetchall()
        for kind, name in later:
            if name not in v1_names and kind == "table":
                conn.execute(f'DROP TABLE "{name}"')
        # Later indexes first: some (version 9) cover later columns.
        later_indexes = conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        ).fetchall()
        for (index,) in later_indexes:
            if index not in v1_names:
                conn.execute(f'DROP INDEX "{index}"')
        later_columns = ("search_rowid", "purged_at", "purged_receipt")
        for column in (*later_columns, "case_status", "reprisal_risk", "region", "kind"):
            conn.execute(f"ALTER TABLE records DROP COLUMN {column}")
        for column in PROVENANCE_COLUMNS:  # version 8
            conn.execute(f"ALTER TABLE revisions DROP COLUMN {column}")
        conn.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
        conn.execute("DELETE FROM meta WHERE key = 'word_forms_below'")  # version 10
        schema = conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name")
        assert [tuple(r) for r in schema] == v1_schema()


def test_migration_adds_tables_and_ensure_adds_identity() -> None:
    conn = sqlcipher3.connect(":memory:", isolation_level=None)
    conn.execute("BEGIN")
    migrations.MIGRATIONS[1](conn)
    conn.execute("INSERT INTO meta (key, value) VALUES ('schema_version', '1')")
    conn.execute("COMMIT")
    assert migrations.stored_version(conn) == 1
    migrations.migrate(conn)
    assert migrations.stored_version(conn) == migrations.SCHEMA_VERSION
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"identity", "contacts"} <= tables
    assert keys.load(conn) is None  # the migration itself is pure SQL
    assert keys.ensure(conn, "author") is True
    first = keys.load(conn)
    assert first is not None
    assert keys.ensure(conn, "author") is False
    second = keys.load(conn)
    assert second is not None and second.fingerprint == first.fingerprint
    assert [e.action for e in audit.entries(conn)] == ["identity_created"]
    assert audit.verify(conn).ok
    # One identity per vault, keys of the right size: the schema refuses anything else.
    conn.execute("BEGIN")
    with pytest.raises(sqlcipher3.IntegrityError):
        conn.execute("INSERT INTO identity VALUES (2, ?, ?, 'now')", (bytes(32), bytes(32)))
    with pytest.raises(sqlcipher3.IntegrityError):
        conn.execute("UPDATE identity SET signing_private_key = ?", (bytes(31),))
    conn.execute("ROLLBACK")
    conn.close()


def test_old_vault_gets_an_identity_at_unlock(vault: UnlockedVault) -> None:
    record = vault.records.add("place", {"name": "СИЗО-1", "place_type": "police_station"})
    old_fingerprint = vault.identity.fingerprint
    downgrade_to_v1(vault)
    path = vault.path
    vault.lock()
    with lifecycle.unlock(path, PASSPHRASE) as migrated:
        assert migrated.meta("schema_version") == str(migrations.SCHEMA_VERSION)
        identity = migrated.identity.keys()
        assert identity.fingerprint != old_fingerprint  # the dropped one is gone for good
        assert migrated.records.get(record.record_id).fields["name"] == "СИЗО-1"
        assert migrated.contacts.list() == []
        # The passphrase slot's key is remembered for re-keying; the recovery slot's key
        # only once the recovery code is used (purge asks for that, test_purge.py).
        with migrated.reading() as conn:
            remembered = set(slot_keys.known(conn))
        assert remembered == {
            s.slot_id for s in migrated.slots.slots if s.slot_type == "passphrase"
        }
        # Revisions this vault wrote before signatures existed are signed by its new key.
        assert actions(migrated)[-2:] == ["identity_created", "revisions_signed"]
        (first,) = migrated.records.history(record.record_id)
        assert first.signed_by is not None and first.signed_by.status == "own"
        assert first.signed_by.key == identity.signing_public.hex()
        with migrated.reading() as conn:
            assert audit.verify(conn).ok
        forms = secret_forms(identity)
    with lifecycle.unlock(path, PASSPHRASE) as again:
        assert again.identity.fingerprint == identity.fingerprint
        assert actions(again).count("identity_created") == 2  # creation, then migration
    for content in all_file_bytes(path).values():
        assert not any(form in content for form in forms)


# -- fingerprints ----------------------------------------------------------------------------

SIGNING = bytes(range(32))
ENCRYPTION = bytes(range(32, 64))
VECTOR = "05439012643236085916657915544309"


def test_fingerprint_definition_and_vector() -> None:
    digest = hashlib.sha256(b"monitor_app contact v1\0" + SIGNING + ENCRYPTION).digest()
    expected = f"{int.from_bytes(digest[:16], 'big') % 10**32:032d}"
    assert fp.compute(SIGNING, ENCRYPTION) == expected == VECTOR
    assert fp.compute(ENCRYPTION, SIGNING) != VECTOR  # the order of the keys matters
    assert fp.format_fingerprint(VECTOR) == "0543 9012 6432 3608 5916 6579 1554 4309"
    with pytest.raises(ValueError):
        fp.compute(SIGNING[:31], ENCRYPTION)


@pytest.mark.parametrize(
    "text",
    [
        VECTOR,
        "0543 9012 6432 3608 5916 6579 1554 4309",
        "0543-9012-6432-3608-5916-6579-1554-4309",
        " 0543.9012.6432.3608 5916_6579:1554/4309\n",
        "０５４３ ９０１２ ６４３２ ３６０８ ５９１６ ６５７９ １５５４ ４３０９",  # full-width
        "0543\u00a09012\u30006432 3608 5916 6579 1554 4309",  # no-break and ideographic spaces
    ],
)
def test_fingerprint_parse_accepts_separators(text: str) -> None:
    assert fp.parse(text) == VECTOR
    assert fp.try_parse(text) == VECTOR


@pytest.mark.parametrize(
    "text",
    [
        "",
        VECTOR[:-1],
        VECTOR + "1",
        VECTOR[:-1] + "a",
        "O543 9012 6432 3608 5916 6579 1554 4309",  # letter O
        "0543 9012 6432 3608 5916 6579 1554 43០9",  # Khmer digit
        "1" * 1000,
        "Aida K.",
    ],
)
def test_fingerprint_parse_refuses(text: str) -> None:
    assert fp.try_parse(text) is None
    with pytest.raises(ContactError) as caught:
        fp.parse(text)
    assert caught.value.code == "fingerprint_invalid"
    assert caught.value.params == {"digits": 32}


def test_fingerprints_of_fresh_identities_are_well_formed() -> None:
    seen = set()
    for _ in range(50):
        identity = keys.Identity.generate()
        assert len(identity.fingerprint) == 32 and identity.fingerprint.isdigit()
        shown = fp.format_fingerprint(identity.fingerprint)
        assert [len(g) for g in shown.split(" ")] == [4] * 8
        seen.add(identity.fingerprint)
    assert len(seen) == 50


# -- contact cards ---------------------------------------------------------------------------


def card_dict(card: ContactCard) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(card.to_bytes())
    return result


def encode(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode("utf-8")


def signed(identity: keys.Identity, body: dict[str, Any]) -> bytes:
    """A card with any body, correctly signed: to test checks other than the signature."""
    message = card_mod.SIGNATURE_CONTEXT + card_mod.canonical_json(body)
    signature = base64.b64encode(identity.sign(message)).decode()
    return encode({**body, "signature": signature})


def body_of(card: ContactCard) -> dict[str, Any]:
    return card.body()


@pytest.fixture
def identity() -> keys.Identity:
    return keys.Identity.generate()


@pytest.fixture
def card(identity: keys.Identity) -> ContactCard:
    return make_card(identity, name="Айгуль Т.", organisation="Коалиция", role="hub")


def refused(data: bytes, code: str = "card_invalid") -> ContactError:
    with pytest.raises(ContactError) as caught:
        parse_card(data)
    assert caught.value.code == code
    return caught.value


def test_card_round_trip(identity: keys.Identity, card: ContactCard) -> None:
    data = card.to_bytes()
    assert data.endswith(b"\n") and data.count(b"\n") == 1
    assert data == card_mod.canonical_json(card_dict(card)) + b"\n"
    obj = card_dict(card)
    assert set(obj) == card_mod.CARD_FIELDS
    assert obj["format"] == "monitor_app-contact-card"
    assert obj["version"] == 1
    assert obj["name"] == "Айгуль Т."
    assert base64.b64decode(obj["signing_public_key"]) == identity.signing_public
    assert base64.b64decode(obj["encryption_public_key"]) == identity.encryption_public
    parsed = parse_card(data)
    assert parsed == card
    assert parsed.fingerprint == identity.fingerprint
    # Whitespace, key order and escapes do not matter: the signature covers the values.
    assert parse_card(json.dumps(obj, indent=2, ensure_ascii=True).encode()) == card
    assert parse_card(json.dumps(dict(reversed(obj.items()))).encode()) == card


def test_card_without_organisation_and_role(identity: keys.Identity) -> None:
    card = make_card(identity, name="  Бакыт  ", organisation="  ", role=None)
    assert (card.name, card.organisation, card.role) == ("Бакыт", None, None)
    obj = card_dict(card)
    assert obj["organisation"] is None and obj["role"] is None
    assert parse_card(card.to_bytes()) == card


def test_own_card_from_vault_meta(vault: UnlockedVault) -> None:
    card = parse_card(vault.identity.card())
    assert (card.name, card.organisation, card.role) == ("Test Monitor", "Test Org", None)
    assert card.fingerprint == vault.identity.fingerprint
    other = parse_card(vault.identity.card(name="T. Monitor", organisation="", role="legal aid"))
    assert (other.name, other.organisation, other.role) == ("T. Monitor", None, "legal aid")
    assert other.signing_public_key == card.signing_public_key


OTHER = keys.Identity.generate()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "Айгуль Т"),
        ("organisation", "Другая коалиция"),
        ("organisation", None),
        ("role", "monitor"),
        ("role", None),
        ("created_at", "2020-01-01T00:00:00+00:00"),
        ("signing_public_key", base64.b64encode(OTHER.signing_public).decode()),
        ("encryption_public_key", base64.b64encode(OTHER.encryption_public).decode()),
    ],
)
def test_tampered_field_breaks_the_signature(card: ContactCard, field: str, value: Any) -> None:
    obj = card_dict(card)
    assert obj[field] != value
    obj[field] = value
    error = refused(encode(obj), "card_signature_invalid")
    assert error.params == {}


def test_tampered_signature_is_refused(card: ContactCard) -> None:
    obj = card_dict(card)
    raw = bytearray(base64.b64decode(obj["signature"]))
    for index in (0, 31, 32, 63):
        flipped = bytearray(raw)
        flipped[index] ^= 0x01
        obj["signature"] = base64.b64encode(bytes(flipped)).decode()
        refused(encode(obj), "card_signature_invalid")
    # A valid signature by someone else over the same body is refused too.
    obj["signature"] = base64.b64encode(
        OTHER.sign(card_mod.SIGNATURE_CONTEXT + card_mod.canonical_json(card.body()))
    ).decode()
    refused(encode(obj), "card_signature_invalid")
    # So is a signature without the context prefix.
    obj["signature"] = base64.b64encode(OTHER.sign(card_mod.canonical_json(card.body()))).decode()
    refused(encode(obj), "card_signature_invalid")


def test_format_and_version_are_checked(identity: keys.Identity, card: ContactCard) -> None:
    body = body_of(card)
    for value in ("monitor_app-contact-card-v2", None, 1):
        assert refused(signed(identity, {**body, "format": value})).params == {
            "field": "format",
            "reason": "wrong_format",
        }
    for version in (2, 0, "1", 1.0, True, None):
        error = refused(signed(identity, {**body, "version": version}))
        assert error.params["field"] == "version"
        assert error.params["reason"] == "unsupported_version"


@pytest.mark.parametrize(
    ("mutate", "field", "reason"),
    [
        (lambda o: {**o, "extra": "x"}, "card", "unknown_field"),
        (lambda o: {k: v for k, v in o.items() if k != "role"}, "role", "missing"),
        (lambda o: {k: v for k, v in o.items() if k != "signature"}, "signature", "missing"),
        (lambda o: {**o, "name": None}, "name", "missing"),
        (lambda o: {**o, "name": 5}, "name", "wrong_type"),
        (lambda o: {**o, "name": ""}, "name", "empty"),
        (lambda o: {**o, "organisation": ""}, "organisation", "empty"),
        (lambda o: {**o, "role": ["hub"]}, "role", "wrong_type"),
        (lambda o: {**o, "name": {"a": 1}}, "name", "wrong_type"),
        (lambda o: {**o, "created_at": "yesterday"}, "created_at", "invalid_timestamp"),
        (lambda o: {**o, "created_at": "2024-05-01T10:00:00"}, "created_at", "invalid_timestamp"),
        (lambda o: {**o, "created_at": 1714557600}, "created_at", "wrong_type"),
        (lambda o: {**o, "signing_public_key": "not base64!"}, "signing_public_key", "not_base64"),
        (
            lambda o: {**o, "signing_public_key": base64.b64encode(bytes(31)).decode()},
            "signing_public_key",
            "wrong_length",
        ),
        (
            lambda o: {**o, "encryption_public_key": base64.b64encode(bytes(33)).decode()},
            "encryption_public_key",
            "wrong_length",
        ),
        (
            lambda o: {**o, "encryption_public_key": base64.b64encode(bytes(32)).decode()},
            "encryption_public_key",
            "invalid_key",
        ),
        (
            lambda o: {**o, "signature": base64.b64encode(bytes(63)).decode()},
            "signature",
            "wrong_length",
        ),
    ],
)
def test_malformed_fields_are_refused(
    card: ContactCard, mutate: Any, field: str, reason: str
) -> None:
    error = refused(encode(mutate(card_dict(card))))
    assert error.params["field"] == field
    assert error.params["reason"] == reason


def test_non_canonical_base64_is_refused(card: ContactCard) -> None:
    obj = card_dict(card)
    key = obj["signing_public_key"]
    assert key.endswith("=")
    # The last character before the padding carries two unused bits: set one.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    last = alphabet.index(key[-2])
    variant = key[:-2] + alphabet[last ^ 1] + "="
    assert base64.b64decode(variant) == base64.b64decode(key)
    for value in (variant, key.rstrip("="), key[:20] + "\n" + key[20:], "=" + key):
        error = refused(encode({**obj, "signing_public_key": value}))
        assert error.params["field"] == "signing_public_key"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "invalid_json"),
        (b"not json", "invalid_json"),
        (b"[]", "wrong_type"),
        (b'"card"', "wrong_type"),
        (b"\xff\xfe{}", "not_utf8"),
        (b"{" * 5000 + b"}" * 5000, "invalid_json"),
        (b"[" * 8000 + b"]" * 8000, "invalid_json"),
        (b"x" * (16 * 1024 + 1), "too_large"),
    ],
)
def test_not_a_card(data: bytes, reason: str) -> None:
    error = refused(data)
    assert error.params["field"] == "card"
    assert error.params["reason"] == reason


def test_strict_json(card: ContactCard) -> None:
    data = card.to_bytes()
    # A duplicate key, even with the same value: a second reader could see the other one.
    text = data.decode().rstrip("\n")
    dup = text[:-1] + ',"name":"Айгуль Т."}'
    assert refused(dup.encode()).params["reason"] == "duplicate_key"
    assert refused(b"\xef\xbb\xbf" + data).params["reason"] == "invalid_json"  # BOM
    for constant in (b"NaN", b"Infinity", b"-Infinity"):
        bad = text[:-1].encode() + b',"x":' + constant + b"}"
        assert refused(bad).params["reason"] == "invalid_json"
    assert refused(data.replace(b"}", b"} trailing")).params["reason"] == "invalid_json"


HOSTILE_NAMES = {
    "nul": "Aida\x00K.",
    "escape": "Aida \x1b[31mK.",
    "newline": "Aida\nK.",
    "carriage return": "Aida\rK.",
    "tab": "Aida\tK.",
    "delete": "Aida\x7f",
    "c1 control": "Aida\x85K.",
    "right-to-left override": "\u202eevil\u202c",
    "left-to-right override": "Aida \u202dK.",
    "isolate": "Aida \u2067K.\u2069",
    "right-to-left mark": "Aida\u200f",
    "zero-width space": "Ai\u200bda",
    "byte order mark": "\ufeffAida",
    "word joiner": "Ai\u2060da",
    "tag characters": "Aida \U000e0041\U000e007f",
    "line separator": "Aida\u2028K.",
    "paragraph separator": "Aida\u2029K.",
    "lone surrogate": "Aida \ud800",
}


@pytest.mark.parametrize("name", list(HOSTILE_NAMES.values()), ids=list(HOSTILE_NAMES))
@pytest.mark.parametrize("field", ["name", "organisation", "role"])
def test_hostile_text_is_refused(identity: keys.Identity, field: str, name: str) -> None:
    base = {"name": "Aida K.", "organisation": "Org", "role": "hub"}
    with pytest.raises(ContactError) as made:
        make_card(identity, **{**base, field: name})
    assert made.value.code == "card_invalid"
    assert made.value.params == {"field": field, "reason": "control_characters"}
    # A correctly signed card carrying the same text is refused when read.
    body = {**body_of(make_card(identity, **base)), field: name}
    data = json.dumps(
        {**body, "signature": base64.b64encode(bytes(64)).decode()}, ensure_ascii=True
    ).encode()
    error = refused(data)
    assert error.params == {"field": field, "reason": "control_characters"}
    # The refused text is never repeated in the error.
    assert name not in str(error)
    assert name not in json.dumps(error.to_json(), ensure_ascii=False)
    assert name not in describe(error)


def test_long_and_padded_text(identity: keys.Identity) -> None:
    make_card(identity, name="я" * 200, organisation="中" * 200, role="x" * 200)
    for field in ("name", "organisation", "role"):
        with pytest.raises(ContactError) as caught:
            make_card(identity, **{"name": "Aida", field: "я" * 201})
        assert caught.value.params == {"field": field, "reason": "too_long", "maximum": 200}
    body = body_of(make_card(identity, name="Aida"))
    error = refused(signed(identity, {**body, "name": "x" * 5000}))
    assert error.params == {"field": "name", "reason": "too_long", "maximum": 200}
    error = refused(signed(identity, {**body, "name": " Aida"}))
    assert error.params == {"field": "name", "reason": "surrounding_space"}
    error = refused(signed(identity, {**body, "role": "hub\u3000"}))
    assert error.params == {"field": "role", "reason": "surrounding_space"}
    # A card is bounded as a whole before it is parsed.
    error = refused(signed(identity, {**body, "name": "x" * 20000}))
    assert error.params["reason"] == "too_large"


@pytest.mark.parametrize(
    "name",
    [
        "Ислам Каримов",
        "Кыйноо ң ө ү",
        "Détenu arrêté",
        "酷刑发生在审讯室",
        "e\u0301\u0301\u0301 combining",
        "emoji 🙂👩🏽‍⚖️",
        "محمد علي",
        "می\u200cخواهم",  # zero-width non-joiner, as Persian needs
        "'; DROP TABLE contacts; --",
    ],
)
def test_real_names_in_any_script_are_kept(identity: keys.Identity, name: str) -> None:
    card = make_card(identity, name=name, organisation=name, role=name)
    parsed = parse_card(card.to_bytes())
    assert (parsed.name, parsed.organisation, parsed.role) == (name, name, name)


def test_every_new_code_has_a_sentence() -> None:
    assert NEW_CODES <= CODES
    for code in NEW_CODES:
        assert code in MESSAGES
        sentence = describe(ContactError(code, field="name", reason="too_long", count=2, digits=32))
        assert "{" not in sentence
    assert "name" in describe(ContactError("card_invalid", field="name", reason="too_long"))
    assert "2 contacts" in describe(ContactError("contact_ambiguous", count=2))
    assert "32 digits" in describe(ContactError("fingerprint_invalid", digits=32))
