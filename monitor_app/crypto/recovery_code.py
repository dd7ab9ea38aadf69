"""Recovery codes: 140 random bits in seven checksummed groups of five characters.

Each group holds four Crockford base32 characters (20 bits) and one check character computed
from the group's position and value, so a mistyped or swapped group is caught and named before
any slow key derivation runs. The check is linear over GF(32) with distinct weights, so every
single-character substitution, every swap of two neighbouring characters in a group, and every
group typed at the wrong position is caught (a hash-based check would miss 1 typo in 32).
Input is forgiving: case, spaces and dashes are ignored, and the letters I/L and O read as 1
and 0.
"""

from __future__ import annotations

import secrets

from monitor_app.errors import MonitorError

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
GROUPS = 7
DATA_CHARS = 4
GROUP_CHARS = DATA_CHARS + 1
BITS_PER_GROUP = 5 * DATA_CHARS
SECRET_BITS = GROUPS * BITS_PER_GROUP  # 140
_ALIASES = str.maketrans({"I": "1", "L": "1", "O": "0"})


_GF32_POLY = 0b100101  # x^5 + x^2 + 1
# Distinct non-zero weights, none equal to 1 (the check character's own weight): a changed
# character, or two swapped neighbours, always changes the sum.
_WEIGHTS = (2, 4, 8, 16)


def _gf32_mul(a: int, b: int) -> int:
    product = 0
    while b:
        if b & 1:
            product ^= a
        b >>= 1
        a <<= 1
        if a & 0b100000:
            a ^= _GF32_POLY
    return product


def _check_char(index: int, value: int) -> str:
    check = index + 1  # distinct per position: a group typed in the wrong place fails
    for weight, shift in zip(_WEIGHTS, (15, 10, 5, 0), strict=True):
        check ^= _gf32_mul(weight, (value >> shift) & 31)
    return ALPHABET[check]


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
