"""The demo vault's contacts and handoff history, made the real way: with the other parties'
own throwaway vaults, real cards, real bundles and a real receipt.

Everyone here is invented, and every organisation says so. The story the demo vault tells:

- **Coalition hub (demo)**: verified, chosen as handoff recipient. Bundle 1 (every record)
  went to the hub and to a colleague; the hub imported it and its receipt came back. Bundle 3
  (the colleague's update, passed on) has no receipt yet.
- **Монитор 2 (демо)**: the team's doctor on the March visit, verified. Imported bundle 1, added
  a source to one incident and sent it back (bundle in, imported); bundle 2 is this vault's
  receipt for it.
- **Sample Reviewer (demo)**: a legal-aid reviewer whose card was checked in person; nothing
  exchanged yet, so a card made from fresh keys is all the reviewer needs (no vault).
- **Жаңы монитор (демо)**: a new monitor whose card came in but whose fingerprint was never
  compared: unverified, so the bundle they sent waits in quarantine.

The other parties' vaults are made in ``workspace`` with the minimum KDF cost and a random
passphrase, and removed with everything in them once the history is written; the bundle files
stay in ``workspace / BUNDLES_DIR``, so that the quarantined one can be imported again once its
signer is verified. Nothing is written outside ``workspace``. The three vaults' key
derivations (two each) are most of the time this takes, about 1.5 seconds; every time shown is
the time the demo was made, as the core takes each from the clock.
"""

from __future__ import annotations

import contextlib
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from monitor_app.bundles.export import export_bundle
from monitor_app.bundles.importing import import_bundle
from monitor_app.bundles.receipts import export_receipt
from monitor_app.crypto import kdf
from monitor_app.fsutil import make_private_dir
from monitor_app.identity.card import make_card
from monitor_app.identity.keys import Identity
from monitor_app.vault import lifecycle
from monitor_app.vault.session import UnlockedVault

BUNDLES_DIR = "bundles"  # in the workspace: the "USB stick" the demo's bundles travelled on
_PARTIES_DIR = "parties"  # in the workspace: the other parties' vaults, removed at the end

# The demo incident the colleague adds a source to: the most recently added one, so that the
# update leaves the order of "recently changed" records as it was.
UPDATED_INCIDENT = "Surveillance of a coalition meeting"
_ADDED_SOURCE = {
    "source_type": "third_party",
    "reliability": "credible",
    "notes": "Hotel staff confirmed that the police asked them to cancel the booking (demo).",
}


@dataclass(frozen=True)
class Party:
    name: str
    role: str
    organisation: str | None = None  # None: the demo vault's own (fictitious) coalition


# Short roles and organisations: the contacts table shows them beside the fingerprints.
HUB = Party("Coalition hub (demo)", "hub")
COLLEAGUE = Party("Монитор 2 (демо)", "doctor")
REVIEWER = Party("Sample Reviewer (demo)", "legal aid", "Legal aid centre (fictitious)")
NEWCOMER = Party("Жаңы монитор (демо)", "monitor")

_NEWCOMER_INCIDENT: dict[str, Any] = {
    "title": "Укук коргоочуну коркутуу",
    "incident_type": "threats_and_intimidation",
    "description": "Белгисиз адамдар укук коргоочуга телефон чалып, арызын кайтарып алууну "
    "талап кылышкан. Демо маалымат, окуялар ойдон чыгарылган.",
    "occurred_on": {"date": "2024-08", "precision": "month"},
    "location_text": "Түштүк облусу (демо)",
    "reprisal_risk": "medium",
    "case_status": "new",
}


def _party_vault(
    directory: Path, party: Party, coalition: str | None, stack: contextlib.ExitStack
) -> UnlockedVault:
    """A throwaway vault of ``party``, locked when ``stack`` closes."""
    vault, _code = lifecycle.create_vault(
        directory,
        secrets.token_urlsafe(24),  # never needed: the vault is deleted without being reopened
        name=party.name,
        organisation=party.organisation or coalition,
        kdf_params=kdf.MINIMUM,
    )
    stack.callback(vault.lock)
    return vault


def _card(vault: UnlockedVault, party: Party) -> bytes:
    return vault.identity.card(role=party.role)


def _incident_titled(vault: UnlockedVault, title: str) -> str:
    for row in vault.records.list("incident"):
        if vault.records.get(row.record_id).fields.get("title") == title:
            return row.record_id
    raise LookupError(f"no demo incident titled {title!r}")


def populate_handoff(vault: UnlockedVault, workspace: Path) -> None:
    """Give the demo ``vault`` (its records already in) the contacts and handoff history
    described in the module notes, working in the folder ``workspace``."""
    stick = workspace / BUNDLES_DIR
    parties = workspace / _PARTIES_DIR
    make_private_dir(stick)
    make_private_dir(parties)
    with contextlib.ExitStack() as stack:
        stack.callback(shutil.rmtree, parties, ignore_errors=True)  # runs after the locks
        coalition = vault.author.organisation
        hub = _party_vault(parties / "hub", HUB, coalition, stack)
        colleague = _party_vault(parties / "colleague", COLLEAGUE, coalition, stack)
        newcomer = _party_vault(parties / "newcomer", NEWCOMER, coalition, stack)

        # Cards: exchanged in person and checked aloud, but for the newcomer's.
        own_card = vault.identity.card()
        for other in (hub, colleague, newcomer):
            other.contacts.add(own_card, verified=True)
        to_hub = vault.contacts.add(_card(hub, HUB), verified=True)
        to_hub = vault.contacts.set_handoff_recipient(to_hub.fingerprint, True)
        to_colleague = vault.contacts.add(_card(colleague, COLLEAGUE), verified=True)
        reviewer = make_card(
            Identity.generate(),
            name=REVIEWER.name,
            organisation=REVIEWER.organisation,
            role=REVIEWER.role,
        )
        vault.contacts.add(reviewer.to_bytes(), verified=True)
        vault.contacts.add(_card(newcomer, NEWCOMER), verified=False)

        # Bundle 1, every record, to the hub and the colleague; the hub's receipt comes back.
        first = export_bundle(vault, stick, contacts=[to_hub, to_colleague])
        import_bundle(hub, first.path)
        receipt = export_receipt(hub, first.bundle_id, stick)
        import_bundle(vault, receipt.path)

        # The colleague adds a source to one incident and sends the update back.
        import_bundle(colleague, first.path)
        record_id = _incident_titled(colleague, UPDATED_INCIDENT)
        sources = list(colleague.records.get(record_id).fields.get("sources", []))
        colleague.records.edit(record_id, {"sources": [*sources, _ADDED_SOURCE]})
        back = colleague.contacts.get(vault.identity.fingerprint)
        update = export_bundle(colleague, stick, contacts=[back])
        import_bundle(vault, update.path)
        export_receipt(vault, update.bundle_id, stick)  # bundle 2
        export_bundle(vault, stick, contacts=[to_hub])  # bundle 3: the update, for the hub

        # The newcomer's bundle: their card is not verified here, so it waits in quarantine.
        newcomer.records.add("incident", _NEWCOMER_INCIDENT)
        to_vault = newcomer.contacts.get(vault.identity.fingerprint)
        import_bundle(vault, export_bundle(newcomer, stick, contacts=[to_vault]).path)
