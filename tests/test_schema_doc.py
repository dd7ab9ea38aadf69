"""docs/schema.md lists every field the code knows, so the documentation cannot drift."""

from pathlib import Path

from monitor_app.records.schema import RECORD_TYPES

DOC = Path(__file__).resolve().parents[1] / "docs" / "schema.md"


def test_every_field_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    missing = [
        f"{record_type.name}.{field.name}"
        for record_type in RECORD_TYPES.values()
        for field in record_type.fields
        if f"| `{field.name}` |" not in text
    ]
    assert missing == []
    for record_type in RECORD_TYPES:
        assert f"### {record_type}" in text
