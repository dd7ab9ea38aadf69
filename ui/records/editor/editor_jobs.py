"""What the record editor does off the GUI thread: read a record with its draft and the
display text of every record they link to (for the pickers); save it; delete it.

A refused save names the field by its label on the form (labels.labelled), in the sentence
the page shows above the form.

Saving and deleting also remove the record's draft, in the same job, after the core has
accepted the change: a failure there leaves a stale draft, which is harmless, while the
change itself is done and must be reported as done.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any

from monitor_app.errors import MonitorError, ValidationError
from monitor_app.records.drafts import Draft
from monitor_app.records.schema import RECORD_TYPES
from monitor_app.records.store import RecordView
from monitor_app.vault.session import UnlockedVault
from ui.records.editor.draft_keeper import DraftKeeper
from ui.records.editor.labels import labelled
from ui.records.record_detail_page import references


@dataclass(frozen=True)
class EditLoad:
    view: RecordView | None  # None for a new record
    draft: Draft | None
    titles: dict[str, str] = field(default_factory=dict)


def _titles(vault: UnlockedVault, type_name: str, *values: dict[str, Any]) -> dict[str, str]:
    """Display text of the records these fields link to (for the pickers)."""
    records, titles = vault.records, {}
    for fields in values:
        for ref in references(type_name, fields):
            if ref in titles:
                continue
            try:
                other = records.get(ref)
            except MonitorError:
                continue  # deleted or purged since: the picker shows the id
            titles[ref] = str(other.fields.get(RECORD_TYPES[other.type].title_field) or "")
    return titles


def _draft_fields(draft: Draft | None) -> dict[str, Any]:
    fields = draft.data.get("fields") if draft is not None else None
    return fields if isinstance(fields, dict) else {}


def load_for_edit(vault: UnlockedVault, record_id: str) -> EditLoad:
    view = vault.records.get(record_id)
    draft = vault.drafts.for_record(record_id)
    return EditLoad(view, draft, _titles(vault, view.type, view.fields, _draft_fields(draft)))


def load_for_new(vault: UnlockedVault, type_name: str, draft_id: str | None) -> EditLoad:
    if draft_id is not None:
        draft: Draft | None = vault.drafts.get(draft_id)
    else:
        mine = [d for d in vault.drafts.list() if d.record_type == type_name and not d.record_id]
        draft = mine[0] if mine else None  # the most recent
    return EditLoad(None, draft, _titles(vault, type_name, _draft_fields(draft)))


def add_record(
    vault: UnlockedVault, keeper: DraftKeeper, type_name: str, data: dict[str, Any]
) -> RecordView:
    try:
        view = vault.records.add(type_name, data)
    except ValidationError as error:
        labelled(error, type_name)
        raise
    with contextlib.suppress(MonitorError):
        keeper.discard_in_job(vault)
    return view


def edit_record(
    vault: UnlockedVault, keeper: DraftKeeper, record_id: str, patch: dict[str, Any]
) -> RecordView:
    try:
        view = vault.records.edit(record_id, patch)
    except ValidationError as error:
        with contextlib.suppress(MonitorError):  # deleted meanwhile: the error stays as it is
            labelled(error, vault.records.get(record_id).type)
        raise
    with contextlib.suppress(MonitorError):
        keeper.discard_in_job(vault)
        leftover = vault.drafts.for_record(record_id)  # written by another window, say
        if leftover is not None:
            vault.drafts.discard(leftover.draft_id)
    return view


def delete_record(vault: UnlockedVault, keeper: DraftKeeper, record_id: str, reason: str) -> str:
    try:
        vault.records.delete(record_id, reason)
    except ValidationError as error:
        labelled(error, None)
        raise
    with contextlib.suppress(MonitorError):
        keeper.discard_in_job(vault)
    return record_id
