"""The passphrase strength estimate: levels, reason codes, any script, nothing of the
passphrase kept."""

from __future__ import annotations

import dataclasses
import logging
import unicodedata

import pytest

from monitor_app.demo import DEMO_PASSPHRASE
from monitor_app.errors import VaultError
from monitor_app.vault.lifecycle import MIN_PASSPHRASE_LENGTH, check_passphrase
from monitor_app.vault.passphrase_strength import Strength, estimate
from tests.conftest import PASSPHRASE


@pytest.mark.parametrize(
    "text",
    [
        "",
        "x" * (MIN_PASSPHRASE_LENGTH - 1),
        "x" * MIN_PASSPHRASE_LENGTH,
        "пароль 123",  # 10 code points
        "сырсөз 12",  # 9
        "我们的祖国是花园花园",  # 10 Chinese characters
        "我们的祖国是花园花",  # 9
        "🙂" * (MIN_PASSPHRASE_LENGTH - 1),
        "e\u0301" * (MIN_PASSPHRASE_LENGTH // 2),  # combining accents count, as stored
    ],
)
def test_too_short_is_exactly_the_minimum_rule(text: str) -> None:
    try:
        check_passphrase(text)
        refused = False
    except VaultError:
        refused = True
    strength = estimate(text)
    assert (strength.level == "too_short") == refused
    assert (strength.reason == "too_short") == refused
    assert strength.allowed != refused


@pytest.mark.parametrize(
    "text",
    [
        "Password2024!",
        "P@ssw0rd123",
        "пароль123456",
        "Кыргызстан!!",
        "iloveyou2024",
        "qwerty123456",
        "Tr0ub4dor&3",
        "correct horse battery staple",
        "Correct Horse Battery Staple!",
        "wodemima2024",
        DEMO_PASSPHRASE,
        PASSPHRASE,
    ],
)
def test_well_known_passphrases_are_weak(text: str) -> None:
    strength = estimate(text)
    assert (strength.level, strength.reason) == ("weak", "common")


@pytest.mark.parametrize(
    "text",
    [
        "aaaaaaaaaaaa",
        "ыыыыыыыыыыыы",
        "aaaaaaaaab",
        "abcabcabcabc",
        "Summer2024Summer2024",
        "horse horse horse horse",
        "гора гора гора гора",
        "我爱你我爱你我爱你我",
    ],
)
def test_repetitions_are_weak(text: str) -> None:
    strength = estimate(text)
    assert (strength.level, strength.reason) == ("weak", "repeated")


@pytest.mark.parametrize(
    "text",
    [
        "qwertyuiop",
        "1234567890",
        "0987654321",
        "abcdefghijkl",
        "zyxwvutsrqpo",
        "azertyuiop",
        "йцукенгшщз",
        "абвгдеёжзий",
        "1qaz2wsx3edc",
        "asdfgh 123456",
    ],
)
def test_keyboard_and_alphabet_walks_are_weak(text: str) -> None:
    strength = estimate(text)
    assert (strength.level, strength.reason) == ("weak", "sequence")


def test_a_walk_inside_a_good_passphrase_is_named_while_it_is_not_strong() -> None:
    strength = estimate("qwerty purple lantern ferment")
    assert (strength.level, strength.reason) == ("fair", "sequence")


@pytest.mark.parametrize(
    "text",
    [
        "вопрос ответ задача решение",  # о-п-р along the alphabet, р-о along the keyboard
        "poverty liberty property",  # "erty" is on the keyboard, and part of the words
    ],
)
def test_ordinary_words_are_not_taken_for_walks(text: str) -> None:
    assert estimate(text).reason != "sequence"


@pytest.mark.parametrize("text", ["8362947105", "0553194826", "monitoring", "xkqpzmvbtr"])
def test_one_kind_of_character_is_weak(text: str) -> None:
    strength = estimate(text)
    assert (strength.level, strength.reason) == ("weak", "one_kind")


def test_name_and_organisation_from_the_form_count_for_little() -> None:
    text = "aida loves mountains"
    without = estimate(text)
    with_name = estimate(text, personal=["Aida K.", "Coalition member"])
    assert with_name.reason == "personal"
    assert with_name.bits < without.bits
    assert without.reason != "personal"


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("вопрос ответ задача", "weak"),  # three words
        ("purple lantern quietly ferment", "fair"),  # four
        ("синий трамвай молчит утром", "fair"),
        ("көк тоо жылдыз шамал", "fair"),
        ("liberté égalité fraternité", "fair"),
        ("山水画笔墨纸砚春夏秋冬", "fair"),
        ("purple lantern quietly ferment orbit", "strong"),  # five
        ("синий трамвай молчит утром вдали", "strong"),
        ("көк тоо жылдыз шамал түн сары", "strong"),
        ("hibou lanterne fromage voilier prune", "strong"),
        ("山水画笔墨纸砚春夏秋冬雷电风雨", "strong"),
        ("h7Gq2!xPz9Lm", "strong"),  # random characters, from a password manager
        ("Vq8#zR2m!Lw9pK4t", "strong"),
        ("Monitoring2024!", "weak"),  # one word, a year, a symbol: 15 characters, yet weak
    ],
)
def test_levels_for_words_and_random_characters(text: str, level: str) -> None:
    strength = estimate(text)
    assert strength.level == level, strength
    assert (strength.reason == "ok") == (level == "strong")


def test_another_word_never_lowers_the_estimate() -> None:
    words = ["синий", "трамвай", "молчит", "утром", "вдали", "purple", "lantern"]
    estimates = [estimate(" ".join(words[:count])).bits for count in range(3, len(words) + 1)]
    assert estimates == sorted(estimates)
    assert estimates[-1] > estimates[0]


def test_composed_and_decomposed_accents_are_judged_alike() -> None:
    composed = "été chaud soleil lointain prune"
    decomposed = unicodedata.normalize("NFD", composed)
    assert decomposed != composed
    assert estimate(decomposed) == estimate(composed)


def test_very_long_input_is_judged_on_its_start() -> None:
    assert estimate("a" * 100_000).reason == "repeated"
    strong = "purple lantern quietly ferment orbit " * 3000
    assert estimate(strong).level in ("fair", "strong")


def test_the_verdict_holds_nothing_of_the_passphrase(caplog: pytest.LogCaptureFixture) -> None:
    text = "синий трамвай молчит утром вдали"
    caplog.set_level(logging.DEBUG)
    strength = estimate(text, personal=["Aida"])
    assert [field.name for field in dataclasses.fields(Strength)] == ["level", "reason", "bits"]
    for word in text.split():
        assert word not in repr(strength)
    assert caplog.records == []


def test_reasons_and_levels_are_the_documented_codes() -> None:
    samples = [
        "",
        "Password2024!",
        "aaaaaaaaaaaa",
        "qwertyuiop",
        "8362947105",
        "вопрос ответ задача",
        "purple lantern quietly ferment",
        "purple lantern quietly ferment orbit",
    ]
    found = {(estimate(text).level, estimate(text).reason) for text in samples}
    assert found == {
        ("too_short", "too_short"),
        ("weak", "common"),
        ("weak", "repeated"),
        ("weak", "sequence"),
        ("weak", "one_kind"),
        ("weak", "low_estimate"),
        ("fair", "low_estimate"),
        ("strong", "ok"),
    }
