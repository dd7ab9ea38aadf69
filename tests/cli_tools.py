"""Running monitorctl's ``main()`` inside the test process, for the CLI tests."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from monitor_app.cli.main import main


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def json(self) -> Any:
        return json.loads(self.out)


def invoke(capsys: pytest.CaptureFixture[str], args: list[str], expect: int | None = 0) -> Run:
    """``main(args)`` with its exit code and output; ``expect`` (unless None) is asserted."""
    capsys.readouterr()  # what came before is not this command's
    try:
        code = main(args)
    except SystemExit as exc:  # argparse: --help, usage errors
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    if expect is not None:
        assert code == expect, (code, out, err)
    return Run(code, out, err)
