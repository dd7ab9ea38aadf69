"""Canonical JSON for what a bundle carries: the same value always gives the same bytes."""

from __future__ import annotations

import json
from typing import Any

FORMAT = "monitor_app-bundle"
VERSION = 1


def dumps(value: Any) -> bytes:
    """Sorted keys, no insignificant whitespace, UTF-8 (not \\u escapes): one line always,
    since JSON escapes line breaks inside strings."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode(
        "utf-8"
    )


def trusted_comment(bundle_id: str, kind: str) -> str:
    """The minisign trusted comment: the bundle id under the author's global signature."""
    return f"monitor_app bundle {bundle_id} kind={kind}"
