"""The monitorctl command line: arguments only, no behaviour.

Help texts are in the user's language: ``build_parser`` runs after main() installs it. The
words argparse adds itself ("usage:", "options", its error sentences) stay in English.
"""

from __future__ import annotations

import argparse

from monitor_app.cli.age_commands import AGE_HELP, add_age_parser
from monitor_app.cli.bundle_commands import (
    EXPORT_HELP,
    IMPORT_HELP,
    PURGE_HELP,
    RECEIPT_HELP,
    RELEASE_HELP,
    VERIFY_HELP,
    add_bundle_file_parser,
    add_export_parser,
    add_purge_parser,
    add_receipt_parser,
    add_release_parser,
)
from monitor_app.cli.dossier_commands import DOSSIER_HELP, add_dossier_parser
from monitor_app.cli.filter_args import SORTS, add_filter_arguments
from monitor_app.cli.identity_commands import (
    CONTACT_HELP,
    IDENTITY_HELP,
    add_contact_parser,
    add_identity_parser,
)
from monitor_app.i18n import N_, _

GLOBAL_HELP = {
    "vault": N_("vault directory (default: the per-user data directory)"),
    "passphrase_file": N_(
        "read the passphrase from FILE ('-' for standard input); without it, you are asked "
        "on the terminal"
    ),
    "json": N_("machine-readable output"),
}


def _add_globals(
    parser: argparse.ArgumentParser, *, suppress: bool, with_json_flag: bool = True
) -> None:
    # Accepted both before and after the command; SUPPRESS keeps a subcommand from
    # resetting a value given before it.
    default = argparse.SUPPRESS if suppress else None
    helps = {key: _(text) for key, text in GLOBAL_HELP.items()}
    parser.add_argument("--vault", metavar="DIR", default=default, help=helps["vault"])
    parser.add_argument(
        "--passphrase-file", metavar="FILE", default=default, help=helps["passphrase_file"]
    )
    if not with_json_flag:
        return
    parser.add_argument(
        "--json",
        action="store_true",
        default=argparse.SUPPRESS if suppress else False,
        help=helps["json"],
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="monitorctl",
        description=_("Encrypted records of detention-monitoring visits and incidents."),
    )
    _add_globals(parser, suppress=False)
    parser.add_argument(
        "--portable",
        nargs="?",
        const="",
        metavar="DIR",
        help=_(
            "keep the default vault beside the app (or in DIR) and write nothing to this "
            "computer's home or keyring (a portable app on a USB stick does this by itself)"
        ),
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        _add_globals(sub, suppress=True)
        return sub

    init = command("init", _("create a new vault and print its recovery code once"))
    init.add_argument("--name", required=True, help=_("your name or role as the author"))
    init.add_argument("--org", help=_("your organisation"))
    init.add_argument(
        "--remember-on-this-computer",
        action="store_true",
        help=_("also require a secret kept in this computer's system keyring"),
    )

    command("info", _("show the vault's id, name and record counts"))

    vocab = command("vocab", _("list controlled vocabularies, or the codes of one"))
    vocab.add_argument("name", nargs="?")
    vocab.add_argument("--lang", help=_("label language (en, ru, fr, zh_CN, ky)"))

    record = command("record", _("add, edit, show, list and delete records"))
    actions = record.add_subparsers(dest="action", required=True, metavar="ACTION")

    def action(name: str, help_text: str, json_flag: bool = True) -> argparse.ArgumentParser:
        sub = actions.add_parser(name, help=help_text, description=help_text)
        _add_globals(sub, suppress=True, with_json_flag=json_flag)
        return sub

    types = ("place", "visit", "incident", "person")
    # Here --json names the input document (FILE or -); for JSON output put --json before
    # the command: monitorctl --json record add --type place --json record.json
    add = action("add", _("add a record from a JSON object; prints the new id"), json_flag=False)
    add.add_argument("--type", required=True, choices=types)
    add.add_argument("--json-file", "--json", dest="document", metavar="FILE|-", required=True)
    edit = action(
        "edit", _("apply a JSON object of changed fields as a new revision"), json_flag=False
    )
    edit.add_argument("record_id", metavar="ID")
    edit.add_argument("--json-file", "--json", dest="document", metavar="FILE|-", required=True)
    show = action("show", _("show a record"))
    show.add_argument("record_id", metavar="ID")
    show.add_argument("--revision", type=int)
    show.add_argument("--reveal-sensitive", action="store_true")
    listing = action("list", _("list records, newest first, narrowed by filters"))
    add_filter_arguments(listing)
    listing.add_argument("--text", default="", help=_("words the records must hold"))
    listing.add_argument("--sort", choices=tuple(SORTS), default="date")
    listing.add_argument("--ascending", action="store_true", help=_("oldest or A first"))
    listing.add_argument("--offset", type=int, default=0)
    history = action("history", _("list a record's revisions and what changed"))
    history.add_argument("record_id", metavar="ID")
    delete = action("delete", _("delete a record; the reason goes into the audit log"))
    delete.add_argument("record_id", metavar="ID")
    delete.add_argument("--reason", required=True)

    attach = command("attach", _("add a file to a record; prints its id and SHA-256"))
    attach.add_argument("record_id", metavar="RECORD_ID")
    attach.add_argument("file", metavar="FILE")
    attach.add_argument("--caption")
    attach.add_argument("--media-type")

    attachment = command("attachment", _("list attachments or save a copy of one"))
    att_actions = attachment.add_subparsers(dest="action", required=True, metavar="ACTION")
    get = att_actions.add_parser("get", help=_("save a plaintext copy to a file you choose"))
    _add_globals(get, suppress=True)
    get.add_argument("attachment_id", metavar="ATTACHMENT_ID")
    get.add_argument("--out", required=True, metavar="FILE")
    get.add_argument("--force", action="store_true", help=_("overwrite FILE if it exists"))
    att_list = att_actions.add_parser("list", help=_("list a record's attachments"))
    _add_globals(att_list, suppress=True)
    att_list.add_argument("record_id", metavar="RECORD_ID")

    search = command("search", _("full-text search in every language"))
    search.add_argument("query")
    add_filter_arguments(search)

    add_dossier_parser(
        command("dossier", _(DOSSIER_HELP)), lambda sub: _add_globals(sub, suppress=True)
    )

    audit = command("audit", _("check or show the audit log"))
    audit_actions = audit.add_subparsers(dest="action", required=True, metavar="ACTION")
    verify = audit_actions.add_parser("verify", help=_("check the hash chain"))
    _add_globals(verify, suppress=True)
    log = audit_actions.add_parser("log", help=_("show audit entries"))
    _add_globals(log, suppress=True)
    log.add_argument("--limit", type=int, default=100)
    log.add_argument("--offset", type=int, default=0)

    passwd = command("passwd", _("change the passphrase (the data is not re-encrypted)"))
    passwd.add_argument("--new-passphrase-file", metavar="FILE")
    recover = command("recover", _("unlock with the recovery code and set a new passphrase"))
    recover.add_argument("--recovery-code-file", required=True, metavar="FILE")
    recover.add_argument("--new-passphrase-file", metavar="FILE")

    add_age_parser(command("age", _(AGE_HELP)), lambda sub: _add_globals(sub, suppress=True))
    add_identity_parser(
        command("identity", _(IDENTITY_HELP)), lambda sub: _add_globals(sub, suppress=True)
    )
    add_contact_parser(
        command("contact", _(CONTACT_HELP)), lambda sub: _add_globals(sub, suppress=True)
    )
    add_export_parser(
        command("export", _(EXPORT_HELP)), lambda sub: _add_globals(sub, suppress=True)
    )
    add_bundle_file_parser(command("verify", _(VERIFY_HELP)), lambda sub: None)
    add_bundle_file_parser(command("import", _(IMPORT_HELP)), lambda sub: None)
    add_receipt_parser(command("receipt", _(RECEIPT_HELP)), lambda sub: None)
    add_release_parser(command("release", _(RELEASE_HELP)), lambda sub: None)
    add_purge_parser(command("purge", _(PURGE_HELP)), lambda sub: None)
    return parser
