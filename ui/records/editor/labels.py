"""Names of fields and hints for the editor, in the interface's language.

The read-only record page already names every non-sensitive field (``field_label``); the editor
also shows the protected ones, so their names are added here rather than in that page, which
must never need them.
"""

from __future__ import annotations

from monitor_app.errors import ValidationError
from monitor_app.i18n import _, current_language
from monitor_app.messages import in_form
from monitor_app.records import date_input
from monitor_app.records.schema import RECORD_TYPES, Field
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


def path_label(type_name: str, path: str) -> str:
    """A field named by its labels on screen: ``people.1.role`` is "People 2 › Role"; the
    parts of a value that are not fields (a date's ``.date``) are left out."""
    fields = RECORD_TYPES[type_name].fields
    names: list[str] = []
    for part in path.replace("[", ".").replace("]", "").split("."):
        if part.isdigit() and names:
            names[-1] = f"{names[-1]} {int(part) + 1}"
            continue
        spec = next((f for f in fields if f.name == part), None)
        if spec is None:
            break
        names.append(editor_label(spec.name))
        fields = spec.fields
    return " › ".join(names)


def labelled(error: ValidationError, type_name: str | None) -> ValidationError:
    """``error`` naming its field by the label the form shows, never by its key; with no
    type, the error is about a deletion's reason (the only other thing the editor sends)."""
    field = str(error.params.get("field") or "")
    if type_name is None:
        label = _("Reason for deleting") if field == "reason" else ""
    else:
        label = path_label(type_name, field) if field else ""
    return in_form(error, label, current_language()) if label else error


def date_pattern(precision: str | None, language: str | None = None) -> str:
    """The shape of a date in the interface language's format, as letters: ДД.ММ.ГГГГ."""
    fmt = date_input.date_format(language)
    # TRANSLATORS: the letters standing for the day, month and year in a date's shape
    # ("DD.MM.YYYY"), as forms in your language write them.
    day, month, year = _("DD"), _("MM"), _("YYYY")
    if precision == "month":
        return fmt.join("", month, year)
    if precision == "year":
        return year
    return fmt.join(day, month, year)


def date_placeholder(precision: str | None) -> str:
    if precision in ("day", "month", "year"):
        return date_pattern(precision)
    return _("{day}, {month} or {year}").format(
        day=date_pattern("day"), month=date_pattern("month"), year=date_pattern("year")
    )


def time_placeholder() -> str:
    # TRANSLATORS: the shape of a time of day, hours and minutes, as forms write it.
    return date_pattern("day") + " " + _("hh:mm")


def placeholder(spec: Field) -> str:
    if spec.kind == "timestamp":
        return time_placeholder()
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
