"""Contact fingerprints: a short code two people compare by reading it aloud.

The fingerprint binds both public keys of a vault's identity::

    digest      = SHA-256(b"monitor_app contact v1\\0" || Ed25519 public key || X25519 public key)
    fingerprint = int(first 16 bytes of digest, big-endian) mod 10**32, as 32 decimal digits

shown as eight groups of four digits (``4821 0937 5562 ...``). Digits are chosen because they
are the one alphabet every working language of the coalition (Russian, Kyrgyz, Chinese,
French, English, later Arabic) reads aloud without ambiguity: no letter names, no case, no
look-alike Latin/Cyrillic letters. Each group is read as two two-digit numbers or four single
digits.

Strength: 32 digits carry log2(10**32) ~ 106.3 bits (the reduction of a 128-bit number modulo
10**32 is biased by less than one part in three million). Impersonating a given contact needs
a key pair whose fingerprint matches theirs, a second preimage: about 2**106 attempts. A
collision (about 2**53 attempts) only lets someone give two key pairs of their own the same
code, which does not help them pass as anyone else; the vault keeps contacts apart by their
full signing key, and a fingerprint shared by two contacts is refused as ambiguous.

The canonical form is the 32 digits without separators. ``parse`` accepts the code with any
spaces, hyphens, dots or underscores between digits, and full-width digits (NFKC).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

from monitor_app.errors import ContactError

DOMAIN = b"monitor_app contact v1\0"
KEY_LENGTH = 32
DIGITS = 32
GROUP = 4
_DIGEST_BYTES = 16
_SEPARATORS = re.compile(r"[\s\-._:/]+")
_CANONICAL = re.compile(r"[0-9]{32}")


def compute(signing_public_key: bytes, encryption_public_key: bytes) -> str:
    """The canonical fingerprint (32 digits) of an Ed25519 and an X25519 public key."""
    if len(signing_public_key) != KEY_LENGTH or len(encryption_public_key) != KEY_LENGTH:
        raise ValueError("public keys are 32 bytes")
    digest = hashlib.sha256(DOMAIN + signing_public_key + encryption_public_key).digest()
    number = int.from_bytes(digest[:_DIGEST_BYTES], "big") % 10**DIGITS
    return f"{number:0{DIGITS}d}"


def format_fingerprint(fingerprint: str) -> str:
    """Eight groups of four digits separated by spaces, for reading aloud."""
    canonical = parse(fingerprint)
    return " ".join(canonical[i : i + GROUP] for i in range(0, DIGITS, GROUP))


def try_parse(text: str) -> str | None:
    """The canonical fingerprint in ``text``, or None when it is not one."""
    if not isinstance(text, str) or len(text) > 4 * DIGITS:
        return None
    compact = _SEPARATORS.sub("", unicodedata.normalize("NFKC", text))
    return compact if _CANONICAL.fullmatch(compact) else None


def parse(text: str) -> str:
    """The canonical fingerprint in ``text``; ContactError("fingerprint_invalid") otherwise."""
    canonical = try_parse(text)
    if canonical is None:
        raise ContactError("fingerprint_invalid", digits=DIGITS)
    return canonical
