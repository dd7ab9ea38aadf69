"""``monitorctl dossier person ID`` and ``monitorctl dossier place ID``.

Everything the vault holds about one person or one place (records/dossiers.py): the counts,
exact, and the first ``--limit`` items of each section in date order. ``--section NAME
--offset N`` prints a later page of one section (the ``next_offset`` it printed).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING

from monitor_app import i18n
from monitor_app.cli import io
from monitor_app.display_text import shown_line
from monitor_app.i18n import N_, _
from monitor_app.records.dossiers import (
    BREAKDOWNS,
    DEFAULT_LIMIT,
    PERSON_SECTIONS,
    PLACE_SECTIONS,
    AttachmentItem,
    Dossier,
    DossierItem,
    Item,
    OccupancyItem,
    RecommendationItem,
    Section,
)
from monitor_app.records.vocabularies import Vocabularies, default_vocabularies

if TYPE_CHECKING:
    from monitor_app.cli.commands import Outcome

__all__ = ["DOSSIER_HELP", "add_dossier_parser", "cmd_dossier"]

DOSSIER_HELP = N_("everything the vault holds about one person or one place of detention")


def add_dossier_parser(
    parser: argparse.ArgumentParser, add_globals: Callable[[argparse.ArgumentParser], None]
) -> None:
    kinds = parser.add_subparsers(dest="kind", required=True, metavar="KIND")
    helps = {
        "person": _("the incidents naming a person, their visits and attachments"),
        "place": _("the visits and incidents at a place, recommendations and occupancy"),
    }
    for kind, sections in (("person", PERSON_SECTIONS), ("place", PLACE_SECTIONS)):
        sub = kinds.add_parser(kind, help=helps[kind], description=helps[kind])
        add_globals(sub)
        sub.add_argument("record_id", metavar="ID")
        sub.add_argument(
            "--limit",
            type=int,
            default=DEFAULT_LIMIT,
            help=_("at most this many items of each section"),
        )
        sub.add_argument("--section", choices=sections, help=_("print one section only"))
        sub.add_argument(
            "--offset", type=int, default=0, help=_("skip this many items of the section")
        )


def cmd_dossier(args: argparse.Namespace) -> Outcome:
    from monitor_app.cli.commands import Outcome

    with io.unlock_vault(args) as vault:
        vocabularies = vault.records.vocabularies
        if args.section:
            section = vault.dossiers.section_page(
                args.kind, args.record_id, args.section, offset=args.offset, limit=args.limit
            )
            return Outcome(
                {"id": args.record_id, "section": args.section, **section.to_json()},
                _section_lines(section, vocabularies),
            )
        if args.kind == "person":
            dossier = vault.dossiers.person_dossier(args.record_id, limit=args.limit)
        else:
            dossier = vault.dossiers.place_dossier(args.record_id, limit=args.limit)
    return Outcome(dossier.to_json(), _dossier_lines(dossier, vocabularies))


_HEADINGS = {
    "incidents": N_("Incidents: {n}"),
    "visits": N_("Visits: {n}"),
    "attachments": N_("Attachments: {n}"),
    "recommendations": N_("Recommendations: {n}"),
    "occupancy": N_("Occupancy recorded: {n}"),
}


def _dossier_lines(dossier: Dossier, vocabularies: Vocabularies) -> list[str]:
    lines = [f"{dossier.record.record_id}  {shown_line(dossier.record.display)}"]
    capacity = dossier.record.fields.get("capacity")
    if dossier.kind == "place" and isinstance(capacity, int):
        lines.append(_("Capacity: {n}").format(n=capacity))
    for name, counts in dossier.breakdowns.items():
        vocabulary, heading = BREAKDOWNS[name]
        parts = [
            f"{_label(vocabularies, vocabulary, code)}: {n}" for code, n in sorted(counts.items())
        ]
        lines.append(_(heading).format(values=", ".join(parts) or "-"))
    for section in dossier.sections.values():
        lines.append("")
        lines += _section_lines(section, vocabularies)
    return lines


def _section_lines(section: Section, vocabularies: Vocabularies) -> list[str]:
    lines = [_(_HEADINGS[section.name]).format(n=section.total)]
    lines += ["  " + _item_line(item, vocabularies) for item in section.items]
    if section.next_offset is not None:
        lines.append(
            "  "
            + _("more: --section {section} --offset {offset}").format(
                section=section.name, offset=section.next_offset
            )
        )
    return lines


def _item_line(item: Item, vocabularies: Vocabularies) -> str:
    if isinstance(item, DossierItem):
        vocabulary = "incident_type" if item.type == "incident" else "visit_type"
        parts = [
            item.record_id,
            f"{item.date or '-':<10}",
            _label(vocabularies, vocabulary, item.kind),
        ]
        if item.roles:
            parts.append(", ".join(_label(vocabularies, "person_role", r) for r in item.roles))
        parts.append(shown_line(item.title))
        return "  ".join(parts)
    if isinstance(item, AttachmentItem):
        return "  ".join(
            (item.attachment_id, item.record_id, item.media_type, shown_line(item.original_name))
        )
    if isinstance(item, RecommendationItem):
        status = _label(vocabularies, "recommendation_status", item.status)
        return f"{item.visit_id}  {item.date or '-':<10}  {status}  {shown_line(item.text)}"
    assert isinstance(item, OccupancyItem)
    return f"{item.visit_id}  {item.date or '-':<10}  {item.occupancy}"


def _label(vocabularies: Vocabularies | None, vocabulary: str, code: str | None) -> str:
    if not code:
        return _("(not set)")
    found = (vocabularies or default_vocabularies()).get(vocabulary).entry(code)
    return shown_line(code) if found is None else found.label(i18n.current_language())
