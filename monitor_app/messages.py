"""Error codes to sentences that say what happened and what to do next.

The CLI and the GUI both describe errors through ``describe``, so each code has one sentence,
translated through the shared gettext catalog. Parameters are only ever non-sensitive (field
names, numbers, paths the user chose).
"""

from __future__ import annotations

from typing import Any

from monitor_app.errors import MonitorError, ValidationError
from monitor_app.i18n import _
from monitor_app.records import date_input

VALIDATION_REASONS: dict[str, str] = {
    "unknown_field": "there is no such field for this kind of record",
    "wrong_type": "the value has the wrong type (expected {expected})",
    "required": "this field is required",
    "unknown_code": "the value is not a code of this vocabulary",
    "too_long": "the text is too long (at most {maximum})",
    "out_of_range": "the number is out of range ({minimum} to {maximum})",
    "control_characters": "the text contains control characters or line breaks",
    "invalid_text": "the text contains characters that cannot be stored (lone surrogates, "
    "which can come from a broken copy and paste or a faulty program)",
    # The examples are in the format the reader types in: the interface language's in the
    # app, ISO in the CLI (date_examples).
    "invalid_date": "this is not a date. Type it like {date_example}, or just the month "
    "({month_example}) or the year ({year_example})",
    "invalid_datetime": "this is not a date and time. Type it like {time_example}, or the "
    "date alone ({date_example})",
    "timezone_required": "the time zone of this time is missing. Add it after the time, "
    "like {zone_example}",
    "invalid_id": "not a valid record id",
    "unknown_reference": "no {expected} record with this id exists in the vault",
    "duplicate": "the list contains the same value twice",
    "name_taken": "another saved search of this list already has this name",
    "not_allowed": "this value is not allowed here",
    "record_deleted": "the record has been deleted",
    "invalid_cursor": "this is not a cursor the command printed for this order: run it "
    "again without --cursor",
}

MESSAGES: dict[str, str] = {
    "internal": "Something went wrong inside the app. Your stored data was not changed. "
    "Please report this problem.",
    "cancelled": "The operation was cancelled. Nothing was changed.",
    "not_found": "No record with this id exists in the vault. Check the id and try again.",
    "record_deleted": "This record has been deleted. Its history is still available.",
    "revision_not_found": "This record has no such revision. "
    "Use the history command to see its revisions.",
    "attachment_not_found": "No attachment with this id exists in the vault.",
    "saved_search_not_found": "This saved search no longer exists in the vault. "
    "Choose another, or save the current filters again.",
    "dossier_wrong_type": "This record has no dossier of this kind: a person's dossier needs "
    "the id of a person, a place's dossier the id of a place of detention. Check the id and "
    "try again.",
    "attachment_damaged": "The stored attachment is damaged and cannot be read. "
    "The vault may have been tampered with; restore it from a backup.",
    "storage_failed": "The disk refused to read or write ({path}). Check that the drive is "
    "still connected and writable, then try again. Stored data was not changed.",
    "disk_full": "The disk is full. Free some space and try again. Stored data was not changed.",
    "vault_exists": "A vault or other files already exist at {path}. Choose an empty or new "
    "folder.",
    "vault_not_found": "No vault was found at {path}. Check the folder, or create a vault "
    "with 'init'.",
    "vault_locked": "The vault is locked. Unlock it and try again.",
    "keyslots_missing": "The vault's key file (keyslots.json) is missing, so the vault "
    "cannot be unlocked. Restore the whole vault folder from a backup.",
    "keyslots_damaged": "The vault's key file (keyslots.json) is damaged. Restore the whole "
    "vault folder from a backup.",
    "vault_too_new": "This vault was written by a newer version of the app (format "
    "{found}; this version reads up to {supported}). Update the app to open it; the vault "
    "was not changed.",
    "database_damaged": "The vault's database is damaged or incomplete (for example a "
    "partly copied file). The vault was not changed; restore it from a backup.",
    "wrong_passphrase": "The passphrase is not correct. Nothing was changed. Check the "
    "keyboard layout and Caps Lock, and try again; if it is lost, use the recovery code.",
    "wrong_recovery_code": "This recovery code does not unlock this vault. Check that it "
    "belongs to this vault.",
    "recovery_code_malformed": "This does not look like a recovery code: it has "
    "{expected_groups} groups of five letters and digits.",
    "recovery_code_typo": "Group {group} of the recovery code has a typing mistake. Check "
    "that group against the written copy.",
    "passphrase_too_short": "The passphrase is too short: use at least {minimum} "
    "characters. A few unrelated words work well.",
    "passphrase_required": "A passphrase is needed. Use --passphrase-file FILE (or - for "
    "standard input), or run the command in a terminal to be asked for it.",
    "passphrase_mismatch": "The two passphrases typed do not match. Nothing was changed; "
    "try again.",
    "device_secret_unavailable": "This computer has no usable system keyring ({reason}), so "
    "the vault cannot be tied to it. The vault works without this protection.",
    "device_secret_missing": "This vault is tied to the keyring of the computer it was "
    "made on, and the secret is not available here ({reason}). Use the recovery code.",
    "audit_chain_broken": "The audit log has been altered (entry {first_bad_seq}: "
    "{problem}). The vault may have been tampered with.",
    "invalid_json": "The input is not valid JSON ({reason}). Fix the file and try again.",
    "vocabulary_not_found": "There is no vocabulary named '{name}'. Run 'vocab' to list them.",
    "vocabulary_invalid": "The vocabulary file {file} is invalid ({reason}) and was not loaded.",
    "file_unreadable": "The file {path} cannot be read. Check that it exists and that you "
    "may read it.",
    "output_exists": "{path} already exists. Choose another name; nothing was overwritten.",
    "stream_damaged": "Encrypted data is damaged or was altered ({reason}). It was refused.",
    "bundle_malformed": "This bundle is not a valid handoff bundle or was altered ({reason}). "
    "It was refused and nothing was imported. Ask the sender for a new copy.",
    "export_no_recipients": "Choose at least one recipient: a verified contact or an age "
    "archive key.",
    "export_destination_missing": "The folder {path} does not exist or is not reachable. Check "
    "that the USB stick is plugged in and choose the folder again.",
    "export_target_exists": "A file named {path} already exists. Choose another name or folder.",
    "export_nothing_new": "There is nothing new to hand to these recipients: they already "
    "received every record. Nothing was written.",
    "export_read_back_failed": "The bundle written to {path} did not read back correctly, so "
    "it was deleted. The USB stick may be faulty: try another one.",
    "image_metadata_not_removable": "The metadata of a photo (attachment {attachment}) cannot "
    "be removed: only JPEG and PNG photos can be cleaned, and this one is in another format or "
    "damaged. Export without removing photo metadata, or leave its record out.",
    "export_conflict": "Another export finished while this one was running. Nothing was "
    "recorded; export again.",
    "bundle_refused": "This bundle was refused ({reason}). Nothing was imported.",
    "bundle_not_for_this_vault": "This bundle was not encrypted for this vault, so it cannot "
    "be opened here. Nothing was imported. Check that you chose the right file, or ask the "
    "sender to export it to this vault's contact card.",
    "bundle_damaged": "This bundle is damaged or was altered ({reason}). It was refused and "
    "nothing was imported. Copy it again from the sender, or ask for a new copy.",
    "bundle_too_new": "This bundle was made by a newer version of the app (format version "
    "{found}; this version reads {supported}). Nothing was imported. Update the app, then "
    "import it again.",
    "bundle_signature_invalid": "This bundle's signature does not match its content "
    "({reason}). It was refused and nothing was imported. Ask the sender for a new copy.",
    "bundle_not_addressed": "This bundle was not addressed to this vault ({reason}); it may "
    "have been forwarded. It was refused and nothing was imported. Ask the author to export "
    "it to this vault directly.",
    "bundle_from_self": "This bundle was written by this vault itself. Nothing was imported.",
    "bundle_signer_unverified": "The signer of this bundle is not a verified contact yet, so "
    "it stays in quarantine. Compare their fingerprint with them in Contacts, then release it.",
    "bundle_kept_copy_damaged": "The copy of this quarantined bundle kept in the vault is "
    "missing or has changed since it was kept ({reason}). Nothing was imported; import the "
    "bundle again from its original.",
    "bundle_kept_copy_other_signer": "The copy of this quarantined bundle kept in the vault "
    "is signed by someone other than the contact it was kept for. Nothing was imported or "
    "changed; import the bundle again from its original.",
    "bundle_not_quarantined": "This bundle is not in quarantine (it may have been imported "
    "already). Nothing was changed.",
    "bundle_record_invalid": "A record in this bundle does not pass this vault's checks "
    "({reason}). The bundle was refused and nothing was imported. Ask the sender to check "
    "the record and export again.",
    "receipt_bundle_unknown": "No bundle with id {bundle_id} was imported into this vault, "
    "so there is nothing to confirm. Run 'verify' or 'import' on the bundle first.",
    "receipt_unknown_bundle": "This receipt confirms a bundle this vault never sent. It was "
    "refused and nothing was changed.",
    "receipt_mismatch": "This receipt names a bundle this vault sent, but with other content "
    "than what was sent. It was refused and nothing was changed: the bundle may have been "
    "altered on the way. Ask the recipient to check and import it again.",
    "receipt_not_recipient": "This receipt was signed by someone the bundle was not sent to. "
    "It was refused and nothing was changed.",
    "receipt_lists_unsent": "This receipt lists records this vault never sent in that "
    "bundle. It was refused and nothing was changed: ask the recipient to write the receipt "
    "again.",
    "revision_invalid": "A revision of a record is not what it claims to be. It was refused "
    "and nothing was changed.",
    "revision_malformed": "A revision in this bundle is not in the expected form ({reason}). "
    "The bundle was refused and nothing was imported. Ask the sender for a new copy.",
    "revision_signature_invalid": "A revision in this bundle is not signed by the author it "
    "names: someone changed it, or wrote it in another person's name. The bundle was refused "
    "and nothing was imported. Tell the coalition's coordinator who sent it.",
    "revision_unsigned": "A revision in this bundle carries no author's signature. The bundle "
    "was refused and nothing was imported.",
    "revision_sensitive_mismatch": "A revision in this bundle carries identifying fields that "
    "its author did not write. The bundle was refused and nothing was imported. Tell the "
    "coalition's coordinator who sent it.",
    "revision_fields_mismatch": "A revision's fields are not the ones that were signed. "
    "Nothing was changed.",
    "revision_type_mismatch": "A revision in this bundle changes the type of a record this "
    "vault holds. The bundle was refused and nothing was imported.",
    "revision_damaged": "A revision stored in this vault no longer matches its signature: the "
    "vault may be damaged. Nothing was sent. Run 'audit verify', then restore the vault "
    "folder from a backup if needed.",
    "record_fields_withheld": "This copy of the record lacks identifying fields its author "
    "withheld, so a new revision made here would drop them. Ask the author to make the "
    "change; nothing was saved.",
    "record_purged": "This record was handed off and then removed from this vault; only a "
    "stub is left. The recipient who confirmed it holds the content.",
    "database_busy": "The vault is busy with other work. Wait for it to finish, then try again.",
    "rekey_failed": "The vault could not be re-encrypted under a new key ({reason}). Nothing "
    "was lost: it still opens as before. Check the free space on the disk, then try again.",
    "rekey_slot_key_missing": "This vault was created by an older version of the app: before "
    "its first purge, unlock it once with its recovery code (and set your passphrase again), "
    "then purge. Nothing was changed.",
    "key_slot_damaged": "A key slot in the vault's key file (keyslots.json) is damaged or "
    "was altered, so it would no longer unlock the vault. Nothing was changed, so the damage "
    "can still be repaired: put back keyslots.json from a backup of this vault made since its "
    "last purge, then try again.",
    "recovery_slot_damaged": "The recovery code would no longer unlock this vault: its key "
    "slot in keyslots.json is damaged or was altered. The passphrase still works. Until this "
    "is repaired, the passphrase cannot be changed and nothing can be purged. To repair it, "
    "put back keyslots.json from a backup of this vault made since its last purge; if that "
    "backup holds an older passphrase, unlock with the recovery code and set the passphrase "
    "again.",
    "age_header_invalid": "This is not an age encrypted file, or its header is damaged "
    "({reason}). Nothing was decrypted. Check that you chose the right file, or ask the "
    "sender for a new copy.",
    "age_version_unsupported": "This file was encrypted with a newer version of the age "
    "format, which this app cannot read. Nothing was decrypted. Ask the sender to use age v1.",
    "age_mac_invalid": "The file's header was altered after it was encrypted. Nothing was "
    "decrypted. Do not trust this copy; ask the sender for a new one.",
    "age_no_identity": "None of the given secret keys can decrypt this file. Nothing was "
    "decrypted. Use the identity file whose public key (age1...) the sender encrypted to.",
    "age_recipient_invalid": "A recipient is not a valid age public key ({reason}). Give "
    "the age1... key exactly as age-keygen printed it. Nothing was encrypted.",
    "age_identity_invalid": "The identity file {path} is not valid at line {line} "
    "({reason}). It must hold AGE-SECRET-KEY-1... lines as age-keygen writes them; lines "
    "starting with # are ignored. Nothing was decrypted.",
    "age_identity_missing": "The identity file {path} holds no secret key "
    "(AGE-SECRET-KEY-1...). Check that you chose the file age-keygen wrote.",
    "age_binary_to_terminal": "Encrypted output is binary and would garble the terminal. "
    "Use -o FILE, or redirect the output to a file.",
    "age_output_required": "With --json, standard output carries the JSON result: give the "
    "output file with -o FILE.",
    "age_stdin_conflict": "Standard input cannot be both an identity file (-i -) and the "
    "file to decrypt. Give one of them as a file.",
    "card_invalid": "This contact card is not valid (field '{field}': {reason}). Nothing was "
    "added or changed. Ask its owner for a new card exported from their vault.",
    "card_signature_invalid": "The contact card's signature does not match its contents: the "
    "card was altered or damaged after it was made. Nothing was added. Do not use it; ask its "
    "owner for a new card, in person if you can.",
    "card_outdated": "This contact card is older than the card already kept for the same "
    "person, and differs from it. Nothing was changed; ask its owner for their current card.",
    "contact_unknown": "No contact has this name or fingerprint. List your contacts to check "
    "it, or add the person's card first.",
    "contact_ambiguous": "{count} contacts match this name. Use the contact's fingerprint instead.",
    "contact_is_self": "This is your own vault's contact card. Give it to others, and add "
    "the cards they give you.",
    "contact_not_verified": "This contact's fingerprint has not been verified. Compare "
    "fingerprints aloud with the person, in person or on a call you trust, mark the contact "
    "verified, then try again.",
    "fingerprint_invalid": "This is not a fingerprint: a fingerprint is {digits} digits, "
    "usually written in groups of four. Check it and type it again.",
    "signature_malformed": "The signature file is damaged or is not a minisign signature "
    "({reason}). Nothing was accepted; ask the sender for the signature file again.",
    "signature_algorithm_unsupported": "This signature uses a format that is not accepted "
    "({algorithm}). Nothing was accepted; ask the sender to sign again with the current "
    "minisign format (prehashed, without -l).",
    "signature_key_mismatch": "The file was signed with another key (key id {found}) than "
    "the one expected (key id {expected}). Nothing was accepted; check that you have the "
    "right public key for this sender.",
    "signature_invalid": "The signature does not match ({reason}): the file or its signed "
    "comment was changed after signing, or it is not the file that was signed. Do not trust "
    "it; ask the sender to send it again.",
    "signature_comment_invalid": "The {comment} comment cannot be signed ({reason}): use "
    "one line of text without control characters, at most {maximum} bytes.",
    "public_key_malformed": "This is not a valid minisign public key ({reason}). Copy the "
    "whole public key again, exactly as the sender gave it.",
    "output_file_required": "With --json, standard output carries the JSON result: give "
    "the output file with --out FILE. Nothing was written.",
    "secret_key_to_stdout": "A secret key is never written to standard output, where it "
    "could end up in a terminal's scrollback, a log or a pipe. Give a new file on encrypted "
    "storage with --out FILE. Nothing was written.",
    "confirmation_required": "Writing the vault's secret key to a file needs your "
    "confirmation, and there is no terminal to ask on. Read the warning, then run the "
    "command again in a terminal, or add --yes. Nothing was written.",
}


class _Defaulting(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "?"


def date_examples(language: str | None) -> dict[str, str]:
    """Sample values for the date reasons, in ``language``'s format (None: ISO, as the CLI
    and record files take them)."""
    fmt = date_input.ISO if language is None else date_input.date_format(language)
    time_example = date_input.example_timestamp(fmt)
    zone_example = time_example + " +06:00"
    if language is None:  # the CLI takes a time only with its offset
        time_example = zone_example = time_example.replace(" ", "T") + "+06:00"
    return {
        "date_example": date_input.example("day", fmt),
        "month_example": date_input.example("month", fmt),
        "year_example": date_input.example("year", fmt),
        "time_example": time_example,
        "zone_example": zone_example,
    }


def reason_text(error: MonitorError) -> str:
    """A validation error's reason as a phrase, without the field's name."""
    given = {k: v for k, v in error.params.items() if v is not None}
    params = _Defaulting({**date_examples(None), **given})
    reason = str(error.params.get("reason", ""))
    return _(VALIDATION_REASONS.get(reason, "the value is not valid")).format_map(params)


def in_form(error: ValidationError, label: str, language: str) -> ValidationError:
    """``error`` as a form shows it: the field named by ``label``, the label it has on
    screen, and examples in the format the form takes (``language``'s). The CLI names fields
    by their keys, which scripts rely on."""
    error.params.update(label=label, **date_examples(language))
    return error


def describe(error: MonitorError) -> str:
    params = _Defaulting({k: v for k, v in error.params.items() if v is not None})
    if error.code == "validation_failed":
        detail = reason_text(error)
        label = error.params.get("label")
        if label:
            return _("{label}: {detail}.").format(label=label, detail=detail)
        field = error.params.get("field") or "(record)"
        return _("Field '{field}': {detail}. Fix the record and try again.").format(
            field=field, detail=detail
        )
    template = MESSAGES.get(error.code, MESSAGES["internal"])
    return _(template).format_map(params)
