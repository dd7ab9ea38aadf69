"""``SHA256SUMS`` in the format of GNU ``sha256sum`` (text mode: two spaces), strictly parsed.

Only the form this app writes is accepted: lowercase hex, two spaces, a member name from the
fixed set, LF line ends, no duplicates, nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from monitor_app.bundles import layout
from monitor_app.bundles.errors import BundleError

_LINE = re.compile(rb"([0-9a-f]{64})  ([A-Za-z0-9._/-]{1,200})\Z")
MAX_LINES = 1_000_000


def format_sums(entries: Iterable[tuple[str, str]]) -> bytes:
    """Lines ``<sha256>  <name>`` in the order given."""
    return b"".join(f"{digest}  {name}\n".encode("ascii") for name, digest in entries)


def parse_sums(data: bytes) -> dict[str, str]:
    """name -> hex digest, in file order. Raises BundleError with reason ``sums_format`` (not
    the lines this app writes), ``sums_name`` (a name no bundle member has) or
    ``sums_duplicate``."""
    if not data.endswith(b"\n"):
        raise BundleError(reason="sums_format")
    entries: dict[str, str] = {}
    lines = data[:-1].split(b"\n")
    if len(lines) > MAX_LINES:
        raise BundleError(reason="sums_format")
    for line in lines:
        match = _LINE.match(line)
        if match is None:
            raise BundleError(reason="sums_format")
        name = match.group(2).decode("ascii")
        allowed = name in (layout.MANIFEST, layout.RECORDS, layout.PADDING)
        if not (allowed or layout.is_attachment_member(name)):
            raise BundleError(reason="sums_name")
        if name in entries:
            raise BundleError(reason="sums_duplicate")
        entries[name] = match.group(1).decode("ascii")
    return entries
