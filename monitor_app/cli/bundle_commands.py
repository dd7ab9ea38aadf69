"""``monitorctl export``, ``verify`` and ``import``: handoff bundles from the command line.

``--out`` names the file to write; its folder must exist. Without ``--out`` the bundle gets a
random, neutral name in the current folder. Contacts are named by fingerprint or by name and
must be verified. The bundle id, size and what went in are printed; nothing of the content.
``verify`` decrypts and checks a bundle without merging it; ``import`` merges it (or puts it
in quarantine when the signer is not a verified contact). Names from cards are untrusted text.
``purge --handed-off`` removes what receipts confirm, then re-keys the vault.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from monitor_app.bundles import purge
from monitor_app.bundles.export import export_bundle
from monitor_app.bundles.importing import import_bundle
from monitor_app.bundles.reading import BundleSummary, verify_bundle
from monitor_app.bundles.receipts import export_receipt
from monitor_app.cli import io
from monitor_app.vault import lifecycle

if TYPE_CHECKING:
    from monitor_app.cli.commands import Outcome

EXPORT_HELP = "write a signed, encrypted bundle of what the recipients do not have yet"
VERIFY_HELP = "decrypt and check a bundle without importing it; print its summary"
IMPORT_HELP = "check a bundle and merge its records into the vault (or apply a receipt)"
RECEIPT_HELP = "write a signed receipt, for its author, of a bundle imported here"
PURGE_HELP = "remove from this vault the records that recipients confirmed with a receipt"


def add_export_parser(
    parser: argparse.ArgumentParser, add_globals: Callable[[argparse.ArgumentParser], None]
) -> None:
    del add_globals  # the command's own parser already has the global options
    parser.add_argument(
        "--to",
        action="append",
        default=[],
        metavar="CONTACT",
        help="a verified contact (fingerprint or name); repeat for several",
    )
    parser.add_argument(
        "--to-age",
        action="append",
        default=[],
        metavar="AGE_RECIPIENT",
        help="also encrypt to this age1... key (an offline archive); repeat for several",
    )
    parser.add_argument(
        "--select",
        nargs="+",
        metavar="ID",
        help="only these records (default: everything not yet handed to the recipients)",
    )
    parser.add_argument("--out", metavar="FILE", help="the bundle file to write")


def cmd_export(args: argparse.Namespace) -> Outcome:
    from monitor_app.cli.commands import Outcome

    secret = io.read_secret_line(args.passphrase_file, "Passphrase: ")
    with lifecycle.unlock(Path(args.vault), secret) as vault:
        contacts = [vault.contacts.get(name) for name in args.to]
        if args.out:
            target = Path(args.out)
            destination, file_name = target.parent, target.name
        else:
            destination, file_name = Path.cwd(), None
        result = export_bundle(
            vault,
            destination,
            contacts=contacts,
            archive_recipients=args.to_age,
            record_ids=args.select,
            file_name=file_name,
            progress=io.terminal_progress(),
        )
    lines = [
        f"{result.path}",
        f"bundle {result.bundle_id}, sequence {result.sequence}, {result.size} bytes",
        f"{result.revisions} record revisions, {result.attachments} attachments",
    ]
    if result.redacted_people:
        lines.append(
            f"identifying fields of {result.redacted_people} people left out (no consent to"
            " share with the coalition)"
        )
    return Outcome(result.to_json(), lines)


def add_bundle_file_parser(
    parser: argparse.ArgumentParser, add_globals: Callable[[argparse.ArgumentParser], None]
) -> None:
    del add_globals
    parser.add_argument("bundle", metavar="BUNDLE", help="the bundle file")


def _summary_lines(summary: BundleSummary) -> list[str]:
    signer = (
        "verified contact"
        if summary.signer_verified
        else ("UNVERIFIED contact" if summary.signer_known else "UNKNOWN signer")
    )
    return [
        f"bundle {summary.bundle_id} ({summary.kind}), sequence {summary.sequence}",
        f"from {io.safe_text(summary.author_name)} [{signer}], fingerprint"
        f" {summary.author_fingerprint}",
        f"{summary.records} records, {summary.revisions} revisions,"
        f" {summary.attachments} attachments",
    ]


def cmd_verify(args: argparse.Namespace) -> Outcome:
    from monitor_app.cli.commands import Outcome

    secret = io.read_secret_line(args.passphrase_file, "Passphrase: ")
    with lifecycle.unlock(Path(args.vault), secret) as vault:
        summary = verify_bundle(vault, Path(args.bundle), progress=io.terminal_progress())
    return Outcome(
        summary.to_json(), ["bundle is intact and correctly signed", *_summary_lines(summary)]
    )


def cmd_import(args: argparse.Namespace) -> Outcome:
    from monitor_app.cli.commands import Outcome

    secret = io.read_secret_line(args.passphrase_file, "Passphrase: ")
    with lifecycle.unlock(Path(args.vault), secret) as vault:
        result = import_bundle(vault, Path(args.bundle), progress=io.terminal_progress())
    lines = [result.status.replace("_", " "), *_summary_lines(result.summary)]
    receipt = result.summary.receipt
    if result.status == "imported" and receipt is not None:
        lines.append(f"receipt confirms bundle {receipt.bundle_id} was received")
    elif result.status == "quarantined":
        lines.append(
            "nothing was imported: compare the signer's fingerprint with them, run"
            " 'contact verify', then import again"
        )
    elif result.status == "imported" and receipt is None:
        lines.append(
            f"{result.records_added} records added, {result.records_updated} updated,"
            f" {result.attachments_added} attachments, {result.conflicts} conflicts"
        )
        if result.purged_skipped:
            lines.append(
                f"{result.purged_skipped} revisions or attachments of records purged here"
                " were left out"
            )
    lines += [f"bundle {number} from this author is missing" for number in result.missing]
    return Outcome(result.to_json(), lines)


def add_receipt_parser(
    parser: argparse.ArgumentParser, add_globals: Callable[[argparse.ArgumentParser], None]
) -> None:
    del add_globals
    parser.add_argument("bundle_id", metavar="BUNDLE_ID", help="the id of an imported bundle")
    parser.add_argument("--out", metavar="FILE", help="the receipt file to write")


def cmd_receipt(args: argparse.Namespace) -> Outcome:
    from monitor_app.cli.commands import Outcome

    secret = io.read_secret_line(args.passphrase_file, "Passphrase: ")
    with lifecycle.unlock(Path(args.vault), secret) as vault:
        if args.out:
            target = Path(args.out)
            destination, file_name = target.parent, target.name
        else:
            destination, file_name = Path.cwd(), None
        result = export_receipt(
            vault,
            args.bundle_id,
            destination,
            file_name=file_name,
            progress=io.terminal_progress(),
        )
    return Outcome(
        result.to_json(),
        [
            f"{result.path}",
            f"receipt {result.bundle_id} for bundle {result.receipt_for},"
            f" to {result.recipient}, {result.size} bytes",
        ],
    )


def add_purge_parser(
    parser: argparse.ArgumentParser, add_globals: Callable[[argparse.ArgumentParser], None]
) -> None:
    del add_globals
    parser.add_argument(
        "--handed-off",
        action="store_true",
        required=True,
        help="purge every record whose revisions and attachments a receipt confirms",
    )
    parser.add_argument(
        "--include-withheld",
        action="store_true",
        help="also purge people whose identifying fields were withheld for lack of consent"
        " (those fields exist nowhere else and are lost)",
    )
    parser.add_argument("--dry-run", action="store_true", help="only show what would go")


def cmd_purge(args: argparse.Namespace) -> Outcome:
    from monitor_app.cli.commands import Outcome

    secret = io.read_secret_line(args.passphrase_file, "Passphrase: ")
    with lifecycle.unlock(Path(args.vault), secret) as vault:
        result = purge.purge_handed_off(
            vault,
            include_withheld=args.include_withheld,
            dry_run=args.dry_run,
            progress=io.terminal_progress(),
        )
    verb = "would be purged" if result.dry_run else "purged"
    lines = [f"{len(result.purged)} records and {result.attachments} attachments {verb}"]
    if result.kept_withheld:
        lines.append(
            f"{len(result.kept_withheld)} people kept: their identifying fields were withheld"
            " and exist only here (--include-withheld purges them too)"
        )
    if result.rekeyed:
        lines.append("the vault was re-encrypted under a new key")
    return Outcome(result.to_json(), lines)
