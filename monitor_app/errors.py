"""Typed errors with stable codes.

The core never builds user-facing sentences: an error carries a stable ``code`` and
non-sensitive ``params`` (field names, counts, versions, paths the user chose). The CLI and
the GUI turn codes into translated sentences, each in one place. Record content, passphrases
and keys must never be put into an error.
"""

from __future__ import annotations

from typing import Any


class MonitorError(Exception):
    """Base of every error the core raises on purpose."""

    code = "internal"

    def __init__(self, code: str | None = None, **params: Any) -> None:
        if code is not None:
            self.code = code
        self.params: dict[str, Any] = params
        super().__init__(self.code)

    def __str__(self) -> str:
        if not self.params:
            return self.code
        details = ", ".join(f"{key}={value!r}" for key, value in sorted(self.params.items()))
        return f"{self.code} ({details})"

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "params": {k: _plain(v) for k, v in self.params.items()}}


def _plain(value: Any) -> Any:
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return str(value)


class VaultError(MonitorError):
    """Opening, unlocking or changing a vault failed."""


class ValidationError(MonitorError):
    """A record or value did not satisfy the schema. ``params['field']`` names the field."""

    code = "validation_failed"


class NotFoundError(MonitorError):
    code = "not_found"


class Cancelled(MonitorError):
    """Long work was cancelled through its CancelToken."""

    code = "cancelled"


class StorageError(MonitorError):
    """The disk refused: full, read-only, removed, or a file is damaged."""

    code = "storage_failed"


class ContactError(MonitorError):
    """A contact card, fingerprint or contact was refused or not found."""

    code = "card_invalid"


# Stable codes, listed here so the CLI and GUI message tables can be checked for completeness.
CODES: frozenset[str] = frozenset(
    {
        "internal",
        "cancelled",
        "not_found",
        "validation_failed",
        "storage_failed",
        "disk_full",
        "vault_exists",
        "vault_not_found",
        "vault_locked",
        "keyslots_missing",
        "keyslots_damaged",
        "vault_too_new",
        "database_damaged",
        "wrong_passphrase",
        "wrong_recovery_code",
        "recovery_code_malformed",
        "recovery_code_typo",
        "passphrase_too_short",
        "device_secret_unavailable",
        "device_secret_missing",
        "record_deleted",
        "revision_not_found",
        "attachment_not_found",
        "saved_search_not_found",
        "dossier_wrong_type",
        "attachment_damaged",
        "audit_chain_broken",
        "invalid_json",
        "vocabulary_not_found",
        "passphrase_required",
        "passphrase_mismatch",
        "file_unreadable",
        "output_exists",
        "vocabulary_invalid",
        "stream_damaged",
        "age_header_invalid",
        "age_version_unsupported",
        "age_mac_invalid",
        "age_no_identity",
        "age_recipient_invalid",
        "age_identity_invalid",
        "age_identity_missing",
        "age_binary_to_terminal",
        "age_output_required",
        "age_stdin_conflict",
        "card_invalid",
        "card_signature_invalid",
        "card_outdated",
        "contact_unknown",
        "contact_ambiguous",
        "contact_is_self",
        "contact_not_verified",
        "fingerprint_invalid",
        "signature_malformed",
        "signature_algorithm_unsupported",
        "signature_key_mismatch",
        "signature_invalid",
        "signature_comment_invalid",
        "public_key_malformed",
        "output_file_required",
        "secret_key_to_stdout",
        "confirmation_required",
        "bundle_malformed",
        "export_no_recipients",
        "export_destination_missing",
        "export_target_exists",
        "export_nothing_new",
        "export_read_back_failed",
        "export_conflict",
        "bundle_refused",
        "bundle_not_for_this_vault",
        "bundle_damaged",
        "bundle_too_new",
        "bundle_signature_invalid",
        "bundle_not_addressed",
        "bundle_from_self",
        "bundle_record_invalid",
        "receipt_bundle_unknown",
        "receipt_unknown_bundle",
        "receipt_mismatch",
        "receipt_not_recipient",
        "receipt_lists_unsent",
        "revision_invalid",
        "revision_malformed",
        "revision_signature_invalid",
        "revision_unsigned",
        "revision_sensitive_mismatch",
        "revision_fields_mismatch",
        "revision_type_mismatch",
        "revision_damaged",
        "record_fields_withheld",
        "record_purged",
        "database_busy",
        "rekey_failed",
        "rekey_slot_key_missing",
        "key_slot_damaged",
        "recovery_slot_damaged",
    }
)
