"""Record editors: a form generated from the schema, the page that edits one record (with its
encrypted draft), the revision history, and the attachments panel.

``RecordEditorPage`` is what the main view shows; the rest are its parts. See the module of
each for why it is built the way it is.
"""

from __future__ import annotations

from ui.records.editor.attachments_panel import AttachmentsPanel
from ui.records.editor.form import RecordForm
from ui.records.editor.history_view import HistoryView
from ui.records.editor.record_editor_page import RecordEditorPage
from ui.records.editor.record_picker import RecordPicker

__all__ = ["AttachmentsPanel", "HistoryView", "RecordEditorPage", "RecordForm", "RecordPicker"]
