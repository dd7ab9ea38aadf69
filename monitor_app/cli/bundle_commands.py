"""``monitorctl export``, ``verify`` and ``import``: handoff bundles from the command line.

``--out`` names the file to write; its folder must exist. Without ``--out`` the bundle gets a
random, neutral name in the current folder. Contacts are named by fingerprint or by name and
must be verified. The bundle id, size and what went in are printed; nothing of the content.
``verify`` decrypts and checks a bundle without merging it; ``import`` merges it (or puts it
in quarantine when the signer is not a verified contact). Names from cards are untrusted text.
``purge --handed-off`` removes what receipts confirm, then re-keys the vault.

The lines printed are in the user's language and say what the GUI says where it says the same
(ui/handoff/import_wizard.py, ui/handoff/handoff_page.py, ui/handoff/export_wizard.py), so the
translations are shared.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from monitor_app import counted
from monitor_app.bundles import ledger, purge, quarantine
from monitor_app.bundles.export import export_bundle
from monitor_app.bundles.importing import ImportResult, import_bundle
from monitor_app.bundles.outcome_text import merged_lines, missing_lines
from monitor_app.bundles.reading import BundleSummary, verify_bundle
from monitor_app.bundles.receipts import export_receipt
from monitor_app.cli import io
from monitor_app.i18n import N_, _
from monitor_app.identity import fingerprint as fp

if TYPE_CHECKING:
    from monitor_app.cli.commands import Outcome

# Translated when the parser is built (after main() installs the language).
EXPORT_HELP = N_("write a signed, encrypted bundle of what the recipients do not have yet")
VERIFY_HELP = N_("decrypt and check a bundle without importing it; print its summary")
IMPORT_HELP = N_("check a bundle and merge its records into the vault (or apply a receipt)")
RECEIPT_HELP = N_("write a signed receipt, for its author, of a bundle imported here")
RELEASE_HELP = N_(
    "import a quarantined bundle from the copy kept here, once its signer is verified"
)
PURGE_HELP = N_("remove from this vault the records that recipients confirmed with a receipt")


def add_export_parser(
    parser: argparse.ArgumentParser, add_globals: Callable[[argparse.ArgumentParser], None]
) -> None:
    del add_globals  # the command's own parser already has the global options
    parser.add_argument(
        "--to",
        action="append",
        default=[],
        metavar="CONTACT",
        help=_("a verified contact (fingerprint or name); repeat for several"),
    )
    parser.add_argument(
        "--to-age",
        action="append",
        default=[],
        metavar="AGE_RECIPIENT",
        help=_("also encrypt to this age1... key (an offline archive); repeat for several"),
    )
    parser.add_argument(
        "--select",
        nargs="+",
        metavar="ID",
        help=_("only these records (default: everything not yet handed to the recipients)"),
    )
    parser.add_argument(
        "--strip-image-metadata",
        action="store_true",
        help=_(
            "send photos without their metadata (location, time, camera); the originals stay "
            "in this vault"
        ),
    )
    parser.add_argument("--out", metavar="FILE", help=_("the bundle file to write"))


def _destination(out: str | None) -> tuple[Path, str | None]:
    """The folder and file name of ``--out``; without it, the current folder and a random
    neutral name."""
    if not out:
        return Path.cwd(), None
    target = Path(out)
    return target.parent, target.name


def cmd_export(args: argparse.Namespace) -> Outcome:
    from monitor_app.cli.commands import Outcome

    with io.unlock_vault(args) as vault:
        contacts = [vault.contacts.get(name) for name in args.to]
        destination, file_name = _destination(args.out)
        result = export_bundle(
            vault,
            destination,
            contacts=contacts,
            archive_recipients=args.to_age,
            record_ids=args.select,
            file_name=file_name,
            strip_image_metadata=args.strip_image_metadata,
            progress=io.terminal_progress(),
        )
    lines = [
        f"{result.path}",
        _("bundle {bundle}, sequence {sequence}, {size}").format(
            bundle=result.bundle_id, sequence=result.sequence, size=counted.size(result.size)
        ),
        _("Record revisions: {revisions}; attachments: {attachments}.").format(
            revisions=result.revisions, attachments=result.attachments
        ),
    ]
    if result.redacted_people:
        lines.append(
            _(
                "People whose identifying fields stay in this vault (no consent to sharing with "
                "the coalition): {n}."
            ).format(n=result.redacted_people)
        )
    if result.images_without_metadata:
        lines.append(
            _("Photos sent without their metadata (the originals stay here): {n}.").format(
                n=result.images_without_metadata
            )
        )
    return Outcome(result.to_json(), lines)


def add_bundle_file_parser(
    parser: argparse.ArgumentParser, add_globals: Callable[[argparse.ArgumentParser], None]
) -> None:
    del add_globals
    parser.add_argument("bundle", metavar="BUNDLE", help=_("the bundle file"))


def _grouped(fingerprint: str) -> str:
    """A fingerprint in groups of four digits, for reading aloud (as it is, if not one)."""
    canonical = fp.try_parse(fingerprint)
    return fp.format_fingerprint(canonical) if canonical else fingerprint


def _summary_lines(summary: BundleSummary) -> list[str]:
    if summary.signer_verified:
        signer = _("from {author} [verified contact], fingerprint {fingerprint}")
    elif summary.signer_known:
        signer = _("from {author} [UNVERIFIED contact], fingerprint {fingerprint}")
    else:
        signer = _("from {author} [UNKNOWN signer], fingerprint {fingerprint}")
    receipt = summary.receipt
    if receipt is not None:
        heading = _("receipt {bundle}, sequence {sequence}")
        content = _(
            "A receipt: it confirms that bundle {bundle} from this vault was received."
        ).format(bundle=receipt.bundle_id)
    else:
        heading = _("bundle {bundle}, sequence {sequence}")
        content = _(
            "Records: {records} (revisions: {revisions}); attachments: {attachments}."
        ).format(
            records=summary.records, revisions=summary.revisions, attachments=summary.attachments
        )
    return [
        heading.format(bundle=summary.bundle_id, sequence=summary.sequence),
        signer.format(
            author=io.safe_text(summary.author_name),
            fingerprint=_grouped(summary.author_fingerprint),
        ),
        content,
    ]


def cmd_verify(args: argparse.Namespace) -> Outcome:
    from monitor_app.cli.commands import Outcome

    with io.unlock_vault(args) as vault:
        summary = verify_bundle(vault, Path(args.bundle), progress=io.terminal_progress())
    return Outcome(
        summary.to_json(),
        [_("The bundle is intact and its signature is correct."), *_summary_lines(summary)],
    )


def cmd_import(args: argparse.Namespace) -> Outcome:
    with io.unlock_vault(args) as vault:
        result = import_bundle(vault, Path(args.bundle), progress=io.terminal_progress())
    return _import_outcome(result)


def add_release_parser(
    parser: argparse.ArgumentParser, add_globals: Callable[[argparse.ArgumentParser], None]
) -> None:
    del add_globals
    parser.add_argument(
        "bundle_id", metavar="BUNDLE_ID", help=_("the id of a bundle in quarantine")
    )


def cmd_release(args: argparse.Namespace) -> Outcome:
    with io.unlock_vault(args) as vault:
        with vault.reading() as conn:
            held = [
                b
                for b in ledger.bundles_in(conn)
                if b.status == ledger.QUARANTINED and b.bundle_id == args.bundle_id
            ]
        # The ledger lists a bundle id once: the latest quarantine of it wins.
        author = held[0].author_fingerprint if held else ""
        result = quarantine.release(vault, args.bundle_id, author, progress=io.terminal_progress())
    return _import_outcome(result)


def _import_outcome(result: ImportResult) -> Outcome:
    from monitor_app.cli.commands import Outcome

    statuses = {
        "imported": _("imported"),
        "already_imported": _("already imported"),
        "quarantined": _("quarantined"),
    }
    lines = [statuses.get(result.status, result.status), *_summary_lines(result.summary)]
    author = io.safe_text(result.summary.author_name)
    receipt = result.summary.receipt
    if result.status == "imported" and receipt is not None:
        lines.append(
            _("Receipt applied: {author} confirms receiving bundle {bundle}.").format(
                author=author, bundle=receipt.bundle_id
            )
        )
    elif result.status == "quarantined":
        lines.append(
            _(
                "nothing was imported: compare the signer's fingerprint with them, run "
                "'contact verify', then import again"
            )
        )
    elif result.status == "imported" and receipt is None:
        lines += merged_lines(result)
    lines += missing_lines(result.missing, author)
    return Outcome(result.to_json(), lines)


def add_receipt_parser(
    parser: argparse.ArgumentParser, add_globals: Callable[[argparse.ArgumentParser], None]
) -> None:
    del add_globals
    parser.add_argument("bundle_id", metavar="BUNDLE_ID", help=_("the id of an imported bundle"))
    parser.add_argument("--out", metavar="FILE", help=_("the receipt file to write"))


def cmd_receipt(args: argparse.Namespace) -> Outcome:
    from monitor_app.cli.commands import Outcome

    with io.unlock_vault(args) as vault:
        destination, file_name = _destination(args.out)
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
            _("receipt {receipt} for bundle {bundle}, to {recipient}, {size}").format(
                receipt=result.bundle_id,
                bundle=result.receipt_for,
                recipient=_grouped(result.recipient),
                size=counted.size(result.size),
            ),
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
        help=_("purge every record whose revisions and attachments a receipt confirms"),
    )
    parser.add_argument(
        "--include-withheld",
        action="store_true",
        help=_(
            "also purge people whose identifying fields were withheld for lack of consent "
            "(those fields exist nowhere else and are lost)"
        ),
    )
    parser.add_argument("--dry-run", action="store_true", help=_("only show what would go"))


def cmd_purge(args: argparse.Namespace) -> Outcome:
    from monitor_app.cli.commands import Outcome

    with io.unlock_vault(args) as vault:
        result = purge.purge_handed_off(
            vault,
            include_withheld=args.include_withheld,
            dry_run=args.dry_run,
            progress=io.terminal_progress(),
        )
    counts = {"records": len(result.purged), "attachments": result.attachments}
    if result.dry_run:
        done = _(
            "Dry run; nothing was purged. Records that would be purged: {records}; "
            "attachments: {attachments}."
        )
    else:
        done = _("Records purged: {records}; attachments: {attachments}.")
    lines = [done.format(**counts)]
    if result.kept_withheld:
        lines.append(
            _(
                "People kept: {n}. Their identifying fields were withheld and exist only here "
                "(--include-withheld purges them too)."
            ).format(n=len(result.kept_withheld))
        )
    if result.rekeyed:
        lines.append(_("The vault was re-encrypted under a new key."))
    return Outcome(result.to_json(), lines)
