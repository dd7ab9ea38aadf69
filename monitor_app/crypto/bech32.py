"""Bech32 (BIP-173) encoding, as age uses it for keys.

``age1...`` recipients are lowercase and ``AGE-SECRET-KEY-1...`` identities uppercase. As
the age specification says, the BIP-173 length limits (90 characters, 83 for the
human-readable part) do not apply; everything else does: the characters allowed, no mixed
case, the checksum (always computed over the lowercase string), and zero padding of at most
four bits when the 5-bit groups are turned back into bytes.

Errors are ``Bech32Error`` with a short ``reason`` that never repeats the input, since the
input may be a secret key.
"""

from __future__ import annotations

__all__ = ["Bech32Error", "decode", "encode"]

_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_VALUES = {c: i for i, c in enumerate(_CHARSET)}
_GENERATOR = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
_CHECKSUM_LENGTH = 6


class Bech32Error(ValueError):
    """Not valid bech32. ``reason`` says why; it never contains the input."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _polymod(values: list[int]) -> int:
    chk = 1
    for value in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ value
        for i, gen in enumerate(_GENERATOR):
            if (top >> i) & 1:
                chk ^= gen
    return chk


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def _convert_bits(data: bytes | list[int], from_bits: int, to_bits: int, pad: bool) -> list[int]:
    acc = 0
    bits = 0
    out: list[int] = []
    max_value = (1 << to_bits) - 1
    for value in data:
        acc = (acc << from_bits) | value
        bits += from_bits
        while bits >= to_bits:
            bits -= to_bits
            out.append((acc >> bits) & max_value)
    if pad:
        if bits:
            out.append((acc << (to_bits - bits)) & max_value)
    elif bits >= from_bits:
        raise Bech32Error("too_much_padding")
    elif (acc << (to_bits - bits)) & max_value:
        raise Bech32Error("non_zero_padding")
    return out


def _check_hrp(hrp: str) -> None:
    if not hrp:
        raise Bech32Error("empty_hrp")
    if any(not 33 <= ord(c) <= 126 for c in hrp):
        raise Bech32Error("invalid_character")


def encode(hrp: str, data: bytes) -> str:
    """Bech32 of ``data`` under ``hrp``; all uppercase if ``hrp`` is uppercase, else lowercase."""
    _check_hrp(hrp)
    lower = hrp.lower()
    upper = hrp.upper()
    if hrp not in (lower, upper):
        raise Bech32Error("mixed_case")
    values = _convert_bits(data, 8, 5, pad=True)
    polymod = _polymod([*_hrp_expand(lower), *values, 0, 0, 0, 0, 0, 0]) ^ 1
    checksum = [(polymod >> 5 * (5 - i)) & 31 for i in range(_CHECKSUM_LENGTH)]
    text = lower + "1" + "".join(_CHARSET[v] for v in values + checksum)
    return text if hrp == lower else text.upper()


def decode(text: str) -> tuple[str, bytes]:
    """Split a bech32 string into its human-readable part (case kept) and data bytes.

    Raises Bech32Error on mixed case, a character outside the charset, a missing separator, a
    wrong checksum, or bad padding.
    """
    if any(not 33 <= ord(c) <= 126 for c in text):
        raise Bech32Error("invalid_character")
    lower = text.lower()
    if text not in (lower, text.upper()):
        raise Bech32Error("mixed_case")
    pos = lower.rfind("1")
    if pos < 1:
        raise Bech32Error("missing_separator" if pos < 0 else "empty_hrp")
    if len(lower) - pos - 1 < _CHECKSUM_LENGTH:
        raise Bech32Error("too_short")
    hrp = text[:pos]
    try:
        values = [_VALUES[c] for c in lower[pos + 1 :]]
    except KeyError:
        raise Bech32Error("invalid_character") from None
    if _polymod([*_hrp_expand(lower[:pos]), *values]) != 1:
        raise Bech32Error("bad_checksum")
    data = _convert_bits(values[:-_CHECKSUM_LENGTH], 5, 8, pad=False)
    return hrp, bytes(data)
