"""Translations: every shipped language is complete, and no user-visible text is hard-coded.

``test_shipped_languages_are_complete`` collects every string the core and the GUI mark for
translation (packaging/catalogs.py) and fails on any that a shipped language lacks, on a
placeholder that differs, and on a compiled catalog that does not match its source.

The pseudo-locale test translates every string to ``⟦…⟧`` and walks the screens of the app:
a visible text without the brackets did not go through the translation function. Record
content is kept out of the way by using a vault without records, named in brackets too.
"""

from __future__ import annotations

import gettext
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QAbstractItemModel, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QComboBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QTabWidget,
    QWidget,
)
from pytestqt.qtbot import QtBot

from monitor_app import i18n
from monitor_app.errors import MonitorError
from monitor_app.messages import describe

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "packaging"))
import catalogs

OPEN, CLOSE = "⟦", "⟧"


class PseudoTranslations(gettext.NullTranslations):
    def gettext(self, message: str) -> str:
        return f"{OPEN}{message}{CLOSE}"

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        return f"{OPEN}{msgid1 if n == 1 else msgid2}{CLOSE}"


@pytest.fixture
def pseudo_locale() -> Iterator[None]:
    i18n.install(PseudoTranslations(), "pseudo")
    yield
    i18n.set_language(None)


@pytest.mark.parametrize("lang", catalogs.TRANSLATED)
def test_shipped_languages_are_complete(lang: str) -> None:
    problems = list(catalogs.problems(lang, catalogs.collect()))
    assert problems == [], f"{len(problems)} problems, first: " + "\n".join(problems[:20])


def test_placeholders_are_compared_by_name() -> None:
    assert catalogs.placeholders("{b} and {a}") == ["a", "b"]
    assert catalogs.placeholders("{a} и {b}") == catalogs.placeholders("{b} and {a}")
    assert catalogs.placeholders("{a}") != catalogs.placeholders("{b}")


PLURAL = ("{n} record", "{n} records")


def _catalog_with(tmp_path: Path, lang: str, forms: tuple[str, ...]) -> None:
    """A catalog for ``lang`` holding only PLURAL, translated with ``forms``."""
    catalog = catalogs.updated(catalogs.read_catalog(lang), lang, {PLURAL: [("ui/x.py", 1)]})
    message = catalog.get(PLURAL[0])
    assert message is not None
    message.string = forms
    catalogs.write_catalog(catalog, tmp_path / lang / "LC_MESSAGES" / "monitor_app.po")


def test_plural_messages_are_collected_with_their_forms() -> None:
    found = catalogs.collect()
    assert ("{n} record", "{n} records") in found
    assert "{n} records" not in found  # the plural is part of the message, not one of its own


@pytest.mark.parametrize(("lang", "count"), [("ru", 3), ("ky", 2), ("fr", 2), ("zh_CN", 1)])
def test_each_language_has_its_number_of_plural_forms(lang: str, count: int) -> None:
    assert catalogs.read_catalog(lang).num_plurals == count
    with open(catalogs.mo_path(lang), "rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    # The rule of the compiled header picks among exactly that many forms (Kyrgyz writes its
    # two alike, as a noun after a number stays singular: the rule is what is compared).
    assert {compiled.plural(n) for n in range(0, 112)} == set(range(count))


def test_plural_entries_are_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(catalogs, "LOCALE_DIR", tmp_path)
    _catalog_with(tmp_path, "ru", ("{n} запись", "{n} записи", ""))
    assert "ru: untranslated: ('{n} record', '{n} records')" in catalogs.problems("ru", [PLURAL])
    _catalog_with(tmp_path, "ru", ("{n} запись", "{count} записи", "{n} записей"))
    assert (
        "ru: placeholders differ in plural form 1: ('{n} record', '{n} records')"
        in catalogs.problems("ru", [PLURAL])
    )
    _catalog_with(tmp_path, "ru", ("{n} запись", "{n} записи", "{n} записей"))
    catalogs.mo_path("ru").write_bytes(catalogs.compiled(catalogs.read_catalog("ru")))
    assert list(catalogs.problems("ru", [PLURAL])) == []


def test_fill_takes_plural_forms_as_lists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(catalogs, "LOCALE_DIR", tmp_path)
    monkeypatch.setattr(catalogs, "collect", lambda: {PLURAL: [("ui/x.py", 1)]})
    given = tmp_path / "given.json"
    forms = {"ru": ["{n} запись", "{n} записи", "{n} записей"], "ky": ["{n} жазуу"] * 2}
    given.write_text(json.dumps({PLURAL[0]: forms}), "utf-8")
    assert catalogs.main(["fill", str(given)]) == 0
    assert catalogs.forms(catalogs.read_catalog("ru").get(PLURAL[0]), 3) == tuple(forms["ru"])
    assert catalogs.main(["missing"]) == 0
    todo = json.loads(capsys.readouterr().out.split("\n", 1)[1])
    assert todo == {PLURAL[0]: {"fr": ["", ""], "zh_CN": [""]}}


@pytest.mark.parametrize("lang", catalogs.TRANSLATED)
def test_each_language_translates_error_sentences(lang: str) -> None:
    english = describe(MonitorError("wrong_passphrase"))
    i18n.set_language(lang)
    try:
        assert describe(MonitorError("wrong_passphrase")) != english
    finally:
        i18n.set_language(None)


# -- hard-coded text -----------------------------------------------------------------------

# Texts that are not to be translated: the app's own name, and each language's name in itself
# (the language menu).
ALLOWED = {"", "monitor_app", "monitor_app — DEMO", *i18n.LANGUAGE_NAMES.values()}


def _is_language(text: str) -> bool:
    stripped = text.replace("&", "").strip()
    return stripped not in ALLOWED and any(c.isalpha() for c in stripped)


def _model_texts(model: QAbstractItemModel) -> Iterator[str]:
    for section in range(model.columnCount()):
        header = model.headerData(section, Qt.Orientation.Horizontal)
        if isinstance(header, str):
            yield header


def visible_texts(root: QWidget) -> Iterator[tuple[str, str]]:
    """(where, text) for every text a user can read in ``root``'s widgets."""
    widgets = [root, *root.findChildren(QWidget)]
    for widget in widgets:
        name = type(widget).__name__
        if widget.toolTip():
            yield f"{name} tooltip", widget.toolTip()
        if isinstance(widget, QLabel | QAbstractButton):
            yield name, widget.text()
        elif isinstance(widget, QLineEdit):
            yield f"{name} placeholder", widget.placeholderText()
        elif isinstance(widget, QGroupBox):
            yield name, widget.title()
        elif isinstance(widget, QTabWidget):
            for index in range(widget.count()):
                yield name, widget.tabText(index)
        elif isinstance(widget, QListWidget):
            for index in range(widget.count()):
                item = widget.item(index)
                if item is not None:
                    yield name, item.text()
        elif isinstance(widget, QComboBox):
            for index in range(widget.count()):
                yield name, widget.itemText(index)
        model = getattr(widget, "model", None)
        if callable(model) and not isinstance(widget, QComboBox | QListWidget):
            found = model()
            if isinstance(found, QAbstractItemModel):
                for text in _model_texts(found):
                    yield f"{name} header", text


def hard_coded(root: QWidget) -> list[str]:
    return sorted(
        {
            f"{where}: {text!r}"
            for where, text in visible_texts(root)
            if _is_language(text) and OPEN not in text
        }
    )


def test_pseudo_locale_finds_hard_coded_text(qtbot: QtBot, pseudo_locale: None) -> None:
    """The check can fail: a label set without _() is reported."""
    widget = QWidget()
    qtbot.addWidget(widget)
    QLabel("Hard-coded", widget)
    QLabel(i18n.gettext("Translated"), widget)
    assert hard_coded(widget) == ["QLabel: 'Hard-coded'"]


def test_no_hard_coded_text_on_the_screens(
    qtbot: QtBot, pseudo_locale: None, tmp_path: Path
) -> None:
    from monitor_app.crypto import kdf
    from monitor_app.vault import lifecycle
    from ui.shell.vault_window import VaultWindow

    found: dict[str, list[str]] = {}
    folder = tmp_path / f"{OPEN}vaults{CLOSE}"  # vault paths are shown: data, not language
    first_run = VaultWindow(folder / "new")
    qtbot.addWidget(first_run)
    found["create"] = hard_coded(first_run)

    vault, _code = lifecycle.create_vault(
        folder / "vault", "pseudo passphrase", name=f"{OPEN}Aida{CLOSE}", kdf_params=kdf.MINIMUM
    )
    window = VaultWindow(folder / "vault", vault=vault)
    qtbot.addWidget(window)
    main = getattr(window, "main_view", None)
    sections = list(getattr(main, "pages", {}) or ["overview"])
    for section in sections:
        if main is not None:
            main.show_section(section)
        found[section] = hard_coded(window)
    window.shutdown()
    problems = [f"{screen}: {line}" for screen, lines in found.items() for line in lines]
    assert problems == [], "\n".join(problems)
