"""Contacts: adding cards, verifying fingerprints, handoff recipients, and the audit log."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from monitor_app.errors import ContactError, MonitorError
from monitor_app.identity import fingerprint as fp
from monitor_app.identity import keys
from monitor_app.identity.card import ContactCard, make_card, parse_card
from monitor_app.identity.contacts import Contact
from monitor_app.records import audit
from monitor_app.vault import lifecycle
from monitor_app.vault.session import UnlockedVault
from tests.conftest import PASSPHRASE


def later(card: ContactCard, seconds: int = 60) -> str:
    return (datetime.fromisoformat(card.created_at) + timedelta(seconds=seconds)).isoformat()


def audit_actions(vault: UnlockedVault) -> list[str]:
    with vault.reading() as conn:
        return [entry.action for entry in audit.entries(conn)]


def audit_tail(vault: UnlockedVault, count: int) -> list[audit.AuditEntry]:
    with vault.reading() as conn:
        return audit.entries(conn)[-count:]


def chain_ok(vault: UnlockedVault) -> bool:
    with vault.reading() as conn:
        return audit.verify(conn).ok


def refused(code: str, attempt: Callable[[], object], vault: UnlockedVault) -> MonitorError:
    """``attempt`` fails with ``code`` and neither contacts nor the audit log change."""
    before = (vault.contacts.list(), audit_actions(vault))
    with pytest.raises(MonitorError) as caught:
        attempt()
    assert caught.value.code == code
    assert (vault.contacts.list(), audit_actions(vault)) == before
    return caught.value


@pytest.fixture
def aida() -> keys.Identity:
    return keys.Identity.generate()


@pytest.fixture
def aida_card(aida: keys.Identity) -> ContactCard:
    return make_card(aida, name="Aida K.", organisation="Коалиция", role="hub")


def test_add_a_card(vault: UnlockedVault, aida: keys.Identity, aida_card: ContactCard) -> None:
    contact = vault.contacts.add(aida_card.to_bytes())
    assert isinstance(contact, Contact)
    assert contact.fingerprint == aida.fingerprint
    assert contact.fingerprint_display == fp.format_fingerprint(aida.fingerprint)
    assert (contact.name, contact.organisation, contact.role) == ("Aida K.", "Коалиция", "hub")
    assert contact.signing_public_key == aida.signing_public
    assert contact.encryption_public_key == aida.encryption_public
    assert contact.verified is False and contact.verified_at is None
    assert contact.handoff_recipient is False
    assert contact.card_created_at == aida_card.created_at
    assert contact.added_at == contact.updated_at
    assert vault.contacts.list() == [contact]
    assert vault.contacts.get(aida.fingerprint) == contact
    assert vault.contacts.by_signing_key(aida.signing_public) == contact
    assert vault.contacts.by_signing_key(bytes(32)) is None
    assert parse_card(vault.contacts.card(aida.fingerprint)) == aida_card
    entry = audit_tail(vault, 1)[0]
    assert entry.action == "contact_added"
    assert entry.actor == vault.author.author_id
    assert entry.record_id is None
    assert entry.details == {"fingerprint": aida.fingerprint, "verified": False}
    assert chain_ok(vault)
    as_json = contact.to_json()
    assert as_json["fingerprint"] == aida.fingerprint
    assert as_json["verified"] is False
    json.dumps(as_json)


def test_add_verified(vault: UnlockedVault, aida_card: ContactCard) -> None:
    contact = vault.contacts.add(aida_card.to_bytes(), verified=True)
    assert contact.verified and contact.verified_at == contact.added_at
    assert audit_tail(vault, 1)[0].details["verified"] is True


def test_adding_the_same_card_again_changes_nothing(
    vault: UnlockedVault, aida: keys.Identity, aida_card: ContactCard
) -> None:
    first = vault.contacts.add(aida_card.to_bytes())
    entries = audit_actions(vault)
    assert vault.contacts.add(aida_card.to_bytes()) == first
    # A fresh card with the same content (only its time differs) is the same too.
    fresh = make_card(
        aida, name="Aida K.", organisation="Коалиция", role="hub", created_at=later(aida_card)
    )
    assert vault.contacts.add(fresh.to_bytes()) == first
    # And so is an older card with the same content.
    older = make_card(
        aida,
        name="Aida K.",
        organisation="Коалиция",
        role="hub",
        created_at=later(aida_card, -3600),
    )
    assert vault.contacts.add(older.to_bytes()) == first
    assert audit_actions(vault) == entries
    assert len(vault.contacts.list()) == 1


def test_re_adding_verified_keeps_or_sets_verified(
    vault: UnlockedVault, aida: keys.Identity, aida_card: ContactCard
) -> None:
    vault.contacts.add(aida_card.to_bytes())
    verified = vault.contacts.add(aida_card.to_bytes(), verified=True)
    assert verified.verified
    assert audit_actions(vault)[-1] == "contact_verified"
    again = vault.contacts.add(aida_card.to_bytes(), verified=False)  # never downgrades
    assert again == verified


def test_changed_details_update_the_contact(
    vault: UnlockedVault, aida: keys.Identity, aida_card: ContactCard
) -> None:
    vault.contacts.add(aida_card.to_bytes())
    vault.contacts.verify(aida.fingerprint)
    vault.contacts.set_handoff_recipient(aida.fingerprint, True)
    renamed = make_card(
        aida, name="Aida Kasymova", organisation=None, role="legal aid", created_at=later(aida_card)
    )
    contact = vault.contacts.add(renamed.to_bytes())
    assert (contact.name, contact.organisation, contact.role) == (
        "Aida Kasymova",
        None,
        "legal aid",
    )
    assert contact.fingerprint == aida.fingerprint
    assert contact.verified and contact.handoff_recipient  # same keys: still trusted
    assert contact.card_created_at == renamed.created_at
    assert len(vault.contacts.list()) == 1
    assert parse_card(vault.contacts.card(aida.fingerprint)) == renamed
    entry = audit_tail(vault, 1)[0]
    assert entry.action == "contact_updated"
    assert entry.details == {
        "fingerprint": aida.fingerprint,
        "keys_changed": False,
        "verified": True,
    }
    assert chain_ok(vault)


def test_new_encryption_key_must_be_verified_again(
    vault: UnlockedVault, aida: keys.Identity, aida_card: ContactCard
) -> None:
    vault.contacts.add(aida_card.to_bytes(), verified=True)
    vault.contacts.set_handoff_recipient(aida.fingerprint, True)
    rotated = keys.Identity(
        aida.signing_private, keys.Identity.generate().encryption_private, aida.created_at
    )
    assert rotated.fingerprint != aida.fingerprint
    card = make_card(
        rotated, name="Aida K.", organisation="Коалиция", role="hub", created_at=later(aida_card)
    )
    contact = vault.contacts.add(card.to_bytes())
    assert contact.fingerprint == rotated.fingerprint
    assert contact.encryption_public_key == rotated.encryption_public
    assert not contact.verified and not contact.handoff_recipient
    assert vault.contacts.handoff_recipients() == []
    assert audit_tail(vault, 1)[0].details == {
        "fingerprint": rotated.fingerprint,
        "previous_fingerprint": aida.fingerprint,
        "keys_changed": True,
        "verified": False,
    }
    refused("contact_unknown", lambda: vault.contacts.verify(aida.fingerprint), vault)
    assert vault.contacts.verify(rotated.fingerprint).verified


def test_an_older_different_card_is_refused(
    vault: UnlockedVault, aida: keys.Identity, aida_card: ContactCard
) -> None:
    newer = make_card(aida, name="Aida Kasymova", created_at=later(aida_card))
    vault.contacts.add(newer.to_bytes(), verified=True)
    refused("card_outdated", lambda: vault.contacts.add(aida_card.to_bytes()), vault)
    same_time = make_card(aida, name="Someone else", created_at=newer.created_at)
    refused("card_outdated", lambda: vault.contacts.add(same_time.to_bytes()), vault)
    assert vault.contacts.get(aida.fingerprint).name == "Aida Kasymova"


def test_same_name_other_key_is_another_contact(
    vault: UnlockedVault, aida: keys.Identity, aida_card: ContactCard
) -> None:
    impostor = keys.Identity.generate()
    first = vault.contacts.add(aida_card.to_bytes(), verified=True)
    second = vault.contacts.add(make_card(impostor, name="Aida K.").to_bytes())
    assert first.fingerprint != second.fingerprint
    assert not second.verified
    assert len(vault.contacts.list()) == 2
    error = refused("contact_ambiguous", lambda: vault.contacts.get("Aida K."), vault)
    assert error.params == {"count": 2}
    assert vault.contacts.get(aida.fingerprint) == first
    assert vault.contacts.get(fp.format_fingerprint(impostor.fingerprint)) == second


def test_get_by_name(vault: UnlockedVault, aida_card: ContactCard) -> None:
    vault.contacts.add(aida_card.to_bytes())
    bakyt = vault.contacts.add(make_card(keys.Identity.generate(), name="Бакыт").to_bytes())
    assert vault.contacts.get("Бакыт") == bakyt
    assert vault.contacts.get("  бакыт ") == bakyt  # case and surrounding spaces
    assert vault.contacts.get("aida k.").name == "Aida K."
    refused("contact_unknown", lambda: vault.contacts.get("Бакы"), vault)
    refused("contact_unknown", lambda: vault.contacts.get(""), vault)
    refused("contact_unknown", lambda: vault.contacts.get("0" * 32), vault)


def test_get_by_nfc_equivalent_name(vault: UnlockedVault) -> None:
    composed = "Détenu"
    decomposed = "De\u0301tenu"
    contact = vault.contacts.add(make_card(keys.Identity.generate(), name=decomposed).to_bytes())
    assert contact.name == decomposed  # kept exactly as signed
    assert vault.contacts.get(composed) == contact


def test_list_is_sorted_by_name(vault: UnlockedVault) -> None:
    for name in ["Чынара", "aida", "Бакыт", "Zhang Wei", "Айгуль"]:
        vault.contacts.add(make_card(keys.Identity.generate(), name=name).to_bytes())
    assert [c.name for c in vault.contacts.list()] == [
        "aida",
        "Zhang Wei",
        "Айгуль",
        "Бакыт",
        "Чынара",
    ]


@pytest.mark.parametrize(
    "typed",
    [
        lambda f: f,
        lambda f: fp.format_fingerprint(f),
        lambda f: fp.format_fingerprint(f).replace(" ", "-"),
        lambda f: " " + fp.format_fingerprint(f).replace(" ", "  ") + "\n",
        lambda f: "".join(chr(ord(c) + 0xFEE0) for c in f),  # full-width digits
    ],
)
def test_verify_accepts_the_fingerprint_as_typed(
    vault: UnlockedVault,
    aida: keys.Identity,
    aida_card: ContactCard,
    typed: Callable[[str], str],
) -> None:
    vault.contacts.add(aida_card.to_bytes())
    contact = vault.contacts.verify(typed(aida.fingerprint))
    assert contact.verified and contact.verified_at is not None
    entry = audit_tail(vault, 1)[0]
    assert entry.action == "contact_verified"
    assert entry.details == {"fingerprint": aida.fingerprint}
    # Verifying again changes nothing.
    assert vault.contacts.verify(aida.fingerprint) == contact
    assert audit_actions(vault).count("contact_verified") == 1
    assert chain_ok(vault)


def test_verify_refuses_unknown_and_malformed(
    vault: UnlockedVault, aida: keys.Identity, aida_card: ContactCard
) -> None:
    vault.contacts.add(aida_card.to_bytes())
    digits = list(aida.fingerprint)
    digits[5] = "1" if digits[5] != "1" else "2"  # one digit misheard
    refused("contact_unknown", lambda: vault.contacts.verify("".join(digits)), vault)
    refused("fingerprint_invalid", lambda: vault.contacts.verify("Aida K."), vault)
    refused("fingerprint_invalid", lambda: vault.contacts.verify(aida.fingerprint[:-1]), vault)
    assert not vault.contacts.get(aida.fingerprint).verified


def test_handoff_recipients(
    vault: UnlockedVault, aida: keys.Identity, aida_card: ContactCard
) -> None:
    vault.contacts.add(aida_card.to_bytes())
    other = vault.contacts.add(make_card(keys.Identity.generate(), name="Бакыт").to_bytes())
    error = refused(
        "contact_not_verified",
        lambda: vault.contacts.set_handoff_recipient(aida.fingerprint, True),
        vault,
    )
    assert error.params == {}
    vault.contacts.verify(aida.fingerprint)
    contact = vault.contacts.set_handoff_recipient(fp.format_fingerprint(aida.fingerprint), True)
    assert contact.handoff_recipient
    entry = audit_tail(vault, 1)[0]
    assert entry.action == "contact_handoff_recipient_set"
    assert entry.details == {"fingerprint": aida.fingerprint, "handoff_recipient": True}
    assert vault.contacts.handoff_recipients() == [contact]
    count = len(audit_actions(vault))
    assert vault.contacts.set_handoff_recipient(aida.fingerprint, True) == contact
    assert len(audit_actions(vault)) == count
    # Turning it off needs no verification, and an unverified contact can be switched off.
    assert vault.contacts.set_handoff_recipient(other.fingerprint, False) == other
    assert not vault.contacts.set_handoff_recipient(aida.fingerprint, False).handoff_recipient
    assert vault.contacts.handoff_recipients() == []
    assert chain_ok(vault)


def test_remove(vault: UnlockedVault, aida: keys.Identity, aida_card: ContactCard) -> None:
    vault.contacts.add(aida_card.to_bytes(), verified=True)
    kept = vault.contacts.add(make_card(keys.Identity.generate(), name="Бакыт").to_bytes())
    vault.contacts.remove(fp.format_fingerprint(aida.fingerprint))
    assert vault.contacts.list() == [kept]
    refused("contact_unknown", lambda: vault.contacts.get(aida.fingerprint), vault)
    refused("contact_unknown", lambda: vault.contacts.get("Aida K."), vault)
    refused("contact_unknown", lambda: vault.contacts.remove(aida.fingerprint), vault)
    entry = audit_tail(vault, 1)[0]
    assert (entry.action, entry.details) == ("contact_removed", {"fingerprint": aida.fingerprint})
    # Added again afterwards, it starts over as unverified.
    again = vault.contacts.add(aida_card.to_bytes())
    assert not again.verified
    assert chain_ok(vault)


def test_own_card_is_refused(vault: UnlockedVault) -> None:
    refused("contact_is_self", lambda: vault.contacts.add(vault.identity.card()), vault)
    own = vault.identity.keys()
    # Another signing key with this vault's encryption key is not accepted either.
    borrowed = keys.Identity(
        keys.Identity.generate().signing_private, own.encryption_private, own.created_at
    )
    card = make_card(borrowed, name="Someone")
    refused("contact_is_self", lambda: vault.contacts.add(card.to_bytes()), vault)


def test_bad_cards_change_nothing(vault: UnlockedVault, aida_card: ContactCard) -> None:
    vault.contacts.add(aida_card.to_bytes())
    obj = json.loads(aida_card.to_bytes())
    tampered = json.dumps({**obj, "name": "Aida K"}).encode()
    refused("card_signature_invalid", lambda: vault.contacts.add(tampered), vault)
    refused("card_invalid", lambda: vault.contacts.add(b"{}"), vault)
    refused("card_invalid", lambda: vault.contacts.add(b"\x00" * 100), vault)


def test_fingerprint_collision_is_ambiguous(vault: UnlockedVault) -> None:
    # Only a deliberate 2**53-work collision could do this; simulate it in the database.
    first = vault.contacts.add(make_card(keys.Identity.generate(), name="One").to_bytes())
    second = vault.contacts.add(make_card(keys.Identity.generate(), name="Two").to_bytes())
    with vault.transaction() as conn:
        conn.execute(
            "UPDATE contacts SET fingerprint = ? WHERE fingerprint = ?",
            (first.fingerprint, second.fingerprint),
        )
    for attempt in (
        lambda: vault.contacts.verify(first.fingerprint),
        lambda: vault.contacts.get(first.fingerprint),
        lambda: vault.contacts.remove(first.fingerprint),
        lambda: vault.contacts.set_handoff_recipient(first.fingerprint, False),
    ):
        refused("contact_ambiguous", attempt, vault)
    assert vault.contacts.get("Two").signing_public_key == second.signing_public_key


def test_contacts_survive_lock_and_unlock(
    vault: UnlockedVault, aida: keys.Identity, aida_card: ContactCard
) -> None:
    vault.contacts.add(aida_card.to_bytes(), verified=True)
    vault.contacts.set_handoff_recipient(aida.fingerprint, True)
    before = vault.contacts.list()
    path = vault.path
    vault.lock()
    with pytest.raises(MonitorError) as caught:
        vault.contacts.list()
    assert caught.value.code == "vault_locked"
    with lifecycle.unlock(path, PASSPHRASE) as again:
        assert again.contacts.list() == before
        assert again.contacts.handoff_recipients() == before
        assert chain_ok(again)


def test_names_stay_out_of_the_audit_log(vault: UnlockedVault) -> None:
    name = "Секретное Имя 秘密"
    contact = vault.contacts.add(make_card(keys.Identity.generate(), name=name).to_bytes())
    vault.contacts.verify(contact.fingerprint)
    vault.contacts.remove(contact.fingerprint)
    with vault.reading() as conn:
        stored = conn.execute("SELECT details FROM audit").fetchall()
    assert all(name not in row[0] for row in stored)


def test_two_vaults_exchange_cards(vault: UnlockedVault, tmp_path: Path) -> None:
    other, _ = lifecycle.create_vault(
        tmp_path / "hub", PASSPHRASE, name="Coalition hub", organisation="Коалиция"
    )
    with other:
        hub = vault.contacts.add(other.identity.card(role="hub"))
        monitor = other.contacts.add(vault.identity.card())
        assert (hub.name, hub.organisation, hub.role) == ("Coalition hub", "Коалиция", "hub")
        assert (monitor.name, monitor.organisation) == ("Test Monitor", "Test Org")
        # Each reads their own fingerprint aloud; the other types what they hear.
        heard_by_monitor = fp.format_fingerprint(other.identity.fingerprint)
        heard_by_hub = fp.format_fingerprint(vault.identity.fingerprint)
        assert vault.contacts.verify(heard_by_monitor).verified
        assert other.contacts.verify(heard_by_hub).verified
        assert vault.contacts.set_handoff_recipient(hub.fingerprint, True).handoff_recipient
        assert [c.encryption_public_key for c in vault.contacts.handoff_recipients()] == [
            other.identity.encryption_public_key
        ]
        assert chain_ok(vault) and chain_ok(other)


def test_contact_is_immutable(vault: UnlockedVault, aida_card: ContactCard) -> None:
    contact = vault.contacts.add(aida_card.to_bytes())
    with pytest.raises(dataclasses.FrozenInstanceError):
        contact.name = "x"  # type: ignore[misc]
    assert isinstance(ContactError("contact_unknown"), MonitorError)
