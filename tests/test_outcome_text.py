"""The GUI and the CLI describe an import's outcome in the same sentences, which read right
for any count (a label, then the number: no plural forms to get wrong)."""

from __future__ import annotations

import argparse

import pytest

from monitor_app.bundles import outcome_text
from monitor_app.bundles.importing import ImportResult
from monitor_app.bundles.reading import BundleSummary
from monitor_app.cli import bundle_commands
from ui.handoff.import_wizard import result_lines

SUMMARY = BundleSummary(
    bundle_id="b-1",
    kind="records",
    created_at="2026-11-23T10:00:00Z",
    author_fingerprint="f" * 32,
    author_name="Aigul",
    author_organisation=None,
    signer_known=True,
    signer_verified=True,
    sequence=42,
    follows=40,
    revisions=3,
    records=2,
    attachments=1,
    sums_sha256="0" * 64,
)


def _result(**counts: int) -> ImportResult:
    return ImportResult("imported", SUMMARY, missing=(41,), **counts)


@pytest.mark.parametrize("n", [1, 2, 5])
def test_counts_read_the_same_for_any_number(n: int) -> None:
    lines = outcome_text.merged_lines(
        _result(records_added=n, records_updated=0, attachments_added=n, conflicts=n)
    )
    assert lines[0] == f"Records added: {n}; updated: 0; attachments added: {n}."
    assert lines[1] == f"Conflicting revisions kept aside for review: {n}."
    assert len(lines) == 2  # nothing purged: no line about it


def test_gui_and_cli_give_the_same_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    result = _result(records_added=1, attachments_added=2, conflicts=1, purged_skipped=3)
    shared = outcome_text.merged_lines(result) + outcome_text.missing_lines((41,), "Aigul")
    assert any(line.startswith("Left out: 3 revisions or attachments") for line in shared)

    gui = result_lines(result)
    assert [line.replace("\u2068", "").replace("\u2069", "") for line in gui] == shared

    monkeypatch.setattr(bundle_commands.io, "unlock_vault", lambda args: _FakeVault())
    monkeypatch.setattr(bundle_commands, "import_bundle", lambda *a, **k: result)
    args = argparse.Namespace(passphrase_file=None, vault="v", bundle="b.age")
    outcome = bundle_commands.cmd_import(args)
    assert outcome.lines[-len(shared) :] == shared


class _FakeVault:
    """Stands for an unlocked vault; ``import_bundle`` is replaced, so it is never used."""

    def __enter__(self) -> object:
        return object()

    def __exit__(self, *exc: object) -> None:
        return None
