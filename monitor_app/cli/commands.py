"""What each monitorctl command does. Each returns a JSON-able result and human lines.

The human lines are in the user's language (``_``, whole sentences with named placeholders);
the JSON result never is. Ids, paths, fingerprints and record content are placeholders.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from monitor_app import i18n
from monitor_app.cli import filter_args, io
from monitor_app.cli.age_commands import cmd_age
from monitor_app.cli.bundle_commands import (
    cmd_export,
    cmd_import,
    cmd_purge,
    cmd_receipt,
    cmd_release,
    cmd_verify,
)
from monitor_app.cli.dossier_commands import cmd_dossier
from monitor_app.cli.identity_commands import cmd_contact, cmd_identity
from monitor_app.crypto import kdf
from monitor_app.display_text import shown_line
from monitor_app.errors import MonitorError
from monitor_app.i18n import _, ngettext
from monitor_app.records import audit, word_forms
from monitor_app.records.authorship import party_text
from monitor_app.records.schema import RECORD_TYPES
from monitor_app.records.store import RecordView, RevisionInfo
from monitor_app.records.vocabularies import default_vocabularies
from monitor_app.vault import lifecycle
from monitor_app.vault.device_secret import default_store


@dataclass
class Outcome:
    result: Any
    lines: list[str] | None = field(default_factory=list)
    exit_code: int = 0
    notes: list[str] = field(default_factory=list)  # for people, on stderr, not with --json


def cmd_init(args: argparse.Namespace) -> Outcome:
    secret = io.read_secret_line(args.passphrase_file, _("New passphrase:"), confirm=True)
    lifecycle.check_passphrase(secret)
    use_device = bool(args.remember_on_this_computer)
    if use_device:
        usable, reason = default_store().available()
        if not usable:
            raise MonitorError("device_secret_unavailable", reason=reason)
    vault, code = lifecycle.create_vault(
        Path(args.vault),
        secret,
        name=args.name,
        organisation=args.org,
        use_device_secret=use_device,
    )
    with vault:
        slot = vault.slots.slot_of_type("passphrase")
        params = slot.kdf_params if slot else kdf.MINIMUM
        result = {
            "vault": str(vault.path),
            "vault_id": vault.vault_id,
            "recovery_code": code,
            "kdf": params.to_json(),
            "device_secret": use_device,
        }
    return Outcome(
        result,
        [
            _("Vault created at {path}").format(path=vault.path),
            "",
            _(
                "Recovery code (shown only now; write it down and keep it apart from this "
                "computer):"
            ),
            "",
            f"    {code}",
            "",
            _(
                "It unlocks the vault if the passphrase is lost. Anyone holding it can read the "
                "vault."
            ),
        ],
    )


def cmd_info(args: argparse.Namespace) -> Outcome:
    with io.unlock_vault(args) as vault:
        counts = {name: vault.records.count(name) for name in RECORD_TYPES}
        result = {
            "vault": str(vault.path),
            "vault_id": vault.vault_id,
            "name": vault.meta("name"),
            "organisation": vault.meta("organisation"),
            "author": vault.author.to_json(),
            "counts": counts,
        }
    return Outcome(result, _info_lines(result, counts))


def _info_lines(result: dict[str, Any], counts: dict[str, int]) -> list[str]:
    rows = [
        (_("Vault:"), str(result["vault"])),
        (_("Vault id:"), str(result["vault_id"])),
        (_("Name:"), _or_dash(result["name"])),
        (_("Organisation:"), _or_dash(result["organisation"])),
    ]
    count_labels = {
        "place": _("Places of detention:"),
        "visit": _("Visits:"),
        "incident": _("Incidents:"),
        "person": _("People:"),
    }
    rows += [(count_labels.get(name, f"{name}:"), str(n)) for name, n in counts.items()]
    return io.aligned(rows)


def _or_dash(value: object) -> str:
    return "-" if value is None else str(value)


def cmd_vocab(args: argparse.Namespace) -> Outcome:
    vocabularies = default_vocabularies()
    if not args.name:
        names = vocabularies.names()
        return Outcome({"vocabularies": names}, names)
    vocabulary = vocabularies.get(args.name)
    # Labels for a person in the language of the other lines; for scripts (--json) the same
    # in every language: English unless --lang says otherwise.
    shown = args.lang or i18n.current_language()
    entries = [
        {
            "code": e.code,
            "label": e.label(args.lang or i18n.SOURCE_LANGUAGE),
            "labels": dict(e.labels),
        }
        for e in vocabulary.entries
    ]
    return Outcome(
        {"name": vocabulary.name, "entries": entries},
        [f"{e.code}\t{e.label(shown)}" for e in vocabulary.entries],
    )


def cmd_record(args: argparse.Namespace) -> Outcome:
    handlers = {
        "add": _record_add,
        "edit": _record_edit,
        "show": _record_show,
        "list": _record_list,
        "history": _record_history,
        "delete": _record_delete,
    }
    return handlers[args.action](args)


def _record_add(args: argparse.Namespace) -> Outcome:
    with io.unlock_vault(args) as vault:
        document = io.read_json_document(args.document)
        view = vault.records.add(args.type, document)
    return Outcome({"id": view.record_id, "revision": view.revision}, [view.record_id])


def _record_edit(args: argparse.Namespace) -> Outcome:
    with io.unlock_vault(args) as vault:
        document = io.read_json_document(args.document)
        view = vault.records.edit(args.record_id, document)
    return Outcome(
        {"id": view.record_id, "revision": view.revision},
        [_("{record} revision {revision}").format(record=view.record_id, revision=view.revision)],
    )


def _record_show(args: argparse.Namespace) -> Outcome:
    with io.unlock_vault(args) as vault:
        view = vault.records.get(
            args.record_id, revision=args.revision, reveal_sensitive=args.reveal_sensitive
        )
        body = view.to_json()
        body["attachments"] = [a.to_json() for a in vault.attachments.list(args.record_id)]
    return Outcome(body, None, notes=_record_notes(view))


def _record_notes(view: RecordView) -> list[str]:
    """Said on stderr beside the JSON of ``record show``: provenance and conflicts."""
    notes = [_("Written by {who}.").format(who=shown_line(party_text(view.author)))]
    if view.brought_by is not None:
        notes.append(_("Brought by {who}.").format(who=shown_line(party_text(view.brought_by))))
    if view.conflicts:
        notes.append(
            _(
                "CONFLICT: revisions of this record outside its history: {n} (see record history)."
            ).format(n=view.conflicts)
        )
    return notes


def _record_list(args: argparse.Namespace) -> Outcome:
    order_by, descending = filter_args.SORTS[args.sort], not args.ascending
    after = filter_args.list_cursor(args.cursor, order_by, descending)
    limit = filter_args.check_limit(args.limit)
    filters = filter_args.filters_from(args, args.text)
    with io.unlock_vault(args) as vault:
        if filters.text.strip():
            word_forms.catch_up(vault, io.terminal_progress())
        rows = vault.records.list(
            None,
            limit=limit,
            offset=args.offset,
            order_by=order_by,
            descending=descending,
            after=after,
            filters=filters,
        )
        total = vault.records.count(filters=filters)
    following = None
    if len(rows) == limit:
        following = filter_args.list_token(order_by, descending, rows[-1].cursor(order_by))
    lines = [
        f"{r.record_id}  {r.type:<8}  {r.sort_date or '':<10}  {shown_line(r.display)}"
        for r in rows
    ]
    lines.append(_counted_line(total, len(rows), following))
    return Outcome(
        {"records": [r.to_json() for r in rows], "total": total, "next_cursor": following},
        lines,
    )


def _counted_line(total: int, shown: int, following: str | None) -> str:
    line = ngettext("{count} matching record", "{count} matching records", total).format(
        count=total
    )
    if following is not None:
        line += "; " + _("next page: --cursor {token}").format(token=following)
    return line


def _record_history(args: argparse.Namespace) -> Outcome:
    with io.unlock_vault(args) as vault:
        revisions = vault.records.history(args.record_id)
    return Outcome(
        {"id": args.record_id, "revisions": [r.to_json() for r in revisions]},
        [_history_line(r) for r in revisions],
    )


def _history_line(info: RevisionInfo) -> str:
    """One revision: its number here, hash, the author's clock, who wrote it and who brought
    it (names from this vault's contacts), whether it is current or a conflict, and what
    changed against its parent."""
    parts = [str(info.revision), info.hash[:16], info.created_at]
    parts.append(_("written by {who}").format(who=party_text(info.signed_by)))
    if info.brought_by is not None:
        parts.append(_("brought by {who}").format(who=party_text(info.brought_by)))
    if info.current:
        parts.append(_("CURRENT"))
    if info.conflict == "fork":
        parts.append(_("CONFLICT: another revision has the same parent"))
    elif info.conflict is not None:
        parts.append(_("CONFLICT: its parent revision has not arrived"))
    if info.withheld:
        parts.append(
            _("identifying fields withheld: {names}").format(names=", ".join(info.withheld))
        )
    parts.append(", ".join(info.changed_fields))
    return "  ".join(parts)


def _record_delete(args: argparse.Namespace) -> Outcome:
    with io.unlock_vault(args) as vault:
        vault.records.delete(args.record_id, args.reason)
    return Outcome(
        {"id": args.record_id, "deleted": True},
        [_("{record} deleted").format(record=args.record_id)],
    )


def cmd_attach(args: argparse.Namespace) -> Outcome:
    with io.unlock_vault(args) as vault:
        info = vault.attachments.add_file(
            args.record_id,
            Path(args.file),
            caption=args.caption,
            media_type=args.media_type,
            progress=io.terminal_progress(),
        )
    return Outcome(info.to_json(), [f"{info.attachment_id}  sha256:{info.sha256}"])


def cmd_attachment(args: argparse.Namespace) -> Outcome:
    with io.unlock_vault(args) as vault:
        if args.action == "list":
            items = vault.attachments.list(args.record_id)
            return Outcome(
                {"attachments": [a.to_json() for a in items]},
                [
                    f"{a.attachment_id}  {a.size:>12}  {a.media_type}  {a.original_name}"
                    for a in items
                ],
            )
        info = vault.attachments.save_to_file(
            args.attachment_id,
            Path(args.out).expanduser(),
            overwrite=args.force,
            progress=io.terminal_progress(),
        )
    return Outcome(
        {"id": info.attachment_id, "out": args.out, "sha256": info.sha256, "size": info.size},
        [
            _("Saved a plaintext copy to {path} (sha256:{sha256})").format(
                path=args.out, sha256=info.sha256
            )
        ],
    )


def cmd_search(args: argparse.Namespace) -> Outcome:
    offset = filter_args.search_offset(args.cursor)
    limit = filter_args.check_limit(args.limit)
    filters = filter_args.filters_from(args)
    with io.unlock_vault(args) as vault:
        word_forms.catch_up(vault, io.terminal_progress())
        hits = vault.records.search(args.query, facet_filters=filters, limit=limit, offset=offset)
        total = vault.records.count(filters=replace(filters, text=args.query))
    following = filter_args.search_token(offset + limit) if offset + limit < total else None
    lines = [
        f"{h.record_id}  {h.type:<8}  {h.sort_date or '':<10}  {shown_line(h.display)}\n"
        f"    {shown_line(h.snippet)}"
        for h in hits
    ]
    lines.append(_counted_line(total, len(hits), following))
    return Outcome(
        {
            "query": args.query,
            "hits": [h.to_json() for h in hits],
            "total": total,
            "next_cursor": following,
        },
        lines,
    )


def cmd_audit(args: argparse.Namespace) -> Outcome:
    with io.unlock_vault(args) as vault, vault.reading() as conn:
        if args.action == "log":
            entries = audit.entries(conn, limit=args.limit, offset=args.offset)
            return Outcome(
                {"entries": [e.to_json() for e in entries]},
                [f"{e.seq:>6}  {e.at}  {e.action:<20} {e.record_id or ''}" for e in entries],
            )
        report = audit.verify(conn)
    if not report.ok:
        raise MonitorError(
            "audit_chain_broken", first_bad_seq=report.first_bad_seq, problem=report.problem
        )
    return Outcome(
        report.to_json(),
        [
            ngettext(
                "The audit log is intact: {n} entry, each chained to the one before.",
                "The audit log is intact: {n} entries, each chained to the one before.",
                report.entries,
            ).format(n=report.entries)
        ],
    )


def cmd_passwd(args: argparse.Namespace) -> Outcome:
    with io.unlock_vault(args) as vault:
        new = io.read_secret_line(args.new_passphrase_file, _("New passphrase:"), confirm=True)
        lifecycle.change_passphrase(vault, new)
    return Outcome({"changed": True}, [_("Passphrase changed.")])


def cmd_recover(args: argparse.Namespace) -> Outcome:
    code = io.read_secret_line(args.recovery_code_file, _("Recovery code:"))
    with lifecycle.unlock_with_recovery_code(Path(args.vault), code) as vault:
        new = io.read_secret_line(args.new_passphrase_file, _("New passphrase:"), confirm=True)
        lifecycle.change_passphrase(vault, new)
    return Outcome(
        {"recovered": True}, [_("Vault unlocked with the recovery code; new passphrase set.")]
    )


HANDLERS = {
    "init": cmd_init,
    "info": cmd_info,
    "vocab": cmd_vocab,
    "record": cmd_record,
    "attach": cmd_attach,
    "attachment": cmd_attachment,
    "search": cmd_search,
    "dossier": cmd_dossier,
    "audit": cmd_audit,
    "passwd": cmd_passwd,
    "recover": cmd_recover,
    "age": cmd_age,
    "identity": cmd_identity,
    "contact": cmd_contact,
    "export": cmd_export,
    "verify": cmd_verify,
    "import": cmd_import,
    "receipt": cmd_receipt,
    "release": cmd_release,
    "purge": cmd_purge,
}
