"""Names of fields and hints for the editor, in the interface's language.

The read-only record page already names every non-sensitive field (``field_label``); the editor
also shows the protected ones, so their names are added here rather than in that page, which
must never need them.
"""

from __future__ import annotations

from monitor_app.i18n import _
from monitor_app.records.schema import Field
from ui.records.record_detail_page import field_label
from ui.shell.overview_page import type_label


def editor_label(name: str) -> str:
    protected = {
        "real_name": _("Real name"),
        "date_of_birth": _("Date of birth"),
        "identity_document": _("Identity document"),
        "contact": _("Contact details"),
        "address": _("Address"),
        "sensitive_notes": _("Protected notes"),
    }
    return protected.get(name) or field_label(name)


def row_label(spec: Field) -> str:
    """The label beside a field; a star marks what the record cannot be saved without."""
    text = editor_label(spec.name)
    return f"{text} *" if spec.required else text


def new_title(type_name: str) -> str:
    titles = {
        "place": _("New place of detention"),
        "visit": _("New visit"),
        "incident": _("New incident"),
        "person": _("New person"),
    }
    return titles.get(type_name, type_label(type_name))


def add_item_text(name: str) -> str:
    """The button that adds one more item to a list of objects (a visit's team, ...)."""
    texts = {
        "team": _("Add a team member"),
        "observations": _("Add an observation"),
        "recommendations": _("Add a recommendation"),
        "people": _("Add a person"),
        "perpetrators": _("Add an alleged perpetrator"),
        "sources": _("Add a source"),
        "legal_actions": _("Add a legal action"),
    }
    return texts.get(name, _("Add"))


def placeholder(spec: Field) -> str:
    if spec.kind == "timestamp":
        return _("2024-03-15, or 2024-03-15T09:30+06:00 with the time")
    if spec.kind == "text_list":
        return _("One per line")
    if spec.kind == "int":
        if spec.minimum is not None and spec.maximum is not None:
            return _("A number from {minimum} to {maximum}").format(
                minimum=spec.minimum, maximum=spec.maximum
            )
        return _("A number")
    if spec.name == "pseudonym":
        return _("A pseudonym or case code, never the real name")
    return ""


def date_placeholder(precision: str | None) -> str:
    return {
        "day": _("YYYY-MM-DD"),
        "month": _("YYYY-MM"),
        "year": _("YYYY"),
        "approximate": _("YYYY, YYYY-MM or YYYY-MM-DD"),
    }.get(precision or "", _("YYYY-MM-DD, YYYY-MM or YYYY"))
