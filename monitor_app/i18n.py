"""One gettext domain for the core, the CLI and the GUI.

Catalogs live in resources/locale/<lang>/LC_MESSAGES/monitor_app.mo (packaging/catalogs.py
collects the strings and compiles them). English is the source language. ``set_language``
switches for the whole process; a language without a catalog falls back to English.
"""

from __future__ import annotations

import gettext as _gettext
from pathlib import Path

from monitor_app.resources import resources_dir

DOMAIN = "monitor_app"
SOURCE_LANGUAGE = "en"
SHIPPED_LANGUAGES = ("en", "ru", "fr", "zh_CN", "ky")
# Each language's name in itself, for the language menu (never translated).
LANGUAGE_NAMES = {
    "en": "English",
    "ru": "Русский",
    "fr": "Français",
    "zh_CN": "简体中文",
    "ky": "Кыргызча",
}

_translation: _gettext.NullTranslations = _gettext.NullTranslations()
_language = SOURCE_LANGUAGE


def set_language(lang: str | None) -> None:
    """Use ``lang`` (one of SHIPPED_LANGUAGES, or None for the system's) from now on."""
    global _translation, _language
    languages = [lang] if lang else None
    localedir = str(resources_dir() / "locale")
    _translation = _gettext.translation(
        DOMAIN, localedir=localedir, languages=languages, fallback=True
    )
    if lang is None:
        # The system's choice is whichever catalog gettext found first (<lang>/LC_MESSAGES).
        found = _gettext.find(DOMAIN, localedir=localedir, all=True)
        lang = Path(found[0]).parent.parent.name if found else None
    _language = lang or SOURCE_LANGUAGE


def install(translation: _gettext.NullTranslations, lang: str) -> None:
    """Use a catalog built elsewhere (tests use a pseudo-locale to find hard-coded text)."""
    global _translation, _language
    _translation, _language = translation, lang


def current_language() -> str:
    return _language


def gettext(message: str) -> str:
    return _translation.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of a message for the count ``n``: the language's own plural rule chooses
    (Russian has three forms, Chinese one), so "{n} records" is never written as "1 records".
    The count is still to be put in with ``.format(n=...)``."""
    return _translation.ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark ``message`` for the catalog without translating it now."""
    return message


_ = gettext
