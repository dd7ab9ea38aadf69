"""monitorctl identity and contact commands, end to end through ``main()``.

Two vaults, A and B, exchange cards; the exported age identity and the minisign public key are
checked with the real ``age`` and ``minisign`` tools (missing tools fail the tests).
"""

from __future__ import annotations

import dataclasses
import errno
import json
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from monitor_app.crypto import age, minisign
from monitor_app.identity import fingerprint as fp
from monitor_app.identity import keys
from monitor_app.identity.card import MAX_CARD_BYTES, make_card
from monitor_app.vault import lifecycle
from tests.cli_tools import Run, invoke
from tests.conftest import PASSPHRASE


@dataclass
class Vault:
    path: Path
    base: list[str]


@pytest.fixture(autouse=True)
def _keep_umask() -> Iterator[None]:
    # main() makes the process umask private; give the rest of the suite its own back.
    old = os.umask(0o077)
    os.umask(old)
    yield
    os.umask(old)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Any:
    def run(*args: str, expect: int | None = 0) -> Run:
        return invoke(capsys, list(args), expect)

    return run


def _make_vault(cli: Any, root: Path, label: str, name: str, org: str) -> Vault:
    secret = root / f"{label}.pass"
    secret.write_text(PASSPHRASE + "\n")
    path = root / f"vault-{label}"
    base = ["--vault", str(path), "--passphrase-file", str(secret)]
    cli("--json", *base, "init", "--name", name, "--org", org)
    return Vault(path, base)


@pytest.fixture
def vault_a(cli: Any, tmp_path: Path) -> Vault:
    return _make_vault(cli, tmp_path, "a", "Aida K.", "Coalition member")


@pytest.fixture
def vault_b(cli: Any, tmp_path: Path) -> Vault:
    return _make_vault(cli, tmp_path, "b", "Hub reviewer", "Coalition hub")


def _tool(name: str) -> str:
    path = shutil.which(name)
    assert path is not None, f"{name} is required for these tests (./dev.sh installs it)"
    return path


def _error(result: Run) -> dict[str, Any]:
    assert result.code == 1
    error: dict[str, Any] = result.json["error"]
    return error


def _audit_actions(cli: Any, vault: Vault) -> list[str]:
    entries = cli("--json", *vault.base, "audit", "log", "--limit", "1000").json["result"]
    return [e["action"] for e in entries["entries"]]


class FakeTerminal:
    """Standard input that claims to be a terminal and answers one line."""

    def __init__(self, answer: str) -> None:
        self.answer = answer
        self.asked = 0

    def isatty(self) -> bool:
        return True

    def readline(self, limit: int = -1) -> str:
        self.asked += 1
        return self.answer


# --- identity show ------------------------------------------------------------------------


def test_identity_show_gives_fingerprint_and_public_keys(cli: Any, vault_a: Vault) -> None:
    shown = cli("--json", *vault_a.base, "identity", "show").json
    assert shown["ok"] is True
    result = shown["result"]
    assert {
        "fingerprint",
        "fingerprint_display",
        "age_recipient",
        "minisign_public_key",
        "name",
        "organisation",
    } <= result.keys()
    assert len(result["fingerprint"]) == 32 and result["fingerprint"].isdigit()
    assert result["fingerprint_display"] == fp.format_fingerprint(result["fingerprint"])
    assert len(result["fingerprint_display"].split(" ")) == 8
    assert (result["name"], result["organisation"]) == ("Aida K.", "Coalition member")

    with lifecycle.unlock(vault_a.path, PASSPHRASE) as vault:
        own = vault.identity.keys()
        assert result["fingerprint"] == own.fingerprint
        assert age.X25519Recipient.parse(result["age_recipient"]).public_key == (
            own.encryption_public
        )
        assert result["minisign_public_key"] == minisign.public_key_base64(
            own.signing_private.public_key()
        )
    # The bare key line parses as a minisign key, and no secret is shown.
    minisign.parse_public_key(result["minisign_public_key"])
    assert "AGE-SECRET-KEY" not in json.dumps(shown)

    human = cli(*vault_a.base, "identity", "show").out
    assert result["fingerprint_display"] in human
    assert result["age_recipient"] in human and result["minisign_public_key"] in human
    assert "Aida K." in human and "Coalition member" in human


def test_minisign_public_key_works_with_minisign_tool(
    cli: Any, vault_a: Vault, tmp_path: Path
) -> None:
    public = cli("--json", *vault_a.base, "identity", "show").json["result"]["minisign_public_key"]
    document = tmp_path / "report.txt"
    document.write_bytes("Отчёт о посещении ИВС\n".encode() * 1000)
    with lifecycle.unlock(vault_a.path, PASSPHRASE) as vault:
        signing_key = vault.identity.keys().signing_private
        signature = minisign.sign(signing_key, document.read_bytes(), "visit report")
    sig_file = tmp_path / "report.txt.minisig"
    sig_file.write_bytes(signature)
    tool = _tool("minisign")
    checked = subprocess.run(
        [tool, "-V", "-P", public, "-m", str(document), "-x", str(sig_file)],
        capture_output=True,
        timeout=60,
    )
    assert checked.returncode == 0, checked.stderr.decode()
    assert b"visit report" in checked.stdout
    document.write_bytes(document.read_bytes() + b"altered")
    refused = subprocess.run(
        [tool, "-V", "-P", public, "-m", str(document), "-x", str(sig_file)],
        capture_output=True,
        timeout=60,
    )
    assert refused.returncode != 0


# --- cards and contacts -------------------------------------------------------------------


def test_two_vaults_exchange_cards_and_verify(
    cli: Any, vault_a: Vault, vault_b: Vault, tmp_path: Path
) -> None:
    a_identity = cli("--json", *vault_a.base, "identity", "show").json["result"]
    card = tmp_path / "aida.card"
    written = cli("--json", *vault_a.base, "identity", "card", "--out", str(card), "--role", "hub")
    assert written.json["result"]["fingerprint"] == a_identity["fingerprint"]
    assert stat.S_IMODE(card.stat().st_mode) == 0o600
    assert json.loads(card.read_bytes())["role"] == "hub"

    # B adds A's card: saved, but unverified, and shown as such.
    added = cli(*vault_b.base, "contact", "add", str(card))
    assert "UNVERIFIED" in added.out and a_identity["fingerprint_display"] in added.out
    listed = cli(*vault_b.base, "contact", "list").out
    assert "UNVERIFIED" in listed
    assert a_identity["fingerprint_display"] in listed
    assert "Aida K." in listed and "Coalition member" in listed and "hub" in listed
    contacts = cli("--json", *vault_b.base, "contact", "list").json["result"]["contacts"]
    assert len(contacts) == 1
    entry = contacts[0]
    assert entry["verified"] is False and entry["handoff_recipient"] is False
    assert entry["fingerprint"] == a_identity["fingerprint"]
    assert entry["age_recipient"] == a_identity["age_recipient"]

    # An unverified contact cannot receive handoffs.
    refused = cli(
        "--json",
        *vault_b.base,
        "contact",
        "recipient",
        a_identity["fingerprint"],
        "--on",
        expect=1,
    )
    assert _error(refused)["code"] == "contact_not_verified"
    assert "verified" in refused.err

    # Verify by the fingerprint as read aloud: eight groups, typed as separate words.
    verified = cli(
        "--json", *vault_b.base, "contact", "verify", *a_identity["fingerprint_display"].split()
    )
    assert verified.json["result"]["verified"] is True
    listed = cli(*vault_b.base, "contact", "list").out
    assert "UNVERIFIED" not in listed and "verified:          yes" in listed

    on = cli("--json", *vault_b.base, "contact", "recipient", a_identity["fingerprint"], "--on")
    assert on.json["result"]["handoff_recipient"] is True
    contacts = cli("--json", *vault_b.base, "contact", "list").json["result"]["contacts"]
    assert contacts[0]["verified"] is True and contacts[0]["handoff_recipient"] is True
    assert "handoff recipient: yes" in cli(*vault_b.base, "contact", "list").out

    # Show by name or by fingerprint.
    by_name = cli("--json", *vault_b.base, "contact", "show", "aida", "k.").json["result"]
    assert by_name["fingerprint"] == a_identity["fingerprint"]
    shown = cli(*vault_b.base, "contact", "show", a_identity["fingerprint"]).out
    assert a_identity["age_recipient"] in shown

    off = cli("--json", *vault_b.base, "contact", "recipient", a_identity["fingerprint"], "--off")
    assert off.json["result"]["handoff_recipient"] is False

    # Adding the same card again changes nothing.
    again = cli("--json", *vault_b.base, "contact", "add", str(card)).json["result"]
    assert again["verified"] is True

    removed = cli("--json", *vault_b.base, "contact", "remove", a_identity["fingerprint_display"])
    assert removed.json["result"] == {"fingerprint": a_identity["fingerprint"], "removed": True}
    assert cli("--json", *vault_b.base, "contact", "list").json["result"]["contacts"] == []
    assert "No contacts" in cli(*vault_b.base, "contact", "list").out

    actions = _audit_actions(cli, vault_b)
    for action in (
        "contact_added",
        "contact_verified",
        "contact_handoff_recipient_set",
        "contact_removed",
    ):
        assert action in actions
    assert cli("--json", *vault_b.base, "audit", "verify").json["result"]["ok"] is True

    # A vault's own card is not a contact.
    own = cli("--json", *vault_a.base, "contact", "add", str(card), expect=1)
    assert _error(own)["code"] == "contact_is_self"


def test_contact_add_verified_flag(
    cli: Any, vault_a: Vault, vault_b: Vault, tmp_path: Path
) -> None:
    card = tmp_path / "a.card"
    cli(*vault_a.base, "identity", "card", "--out", str(card))
    added = cli("--json", *vault_b.base, "contact", "add", str(card), "--verified").json
    assert added["result"]["verified"] is True
    assert "UNVERIFIED" not in cli(*vault_b.base, "contact", "list").out


def test_card_output_refuses_overwrite_and_can_go_to_stdout(
    cli: Any, vault_a: Vault, tmp_path: Path
) -> None:
    card = tmp_path / "a.card"
    card.write_text("keep me")
    refused = cli("--json", *vault_a.base, "identity", "card", "--out", str(card), expect=1)
    assert _error(refused)["code"] == "output_exists"
    assert card.read_text() == "keep me"
    cli(*vault_a.base, "identity", "card", "--out", str(card), "--force")
    assert json.loads(card.read_bytes())["format"] == "monitor_app-contact-card"

    to_stdout = cli(*vault_a.base, "identity", "card", "--out", "-")
    assert json.loads(to_stdout.out)["name"] == "Aida K."
    mixed = cli("--json", *vault_a.base, "identity", "card", "--out", "-", expect=1)
    assert _error(mixed)["code"] == "output_file_required"


def test_contact_add_refuses_bad_cards(
    cli: Any, vault_a: Vault, vault_b: Vault, tmp_path: Path
) -> None:
    card = tmp_path / "a.card"
    cli(*vault_a.base, "identity", "card", "--out", str(card))
    body = json.loads(card.read_bytes())

    tampered = tmp_path / "tampered.card"
    tampered.write_text(json.dumps({**body, "name": "Someone Else"}))
    result = cli("--json", *vault_b.base, "contact", "add", str(tampered), expect=1)
    assert _error(result)["code"] == "card_signature_invalid"

    huge = tmp_path / "huge.card"
    huge.write_bytes(b" " * (MAX_CARD_BYTES + 10) + card.read_bytes())
    result = cli("--json", *vault_b.base, "contact", "add", str(huge), expect=1)
    error = _error(result)
    assert error["code"] == "card_invalid" and error["params"]["reason"] == "too_large"

    result = cli("--json", *vault_b.base, "contact", "add", str(tmp_path / "missing"), expect=1)
    assert _error(result)["code"] == "file_unreadable"

    # Text with terminal escapes is refused at the door, without echoing it.
    identity = keys.Identity.generate()
    clean = make_card(identity, name="placeholder")
    hostile = dataclasses.replace(clean, name="Evil\x1b[31m\u202eName")
    hostile = dataclasses.replace(hostile, signature=identity.sign(hostile.signed_message()))
    hostile_file = tmp_path / "hostile.card"
    hostile_file.write_bytes(hostile.to_bytes())
    result = cli("--json", *vault_b.base, "contact", "add", str(hostile_file), expect=1)
    error = _error(result)
    assert error["code"] == "card_invalid" and error["params"]["reason"] == "control_characters"
    assert "\x1b" not in result.out + result.err and "Evil" not in result.err

    assert cli("--json", *vault_b.base, "contact", "list").json["result"]["contacts"] == []

    bad = cli("--json", *vault_b.base, "contact", "verify", "1234 5678", expect=1)
    assert _error(bad)["code"] == "fingerprint_invalid"
    unknown = cli("--json", *vault_b.base, "contact", "verify", "0" * 32, expect=1)
    assert _error(unknown)["code"] == "contact_unknown"
    nobody = cli("--json", *vault_b.base, "contact", "show", "Nobody", expect=1)
    assert _error(nobody)["code"] == "contact_unknown"
    gone = cli("--json", *vault_b.base, "contact", "remove", "0" * 32, expect=1)
    assert _error(gone)["code"] == "contact_unknown"


def test_contact_text_is_made_safe_for_the_terminal(
    cli: Any, vault_a: Vault, vault_b: Vault, tmp_path: Path
) -> None:
    card = tmp_path / "a.card"
    cli(*vault_a.base, "identity", "card", "--out", str(card))
    fingerprint = cli("--json", *vault_b.base, "contact", "add", str(card)).json["result"][
        "fingerprint"
    ]
    # Text that got into the database some other way is still neutralised on output.
    with lifecycle.unlock(vault_b.path, PASSPHRASE) as vault, vault.transaction() as conn:
        conn.execute(
            "UPDATE contacts SET name = ?, organisation = ?, role = ?",
            ("Aida\x1b]0;pwned\x07", "Org\u202eRTL", "role\x9b31m"),
        )
    for args in (("contact", "list"), ("contact", "show", fingerprint)):
        out = cli(*vault_b.base, *args).out
        for char in ("\x1b", "\x07", "\u202e", "\x9b"):
            assert char not in out
        assert "Aida" in out and "Org" in out and "RTL" in out


def test_contact_usage_errors(cli: Any, vault_b: Vault) -> None:
    assert cli(*vault_b.base, "contact", "recipient", "0" * 32, expect=None).code == 2
    assert (
        cli(*vault_b.base, "contact", "recipient", "0" * 32, "--on", "--off", expect=None).code == 2
    )
    assert cli(*vault_b.base, "contact", "frobnicate", expect=None).code == 2
    assert cli(*vault_b.base, "identity", "export-age-identity", expect=None).code == 2
    assert cli(*vault_b.base, "identity", "card", expect=None).code == 2


# --- export-age-identity ------------------------------------------------------------------


def test_exported_age_identity_decrypts_with_age_tool(
    cli: Any, vault_a: Vault, tmp_path: Path
) -> None:
    recipient = cli("--json", *vault_a.base, "identity", "show").json["result"]["age_recipient"]
    plaintext = tmp_path / "bundle.txt"
    plaintext.write_bytes("Протокол посещения 审讯 ".encode() * 5000)
    encrypted = tmp_path / "bundle.age"
    age_tool = _tool("age")
    subprocess.run(
        [age_tool, "-r", recipient, "-o", str(encrypted), str(plaintext)],
        check=True,
        capture_output=True,
        timeout=60,
    )

    key_file = tmp_path / "key.txt"
    exported = cli(
        "--json", *vault_a.base, "identity", "export-age-identity", "--out", str(key_file), "--yes"
    )
    result = exported.json["result"]
    assert result["age_recipient"] == recipient and result["out"] == str(key_file)
    assert "AGE-SECRET-KEY" not in exported.out
    assert "WARNING" in exported.err and "every bundle" in exported.err
    assert "encrypted storage" in exported.err and "delete" in exported.err
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600

    lines = key_file.read_text().splitlines(keepends=True)
    assert len(lines) == 3
    assert lines[0].startswith("# created: ") and lines[0].endswith("\n")
    assert lines[1] == f"# public key: {recipient}\n"
    assert lines[2].startswith("AGE-SECRET-KEY-1") and lines[2].endswith("\n")
    assert age.X25519Identity.parse(lines[2].strip()).recipient.encode() == recipient

    decrypted = subprocess.run(
        [age_tool, "-d", "-i", str(key_file), str(encrypted)], capture_output=True, timeout=60
    )
    assert decrypted.returncode == 0, decrypted.stderr.decode()
    assert decrypted.stdout == plaintext.read_bytes()
    keygen = subprocess.run(
        [_tool("age-keygen"), "-y", str(key_file)], capture_output=True, timeout=60
    )
    assert keygen.stdout.decode().strip() == recipient

    # Recorded in the audit log, without key material.
    log = cli("--json", *vault_a.base, "audit", "log", "--limit", "1000").json["result"]
    entries = [e for e in log["entries"] if e["action"] == "age_identity_exported"]
    assert len(entries) == 1
    secret = lines[2].strip()
    assert secret not in json.dumps(log) and secret.lower() not in json.dumps(log)
    assert cli("--json", *vault_a.base, "audit", "verify").json["result"]["ok"] is True


def test_export_needs_confirmation_and_never_overwrites(
    cli: Any, vault_a: Vault, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_file = tmp_path / "key.txt"
    export = (*vault_a.base, "identity", "export-age-identity")

    # No terminal and no --yes: refused, with the warning, and nothing written.
    result = cli("--json", *export, "--out", str(key_file), expect=1)
    assert _error(result)["code"] == "confirmation_required"
    assert "WARNING" in result.err and "--yes" in result.err
    assert not key_file.exists()

    # Never to standard output.
    result = cli("--json", *export, "--out", "-", "--yes", expect=1)
    assert _error(result)["code"] == "secret_key_to_stdout"
    assert "AGE-SECRET-KEY" not in result.out + result.err
    result = cli(*export, "--out", "-", "--yes", expect=1)
    assert "AGE-SECRET-KEY" not in result.out + result.err

    # Never over an existing file, even with --yes.
    key_file.write_text("precious")
    result = cli("--json", *export, "--out", str(key_file), "--yes", expect=1)
    assert _error(result)["code"] == "output_exists"
    assert key_file.read_text() == "precious"
    link = tmp_path / "dangling"
    link.symlink_to(tmp_path / "nowhere")
    result = cli("--json", *export, "--out", str(link), "--yes", expect=1)
    assert _error(result)["code"] == "output_exists"
    assert not (tmp_path / "nowhere").exists()

    # On a terminal, anything but "yes" cancels.
    declined = FakeTerminal("no\n")
    monkeypatch.setattr(sys, "stdin", declined)
    fresh = tmp_path / "fresh.txt"
    result = cli("--json", *export, "--out", str(fresh), expect=1)
    assert _error(result)["code"] == "cancelled" and declined.asked == 1
    assert not fresh.exists()
    assert "age_identity_exported" not in _audit_actions(cli, vault_a)

    accepted = FakeTerminal("yes\n")
    monkeypatch.setattr(sys, "stdin", accepted)
    result = cli(*export, "--out", str(fresh))
    assert accepted.asked == 1 and "Type yes" in result.err and "WARNING" in result.err
    assert fresh.read_text().splitlines()[2].startswith("AGE-SECRET-KEY-1")
    assert "AGE-SECRET-KEY" not in result.out
    assert _audit_actions(cli, vault_a).count("age_identity_exported") == 1

    # No temporary files left behind.
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp-")]


def test_export_without_hard_links_still_never_overwrites(
    cli: Any, vault_a: Vault, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # FAT and exFAT sticks have no hard links: the file is then created exclusively.
    def no_links(self: Path, target: Path) -> None:
        raise OSError(errno.EPERM, "no hard links here")

    monkeypatch.setattr(Path, "hardlink_to", no_links)
    export = (*vault_a.base, "identity", "export-age-identity", "--yes")
    key_file = tmp_path / "key.txt"
    cli(*export, "--out", str(key_file))
    assert key_file.read_text().splitlines()[2].startswith("AGE-SECRET-KEY-1")
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    before = key_file.read_bytes()
    result = cli("--json", *export, "--out", str(key_file), expect=1)
    assert _error(result)["code"] == "output_exists" and key_file.read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp-")]


def test_export_command_writes_a_bundle_the_recipient_can_open(
    cli: Any, vault_a: Vault, vault_b: Vault, tmp_path: Path
) -> None:
    card = tmp_path / "a.card"
    cli(*vault_a.base, "identity", "card", "--out", str(card))
    place = tmp_path / "place.json"
    place.write_text(json.dumps({"name": "СИЗО-1", "place_type": "police_station"}))
    cli(*vault_b.base, "record", "add", "--type", "place", "--json", str(place))
    cli(*vault_b.base, "contact", "add", str(card))
    stick = tmp_path / "stick"
    stick.mkdir()
    out = stick / "x.bin"
    refused = cli("--json", *vault_b.base, "export", "--to", "Aida K.", "--out", str(out), expect=1)
    assert _error(refused)["code"] == "contact_not_verified"
    assert list(stick.iterdir()) == []

    a_fingerprint = cli("--json", *vault_a.base, "identity", "show").json["result"]["fingerprint"]
    cli(*vault_b.base, "contact", "verify", a_fingerprint)
    done = cli("--json", *vault_b.base, "export", "--to", "Aida K.", "--out", str(out)).json
    assert done["result"]["revisions"] == 1
    assert [p.name for p in stick.iterdir()] == ["x.bin"]
    again = cli(
        "--json",
        *vault_b.base,
        "export",
        "--to",
        a_fingerprint,
        "--out",
        str(stick / "y.bin"),
        expect=1,
    )
    assert _error(again)["code"] == "export_nothing_new"

    identity = tmp_path / "a-key.txt"
    cli(*vault_a.base, "identity", "export-age-identity", "--out", str(identity), "--yes")
    plain = tmp_path / "bundle.tar"
    subprocess.run(
        [_tool("age"), "-d", "-i", str(identity), "-o", str(plain), str(out)], check=True
    )
    listing = subprocess.run(["tar", "-tf", str(plain)], capture_output=True, text=True, check=True)
    assert listing.stdout.split() == [
        "SHA256SUMS",
        "SHA256SUMS.minisig",
        "manifest.json",
        "records.jsonl",
        "padding",
    ]


def _b_knows_a_and_has_a_place(
    cli: Any, vault_a: Vault, vault_b: Vault, tmp_path: Path
) -> tuple[Path, Path]:
    """B's card (for A to add), and B's place record as a JSON file; B has verified A."""
    card_a, card_b = tmp_path / "a.card", tmp_path / "b.card"
    cli(*vault_a.base, "identity", "card", "--out", str(card_a))
    cli(*vault_b.base, "identity", "card", "--out", str(card_b))
    cli(*vault_b.base, "contact", "add", str(card_a), "--verified")
    place = tmp_path / "place.json"
    place.write_text(json.dumps({"name": "ИК-47", "place_type": "police_station"}))
    return card_b, place


def test_release_imports_a_quarantined_bundle_once_the_signer_is_verified(
    cli: Any, vault_a: Vault, vault_b: Vault, tmp_path: Path
) -> None:
    card_b, place = _b_knows_a_and_has_a_place(cli, vault_a, vault_b, tmp_path)
    cli("--json", *vault_b.base, "record", "add", "--type", "place", "--json", str(place))
    bundle = tmp_path / "b.bin"
    cli(*vault_b.base, "export", "--to", "Aida K.", "--out", str(bundle))
    cli(*vault_a.base, "contact", "add", str(card_b))  # known, not verified
    first = cli("--json", *vault_a.base, "import", str(bundle)).json["result"]
    assert first["status"] == "quarantined"
    bundle.unlink()  # the stick is gone

    bundle_id = first["bundle"]["bundle_id"]
    early = cli("--json", *vault_a.base, "release", bundle_id, expect=1)
    assert _error(early)["code"] == "bundle_signer_unverified"
    cli(*vault_a.base, "contact", "verify", first["bundle"]["author_fingerprint"])
    done = cli("--json", *vault_a.base, "release", bundle_id).json["result"]
    assert done["status"] == "imported" and done["records_added"] == 1
    again = cli("--json", *vault_a.base, "release", bundle_id, expect=1)
    assert _error(again)["code"] == "bundle_not_quarantined"


def test_verify_and_import_commands(
    cli: Any, vault_a: Vault, vault_b: Vault, tmp_path: Path
) -> None:
    card_b, place = _b_knows_a_and_has_a_place(cli, vault_a, vault_b, tmp_path)
    record_id = cli(
        "--json", *vault_b.base, "record", "add", "--type", "place", "--json", str(place)
    ).json["result"]["id"]
    bundle = tmp_path / "b.bin"
    cli(*vault_b.base, "export", "--to", "Aida K.", "--out", str(bundle))

    checked = cli("--json", *vault_a.base, "verify", str(bundle)).json["result"]
    assert checked["signer_known"] is False
    first = cli(*vault_a.base, "import", str(bundle))
    assert "quarantined" in first.out and "UNKNOWN signer" in first.out
    cli("--json", *vault_a.base, "record", "show", record_id, expect=1)

    cli(*vault_a.base, "contact", "add", str(card_b), "--verified")
    done = cli("--json", *vault_a.base, "import", str(bundle)).json["result"]
    assert done["status"] == "imported"
    shown = cli("--json", *vault_a.base, "record", "show", record_id).json["result"]
    assert shown["fields"]["name"] == "ИК-47"
    again = cli("--json", *vault_a.base, "import", str(bundle)).json["result"]
    assert again["status"] == "already_imported"

    damaged = tmp_path / "damaged.bin"
    data = bytearray(bundle.read_bytes())
    data[-100] ^= 1
    damaged.write_bytes(bytes(data))
    refused = cli("--json", *vault_a.base, "import", str(damaged), expect=1)
    assert _error(refused)["code"] == "bundle_damaged"
