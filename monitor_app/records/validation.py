"""Strict validation of untrusted record data against the schema.

Unknown fields, wrong types, unknown vocabulary codes, oversized text, control characters
and text that UTF-8 cannot encode are refused with a ValidationError naming the field
(``params['field']``, a dotted path such as ``people.0.role``) and a reason code. Values are
never echoed back: a refused value may be the very text that must not leak.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from monitor_app.errors import ValidationError
from monitor_app.records import dates
from monitor_app.records.schema import LIST_MAX, LONG_TEXT_MAX, TEXT_MAX, Field, RecordType
from monitor_app.records.vocabularies import Vocabularies

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LINE_BREAK = re.compile(r"[\r\n]")
# Lone surrogates: the only code points a Python string (or a JSON "\ud800" escape) can hold
# that UTF-8 cannot encode. Let through, they fail later, untyped, wherever the text is
# encoded: the database, the search index, a bundle, the terminal.
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass
class Validated:
    public: dict[str, Any] = field(default_factory=dict)
    sensitive: dict[str, Any] = field(default_factory=dict)
    # (dotted field path, referenced record id, required record type)
    references: list[tuple[str, str, str]] = field(default_factory=list)


def validate(record_type: RecordType, data_untrusted: Any, vocabularies: Vocabularies) -> Validated:
    if not isinstance(data_untrusted, dict):
        raise ValidationError(field="", reason="wrong_type", expected="object")
    result = Validated()
    for name in data_untrusted:
        check_key(name, "")
        if not isinstance(name, str) or name not in record_type.by_name:
            raise ValidationError(field=str(name)[:64], reason="unknown_field")
    for spec in record_type.fields:
        value = data_untrusted.get(spec.name)
        if value is None:
            if spec.required:
                raise ValidationError(field=spec.name, reason="required")
            continue
        clean = _value(spec, value, spec.name, vocabularies, result)
        (result.sensitive if spec.sensitive else result.public)[spec.name] = clean
    return result


def _value(spec: Field, value: Any, path: str, vocab: Vocabularies, out: Validated) -> Any:
    kind = spec.kind
    if kind in ("text", "long_text"):
        return _text(value, path, multiline=kind == "long_text")
    if kind == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValidationError(field=path, reason="wrong_type", expected="integer")
        if (spec.minimum is not None and value < spec.minimum) or (
            spec.maximum is not None and value > spec.maximum
        ):
            raise ValidationError(
                field=path, reason="out_of_range", minimum=spec.minimum, maximum=spec.maximum
            )
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise ValidationError(field=path, reason="wrong_type", expected="boolean")
        return value
    if kind == "vocab":
        return _code(value, spec.vocabulary, path, vocab)
    if kind == "vocab_list":
        items = _list(value, path)
        codes = [_code(v, spec.vocabulary, f"{path}.{i}", vocab) for i, v in enumerate(items)]
        if len(set(codes)) != len(codes):
            raise ValidationError(field=path, reason="duplicate")
        return codes
    if kind == "text_list":
        return [_text(v, f"{path}.{i}", multiline=False) for i, v in enumerate(_list(value, path))]
    if kind == "fuzzy_date":
        return dates.normalise_fuzzy_date(value, path)
    if kind == "timestamp":
        return dates.normalise_timestamp(value, path)
    if kind == "ref":
        if not isinstance(value, str):
            raise ValidationError(field=path, reason="wrong_type", expected="record id")
        try:
            ref = str(uuid.UUID(value))
        except ValueError:
            raise ValidationError(field=path, reason="invalid_id") from None
        assert spec.ref_type is not None
        out.references.append((path, ref, spec.ref_type))
        return ref
    if kind == "object":
        return _object(spec, value, path, vocab, out)
    if kind == "object_list":
        return [
            _object(spec, v, f"{path}.{i}", vocab, out) for i, v in enumerate(_list(value, path))
        ]
    if kind == "consent":
        return _consent(value, path, vocab)
    raise AssertionError(f"unhandled kind {kind}")


def _text(value: Any, path: str, *, multiline: bool) -> str:
    if not isinstance(value, str):
        raise ValidationError(field=path, reason="wrong_type", expected="text")
    limit = LONG_TEXT_MAX if multiline else TEXT_MAX
    if len(value) > limit:
        raise ValidationError(field=path, reason="too_long", maximum=limit)
    if _SURROGATE.search(value):
        raise ValidationError(field=path, reason="invalid_text")
    if _CONTROL.search(value) or (not multiline and _LINE_BREAK.search(value)):
        raise ValidationError(field=path, reason="control_characters")
    return value


def check_text(value: Any, field: str, *, multiline: bool = False) -> str:
    """``value`` if it is text a record could hold (a deletion's reason, say), else the
    ValidationError naming ``field``."""
    return _text(value, field, multiline=multiline)


def check_key(name: Any, parent: str) -> None:
    """Refuse an object key UTF-8 cannot encode (``parent``: the dotted path of the object,
    "" for a record's top level). The field named in the error is the key with those
    characters replaced, as an error's text must itself be printable."""
    if isinstance(name, str) and _SURROGATE.search(name):
        shown = _SURROGATE.sub("\ufffd", name[:64])
        raise ValidationError(field=f"{parent}.{shown}" if parent else shown, reason="invalid_text")


def _list(value: Any, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise ValidationError(field=path, reason="wrong_type", expected="list")
    if len(value) > LIST_MAX:
        raise ValidationError(field=path, reason="too_long", maximum=LIST_MAX)
    return value


def _code(value: Any, vocabulary: str | None, path: str, vocab: Vocabularies) -> str:
    assert vocabulary is not None
    if not isinstance(value, str):
        raise ValidationError(field=path, reason="wrong_type", expected="code")
    if _SURROGATE.search(value):
        raise ValidationError(field=path, reason="invalid_text")
    if not vocab.is_valid(vocabulary, value):
        raise ValidationError(field=path, reason="unknown_code", vocabulary=vocabulary)
    return value


def _object(spec: Field, value: Any, path: str, vocab: Vocabularies, out: Validated) -> Any:
    if not isinstance(value, dict):
        raise ValidationError(field=path, reason="wrong_type", expected="object")
    known = {f.name: f for f in spec.fields}
    for name in value:
        check_key(name, path)
        if name not in known:
            raise ValidationError(field=f"{path}.{str(name)[:64]}", reason="unknown_field")
    clean: dict[str, Any] = {}
    for sub in spec.fields:
        item = value.get(sub.name)
        if item is None:
            if sub.required:
                raise ValidationError(field=f"{path}.{sub.name}", reason="required")
            continue
        clean[sub.name] = _value(sub, item, f"{path}.{sub.name}", vocab, out)
    return clean


def _consent(value: Any, path: str, vocab: Vocabularies) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ValidationError(field=path, reason="wrong_type", expected="object")
    clean: dict[str, str] = {}
    for use, status in value.items():
        check_key(use, path)
        use_code = _code(use, "consent_use", f"{path}.{str(use)[:64]}", vocab)
        clean[use_code] = _code(status, "consent_status", f"{path}.{use_code}", vocab)
    return clean


def iter_text(value: Any) -> list[str]:
    """All text in a validated value, for the search index."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [t for item in value for t in iter_text(item)]
    if isinstance(value, dict):
        return [t for item in value.values() for t in iter_text(item)]
    return []
