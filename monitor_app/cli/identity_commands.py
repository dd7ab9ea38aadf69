"""``monitorctl identity ...`` and ``monitorctl contact ...``: the vault's keys and its contacts.

``identity show`` prints the fingerprint to read aloud and the public keys in the forms the
age and minisign tools take. ``identity card`` writes the vault's self-signed contact card.
``identity export-age-identity`` writes the vault's X25519 secret key as an age identity file
(the format age-keygen writes), for decrypting bundles with the age tool; it is the only
command that ever puts the vault's secret key outside the encrypted database, so it warns on
standard error every time, needs ``--yes`` or a "yes" typed on the terminal, never writes to
standard output, never replaces an existing file, and is recorded in the audit log (without
key material).

``contact`` adds cards received from others (unverified until their fingerprint has been
compared aloud), marks them verified, lists, shows and removes them, and chooses which
verified contacts receive handoff bundles. Text from cards is untrusted: human output goes
through ``io.safe_text``. Human output is in the user's language (``_``); labels are
translated whole and aligned by ``io.aligned``.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from monitor_app.cli import io
from monitor_app.clock import now
from monitor_app.crypto import age, minisign
from monitor_app.errors import MonitorError
from monitor_app.fsutil import atomic_writer, write_new_file
from monitor_app.i18n import N_, _
from monitor_app.identity import fingerprint as fp
from monitor_app.identity.card import MAX_CARD_BYTES
from monitor_app.identity.contacts import Contact
from monitor_app.records import audit

if TYPE_CHECKING:
    from monitor_app.cli.commands import Outcome

__all__ = [
    "CONTACT_HELP",
    "IDENTITY_HELP",
    "add_contact_parser",
    "add_identity_parser",
    "cmd_contact",
    "cmd_identity",
]

# Marked with N_ so that the catalog collects them; translated where they are shown.
IDENTITY_HELP = N_("show this vault's fingerprint and public keys, or write its contact card")
CONTACT_HELP = N_("add, verify, list and remove contacts, and choose handoff recipients")

AGE_IDENTITY_AUDIT_ACTION = "age_identity_exported"
EXPORT_WARNING = N_(
    "WARNING: {path} will hold this vault's secret decryption key. Anyone who holds a copy "
    "can read every bundle sent to this vault. Keep it only on encrypted storage, and delete "
    "it as soon as you no longer need it."
)
# The answer stays "yes" in every language (translations say so).
CONFIRM_PROMPT = N_("Type yes to write the secret key to {path}:")
UNVERIFIED_HINT = N_(
    "UNVERIFIED contacts: compare the fingerprint aloud with the person (in person or on a "
    "call you trust), then run: monitorctl contact verify FINGERPRINT"
)

_STDIO = "-"

AddGlobals = Callable[[argparse.ArgumentParser], None]


# --- arguments ----------------------------------------------------------------------------


def _subparsers(parser: argparse.ArgumentParser, add_globals: AddGlobals) -> Any:
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    def action(name: str, help_text: str) -> argparse.ArgumentParser:
        sub: argparse.ArgumentParser = actions.add_parser(
            name, help=help_text, description=help_text
        )
        add_globals(sub)
        return sub

    return action


def add_identity_parser(parser: argparse.ArgumentParser, add_globals: AddGlobals) -> None:
    """Add ``show``, ``card`` and ``export-age-identity`` to the ``identity`` command."""
    action = _subparsers(parser, add_globals)
    action("show", _("show the fingerprint, age recipient and minisign public key"))

    card = action("card", _("write this vault's self-signed contact card, to give to others"))
    card.add_argument(
        "--out", required=True, metavar="FILE", help=_("the card file ('-' for standard output)")
    )
    card.add_argument("--role", help=_("your role in the coalition, shown to those you give it"))
    card.add_argument("--force", action="store_true", help=_("overwrite FILE if it exists"))

    export = action(
        "export-age-identity",
        _("write this vault's SECRET decryption key as an age identity file (age -d -i FILE)"),
    )
    export.add_argument(
        "--out", required=True, metavar="FILE", help=_("a new file, on encrypted storage")
    )
    export.add_argument(
        "--yes",
        action="store_true",
        help=_("confirm without being asked (needed when there is no terminal)"),
    )


def add_contact_parser(parser: argparse.ArgumentParser, add_globals: AddGlobals) -> None:
    """Add the ``contact`` actions. Fingerprints may be typed as groups of four digits."""
    action = _subparsers(parser, add_globals)
    fingerprint_help = _("the contact's fingerprint (32 digits, spaces allowed)")

    add = action("add", _("add or update a contact from a card file"))
    add.add_argument("card", metavar="CARD", help=_("the card file ('-' for standard input)"))
    add.add_argument(
        "--verified",
        action="store_true",
        help=_("you have already compared the card's fingerprint with its owner"),
    )

    verify = action("verify", _("mark a contact verified, once you compared fingerprints aloud"))
    verify.add_argument("fingerprint", nargs="+", metavar="FINGERPRINT", help=fingerprint_help)

    action("list", _("list contacts; UNVERIFIED ones are marked"))

    show = action("show", _("show one contact"))
    show.add_argument("who", nargs="+", metavar="FINGERPRINT|NAME")

    recipient = action("recipient", _("choose whether a verified contact receives handoffs"))
    recipient.add_argument("fingerprint", nargs="+", metavar="FINGERPRINT", help=fingerprint_help)
    switch = recipient.add_mutually_exclusive_group(required=True)
    switch.add_argument(
        "--on", dest="recipient", action="store_true", help=_("send handoff bundles to them")
    )
    switch.add_argument(
        "--off", dest="recipient", action="store_false", help=_("stop sending them bundles")
    )

    custodian = action("custodian", _("choose whether a verified contact's receipts allow a purge"))
    custodian.add_argument("fingerprint", nargs="+", metavar="FINGERPRINT", help=fingerprint_help)
    holds = custodian.add_mutually_exclusive_group(required=True)
    holds.add_argument(
        "--on",
        dest="custodian",
        action="store_true",
        help=_("they hold my records for good: their receipts free this computer"),
    )
    holds.add_argument(
        "--off", dest="custodian", action="store_false", help=_("their receipts purge nothing")
    )

    remove = action("remove", _("remove a contact"))
    remove.add_argument("fingerprint", nargs="+", metavar="FINGERPRINT", help=fingerprint_help)


# --- shared -------------------------------------------------------------------------------


def _outcome(result: Any, lines: list[str]) -> Outcome:
    from monitor_app.cli.commands import Outcome

    return Outcome(result, lines)


def _text(value: str | None) -> str:
    return "-" if value is None else io.safe_text(value)


def _fingerprint_arg(words: list[str]) -> str:
    return fp.parse(" ".join(words))


# --- identity -----------------------------------------------------------------------------


def cmd_identity(args: argparse.Namespace) -> Outcome:
    handlers = {
        "show": _identity_show,
        "card": _identity_card,
        "export-age-identity": _identity_export_age,
    }
    return handlers[args.action](args)


def _identity_show(args: argparse.Namespace) -> Outcome:
    with io.unlock_vault(args) as vault:
        keys = vault.identity.keys()
        author = vault.author
        signing_public = keys.signing_private.public_key()
        result = {
            "fingerprint": keys.fingerprint,
            "fingerprint_display": fp.format_fingerprint(keys.fingerprint),
            "age_recipient": age.X25519Recipient(keys.encryption_public).encode(),
            "minisign_public_key": minisign.public_key_base64(signing_public),
            "minisign_key_id": minisign.key_id_hex(minisign.key_id_for(signing_public)),
            "name": author.name,
            "organisation": author.organisation,
            "created_at": keys.created_at,
        }
    rows = [
        (_("Name:"), _text(author.name)),
        (_("Organisation:"), _text(author.organisation)),
        (_("Fingerprint:"), str(result["fingerprint_display"])),
        (_("age recipient:"), str(result["age_recipient"])),
        (_("minisign public key:"), str(result["minisign_public_key"])),
    ]
    lines = [
        *io.aligned(rows),
        "",
        _("Read the fingerprint aloud to the people you give your card to."),
    ]
    return _outcome(result, lines)


def _identity_card(args: argparse.Namespace) -> Outcome:
    to_stdout = args.out == _STDIO
    if to_stdout and args.json:
        raise MonitorError("output_file_required")
    target = None if to_stdout else io.check_output_path(Path(args.out))
    if target is not None and target.exists() and not args.force:
        raise MonitorError("output_exists", path=str(target))
    with io.unlock_vault(args) as vault:
        contact_card = vault.identity.contact_card(role=args.role)
    data = contact_card.to_bytes()
    if target is None:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return _outcome({"out": _STDIO}, [])
    with atomic_writer(target) as handle:
        handle.write(data)
    display = fp.format_fingerprint(contact_card.fingerprint)
    return _outcome(
        {"out": str(target), "fingerprint": contact_card.fingerprint, "role": contact_card.role},
        [
            _(
                "Your card was saved to {path}. Give it to your contacts and read your "
                "fingerprint aloud to them."
            ).format(path=target),
            *io.aligned([(_("Fingerprint:"), display)]),
        ],
    )


def _identity_export_age(args: argparse.Namespace) -> Outcome:
    # Every time, whatever follows, and on stderr so that --json output stays clean.
    sys.stderr.write("monitorctl: " + _(EXPORT_WARNING).format(path=args.out) + "\n")
    sys.stderr.flush()
    if args.out == _STDIO:
        raise MonitorError("secret_key_to_stdout")
    target = io.check_output_path(Path(args.out))
    if target.exists() or target.is_symlink():
        raise MonitorError("output_exists", path=str(target))
    _confirm_export(args, target)
    with io.unlock_vault(args) as vault:
        keys = vault.identity.keys()
        identity = age.X25519Identity(keys.encryption_private)
        recipient = identity.recipient.encode()
        text = (
            f"# created: {now().isoformat(timespec='seconds')}\n"
            f"# public key: {recipient}\n"
            f"{identity.encode()}\n"
        )
        actor = vault.author.author_id
        created = False
        try:
            with vault.transaction() as conn:
                # Committed only once the file is complete; no key material in the entry.
                audit.append(
                    conn, actor, AGE_IDENTITY_AUDIT_ACTION, None, {"fingerprint": keys.fingerprint}
                )
                write_new_file(target, text.encode("ascii"))
                created = True
        except BaseException:
            if created:  # the audit entry did not commit: take the key file back
                with contextlib.suppress(OSError):
                    target.unlink()
            raise
    return _outcome(
        {"out": str(target), "age_recipient": recipient, "fingerprint": keys.fingerprint},
        [
            _("Wrote the age identity (secret key) to {path}.").format(path=target),
            _("Its public key: {recipient}").format(recipient=recipient),
            _("Decrypt with: age -d -i FILE BUNDLE_FILE. Delete FILE when you are done."),
        ],
    )


def _confirm_export(args: argparse.Namespace, target: Path) -> None:
    if args.yes:
        return
    stdin = sys.stdin
    if stdin is None or not stdin.isatty():
        raise MonitorError("confirmation_required")
    sys.stderr.write(_(CONFIRM_PROMPT).format(path=target) + " ")
    sys.stderr.flush()
    answer = stdin.readline(64)
    if answer.strip().casefold() != "yes":
        raise MonitorError("cancelled")


# --- contacts -----------------------------------------------------------------------------


def cmd_contact(args: argparse.Namespace) -> Outcome:
    handlers = {
        "add": _contact_add,
        "verify": _contact_verify,
        "list": _contact_list,
        "show": _contact_show,
        "recipient": _contact_recipient,
        "custodian": _contact_custodian,
        "remove": _contact_remove,
    }
    return handlers[args.action](args)


def _read_card(source: str) -> bytes:
    """The card file's bytes; one byte more than a card may hold, so parse_card says too_large."""
    try:
        if source == _STDIO:
            return sys.stdin.buffer.read(MAX_CARD_BYTES + 1)
        with open(source, "rb") as handle:
            return handle.read(MAX_CARD_BYTES + 1)
    except OSError:
        raise MonitorError("file_unreadable", path=source) from None


def _contact_json(contact: Contact) -> dict[str, Any]:
    return {
        **contact.to_json(),
        "age_recipient": age.X25519Recipient(contact.encryption_public_key).encode(),
    }


def _contact_lines(contact: Contact, *, details: bool = False) -> list[str]:
    status = _("VERIFIED") if contact.verified else _("UNVERIFIED")
    verified = (
        _("yes ({when})").format(when=contact.verified_at)
        if contact.verified
        else _("no (UNVERIFIED)")
    )
    rows = [
        (_("name:"), _text(contact.name)),
        (_("organisation:"), _text(contact.organisation)),
        (_("role:"), _text(contact.role)),
        (_("verified:"), verified),
        (_("handoff recipient:"), _("yes") if contact.handoff_recipient else _("no")),
        (_("custodian:"), _("yes") if contact.custodian else _("no")),
    ]
    detail_rows = [
        (_("age recipient:"), age.X25519Recipient(contact.encryption_public_key).encode()),
        (_("card made:"), contact.card_created_at),
        (_("added:"), contact.added_at),
        (_("updated:"), contact.updated_at),
    ]
    # One column for the short and the detailed listing alike.
    width = io.label_width([label for label, _value in rows + detail_rows])
    if details:
        rows += detail_rows
    return [
        f"{contact.fingerprint_display}  {_text(contact.name)}  {status}",
        *io.aligned(rows, indent="    ", width=width),
    ]


def _verify_hint(contact: Contact) -> list[str]:
    if contact.verified:
        return []
    return [
        "",
        _(
            "This contact is UNVERIFIED. Compare the fingerprint above aloud with {name} (in "
            "person or on a call you trust), then run:"
        ).format(name=_text(contact.name)),
        f"    monitorctl contact verify {contact.fingerprint_display}",
    ]


def _contact_add(args: argparse.Namespace) -> Outcome:
    with io.unlock_vault(args) as vault:
        data = _read_card(args.card)
        contact = vault.contacts.add(data, verified=args.verified)
    return _outcome(
        _contact_json(contact),
        [_("Contact saved:"), *_contact_lines(contact), *_verify_hint(contact)],
    )


def _contact_verify(args: argparse.Namespace) -> Outcome:
    canonical = _fingerprint_arg(args.fingerprint)
    with io.unlock_vault(args) as vault:
        contact = vault.contacts.verify(canonical)
    return _outcome(_contact_json(contact), [_("Contact verified:"), *_contact_lines(contact)])


def _contact_list(args: argparse.Namespace) -> Outcome:
    with io.unlock_vault(args) as vault:
        contacts = vault.contacts.list()
    if not contacts:
        return _outcome({"contacts": []}, [_("No contacts yet. Add a card with: contact add CARD")])
    lines: list[str] = []
    for contact in contacts:
        lines += _contact_lines(contact)
    if any(not c.verified for c in contacts):
        lines += ["", _(UNVERIFIED_HINT)]
    return _outcome({"contacts": [_contact_json(c) for c in contacts]}, lines)


def _contact_show(args: argparse.Namespace) -> Outcome:
    with io.unlock_vault(args) as vault:
        contact = vault.contacts.get(" ".join(args.who))
    return _outcome(
        _contact_json(contact), [*_contact_lines(contact, details=True), *_verify_hint(contact)]
    )


def _contact_recipient(args: argparse.Namespace) -> Outcome:
    canonical = _fingerprint_arg(args.fingerprint)
    with io.unlock_vault(args) as vault:
        contact = vault.contacts.set_handoff_recipient(canonical, bool(args.recipient))
    if contact.handoff_recipient:
        said = _("{name} ({fingerprint}) now receives handoff bundles.")
    else:
        said = _("{name} ({fingerprint}) no longer receives handoff bundles.")
    return _outcome(
        _contact_json(contact),
        [said.format(name=_text(contact.name), fingerprint=contact.fingerprint_display)],
    )


def _contact_custodian(args: argparse.Namespace) -> Outcome:
    canonical = _fingerprint_arg(args.fingerprint)
    with io.unlock_vault(args) as vault:
        contact = vault.contacts.set_custodian(canonical, bool(args.custodian))
    if contact.custodian:
        said = _("{name} ({fingerprint}) now holds your records: their receipts allow a purge.")
    else:
        said = _("Receipts from {name} ({fingerprint}) no longer allow a purge.")
    return _outcome(
        _contact_json(contact),
        [said.format(name=_text(contact.name), fingerprint=contact.fingerprint_display)],
    )


def _contact_remove(args: argparse.Namespace) -> Outcome:
    canonical = _fingerprint_arg(args.fingerprint)
    with io.unlock_vault(args) as vault:
        contact = vault.contacts.get(canonical)
        vault.contacts.remove(canonical)
    return _outcome(
        {"fingerprint": canonical, "removed": True},
        [
            _("Removed contact {name} ({fingerprint}).").format(
                name=_text(contact.name), fingerprint=contact.fingerprint_display
            )
        ],
    )
