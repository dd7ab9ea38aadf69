"""What an import did, in sentences the GUI and the CLI share (translated once).

Most counts go after a label ("Records added: 3"), so one sentence reads right for every
number; a count inside a sentence takes the language's plural form (``ngettext``).
"""

from __future__ import annotations

from monitor_app.bundles.importing import ImportResult
from monitor_app.i18n import _, ngettext


def merged_lines(result: ImportResult) -> list[str]:
    """What a records bundle changed: records, attachments, conflicts, purged left out."""
    lines = [
        _("Records added: {added}; updated: {updated}; attachments added: {attachments}.").format(
            added=result.records_added,
            updated=result.records_updated,
            attachments=result.attachments_added,
        )
    ]
    if result.conflicts:
        lines.append(
            _("Conflicting revisions kept aside for review: {n}.").format(n=result.conflicts)
        )
    return lines + purged_lines(result.purged_skipped)


def purged_lines(count: int) -> list[str]:
    """What a bundle brings of records purged here, which the import leaves out."""
    if not count:
        return []
    return [
        ngettext(
            "Left out: {n} revision or attachment of records purged from this vault after "
            "their handoff. The coalition holds it; it does not come back to this computer.",
            "Left out: {n} revisions or attachments of records purged from this vault after "
            "their handoff. The coalition holds them; they do not come back to this computer.",
            count,
        ).format(n=count)
    ]


def missing_lines(numbers: tuple[int, ...], author: str) -> list[str]:
    """The author's bundles this vault has not received (``author`` already made safe to
    show by the caller: isolated for the GUI, escaped for a terminal)."""
    return [
        _("Bundle {n} from {author} is missing: ask them for it.").format(n=n, author=author)
        for n in numbers
    ]
