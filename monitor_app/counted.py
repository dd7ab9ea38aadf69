"""A number with its noun, in the plural form the language wants ("1 record", "5 записей").

For sentences that count several things at once ("{records} and {attachments}"): each count is
a phrase of its own, chosen by its own number, and the sentence puts the phrases in. A sentence
with one count uses ``ngettext`` directly, so that the translator sees the whole sentence.
"""

from __future__ import annotations

from monitor_app.i18n import ngettext


def records(n: int) -> str:
    return ngettext("{n} record", "{n} records", n).format(n=n)


def revisions(n: int) -> str:
    return ngettext("{n} revision", "{n} revisions", n).format(n=n)


def attachments(n: int) -> str:
    return ngettext("{n} attachment", "{n} attachments", n).format(n=n)


def new_records(n: int) -> str:
    return ngettext("{n} new record", "{n} new records", n).format(n=n)


def size(n: int) -> str:
    """A size in bytes, as the CLI reports it (exact, for comparing with ``ls -l``)."""
    return ngettext("{n} byte", "{n} bytes", n).format(n=n)
