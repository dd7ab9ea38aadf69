"""One gettext domain for the core, the CLI and the GUI.

Catalogs live in resources/locale/<lang>/LC_MESSAGES/monitor_app.mo. Until a catalog exists for
a language, English text is used. ``set_language`` switches for the whole process.
"""

from __future__ import annotations

import gettext as _gettext

from monitor_app.resources import resources_dir

DOMAIN = "monitor_app"
_translation: _gettext.NullTranslations = _gettext.NullTranslations()


def set_language(lang: str | None) -> None:
    global _translation
    languages = [lang] if lang else None
    _translation = _gettext.translation(
        DOMAIN, localedir=str(resources_dir() / "locale"), languages=languages, fallback=True
    )


def gettext(message: str) -> str:
    return _translation.gettext(message)


_ = gettext
