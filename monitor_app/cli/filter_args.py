"""The filters of ``record list`` and ``search``, the same as the app's lists, and the cursor
that pages them.

A cursor is an opaque token printed with each page (``next_cursor`` in --json): for a list,
where its last row was (keyset paging, the same cost anywhere in a million records); for a
search in best-first order, how many results came before. A token is checked when read back;
one that this command did not give is refused, never guessed at.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
from typing import Any

from monitor_app.errors import ValidationError
from monitor_app.i18n import _
from monitor_app.records.facets import Filters
from monitor_app.records.listing import SORT_EXPRESSIONS, Cursor

TYPES = ("place", "visit", "incident", "person")
SORTS = {"date": "date", "modified": "modified", "title": "display"}


def add_filter_arguments(parser: argparse.ArgumentParser, *, with_type: bool = True) -> None:
    """--type, --status, --place, --region, --risk, --author, --organisation (each may be
    given more than once: any of the values), --from and --to."""

    def many(flag: str, dest: str, metavar: str, help_text: str | None = None) -> None:
        parser.add_argument(
            flag, dest=dest, metavar=metavar, help=help_text, action="append", default=[]
        )

    if with_type:
        parser.add_argument("--type", choices=TYPES, dest="types", action="append", default=[])
    many("--status", "case_status", "CODE", _("case status code"))
    many("--place", "places", "PLACE_ID")
    many("--region", "regions", "TEXT")
    many("--risk", "reprisal_risk", "CODE", _("reprisal risk code"))
    many("--author", "authors", "AUTHOR", _("author id, or key:HEX"))
    many("--organisation", "organisations", "NAME")
    parser.add_argument("--from", dest="date_from", metavar="DATE", help=_("YYYY[-MM[-DD]]"))
    parser.add_argument("--to", dest="date_to", metavar="DATE", help=_("YYYY[-MM[-DD]]"))
    parser.add_argument("--limit", type=int, default=50)
    parser.add_argument(
        "--cursor", metavar="TOKEN", help=_("continue after the page that printed TOKEN")
    )


def filters_from(args: argparse.Namespace, text: str = "") -> Filters:
    return Filters(
        type=tuple(getattr(args, "types", [])),
        case_status=tuple(args.case_status),
        place=tuple(args.places),
        region=tuple(args.regions),
        reprisal_risk=tuple(args.reprisal_risk),
        author=tuple(args.authors),
        organisation=tuple(args.organisations),
        date_from=args.date_from,
        date_to=args.date_to,
        text=text,
    )


def check_limit(limit: int) -> int:
    if not 1 <= limit <= 10_000:
        raise ValidationError(field="limit", reason="out_of_range", minimum=1, maximum=10_000)
    return limit


def list_cursor(token: str | None, order_by: str, descending: bool) -> Cursor | None:
    if token is None:
        return None
    data = _decode(token, "l")
    if (
        not isinstance(data, list)
        or len(data) != 4
        or data[:2] != [order_by, descending]
        or not all(isinstance(part, str) for part in data[2:])
    ):
        raise ValidationError(field="cursor", reason="invalid_cursor")
    return Cursor(data[2], data[3])


def list_token(order_by: str, descending: bool, cursor: Cursor) -> str:
    assert order_by in SORT_EXPRESSIONS
    return _encode("l", [order_by, descending, cursor.value, cursor.record_id])


def search_offset(token: str | None) -> int:
    if token is None:
        return 0
    data = _decode(token, "s")
    if not isinstance(data, int) or isinstance(data, bool) or data < 0:
        raise ValidationError(field="cursor", reason="invalid_cursor")
    return data


def search_token(offset: int) -> str:
    return _encode("s", offset)


def _encode(kind: str, data: Any) -> str:
    raw = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return kind + "1." + base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _decode(token: str, kind: str) -> Any:
    prefix = kind + "1."
    if not token.startswith(prefix) or len(token) > 2_000:
        raise ValidationError(field="cursor", reason="invalid_cursor")
    body = token[len(prefix) :]
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        return json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise ValidationError(field="cursor", reason="invalid_cursor") from None
