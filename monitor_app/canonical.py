"""Canonical JSON: the same value always gives the same bytes (signed revisions, bundles)."""

from __future__ import annotations

import json
from typing import Any


def dumps(value: Any) -> bytes:
    """Sorted keys, no insignificant whitespace, UTF-8 (not \\u escapes): one line always,
    since JSON escapes line breaks inside strings. Lone surrogates cannot be encoded and
    raise ``UnicodeEncodeError``: validation refuses them before anything is signed."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode(
        "utf-8"
    )
