"""Meter numbers: Luhn digit, lengths, issuers, and errors that say what is wrong."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.sts import StsError, luhn_check_digit, parse_meter_number


def test_the_two_vector_pans_parse():
    one = parse_meter_number("600727000000000009")
    assert (one.iin, one.drn, one.check_digit) == ("600727", "00000000000", 9)
    assert one.pan_block.hex() == "0072700000000000"
    two = parse_meter_number("000001000000000082")
    assert (two.iin, two.drn, two.check_digit) == ("0000", "0100000000008", 2)
    assert two.pan_block.hex() == "0000100000000008"


def test_spaces_and_dashes_between_groups_are_allowed():
    assert parse_meter_number(" 6007 2700-0000 0000 09 ").pan == "600727000000000009"


def test_wrong_check_digit_names_the_expected_digit():
    with pytest.raises(StsError, match="check digit should be 9") as info:
        parse_meter_number("600727000000000001")
    assert info.value.code == "meter_number"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("60072700000000000", "has 17 digits; expected 18"),
        ("6007270000000000091", "has 19 digits"),
        ("60072700000000000A", "'A' at position 18 is not a digit"),
        ("123456000000000009", r"issuer \(IIN\) must be 600727 or 0000, not 123456"),
    ],
)
def test_bad_meter_numbers(text, message):
    with pytest.raises(StsError, match=message):
        parse_meter_number(text)


@given(st.text(alphabet="0123456789", min_size=11, max_size=11))
def test_any_sts_drn_with_its_luhn_digit_parses(drn):
    body = "600727" + drn
    assert parse_meter_number(body + str(luhn_check_digit(body))).drn == drn


@given(st.text(alphabet="0123456789", min_size=13, max_size=13), st.integers(1, 9))
def test_every_single_digit_typo_in_the_check_digit_is_caught(drn, delta):
    body = "0000" + drn
    wrong = (luhn_check_digit(body) + delta) % 10
    with pytest.raises(StsError, match="check digit"):
        parse_meter_number(body + str(wrong))
