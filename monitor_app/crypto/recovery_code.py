"""Recovery codes: 140 random bits in seven checksummed groups of five characters.

Each group holds four Crockford base32 characters (20 bits) and one check character computed
from the group's position and value, so a mistyped or swapped group is caught and named before
any slow key derivation runs. Input is forgiving: case, spaces and dashes are ignored, and the
letters I/L and O read as 1 and 0.
"""

from __future__ import annotations

import hashlib
import secrets

from monitor_app.errors import MonitorError

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
GROUPS = 7
DATA_CHARS = 4
GROUP_CHARS = DATA_CHARS + 1
BITS_PER_GROUP = 5 * DATA_CHARS
SECRET_BITS = GROUPS * BITS_PER_GROUP  # 140
_ALIASES = str.maketrans({"I": "1", "L": "1", "O": "0"})


def _check_char(index: int, value: int) -> str:
    digest = hashlib.sha256(bytes([index]) + value.to_bytes(3, "big")).digest()
    return ALPHABET[digest[0] & 31]


def _encode_group(index: int, value: int) -> str:
    chars = [ALPHABET[(value >> shift) & 31] for shift in (15, 10, 5, 0)]
    return "".join(chars) + _check_char(index, value)


def generate() -> str:
    number = secrets.randbits(SECRET_BITS)
    return format_code(number)


def format_code(number: int) -> str:
    groups = []
    for index in range(GROUPS):
        shift = (GROUPS - 1 - index) * BITS_PER_GROUP
        groups.append(_encode_group(index, (number >> shift) & ((1 << BITS_PER_GROUP) - 1)))
    return "-".join(groups)


def parse(text: str) -> bytes:
    """The secret bytes of a typed recovery code, or a typed error naming the bad group."""
    cleaned = "".join(ch for ch in text.upper() if ch not in " -\t\r\n").translate(_ALIASES)
    if len(cleaned) != GROUPS * GROUP_CHARS or any(ch not in ALPHABET for ch in cleaned):
        raise MonitorError("recovery_code_malformed", expected_groups=GROUPS)
    number = 0
    for index in range(GROUPS):
        group = cleaned[index * GROUP_CHARS : (index + 1) * GROUP_CHARS]
        value = 0
        for ch in group[:DATA_CHARS]:
            value = (value << 5) | ALPHABET.index(ch)
        if not secrets.compare_digest(_check_char(index, value), group[DATA_CHARS]):
            raise MonitorError("recovery_code_typo", group=index + 1)
        number = (number << BITS_PER_GROUP) | value
    return secret_bytes(number)


def secret_bytes(number: int) -> bytes:
    return number.to_bytes((SECRET_BITS + 7) // 8, "big")
