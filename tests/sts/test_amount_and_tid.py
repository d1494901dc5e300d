"""Amount encoding at every exponent boundary, and TIDs, base dates and key expiry."""

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.sts import StsError, check_key_expiry, tid_from_time, time_from_tid
from server.sts.amount import MAX_TENTHS, decode_amount, encode_amount, units_to_tenths
from tests.sts.vectors import at

# (tenths asked, field, tenths credited): each exponent's first and last values, and the gaps.
BOUNDARIES = [
    (0, 0x0000, 0),
    (1, 0x0001, 1),
    (16383, 0x3FFF, 16383),
    (16384, 0x4000, 16384),
    (16385, 0x4001, 16394),
    (180214, 0x7FFF, 180214),
    (180215, 0x8000, 180224),
    (180224, 0x8000, 180224),
    (180225, 0x8001, 180324),
    (1818524, 0xBFFF, 1818524),
    (1818525, 0xC000, 1818624),
    (1818624, 0xC000, 1818624),
    (1818625, 0xC001, 1819624),
    (MAX_TENTHS, 0xFFFF, MAX_TENTHS),
]


@pytest.mark.parametrize(("tenths", "field", "credited"), BOUNDARIES)
def test_exponent_boundaries(tenths, field, credited):
    assert encode_amount(tenths) == field
    assert decode_amount(field) == credited


@given(st.integers(0, MAX_TENTHS))
def test_encoding_rounds_up_by_less_than_one_step(tenths):
    field = encode_amount(tenths)
    credited = decode_amount(field)
    step = 10 ** (field >> 14)
    assert tenths <= credited < tenths + step
    # ...and no smaller exponent could have carried it.
    if field >> 14:
        smaller = field >> 14
        offsets = (0, 16384, 180224, 1818624)
        assert offsets[smaller - 1] + 10 ** (smaller - 1) * 16383 < tenths


@given(st.integers(0, 0xFFFF))
def test_every_field_decodes_and_reencodes_to_itself(field):
    assert encode_amount(decode_amount(field)) == field


def test_units_round_up_to_the_tenth_and_refuse_nonsense():
    assert units_to_tenths(Decimal("1.21")) == 13
    assert units_to_tenths("1820162.4") == MAX_TENTHS
    for bad, message in [
        ("1820162.5", "more than one token can carry"),
        ("-1", "negative"),
        ("abc", "not a number"),
        ("NaN", "not a finite number"),
        ("1e999999999", "more than one token can carry"),
        ("\uff11", "use the digits 0-9"),
    ]:
        with pytest.raises(StsError, match=message):
            units_to_tenths(bad)


def test_tid_counts_whole_minutes_from_the_base_date():
    assert tid_from_time(at(1993, 1, 1, 0, 0)) == 0
    assert tid_from_time(datetime(1993, 1, 1, 0, 1, 59, tzinfo=UTC_)) == 1
    assert tid_from_time(at(2014, 1, 1, 0, 5), 2014) == 5
    assert time_from_tid(5871715) == at(2004, 3, 1, 13, 55)


UTC_ = timezone.utc  # noqa: UP017 - a second spelling, to show any UTC tzinfo works


def test_a_time_with_an_offset_is_converted_to_utc():
    plus_two = timezone(timedelta(hours=2))
    assert tid_from_time(datetime(2004, 3, 1, 15, 55, tzinfo=plus_two)) == 5871715


def test_the_1993_counter_ran_out_on_2024_11_24_at_20_15():
    assert tid_from_time(at(2024, 11, 24, 20, 15)) == (1 << 24) - 1
    with pytest.raises(StsError, match="key change onto base date 2014") as info:
        tid_from_time(at(2024, 11, 24, 20, 16))
    assert info.value.code == "tid_overflow"
    assert tid_from_time(at(2024, 11, 24, 20, 16), 2014) > 0


def test_naive_times_and_times_before_the_base_are_refused():
    with pytest.raises(StsError, match="no time zone"):
        tid_from_time(datetime(2004, 3, 1, 13, 55))
    with pytest.raises(StsError, match="before the base date"):
        tid_from_time(at(2013, 12, 31, 23, 59), 2014)
    with pytest.raises(StsError, match="not one of 1993, 2014, 2035"):
        tid_from_time(at(2004, 3, 1, 13, 55), 2000)


def test_key_expiry():
    check_key_expiry(0xFFFFFF, 255)  # KEN 255 never expires
    check_key_expiry(0x59FFFF, 0x59)
    with pytest.raises(StsError, match="Key expired") as info:
        check_key_expiry(0x5A0000, 0x59)
    assert info.value.code == "key_expired"
