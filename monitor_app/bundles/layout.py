"""Member names, their order, and the size buckets of the tar inside a bundle.

The tar holds fixed names only: nothing a user typed ever becomes a member name.
"""

from __future__ import annotations

import re

SUMS = "SHA256SUMS"
SIGNATURE = "SHA256SUMS.minisig"
MANIFEST = "manifest.json"
RECORDS = "records.jsonl"
PADDING = "padding"
ATTACHMENT_PREFIX = "attachments/"

# The order members appear in. Attachments, sorted by hash, come between records and padding.
LEADING = (SUMS, SIGNATURE, MANIFEST, RECORDS)
_ATTACHMENT_NAME = re.compile(r"attachments/[0-9a-f]{64}\Z")

TAR_BLOCK = 512
TAR_RECORD = 20 * TAR_BLOCK  # tar pads the archive to whole records of 10 KiB
TAR_END = 2 * TAR_BLOCK  # two zero blocks close the archive
MIN_BUNDLE_SIZE = 1 << 20  # every bundle is at least 1 MiB: small ones all look alike


def attachment_member(sha256_hex: str) -> str:
    name = ATTACHMENT_PREFIX + sha256_hex
    if not _ATTACHMENT_NAME.match(name):
        raise ValueError("not a lowercase hex SHA-256")
    return name


def is_attachment_member(name: str) -> bool:
    return _ATTACHMENT_NAME.match(name) is not None


def member_span(size: int) -> int:
    """Bytes a member of ``size`` takes in the tar: one header block plus whole data blocks."""
    return TAR_BLOCK + -(-size // TAR_BLOCK) * TAR_BLOCK


def padme(length: int) -> int:
    """Padmé (Nikitin et al., "Reducing Metadata Leakage from Encrypted Files and
    Communication with PURBs", PETS 2019): rounds up so that a size leaks O(log log L) bits,
    for at most 12 % overhead."""
    if length < 2:
        return length
    exponent = length.bit_length() - 1  # floor(log2 L)
    significant_bits = exponent.bit_length()  # floor(log2 E) + 1
    low_bits = exponent - significant_bits
    mask = (1 << low_bits) - 1
    return (length + mask) & ~mask


def padded_tar_size(unpadded: int) -> int:
    """The tar size a bundle is padded to, given the bytes of every member but ``padding``
    (headers and data blocks). Always leaves room for the padding member and the archive end,
    and is a whole number of tar records."""
    minimum = unpadded + TAR_BLOCK + TAR_END
    target = max(MIN_BUNDLE_SIZE, padme(minimum))
    return -(-target // TAR_RECORD) * TAR_RECORD


def padding_size(unpadded: int) -> int:
    """Data bytes of the ``padding`` member that make the tar exactly ``padded_tar_size``."""
    return padded_tar_size(unpadded) - unpadded - TAR_BLOCK - TAR_END
