"""A rough, honest estimate of how hard a new passphrase is to guess, for the create screen.

Only the minimum length (``lifecycle.MIN_PASSPHRASE_LENGTH``) is a rule; this estimate is
advice. It guesses how many bits an attacker who knows how people choose passphrases needs,
not how many the characters could carry: "Monitoring2024!" has 15 characters from a pool of
95, yet it is one word, a year and a symbol.

The model, kept simple on purpose (no dictionary ships with the app):

- the passphrase is cut into runs of letters, digits, symbols and spaces;
- a run of letters counts as words (``WORD_BITS`` each, about one word among a few thousand):
  in alphabetic scripts one word per ``LETTERS_PER_WORD`` letters, in scripts where a
  character is a syllable or a word (Chinese, Japanese, Korean) one per
  ``DENSE_CHARACTERS_PER_WORD`` characters; never more than the same letters drawn at random;
  a run that mixes upper and lower case inside counts as random letters;
- digits and symbols count as random (``log2(10)``, ``log2(33)`` each), spaces as nothing;
- a run seen before, a keyboard or alphabet walk, a repeated block, a name from the form, or a
  well-known passphrase lowers the estimate to what guessing that pattern costs.

It assumes words picked at random: a sentence, a song line or an idiom is weaker than shown.
Lengths are counted in Unicode code points, as the minimum is. Nothing here keeps, logs or
returns any part of the passphrase: the result holds a level, a reason code and a number.
"""

from __future__ import annotations

import itertools
import math
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

from monitor_app.vault.lifecycle import MIN_PASSPHRASE_LENGTH

Level = Literal["too_short", "weak", "fair", "strong"]
Reason = Literal[
    "too_short",  # under the minimum length, the one hard rule
    "common",  # a well-known passphrase, perhaps with digits or symbols around it
    "personal",  # holds the name or organisation typed in the same form
    "repeated",  # one character, or one block or word, repeated
    "sequence",  # a keyboard or alphabet walk such as qwerty, 12345, абвгд
    "one_kind",  # only digits, only symbols, or one run of letters without spaces
    "low_estimate",  # nothing in particular: simply too few words or characters
    "ok",  # strong
]

# Levels, in bits. The vault's key derivation (Argon2id) makes each guess slow: ~40 bits is
# months to years of a large guessing effort, ~55 bits is out of reach of anyone. Four random
# words are about 44 bits, five about 55.
FAIR_BITS = 40.0
STRONG_BITS = 55.0

WORD_BITS = 11.0  # one word among ~2000: the vocabulary people actually pick from
LETTERS_PER_WORD = 6.0  # Russian, Kyrgyz, French, English words, as used in passphrases
# Chinese words are mostly one or two characters; 2.5 leaves room for idioms (four characters,
# one well-known unit) and phrases.
DENSE_CHARACTERS_PER_WORD = 2.5
DIGIT_BITS = math.log2(10)
SYMBOL_BITS = math.log2(33)  # the printable ASCII punctuation and space
LATIN_LETTERS = 26
OTHER_LETTERS = 33  # Cyrillic (Russian 33, Kyrgyz 36); most alphabets have 24 to 36
DENSE_CHARACTERS = 3000  # the Chinese characters in common use
REPEAT_BITS = 1.0  # a run that repeats an earlier one: "which one" and little more
PERSONAL_BITS = 4.0  # a word from the form: the attacker knows who made the vault
SEQUENCE_BITS = 10.0  # which walk (a few dozen), where it starts, which way
SEQUENCE_MIN = 4  # shorter walks ("abc", "опр") occur inside ordinary words
COMMON_BITS = 10.0  # well-known passphrases are in every attacker's first list
PERSONAL_MIN = 3  # shorter parts of a name ("K.", "Li") say nothing
# Longer input is judged on its start: the patterns are linear but a pasted book need not be
# analysed while the person types.
MAX_ANALYSED = 256

# Keyboard rows (QWERTY, AZERTY, QWERTZ, ЙЦУКЕН), keyboard columns and zigzags, alphabets and
# digits; each is also tried backwards.
_SEQUENCES = (
    "abcdefghijklmnopqrstuvwxyz",
    "01234567890",
    "qwertyuiop",
    "asdfghjkl",
    "zxcvbnm",
    "azertyuiop",
    "qsdfghjklm",
    "wxcvbn",
    "qwertzuiop",
    "yxcvbnm",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
    "1q2w3e4r5t6y7u8i9o0p",
    "йцукенгшщзхъ",
    "фывапролджэ",
    "ячсмитьбю",
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
    "абвгдежзийклмнопрстуфхцчшщъыьэюя",
    "абвгдеёжзийклмнңоөпрстуүфхцчшщъыьэюя",  # Kyrgyz
)

# Passphrases and bases that attackers try first, in the app's languages, and the app's own
# public ones (the demo vault's is shown on screen). Compared without case, spaces, leading
# or trailing digits and symbols, and with common letter-for-digit swaps undone.
_COMMON = (
    "password",
    "passw0rd",
    "qwerty",
    "qwerty123",
    "azerty",
    "qwertz",
    "letmein",
    "welcome",
    "admin",
    "administrator",
    "iloveyou",
    "monkey",
    "dragon",
    "sunshine",
    "princess",
    "football",
    "master",
    "superman",
    "batman",
    "trustno1",
    "changeme",
    "secret",
    "default",
    "freedom",
    "1qaz2wsx",
    "zaq12wsx",
    "1q2w3e4r5t",
    "5201314",
    "1314520",
    "correct horse battery staple",
    "Tr0ub4dor&3",
    "motdepasse",
    "soleil",
    "bonjour",
    "doudou",
    "loulou",
    "chouchou",
    "liberté",
    "пароль",
    "йцукен",
    "привет",
    "любовь",
    "солнышко",
    "секрет",
    "свобода",
    "россия",
    "москва",
    "сырсөз",
    "кыргызстан",
    "бишкек",
    "манас",
    "woaini",
    "wodemima",
    "mima",
    "我爱你",
    "密码",
    "你好",
    "monitor",
    "monitorapp",
    "monitor_app",
    "human rights",
    "права человека",
    "demo vault - not secret",
)
_LEET = str.maketrans("013457@$!|", "oieastasil")


@dataclass(frozen=True)
class Strength:
    """The verdict on a passphrase; it holds nothing of the passphrase itself."""

    level: Level
    reason: Reason
    bits: float  # the estimate, rounded to a tenth of a bit

    @property
    def allowed(self) -> bool:
        """Whether a vault may be created with it: only the minimum length is a rule."""
        return self.level != "too_short"


def estimate(
    passphrase: str, *, personal: Iterable[str] = (), minimum: int = MIN_PASSPHRASE_LENGTH
) -> Strength:
    """The strength of ``passphrase``; ``personal`` are texts the attacker may know (the
    name and organisation typed into the same form)."""
    text = unicodedata.normalize("NFC", passphrase)[:MAX_ANALYSED]
    folded = "".join(_fold(ch) for ch in text)
    compact = "".join(ch for ch in folded if not ch.isspace())
    personal_words = {
        word
        for value in personal
        for kind, word in _runs("".join(_fold(ch) for ch in unicodedata.normalize("NFC", value)))
        if kind in ("letters", "dense") and len(word) >= PERSONAL_MIN
    }

    # Each candidate is (bits, the pattern behind them); the cheapest way to guess wins.
    base, repeats, personals = _runs_bits(text, personal_words)
    charset = _charset_bits(text)
    if charset < base:
        candidates: list[tuple[float, Reason]] = [(charset, "low_estimate")]
    else:
        named: Reason = "personal" if personals else "repeated" if repeats else "low_estimate"
        candidates = [(base, named)]
    unit, times = _period(compact)
    if times > 1.0:
        unit_bits, _repeats, _personals = _runs_bits(unit, personal_words)
        candidates.append((unit_bits + math.log2(times), "repeated"))
    if compact and len(set(compact)) <= 2:
        candidates.append((len(compact) * 1.0, "repeated"))  # "aaaaaaaaab", "1010101100"
    spans = _sequence_spans(folded)
    if spans:
        rest = list(text)
        for start, end in spans:
            rest[start:end] = " " * (end - start)
        rest_bits, _repeats, _personals = _runs_bits("".join(rest), personal_words)
        candidates.append((rest_bits + SEQUENCE_BITS * len(spans), "sequence"))
    if _is_common(folded):
        candidates.append((min(COMMON_BITS, candidates[0][0]), "common"))

    bits, reason = min(candidates, key=lambda candidate: candidate[0])
    bits = max(bits, 0.0)
    if reason == "common":
        level: Level = "weak"
    elif bits >= STRONG_BITS:
        level, reason = "strong", "ok"
    else:
        level = "fair" if bits >= FAIR_BITS else "weak"
        if reason == "low_estimate" and level == "weak" and _one_kind(text):
            reason = "one_kind"
    if len(passphrase) < minimum:  # code points, exactly as lifecycle.check_passphrase counts
        level, reason = "too_short", "too_short"
    return Strength(level, reason, round(bits, 1))


# -- the model -------------------------------------------------------------------------------
def _fold(ch: str) -> str:
    """Lower case, one code point for one ("İ".lower() is two): positions stay the same."""
    lower = ch.lower()
    return lower if len(lower) == 1 else ch


def _is_dense(ch: str) -> bool:
    """A character that is a syllable or a word by itself."""
    name = unicodedata.name(ch, "")
    return name.startswith(("CJK ", "HIRAGANA", "KATAKANA", "HANGUL SYLLABLE", "YI SYLLABLE"))


def _kind(ch: str) -> str:
    if ch.isspace():
        return "space"
    if ch.isdecimal():
        return "digits"
    if ch.isalpha() or unicodedata.category(ch).startswith("M"):  # marks stay with letters
        return "dense" if _is_dense(ch) else "letters"
    return "symbols"


def _runs(text: str) -> Iterator[tuple[str, str]]:
    """(kind, run) for each maximal run of one kind of character."""
    start = 0
    for index in range(1, len(text) + 1):
        if index == len(text) or _kind(text[index]) != _kind(text[start]):
            yield _kind(text[start]), text[start:index]
            start = index


def _runs_bits(text: str, personal_words: set[str]) -> tuple[float, int, int]:
    """The estimate for ``text`` run by run, how many runs repeat an earlier one, and how
    many are words from the form."""
    total, repeats, personals = 0.0, 0, 0
    seen: set[str] = set()
    for kind, run in _runs(text):
        if kind == "space":
            continue  # the separator between words is no secret
        key = "".join(_fold(ch) for ch in run)
        if key in seen:
            total += REPEAT_BITS
            repeats += 1
            continue
        seen.add(key)
        if key in personal_words:
            total += PERSONAL_BITS
            personals += 1
            continue
        total += _run_bits(kind, run)
    return total, repeats, personals


def _run_bits(kind: str, run: str) -> float:
    length = len(run)
    if kind == "digits":
        return length * DIGIT_BITS
    if kind == "symbols":
        return length * SYMBOL_BITS
    if kind == "dense":
        words = max(1.0, length / DENSE_CHARACTERS_PER_WORD)
        return min(words * WORD_BITS, length * math.log2(DENSE_CHARACTERS))
    pool = LATIN_LETTERS if run.isascii() else OTHER_LETTERS
    lower, upper = run.lower(), run.upper()
    if run in (lower, upper, lower[:1].upper() + lower[1:]):
        # A word as people write it: lower case, Capitalised or CAPITALS (one more bit).
        words = max(1.0, length / LETTERS_PER_WORD)
        capital = 0.0 if run == lower else 1.0
        return min(words * WORD_BITS, length * math.log2(pool)) + capital
    return length * math.log2(2 * pool)  # cases mixed inside: random letters


def _charset_bits(text: str) -> float:
    """The same length drawn at random from the kinds of characters it uses: the ceiling."""
    pool = 0
    if any(ch.isascii() and ch.islower() for ch in text):
        pool += LATIN_LETTERS
    if any(ch.isascii() and ch.isupper() for ch in text):
        pool += LATIN_LETTERS
    if any(not ch.isascii() and _kind(ch) == "letters" for ch in text):
        pool += 2 * OTHER_LETTERS
    if any(_kind(ch) == "dense" for ch in text):
        pool += DENSE_CHARACTERS
    if any(_kind(ch) == "digits" for ch in text):
        pool += 10
    if any(_kind(ch) == "symbols" for ch in text):
        pool += 33
    length = sum(1 for ch in text if not ch.isspace())
    return length * math.log2(pool) if pool else 0.0


def _period(text: str) -> tuple[str, float]:
    """The block that ``text`` repeats and how many times: ("ab", 3.0) for "ababab",
    ("我爱你", 3.33) for "我爱你我爱你我爱你我", (text, 1.0) when it repeats nothing."""
    # The shortest period is the length minus the longest border (a prefix that is also a
    # suffix): the failure function of Knuth-Morris-Pratt.
    border = [0] * len(text)
    for index in range(1, len(text)):
        length = border[index - 1]
        while length and text[index] != text[length]:
            length = border[length - 1]
        border[index] = length + 1 if text[index] == text[length] else 0
    period = len(text) - border[-1] if text else 0
    if not period or period > len(text) // 2:
        return text, 1.0
    return text[:period], len(text) / period


def _sequence_steps() -> dict[str, frozenset[int]]:
    """For each pair of neighbours in a walk, the walks (each way counted apart) it is in."""
    steps: dict[str, set[int]] = {}
    for index, sequence in enumerate(_SEQUENCES):
        for way, walk in ((2 * index, sequence), (2 * index + 1, sequence[::-1])):
            for first, second in itertools.pairwise(walk):
                steps.setdefault(first + second, set()).add(way)
    return {pair: frozenset(ways) for pair, ways in steps.items()}


_STEPS = _sequence_steps()
_NO_WAY: frozenset[int] = frozenset()


def _sequence_spans(folded: str) -> list[tuple[int, int]]:
    """(start, end) of each walk of at least SEQUENCE_MIN characters along one sequence in
    one direction ("qwerty", "54321", "абвгд"); "вопрос" holds none (о-п-р goes along the
    alphabet, р-о along the keyboard)."""
    spans: list[tuple[int, int]] = []
    start, ways = 0, _NO_WAY
    for index in range(1, len(folded) + 1):
        step = _STEPS.get(folded[index - 1 : index + 1], _NO_WAY)  # at the end: no pair
        if ways & step:
            ways &= step  # the walk goes on
            continue
        if ways and index - start >= SEQUENCE_MIN:
            spans.append((start, index))
        start, ways = index - 1, step  # the pair may begin another walk
    return spans


def _core(text: str) -> str:
    """Letters only, without digits and symbols around them or common swaps in them."""
    letters = text.strip("".join(ch for ch in set(text) if not ch.isalpha()))
    return "".join(ch for ch in letters.translate(_LEET) if ch.isalpha())


def _forms(folded: str) -> set[str]:
    compact = "".join(ch for ch in folded if not ch.isspace())
    plain = "".join(ch for ch in compact if ch.isalpha())
    forms = {compact, _core(compact), plain}
    return {form for form in forms if len(form) >= 2}


_COMMON_FORMS = frozenset(
    form for entry in _COMMON for form in _forms("".join(_fold(ch) for ch in entry))
)


def _is_common(folded: str) -> bool:
    return bool(_forms(folded) & _COMMON_FORMS)


def _one_kind(text: str) -> bool:
    """Only digits, only symbols, or one run of letters with no space."""
    return len(list(_runs(text))) == 1
