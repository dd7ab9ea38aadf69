"""Timestamps: always timezone-aware, ISO 8601, in the machine's local offset."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC).astimezone()


def now_iso() -> str:
    return now().isoformat(timespec="microseconds")
