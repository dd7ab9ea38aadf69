"""What every bench script prints: lines as they come, PASS/MISS verdicts, and at the end a
summary line and, with --json, the summary as JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


class Report:
    def __init__(self) -> None:
        self.summary: dict[str, Any] = {}

    @staticmethod
    def line(text: str = "") -> None:
        print(text, flush=True)

    def verdict(self, key: str, ok: bool | None) -> str:
        """PASS or MISS for a target (n/a when it could not be measured), kept for the summary."""
        word = "n/a" if ok is None else "PASS" if ok else "MISS"
        self.summary.setdefault("verdicts", {})[key] = word
        return word

    def finish(self, elapsed: float, json_target: str | None) -> None:
        """The closing line, and the summary to ``json_target`` ("-": standard output)."""
        self.summary["elapsed_s"] = elapsed
        self.line(
            f"== done in {elapsed:.0f} s; "
            + ", ".join(f"{k} {v}" for k, v in self.summary.get("verdicts", {}).items())
        )
        if not json_target:
            return
        text = json.dumps(self.summary, ensure_ascii=False, indent=2)
        if json_target == "-":
            print(text)
        else:
            Path(json_target).write_text(text + "\n", encoding="utf-8")
