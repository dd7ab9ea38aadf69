"""Translation catalogs: collect every user-visible string, update the .po files, compile .mo.

    python packaging/catalogs.py update    # after changing strings: refresh every .po file
    python packaging/catalogs.py compile   # after translating: write the .mo files
    python packaging/catalogs.py check     # what is missing or stale (exit 1 if anything)
    python packaging/catalogs.py missing > todo.json   # untranslated strings, to fill in
    python packaging/catalogs.py fill todo.json        # take translations from that file

The JSON of ``missing`` and ``fill`` maps each msgid to its translations by language,
{"Lock": {"ru": "Заблокировать", "ky": "...", ...}}: a translator can work on it in any
editor, and ``fill`` adds only to strings the code still has (then compile).

A message with plural forms (``ngettext(singular, plural, n)``) has one translation per form
of the language, in the order of its Plural-Forms rule: in the JSON, a list,
{"{n} records": {"ru": ["{n} запись", "{n} записи", "{n} записей"], "zh_CN": ["{n} 条记录"]}}.

One gettext domain serves the core, the CLI and the GUI (monitor_app/i18n.py). Strings are
collected from calls of ``_``, ``gettext``, ``ngettext`` and ``N_`` in monitor_app/ and ui/
(Babel's extractor), plus the error sentences of monitor_app/messages.py, which are kept in
tables and translated when shown. Translators edit
resources/locale/<lang>/LC_MESSAGES/monitor_app.po; the compiled .mo files are committed beside
them, and tests/test_translations.py fails when a shipped language lacks a string (or a form of
a plural one), a placeholder differs, or a .mo file does not match its .po.

Babel is a development dependency only: the app reads .mo files with the standard library.
"""

from __future__ import annotations

import io
import json
import string
import sys
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from monitor_app import i18n, messages  # noqa: E402

LOCALE_DIR = ROOT / "resources" / "locale"
SOURCE_DIRS = ("monitor_app", "ui")
KEYWORDS = {"_": None, "gettext": None, "N_": None, "ngettext": (1, 2)}
# Written into each catalog rather than taken from Babel's CLDR data, which gives French a
# third form for millions ("1 000 000 de fichiers") that gettext tools and translators do not
# expect. Russian: 1, 21 запись; 2-4, 22 записи; 5-20, 25 записей. Kyrgyz (CLDR): one, other.
PLURAL_FORMS = {
    "ru": "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : "
    "n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);",
    "ky": "nplurals=2; plural=(n != 1);",
    "fr": "nplurals=2; plural=(n > 1);",
    "zh_CN": "nplurals=1; plural=0;",
}
# Fixed dates: the header would otherwise change at every update and hide the real changes.
CATALOG_DATE = datetime(2026, 1, 1, tzinfo=UTC)
HEADER = """\
# monitor_app: {language}.
# Translate each msgstr; keep {{placeholders}} as they are (their order may change).
# Strings come from monitor_app/ and ui/: packaging/catalogs.py update, then compile.
#"""
TRANSLATED = tuple(lang for lang in i18n.SHIPPED_LANGUAGES if lang != i18n.SOURCE_LANGUAGE)


# A msgid: a string, or (singular, plural) for a message with plural forms.
MsgId = str | tuple[str, str]


def key(msgid: MsgId) -> str:
    """The catalog's key for ``msgid``: a plural message is found by its singular."""
    return msgid[0] if isinstance(msgid, tuple) else msgid


def collect() -> dict[MsgId, list[tuple[str, int]]]:
    """Every msgid and where it appears (path relative to the project, line)."""
    found: dict[MsgId, list[tuple[str, int]]] = {}
    for directory in SOURCE_DIRS:
        method_map = [("**.py", "python")]
        for filename, lineno, message, _comments, _context in extract_from_dir(
            ROOT / directory, method_map, keywords=KEYWORDS
        ):
            if isinstance(message, str) and message:
                found.setdefault(message, []).append((f"{directory}/{filename}", lineno))
            elif isinstance(message, tuple) and len(message) == 2 and all(message):
                pair = (str(message[0]), str(message[1]))
                found.setdefault(pair, []).append((f"{directory}/{filename}", lineno))
    tables = {"MESSAGES": messages.MESSAGES, "VALIDATION_REASONS": messages.VALIDATION_REASONS}
    for table, entries in tables.items():
        for key, text in entries.items():
            found.setdefault(text, []).append((f"monitor_app/messages.py:{table}[{key}]", 0))
    return found


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{i18n.DOMAIN}.po"


def mo_path(lang: str) -> Path:
    return po_path(lang).with_suffix(".mo")


def read_catalog(lang: str) -> Catalog:
    path = po_path(lang)
    if not path.is_file():
        catalog = Catalog(locale=lang, domain=i18n.DOMAIN)
    else:
        with open(path, "rb") as handle:
            catalog = read_po(handle, locale=lang, domain=i18n.DOMAIN)
    if lang in PLURAL_FORMS:
        catalog.mime_headers = [("Plural-Forms", PLURAL_FORMS[lang])]
    return catalog


def forms(message: Message | None, count: int) -> tuple[str, ...]:
    """A plural message's translated forms, ``count`` of them ("" where missing)."""
    found: tuple[str, ...] = ()
    if message is not None and isinstance(message.string, list | tuple):
        found = tuple(str(form) for form in message.string)
    return (found + ("",) * count)[:count]


def translated(message: Message | None, msgid: MsgId, count: int) -> bool:
    """Whether ``message`` has a (non-fuzzy) translation, every form of a plural one."""
    if message is None or message.fuzzy:
        return False
    if isinstance(msgid, tuple):
        given = message.string if isinstance(message.string, list | tuple) else ()
        return len(given) == count and all(given)
    return bool(message.string) and isinstance(message.string, str)


def updated(old: Catalog, lang: str, strings: dict[MsgId, list[tuple[str, int]]]) -> Catalog:
    """A catalog with exactly ``strings``, keeping the translations ``old`` has for them."""
    new = Catalog(
        locale=lang,
        domain=i18n.DOMAIN,
        header_comment=HEADER.format(language=i18n.LANGUAGE_NAMES.get(lang, lang)),
        project="monitor_app",
        version="1",
        msgid_bugs_address="-",
        last_translator="monitor_app translators",
        language_team=i18n.LANGUAGE_NAMES.get(lang, lang),
        charset="utf-8",
        fuzzy=False,
        creation_date=CATALOG_DATE,
        revision_date=CATALOG_DATE,
    )
    if lang in PLURAL_FORMS:
        new.mime_headers = [("Plural-Forms", PLURAL_FORMS[lang])]
    for msgid in sorted(strings, key=key):
        previous = old.get(key(msgid))
        translation: str | tuple[str, ...]
        if isinstance(msgid, tuple):
            translation = forms(previous, new.num_plurals)
        else:
            translation = previous.string if previous is not None and previous.string else ""
            if not isinstance(translation, str):
                translation = ""
        flags = previous.flags if previous is not None else ()
        new.add(msgid, translation, locations=sorted(set(strings[msgid])), flags=flags)
    return new


def write_catalog(catalog: Catalog, path: Path) -> None:
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, omit_header=False, sort_output=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())


def compiled(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def meaning(mo: bytes) -> tuple[object, ...]:
    """What a compiled catalog says: its header and messages. The header's Generated-By line
    is left out: it names the Babel release that compiled it, and a newer Babel must not make
    a committed .mo count as stale."""
    catalog = read_mo(io.BytesIO(mo))
    headers = tuple(h for h in catalog.mime_headers if h[0] != "Generated-By")
    messages = sorted((repr(m.id), repr(m.string), repr(m.context)) for m in catalog if m.id)
    return headers, tuple(messages)


def placeholders(text: str) -> list[str]:
    """The str.format fields of ``text``, sorted (translations may reorder them)."""
    return sorted(name for _, name, _, _ in string.Formatter().parse(text) if name is not None)


def problems(lang: str, strings: Iterable[MsgId]) -> Iterator[str]:
    """What keeps ``lang`` from being complete: missing, fuzzy, wrong placeholders, stale .mo.
    A plural message needs every form of the language, each with the placeholders of the
    English plural (and the English singular needs them too: both are formatted alike)."""
    catalog = read_catalog(lang)
    for msgid in sorted(strings, key=key):
        message: Message | None = catalog.get(key(msgid))
        if message is not None and message.fuzzy:
            yield f"{lang}: fuzzy: {msgid!r}"
        elif not translated(message, msgid, catalog.num_plurals):
            yield f"{lang}: untranslated: {msgid!r}"
        elif isinstance(msgid, tuple):
            wanted = placeholders(msgid[1])
            if placeholders(msgid[0]) != wanted:
                yield f"{lang}: the English singular and plural differ in placeholders: {msgid!r}"
            for index, form in enumerate(forms(message, catalog.num_plurals)):
                if placeholders(form) != wanted:
                    yield f"{lang}: placeholders differ in plural form {index}: {msgid!r}"
        elif message is not None and placeholders(str(message.string)) != placeholders(msgid):
            yield f"{lang}: placeholders differ: {msgid!r}"
    path = mo_path(lang)
    if not path.is_file() or meaning(path.read_bytes()) != meaning(compiled(catalog)):
        yield f"{lang}: {path.relative_to(ROOT)} is missing or does not match its .po (compile)"


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    strings = collect()
    if command == "update":
        for lang in TRANSLATED:
            write_catalog(updated(read_catalog(lang), lang, strings), po_path(lang))
        print(f"{len(strings)} strings; updated {', '.join(TRANSLATED)}")
        return 0
    if command == "compile":
        for lang in TRANSLATED:
            mo_path(lang).write_bytes(compiled(read_catalog(lang)))
        print(f"compiled {', '.join(TRANSLATED)}")
        return 0
    if command == "missing":
        todo: dict[str, dict[str, str | list[str]]] = {}
        for lang in TRANSLATED:
            catalog = read_catalog(lang)
            for msgid in sorted(strings, key=key):
                message = catalog.get(key(msgid))
                if not translated(message, msgid, catalog.num_plurals):
                    blank: str | list[str] = ""
                    if isinstance(msgid, tuple):
                        blank = list(forms(message, catalog.num_plurals))
                    todo.setdefault(key(msgid), {})[lang] = blank
        print(json.dumps(todo, ensure_ascii=False, indent=1, sort_keys=True))
        return 0
    if command == "fill" and len(argv) == 2:
        given: dict[str, dict[str, str | list[str]]] = json.loads(Path(argv[1]).read_text("utf-8"))
        filled = 0
        for lang in TRANSLATED:
            catalog = updated(read_catalog(lang), lang, strings)
            for msgid, translations in given.items():
                message = catalog.get(msgid)
                text = translations.get(lang)
                if message is None or not text:
                    continue
                if message.pluralizable != isinstance(text, list):
                    print(f"{lang}: {msgid!r}: plural forms are a list", file=sys.stderr)
                    continue
                if isinstance(text, list) and len(text) != catalog.num_plurals:
                    print(f"{lang}: {msgid!r}: wants {catalog.num_plurals} forms", file=sys.stderr)
                    continue
                message.string = tuple(text) if isinstance(text, list) else text
                message.flags.discard("fuzzy")
                filled += 1
            write_catalog(catalog, po_path(lang))
        print(f"filled {filled} translations")
        return 0
    if command == "check":
        found = [p for lang in TRANSLATED for p in problems(lang, strings)]
        print("\n".join(found) or f"{len(strings)} strings, all translated")
        return 1 if found else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
