"""Recovery codes: format, forgiving input, and typo detection before any key derivation."""

from __future__ import annotations

import random

import pytest

from monitor_app.crypto import recovery_code as rc
from monitor_app.errors import MonitorError

# A fixed code that contains both "0" and "1", so the I/L/O aliases have something to stand for.
FIXED = rc.format_code(random.Random(20240316).getrandbits(rc.SECRET_BITS))


def _groups(code: str) -> list[str]:
    return code.split("-")


def test_generate_has_seven_groups_of_five_alphabet_characters() -> None:
    code = rc.generate()
    groups = _groups(code)
    assert len(groups) == 7
    assert all(len(g) == 5 for g in groups)
    assert all(ch in rc.ALPHABET for g in groups for ch in g)


def test_generate_round_trips_through_parse_and_format() -> None:
    for _ in range(50):
        code = rc.generate()
        secret = rc.parse(code)
        assert len(secret) == 18  # 140 bits, padded to whole bytes
        assert rc.format_code(int.from_bytes(secret, "big")) == code


def test_generated_codes_differ() -> None:
    codes = {rc.generate() for _ in range(20)}
    assert len(codes) == 20


def test_lowercase_spaces_and_no_separators_are_accepted() -> None:
    code = rc.generate()
    expected = rc.parse(code)
    assert rc.parse(code.lower()) == expected
    assert rc.parse(code.replace("-", " ")) == expected
    assert rc.parse(code.replace("-", "")) == expected
    assert rc.parse("  " + code.lower().replace("-", "\t") + "\n") == expected
    assert rc.parse(" - ".join(_groups(code))) == expected


def test_i_l_o_are_read_as_one_and_zero() -> None:
    assert "0" in FIXED and "1" in FIXED
    expected = rc.parse(FIXED)
    for one in ("I", "i", "L", "l"):
        for zero in ("O", "o"):
            aliased = FIXED.replace("1", one).replace("0", zero)
            assert aliased != FIXED
            assert rc.parse(aliased) == expected


def test_every_single_character_substitution_is_detected() -> None:
    cleaned = FIXED.replace("-", "")
    checked = 0
    for position, original in enumerate(cleaned):
        for replacement in rc.ALPHABET:
            if replacement == original:
                continue
            typed = cleaned[:position] + replacement + cleaned[position + 1 :]
            with pytest.raises(MonitorError) as caught:
                rc.parse(typed)
            assert caught.value.code in ("recovery_code_typo", "recovery_code_malformed")
            if caught.value.code == "recovery_code_typo":
                # The group named is the one that was mistyped.
                assert caught.value.params["group"] == position // rc.GROUP_CHARS + 1
            checked += 1
    assert checked == 35 * 31


@pytest.mark.parametrize("seed", range(5))
def test_substitutions_detected_for_random_codes(seed: int) -> None:
    code = rc.format_code(random.Random(seed).getrandbits(rc.SECRET_BITS)).replace("-", "")
    for position, original in enumerate(code):
        for replacement in rc.ALPHABET:
            if replacement != original:
                typed = code[:position] + replacement + code[position + 1 :]
                with pytest.raises(MonitorError):
                    rc.parse(typed)


def test_characters_outside_the_alphabet_are_malformed() -> None:
    cleaned = FIXED.replace("-", "")
    for bad in ("U", "*", "é", "Ж", "_", "?"):
        typed = cleaned[:7] + bad + cleaned[8:]
        with pytest.raises(MonitorError) as caught:
            rc.parse(typed)
        assert caught.value.code == "recovery_code_malformed"


def test_swapped_neighbours_within_a_group_are_detected() -> None:
    cleaned = FIXED.replace("-", "")
    for group in range(rc.GROUPS):
        for offset in range(rc.GROUP_CHARS - 1):
            i = group * rc.GROUP_CHARS + offset
            if cleaned[i] == cleaned[i + 1]:
                continue
            typed = cleaned[:i] + cleaned[i + 1] + cleaned[i] + cleaned[i + 2 :]
            with pytest.raises(MonitorError) as caught:
                rc.parse(typed)
            assert caught.value.params.get("group") == group + 1


def test_groups_in_the_wrong_order_are_detected() -> None:
    groups = _groups(FIXED)
    for a in range(rc.GROUPS):
        for b in range(a + 1, rc.GROUPS):
            if groups[a] == groups[b]:
                continue
            swapped = list(groups)
            swapped[a], swapped[b] = swapped[b], swapped[a]
            with pytest.raises(MonitorError) as caught:
                rc.parse("-".join(swapped))
            assert caught.value.code == "recovery_code_typo"
            assert caught.value.params["group"] == a + 1


def test_typo_names_the_group() -> None:
    groups = _groups(FIXED)
    third = groups[2]
    replacement = "Z" if third[1] != "Z" else "Y"
    groups[2] = third[0] + replacement + third[2:]
    with pytest.raises(MonitorError) as caught:
        rc.parse("-".join(groups))
    assert caught.value.code == "recovery_code_typo"
    assert caught.value.params == {"group": 3}


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "-----",
        FIXED[:-1],  # one character short
        FIXED + "0",  # one character too many
        "-".join(_groups(FIXED)[:6]),  # a group missing
        FIXED + "-" + _groups(FIXED)[0],  # a group too many
        FIXED.replace("-", "")[:34],
    ],
)
def test_wrong_length_is_malformed(text: str) -> None:
    with pytest.raises(MonitorError) as caught:
        rc.parse(text)
    assert caught.value.code == "recovery_code_malformed"
    assert caught.value.params == {"expected_groups": 7}


def test_error_never_contains_the_code() -> None:
    groups = _groups(FIXED)
    groups[4] = groups[4][:4] + ("0" if groups[4][4] != "0" else "1")
    typed = "-".join(groups)
    with pytest.raises(MonitorError) as caught:
        rc.parse(typed)
    text = str(caught.value) + repr(caught.value.params)
    for group in groups:
        assert group not in text
