"""Controlled vocabularies: shipped data, label fallback, extension and hostile files."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from monitor_app.errors import MonitorError, NotFoundError
from monitor_app.records.vocabularies import (
    MAX_FILE_BYTES,
    SHIPPED_LANGUAGES,
    Vocabularies,
    Vocabulary,
    VocabularyEntry,
    default_vocabularies,
)
from monitor_app.resources import resources_dir

EXPECTED = {
    "incident_type": {
        "torture",
        "ill_treatment",
        "death_in_custody",
        "enforced_disappearance",
        "arbitrary_detention",
        "denial_of_access",
        "threats_and_intimidation",
        "harassment",
        "reprisal_for_un_cooperation",
        "judicial_harassment",
        "raid_or_search",
        "travel_ban",
        "sexual_and_gender_based_violence",
        "other",
    },
    "place_type": {
        "police_station",
        "temporary_detention_facility",
        "pretrial_detention_centre",
        "prison_or_penal_colony",
        "psychiatric_institution",
        "migrant_detention",
        "military",
        "social_care_home",
        "other",
    },
    "visit_type": {"in_depth", "thematic", "follow_up", "ad_hoc"},
    "access_status": {"granted", "delayed", "restricted", "denied"},
    "consent_use": {
        "record_interview",
        "share_with_coalition",
        "public_report_anonymised",
        "submit_to_un",
        "use_in_court",
    },
    "consent_status": {"given", "refused", "withdrawn", "not_asked"},
    "reprisal_risk": {"low", "medium", "high"},
    "case_status": {"new", "under_review", "referred", "complaint_filed", "closed"},
    "person_role": {
        "victim",
        "witness",
        "relative",
        "source",
        "alleged_perpetrator",
        "defender",
        "lawyer",
    },
    "recommendation_status": {"new", "in_progress", "implemented", "not_implemented"},
    "source_type": {
        "detainee",
        "staff",
        "register",
        "direct_observation",
        "medical_record",
        "third_party",
    },
    "reliability": {"confirmed", "credible", "unverified", "doubtful"},
    "gender": {"female", "male", "other", "not_stated"},
    "observation_theme": {
        "overcrowding",
        "sanitation",
        "food",
        "health_care",
        "contact_with_family_and_lawyers",
        "discipline",
        "use_of_force",
        "complaints",
        "other",
    },
    "date_precision": {"day", "month", "year", "approximate", "unknown"},
    "legal_action_status": {"pending", "answered", "rejected", "upheld", "closed"},
    "medical_consistency": {"consistent", "partly_consistent", "inconsistent", "not_assessed"},
}

SHIPPED_DIR = resources_dir() / "vocabularies"
SHIPPED_FILES = sorted(SHIPPED_DIR.glob("*.json"))


def _doc(name: str = "extra_vocab", entries: Any = None, **overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "format": "monitor_app.vocabulary",
        "version": 1,
        "name": name,
        "entries": entries
        if entries is not None
        else [{"code": "alpha", "labels": {"en": "Alpha", "ru": "Альфа"}}],
    }
    doc.update(overrides)
    return doc


def _write(directory: Path, name: str, content: Any) -> Path:
    path = directory / f"{name}.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_text(json.dumps(content, ensure_ascii=False), encoding="utf-8")
    return path


# --- shipped data -------------------------------------------------------------------------


def test_shipped_vocabularies_load_and_match_the_expected_codes() -> None:
    vocabularies = Vocabularies.load()
    assert set(EXPECTED) <= set(vocabularies.names())
    for name, codes in EXPECTED.items():
        assert vocabularies.get(name).codes() == frozenset(codes), name


def test_every_shipped_file_is_named_after_its_vocabulary() -> None:
    assert SHIPPED_FILES
    for path in SHIPPED_FILES:
        doc = json.loads(path.read_text(encoding="utf-8"))
        assert doc["format"] == "monitor_app.vocabulary"
        assert doc["version"] == 1
        assert doc["name"] == path.stem


@pytest.mark.parametrize("path", SHIPPED_FILES, ids=lambda p: p.stem)
def test_shipped_codes_are_unique_and_well_formed(path: Path) -> None:
    codes = [e["code"] for e in json.loads(path.read_text(encoding="utf-8"))["entries"]]
    assert len(codes) == len(set(codes))
    for code in codes:
        assert re.fullmatch(r"[a-z][a-z0-9_]{0,63}", code), code


def test_every_shipped_entry_has_all_five_labels() -> None:
    assert SHIPPED_LANGUAGES == ("en", "ru", "fr", "zh_CN", "ky")
    vocabularies = default_vocabularies()
    for name in vocabularies.names():
        for entry in vocabularies.get(name).entries:
            assert set(entry.labels) == set(SHIPPED_LANGUAGES), (name, entry.code)
            for lang in SHIPPED_LANGUAGES:
                label = entry.labels[lang]
                assert label.strip() == label and label, (name, entry.code, lang)


def test_torture_in_chinese_and_kyrgyz_follows_the_glossary() -> None:
    incident = default_vocabularies().get("incident_type")
    torture = incident.entry("torture")
    assert torture is not None
    assert torture.labels["zh_CN"] == "酷刑"
    assert torture.labels["ky"] == "Кыйноо"
    assert torture.labels["ru"] == "Пытки"
    assert incident.label("torture", "zh_CN") == "酷刑"


def test_non_latin_labels_contain_no_ascii_letters() -> None:
    """Catches untranslated English and Latin look-alikes typed into Cyrillic words."""
    vocabularies = default_vocabularies()
    for name in vocabularies.names():
        for entry in vocabularies.get(name).entries:
            for lang in ("ru", "zh_CN", "ky"):
                label = entry.labels[lang]
                assert not re.search(r"[A-Za-z]", label), (name, entry.code, lang, label)


def test_cyrillic_labels_use_only_cyrillic_letters() -> None:
    """Kyrgyz ө, ү, ң must be the Cyrillic letters, not Latin ö, ü or similar."""
    vocabularies = default_vocabularies()
    for name in vocabularies.names():
        for entry in vocabularies.get(name).entries:
            for lang in ("ru", "ky"):
                for char in entry.labels[lang]:
                    if char.isalpha():
                        assert "\u0400" <= char <= "\u04ff", (name, entry.code, lang, char)


def test_russian_labels_use_no_kyrgyz_only_letters() -> None:
    vocabularies = default_vocabularies()
    for name in vocabularies.names():
        for entry in vocabularies.get(name).entries:
            assert not set(entry.labels["ru"]) & set("өүңӨҮҢ"), (name, entry.code)


def test_default_vocabularies_is_loaded_once() -> None:
    assert default_vocabularies() is default_vocabularies()


def test_to_json_round_trips(tmp_path: Path) -> None:
    incident = default_vocabularies().get("incident_type")
    _write(tmp_path, "incident_type", incident.to_json())
    # Loading the same labels again as an extra file changes nothing.
    again = Vocabularies.load([tmp_path]).get("incident_type")
    assert again.to_json() == incident.to_json()


# --- lookups and fallback -----------------------------------------------------------------


def test_get_unknown_vocabulary_raises_not_found() -> None:
    with pytest.raises(NotFoundError) as info:
        default_vocabularies().get("no_such_vocabulary")
    assert info.value.code == "vocabulary_not_found"
    assert info.value.params == {"name": "no_such_vocabulary"}


def test_is_valid() -> None:
    vocabularies = default_vocabularies()
    assert vocabularies.is_valid("incident_type", "torture")
    assert not vocabularies.is_valid("incident_type", "Torture")
    assert not vocabularies.is_valid("incident_type", "low")
    assert not vocabularies.is_valid("incident_type", 1)
    assert not vocabularies.is_valid("incident_type", None)
    with pytest.raises(NotFoundError):
        vocabularies.is_valid("no_such_vocabulary", "torture")


def test_label_fallback() -> None:
    entry = VocabularyEntry(code="thing", labels={"en": "Thing", "ru": "Вещь", "zh_CN": "东西"})
    assert entry.label("ru") == "Вещь"
    assert entry.label("ru_KG") == "Вещь"  # region variant falls back to the language
    assert entry.label("zh_CN") == "东西"
    assert entry.label("zh") == "东西"  # bare language finds a regional variant
    assert entry.label("zh-CN") == "东西"
    assert entry.label("zh_TW") == "东西"
    assert entry.label("ky") == "Thing"  # then English
    assert entry.label("ar") == "Thing"
    only_zh = VocabularyEntry(code="thing", labels={"en": "Thing", "zh": "东西"})
    assert only_zh.label("zh_CN") == "东西"
    no_labels = VocabularyEntry(code="thing", labels={})
    assert no_labels.label("ru") == "thing"  # then the code


def test_vocabulary_label_of_unknown_code_is_the_code() -> None:
    vocabulary = Vocabulary(
        name="v", entries=(VocabularyEntry(code="a", labels={"en": "A", "fr": "A fr"}),)
    )
    assert vocabulary.label("a", "fr") == "A fr"
    assert vocabulary.label("missing", "fr") == "missing"
    assert vocabulary.entry("missing") is None
    assert vocabulary.codes() == frozenset({"a"})


def test_vocabulary_rejects_duplicate_codes() -> None:
    entry = VocabularyEntry(code="a", labels={"en": "A"})
    with pytest.raises(ValueError):
        Vocabulary(name="v", entries=(entry, entry))


# --- extension from extra directories -----------------------------------------------------


def test_extra_dir_adds_an_entry_to_an_existing_vocabulary(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "incident_type",
        _doc(
            "incident_type",
            [
                {
                    "code": "forced_labour",
                    "labels": {"en": "Forced labour", "ru": "Принудительный труд"},
                }
            ],
        ),
    )
    vocabularies = Vocabularies.load([tmp_path])
    incident = vocabularies.get("incident_type")
    assert "forced_labour" in incident.codes()
    assert "torture" in incident.codes()
    assert incident.entries[-1].code == "forced_labour"  # appended after shipped entries
    assert incident.label("forced_labour", "ru") == "Принудительный труд"
    assert incident.label("forced_labour", "ky") == "Forced labour"
    assert vocabularies.is_valid("incident_type", "forced_labour")
    # The shipped cache is not affected.
    assert "forced_labour" not in default_vocabularies().get("incident_type").codes()


def test_extra_dir_adds_a_new_vocabulary(tmp_path: Path) -> None:
    _write(tmp_path, "extra_vocab", _doc())
    vocabularies = Vocabularies.load([tmp_path])
    assert "extra_vocab" in vocabularies.names()
    assert vocabularies.get("extra_vocab").label("alpha", "ru") == "Альфа"


def test_extra_dir_cannot_relabel_but_can_add_missing_languages(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "incident_type",
        _doc(
            "incident_type",
            [{"code": "torture", "labels": {"en": "Nothing happened", "kk": "Азаптау"}}],
        ),
    )
    torture = Vocabularies.load([tmp_path]).get("incident_type").entry("torture")
    assert torture is not None
    assert torture.labels["en"] == "Torture"
    assert torture.labels["kk"] == "Азаптау"


def test_extra_dirs_merge_in_order_and_missing_dirs_are_skipped(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    _write(first, "extra_vocab", _doc())
    _write(
        second,
        "extra_vocab",
        _doc(
            entries=[
                {"code": "alpha", "labels": {"en": "Replaced", "fr": "Alpha fr"}},
                {"code": "beta", "labels": {"en": "Beta"}},
            ]
        ),
    )
    vocabulary = Vocabularies.load([first, tmp_path / "absent", second]).get("extra_vocab")
    assert [e.code for e in vocabulary.entries] == ["alpha", "beta"]
    alpha = vocabulary.entry("alpha")
    assert alpha is not None
    assert dict(alpha.labels) == {"en": "Alpha", "ru": "Альфа", "fr": "Alpha fr"}


def test_extra_dir_ignores_other_files(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a vocabulary", encoding="utf-8")
    (tmp_path / ".hidden.json").write_text("{", encoding="utf-8")
    assert Vocabularies.load([tmp_path]).names() == default_vocabularies().names()


def test_loaded_labels_are_read_only() -> None:
    entry = default_vocabularies().get("incident_type").entries[0]
    with pytest.raises(TypeError):
        entry.labels["en"] = "changed"  # type: ignore[index]


# --- hostile files ------------------------------------------------------------------------

SECRET = "SECRET-TESTIMONY-Иванов"

HOSTILE: list[tuple[str, Any, str]] = [
    ("malformed_json", '{"format": "monitor_app.vocabulary", ' + SECRET, "malformed_json"),
    ("not_utf8", b'{"name": "\xff\xfe' + SECRET.encode("cp1251") + b'"}', "not_utf8"),
    ("nan", '{"format": "monitor_app.vocabulary", "version": NaN}', "malformed_json"),
    ("deep_nesting", "[" * 200_000 + "]" * 200_000, "malformed_json"),
    ("not_an_object", [SECRET], "not_an_object"),
    ("wrong_format", _doc(format="something.else"), "wrong_format"),
    ("no_format", {k: v for k, v in _doc().items() if k != "format"}, "wrong_format"),
    ("version_2", _doc(version=2), "unsupported_version"),
    ("version_string", _doc(version="1"), "wrong_version"),
    ("version_bool", _doc(version=True), "wrong_version"),
    ("extra_key", _doc(comment=SECRET), "unexpected_key"),
    ("name_mismatch", _doc(name="other_vocab"), "name_mismatch"),
    ("bad_name", _doc(name="Extra-Vocab"), "bad_name"),
    ("entries_not_list", _doc(entries={"alpha": "Alpha"}), "bad_entries"),
    ("no_entries", _doc(entries=[]), "no_entries"),
    ("entry_not_object", _doc(entries=["alpha"]), "bad_entry"),
    ("entry_extra_key", _doc(entries=[{"code": "a", "labels": {"en": "A"}, "x": 1}]), "bad_entry"),
    ("code_upper", _doc(entries=[{"code": "Alpha", "labels": {"en": "A"}}]), "bad_code"),
    ("code_space", _doc(entries=[{"code": "al pha", "labels": {"en": "A"}}]), "bad_code"),
    ("code_digit", _doc(entries=[{"code": "1alpha", "labels": {"en": "A"}}]), "bad_code"),
    ("code_cyrillic", _doc(entries=[{"code": "пытки", "labels": {"en": "A"}}]), "bad_code"),
    ("code_long", _doc(entries=[{"code": "a" * 65, "labels": {"en": "A"}}]), "bad_code"),
    ("code_newline", _doc(entries=[{"code": "alpha\n", "labels": {"en": "A"}}]), "bad_code"),
    ("code_int", _doc(entries=[{"code": 1, "labels": {"en": "A"}}]), "bad_code"),
    (
        "duplicate_code",
        _doc(entries=[{"code": "a", "labels": {"en": "A"}}, {"code": "a", "labels": {"en": "B"}}]),
        "duplicate_code",
    ),
    (
        "duplicate_json_key",
        '{"format": "monitor_app.vocabulary", "version": 1, "name": "duplicate_json_key",'
        ' "entries": [{"code": "a", "labels": {"en": "A", "en": "B"}}]}',
        "duplicate_key",
    ),
    ("missing_en", _doc(entries=[{"code": "a", "labels": {"ru": "А"}}]), "missing_en_label"),
    ("labels_list", _doc(entries=[{"code": "a", "labels": ["A"]}]), "bad_labels"),
    ("labels_empty", _doc(entries=[{"code": "a", "labels": {}}]), "bad_labels"),
    ("label_int", _doc(entries=[{"code": "a", "labels": {"en": 1}}]), "bad_label"),
    ("label_null", _doc(entries=[{"code": "a", "labels": {"en": None}}]), "bad_label"),
    ("label_list", _doc(entries=[{"code": "a", "labels": {"en": ["A"]}}]), "bad_label"),
    ("label_empty", _doc(entries=[{"code": "a", "labels": {"en": "  "}}]), "bad_label"),
    ("label_long", _doc(entries=[{"code": "a", "labels": {"en": "A" * 201}}]), "bad_label"),
    ("label_control", _doc(entries=[{"code": "a", "labels": {"en": "A\x00B"}}]), "bad_label"),
    ("label_bidi", _doc(entries=[{"code": "a", "labels": {"en": "A\u202eB"}}]), "bad_label"),
    (
        "label_surrogate",
        '{"format": "monitor_app.vocabulary", "version": 1, "name": "label_surrogate",'
        ' "entries": [{"code": "a", "labels": {"en": "\\ud800"}}]}',
        "bad_label",
    ),
    (
        "bad_language",
        _doc(entries=[{"code": "a", "labels": {"en": "A", "../x": "B"}}]),
        "bad_language",
    ),
]


@pytest.mark.parametrize(("file_name", "content", "reason"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_file_is_refused(tmp_path: Path, file_name: str, content: Any, reason: str) -> None:
    if isinstance(content, dict) and content.get("name") == "extra_vocab":
        content = {**content, "name": file_name}
    _write(tmp_path, file_name, content)
    with pytest.raises(MonitorError) as info:
        Vocabularies.load([tmp_path])
    error = info.value
    assert error.code == "vocabulary_invalid"
    assert error.params["file"] == f"{file_name}.json"
    assert error.params["reason"] == reason
    assert str(tmp_path) not in str(error)  # file name only, never the full path
    assert SECRET not in str(error)
    assert SECRET not in json.dumps(error.to_json(), ensure_ascii=False)


def test_error_names_the_offending_entry(tmp_path: Path) -> None:
    entries = [{"code": "a", "labels": {"en": "A"}}, {"code": "B", "labels": {"en": "B"}}]
    _write(tmp_path, "extra_vocab", _doc(entries=entries))
    with pytest.raises(MonitorError) as info:
        Vocabularies.load([tmp_path])
    assert info.value.params == {"file": "extra_vocab.json", "reason": "bad_code", "entry": 1}


def test_huge_file_is_refused_before_parsing(tmp_path: Path) -> None:
    padding = " " * MAX_FILE_BYTES
    text = json.dumps(_doc())[:-1] + padding + "}"
    _write(tmp_path, "extra_vocab", text)
    with pytest.raises(MonitorError) as info:
        Vocabularies.load([tmp_path])
    assert info.value.params == {"file": "extra_vocab.json", "reason": "too_large"}


def test_file_just_under_the_limit_loads(tmp_path: Path) -> None:
    text = json.dumps(_doc())
    text = text[:-1] + " " * (MAX_FILE_BYTES - len(text.encode("utf-8"))) + "}"
    assert len(text.encode("utf-8")) == MAX_FILE_BYTES
    _write(tmp_path, "extra_vocab", text)
    assert "extra_vocab" in Vocabularies.load([tmp_path]).names()


def test_directory_named_json_is_refused(tmp_path: Path) -> None:
    (tmp_path / "extra_vocab.json").mkdir()
    with pytest.raises(MonitorError) as info:
        Vocabularies.load([tmp_path])
    assert info.value.code == "vocabulary_invalid"
    assert info.value.params["file"] == "extra_vocab.json"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_is_refused_without_hanging(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "extra_vocab.json")
    with pytest.raises(MonitorError) as info:
        Vocabularies.load([tmp_path])
    assert info.value.params == {"file": "extra_vocab.json", "reason": "not_a_file"}


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_symlink_to_device_is_refused(tmp_path: Path) -> None:
    (tmp_path / "extra_vocab.json").symlink_to("/dev/zero")
    with pytest.raises(MonitorError) as info:
        Vocabularies.load([tmp_path])
    assert info.value.params == {"file": "extra_vocab.json", "reason": "not_a_file"}


def test_extra_path_that_is_a_file_is_refused(tmp_path: Path) -> None:
    not_a_dir = tmp_path / "config"
    not_a_dir.write_text("x", encoding="utf-8")
    with pytest.raises(MonitorError) as info:
        Vocabularies.load([not_a_dir])
    assert info.value.params == {"file": "config", "reason": "unreadable"}
