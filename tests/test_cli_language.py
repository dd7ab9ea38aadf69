"""monitorctl in the user's language: human lines and help translated, --json never.

Each command runs through ``main()`` with LANGUAGE set, as a user's shell would set it. The
same read-only command run in English and in Russian (or Chinese) must give byte-identical
--json output, while its human output is in that language.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from monitor_app import i18n
from tests.cli_tools import Run, invoke
from tests.conftest import PASSPHRASE

Cli = Callable[..., Run]


@pytest.fixture(autouse=True)
def _restore(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # main() makes the umask private and installs the language of the environment: give the
    # rest of the suite its own back.
    umask = os.umask(0o077)
    os.umask(umask)
    yield
    os.umask(umask)
    monkeypatch.undo()
    i18n.set_language(None)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    def run(lang: str, *args: str, expect: int = 0) -> Run:
        # LANGUAGE comes first for gettext; "en" has no catalog, so it is the source text.
        monkeypatch.setenv("LANGUAGE", lang)
        return invoke(capsys, list(args), expect)

    return run


def _vault(cli: Cli, root: Path, label: str, name: str) -> list[str]:
    secret = root / f"{label}.pass"
    secret.write_text(PASSPHRASE + "\n")
    base = ["--vault", str(root / f"vault-{label}"), "--passphrase-file", str(secret)]
    cli("en", "--json", *base, "init", "--name", name, "--org", "Coalition")
    return base


def same_json(cli: Cli, lang: str, *args: str) -> Any:
    """``--json`` output of ``args``, identical to the byte in English and in ``lang``."""
    english = cli("en", "--json", *args).out
    translated = cli(lang, "--json", *args).out
    assert translated == english, args
    return json.loads(english)


def test_russian_output_and_identical_json(cli: Cli, tmp_path: Path) -> None:
    field = _vault(cli, tmp_path, "field", "Aida K.")
    hub = _vault(cli, tmp_path, "hub", "Hub reviewer")
    field_card, hub_card = tmp_path / "field.card", tmp_path / "hub.card"
    wrote = cli("ru", *field, "identity", "card", "--out", str(field_card)).out
    assert "Give it to your contacts" not in wrote and "отпечаток" in wrote
    cli("en", *hub, "identity", "card", "--out", str(hub_card))

    info = cli("ru", *field, "info").out
    assert "Хранилище:" in info and "Места лишения свободы:" in info
    same_json(cli, "ru", *field, "info")
    shown = cli("ru", *field, "identity", "show").out
    assert "Прочитайте отпечаток ключа вслух" in shown and "Aida K." in shown
    identity = same_json(cli, "ru", *field, "identity", "show")["result"]
    assert identity["fingerprint_display"] in shown

    # The hub adds the field monitor's card: unverified, in Russian.
    added = cli("ru", *hub, "contact", "add", str(field_card)).out
    assert added.startswith("Контакт сохранён:\n")
    assert "НЕ ПРОВЕРЕН" in added and "UNVERIFIED" not in added
    assert identity["fingerprint_display"] in added  # fingerprints are not translated
    listed = cli("ru", *hub, "contact", "list").out
    assert "получатель передач:" in listed and "monitorctl contact verify" in listed
    same_json(cli, "ru", *hub, "contact", "list")
    same_json(cli, "ru", *hub, "contact", "show", identity["fingerprint"])
    verified = cli("ru", *hub, "contact", "verify", identity["fingerprint"]).out
    assert verified.startswith("Контакт проверен:\n") and "ПРОВЕРЕН" in verified
    custodian = cli("ru", *hub, "contact", "custodian", identity["fingerprint"], "--on").out
    assert "теперь хранит ваши записи" in custodian

    # A bundle from the hub to the field: exported, checked, quarantined, then imported.
    place = tmp_path / "place.json"
    place.write_text(json.dumps({"name": "ИВС ГУВД", "place_type": "police_station"}))
    cli("en", "--json", *hub, "record", "add", "--type", "place", "--json", str(place))
    bundle = tmp_path / "bundle.bin"
    exported = cli("ru", *hub, "export", "--to", "Aida K.", "--out", str(bundle)).out
    assert "пакет передачи" in exported and str(bundle) in exported
    checked = cli("ru", *field, "verify", str(bundle)).out
    assert "НЕИЗВЕСТНЫЙ подписавший" in checked and "Hub reviewer" in checked
    same_json(cli, "ru", *field, "verify", str(bundle))
    held = cli("ru", *field, "import", str(bundle)).out
    assert held.startswith("в карантине\n") and "ничего не импортировано" in held
    cli("en", *field, "contact", "add", str(hub_card), "--verified")
    imported = cli("ru", *field, "import", str(bundle)).out
    assert imported.startswith("импортирован\n")
    assert "Добавлено записей: 1; обновлено: 0" in imported
    again = same_json(cli, "ru", *field, "import", str(bundle))["result"]
    assert again["status"] == "already_imported"

    # The receipt goes back; the hub purges what it confirms.
    receipt = tmp_path / "receipt.bin"
    bundle_id = again["bundle"]["bundle_id"]
    wrote = cli("ru", *field, "receipt", bundle_id, "--out", str(receipt)).out
    assert "подтверждение" in wrote and bundle_id in wrote
    applied = cli("ru", *hub, "import", str(receipt)).out
    assert "Подтверждение принято: Aida K. подтверждает получение пакета передачи" in applied
    dry = same_json(cli, "ru", *hub, "purge", "--handed-off", "--dry-run")["result"]
    assert dry["dry_run"] is True and len(dry["purged"]) == 1
    assert "Пробный запуск" in cli("ru", *hub, "purge", "--handed-off", "--dry-run").out
    purged = cli("ru", *hub, "purge", "--handed-off").out
    assert "Удалено записей: 1; вложений: 0." in purged
    assert "Хранилище перешифровано новым ключом." in purged

    assert "Журнал аудита в целости" in cli("ru", *hub, "audit", "verify").out
    same_json(cli, "ru", *hub, "audit", "verify")


def test_chinese_output_and_identical_json(cli: Cli, tmp_path: Path) -> None:
    field = _vault(cli, tmp_path, "field", "Aida K.")
    hub = _vault(cli, tmp_path, "hub", "Hub reviewer")
    card = tmp_path / "hub.card"
    cli("en", *hub, "identity", "card", "--out", str(card))
    cli("en", *field, "contact", "add", str(card))

    listed = cli("zh_CN", *field, "contact", "list").out
    assert "未验证" in listed and "传输接收方：" in listed and "Hub reviewer" in listed
    assert "UNVERIFIED" not in listed
    same_json(cli, "zh_CN", *field, "contact", "list")
    shown = cli("zh_CN", *field, "identity", "show").out
    assert "指纹：" in shown and "请向您交付卡片的对象大声读出指纹。" in shown
    same_json(cli, "zh_CN", *field, "identity", "show")


def test_help_texts_are_translated(cli: Cli) -> None:
    russian = cli("ru", "--help").out
    assert "создать новое хранилище" in russian and "create a new vault" not in russian
    assert "--vault DIR" in russian  # option names and metavars stay as they are
    french = cli("fr", "purge", "--help").out
    assert "afficher seulement ce qui serait purgé" in french
    english = cli("en", "purge", "--help").out
    assert "only show what would go" in english


def test_vocabulary_labels_follow_the_language_and_json_does_not(cli: Cli) -> None:
    """Without --lang, labels come in the language of the other lines; --json keeps English
    labels in every language, and --lang still chooses."""
    russian = cli("ru", "vocab", "incident_type").out
    assert "torture\tПытки" in russian
    assert "torture\tTorture" in cli("en", "vocab", "incident_type").out
    assert "torture\t酷刑" in cli("ru", "vocab", "incident_type", "--lang", "zh_CN").out
    entries = same_json(cli, "ru", "vocab", "incident_type")["result"]["entries"]
    assert next(e for e in entries if e["code"] == "torture")["label"] == "Torture"


def _damage_recovery_slot(vault: Path) -> str:
    """Flip a bit of the recovery slot's wrapped key in keyslots.json; the slot's id."""
    slots_path = vault / "keyslots.json"
    body = json.loads(slots_path.read_text())
    slot = next(s for s in body["slots"] if s["type"] == "recovery")
    wrapped = bytearray(base64.b64decode(slot["wrapped_key"]))
    wrapped[0] ^= 0x01
    slot["wrapped_key"] = base64.b64encode(bytes(wrapped)).decode()
    slots_path.write_text(json.dumps(body))
    return str(slot["id"])


def test_unlocking_a_vault_whose_recovery_code_would_fail_warns(cli: Cli, tmp_path: Path) -> None:
    base = _vault(cli, tmp_path, "field", "Aida K.")
    intact = cli("ru", "--json", *base, "info")
    assert "warnings" not in intact.json and intact.err == ""
    slot_id = _damage_recovery_slot(Path(base[1]))

    # The command still works; the warning comes on stderr, in the user's language.
    shown = cli("ru", *base, "info")
    assert "Хранилище:" in shown.out
    assert "monitorctl: предупреждение: Код восстановления больше не" in shown.err
    english = cli("en", "--json", *base, "info")
    assert english.json["ok"] is True
    assert [w["code"] for w in english.json["warnings"]] == ["recovery_slot_damaged"]
    assert english.json["warnings"][0]["params"] == {"slot_type": "recovery", "slot_id": slot_id}
    assert "recovery code would no longer unlock" in english.json["warnings"][0]["message"]
    assert "warning: The recovery code would no longer unlock" in english.err

    # A passphrase change would write the damage out again: refused, warning and all.
    new_pass = tmp_path / "new.pass"
    new_pass.write_text("another passphrase 2024\n")
    before = (Path(base[1]) / "keyslots.json").read_bytes()
    refused = cli("en", "--json", *base, "passwd", "--new-passphrase-file", str(new_pass), expect=1)
    assert refused.json["error"]["code"] == "key_slot_damaged"
    assert refused.json["error"]["params"] == {"slot_type": "recovery", "slot_id": slot_id}
    assert [w["code"] for w in refused.json["warnings"]] == ["recovery_slot_damaged"]
    assert (Path(base[1]) / "keyslots.json").read_bytes() == before
