"""The meter simulator answers tokens as STS.md sections 2 and 6 say a meter does."""

from __future__ import annotations

from decimal import Decimal

import pytest

from host.meter_sim import GAS, WATER, MeterSim, MeterSimError, ResultName, to_state
from server.sts import (
    StsError,
    clear_credit_token,
    clear_tamper_token,
    credit_token,
    max_power_token,
    phase_unbalance_token,
    test_token,
)
from server.sts.cipher import block_cipher
from server.sts.token import assemble

VK = bytes.fromhex("abababababababab")
VK160 = bytes.fromhex("abababababababab949494949494949401234567")
PAN1 = "600727000000000009"
PAN2 = "000001000000000082"
KEY = bytes.fromhex("0123456789abcdef")

PAN1_CREDIT = "23716100501183194197"  # 0.1 kWh, 2004-03-01 13:55, TID 5871715
PAN2_CREDIT = "67206107716095682372"


def pan1_meter(**overrides: object) -> MeterSim:
    """The meter of STS.md's vectors: PAN1, VK abab..., DKGA02, KT 2, SGC 123456, TI 01."""
    params: dict[str, object] = dict(
        pan=PAN1, vk=VK, dkga=2, kt=2, sgc=123456, ti=1, krn=1, memory_size=50
    )
    params.update(overrides)
    return MeterSim.create(**params)  # type: ignore[arg-type]


def plain_meter(**overrides: object) -> MeterSim:
    """A meter with a known decoder key, for tokens made here."""
    params: dict[str, object] = dict(pan=PAN1, key=KEY, kt=2, sgc=123456, ti=1, krn=1)
    params.update(overrides)
    return MeterSim.create(**params)  # type: ignore[arg-type]


def names(meter: MeterSim, *tokens: str) -> list[str]:
    return [meter.enter(token).name for token in tokens]


# --- the published vectors -------------------------------------------------------------------


def test_pan1_meter_accepts_every_published_pan1_token() -> None:
    meter = pan1_meter()
    assert meter.key.hex() == "e653341f9d5bf36f"
    assert meter.enter(PAN1_CREDIT).name == "Accept"
    assert meter.credit == Decimal("0.1")
    meter.detect_tamper()
    assert (
        names(
            meter,
            "56493153725450313471",  # test all, class 1/0
            "02305843005052951967",  # test all, class 1/1
            "50901894209860263092",  # max power 1000 W
            "29511990995826640868",  # clear credit, all registers
            "37037300014464855694",  # clear tamper
        )
        == ["Accept"] * 5
    )
    assert (meter.power_limit, meter.credit, meter.tamper) == (1000, Decimal("0"), False)
    amounts = [
        "26456622012185850752",  # 25.6
        "02194538019157867319",  # 1638.3
        "49848950875249585071",  # 1638.4
        "71997443697501228179",  # 2000.0, read as 2000.4
    ]
    assert names(meter, *amounts) == ["Accept"] * 4
    assert meter.credit == Decimal("25.6") + Decimal("1638.3") + Decimal("1638.4") + Decimal(
        "2000.4"
    )


def test_pan2_electricity_and_gas_and_pan1_water_vectors() -> None:
    assert pan1_meter(pan=PAN2).enter(PAN2_CREDIT).name == "Accept"
    gas = pan1_meter(pan=PAN2, meter_type=GAS)
    assert gas.enter("35758660990071466853").name == "Accept"
    assert (gas.credit, gas.unit) == (Decimal("0.1"), "m3")
    water = pan1_meter(meter_type=WATER)
    assert water.enter("42502136492215507402").name == "Accept"


def test_direct_key_vector() -> None:
    meter = plain_meter(key=bytes.fromhex("0ABC12DEF3456789"))
    result = meter.enter("29054347139309851356")
    assert result.name == "Accept"
    assert meter.credit == Decimal("25.6")
    assert "1996-03-25 13:55 UTC" in result.detail


def test_dkga04_vectors_ea07_and_ea11() -> None:
    common = dict(pan=PAN1, vk=VK160, dkga=4, kt=2, sgc=123457, ti=1, krn=1)
    ea07 = MeterSim.create(**common)  # type: ignore[arg-type]
    assert ea07.key.hex() == "aa4baa8749c10d27"
    assert names(ea07, "08144275084202187413", "15697331168573253829") == ["Accept", "Accept"]
    ea11 = MeterSim.create(**common, ea=11)  # type: ignore[arg-type]
    assert ea11.key.hex() == "f94b6ed353c3bfdb113e2d3a7ea3c41d"
    assert ea11.enter("59386323472137426967").name == "Accept"


# --- TID memory: Used, Old, eviction ---------------------------------------------------------


def test_a_repeated_token_is_used_and_changes_nothing() -> None:
    meter = pan1_meter()
    meter.enter(PAN1_CREDIT)
    before = to_state(meter)
    result = meter.enter("2371 6100 5011 8319 4197")
    assert result.name == "Used"
    assert not result.accepted
    assert "TID 5871715" in result.detail
    assert to_state(meter) == before


def test_tokens_older_than_manufacture_are_old() -> None:
    meter = plain_meter(manufactured_tid=1000)
    assert meter.tid_memory == [1000] * 50
    assert meter.enter(credit_token(KEY, tid=999, amount=1).digits).name == "Old"
    assert meter.enter(credit_token(KEY, tid=1000, amount=1).digits).name == "Used"
    assert meter.enter(credit_token(KEY, tid=1001, amount=1).digits).name == "Accept"


def test_memory_keeps_the_most_recent_tids_and_drops_the_oldest() -> None:
    meter = plain_meter(memory_size=3, manufactured_tid=5)
    for tid in (10, 20, 30, 40):
        assert meter.enter(credit_token(KEY, tid=tid, amount=1).digits).name == "Accept"
    assert meter.tid_memory == [20, 30, 40]
    assert meter.enter(credit_token(KEY, tid=10, amount=1).digits).name == "Old"
    assert meter.enter(credit_token(KEY, tid=20, amount=1).digits).name == "Used"
    # Inside the window but never seen: a meter takes tokens out of order.
    assert meter.enter(credit_token(KEY, tid=25, amount=1).digits).name == "Accept"
    assert meter.tid_memory == [25, 30, 40]


def test_management_tokens_share_the_tid_memory() -> None:
    meter = plain_meter()
    power = max_power_token(KEY, tid=500, watts=2500)
    assert meter.enter(power.digits).name == "Accept"
    assert meter.enter(power.digits).name == "Used"
    assert meter.enter(credit_token(KEY, tid=500, amount=3).digits).name == "Used"


# --- key expiry and key types ----------------------------------------------------------------


def test_key_expired_when_the_tid_top_byte_is_above_ken() -> None:
    assert 5871715 >> 16 == 89
    expired = pan1_meter(ken=88).enter(PAN1_CREDIT)
    assert expired.name == "Key expired"
    assert "KEN 88" in expired.detail
    assert pan1_meter(ken=89).enter(PAN1_CREDIT).name == "Accept"


def test_default_key_refuses_credit_but_takes_management_tokens() -> None:
    meter = plain_meter(kt=1)
    assert meter.enter(credit_token(KEY, tid=100, amount=5).digits).name == "DDTK"
    assert meter.credit == 0
    assert meter.enter(max_power_token(KEY, tid=101, watts=800).digits).name == "Accept"


def test_initialisation_key_takes_only_key_changes_and_tests() -> None:
    meter = plain_meter(kt=0)
    assert meter.enter(credit_token(KEY, tid=100, amount=5).digits).name == "Key type"
    assert meter.enter(clear_tamper_token(KEY, tid=101).digits).name == "Key type"
    assert meter.enter(test_token(control=1 << 3).digits).name == "Accept"


# --- Function, Manufacturer code, CRC, Format ------------------------------------------------


def test_credit_for_another_kind_of_meter_is_function() -> None:
    meter = pan1_meter()
    result = meter.enter("42502136492215507402")  # water credit for PAN1
    assert result.name == "Function"
    assert "electricity meter" in result.detail
    time_credit = credit_token(KEY, tid=100, amount=5, subclass=3).digits
    assert plain_meter().enter(time_credit).name == "Function"


@pytest.mark.parametrize("subclass", [2, 7, 10, 15])
def test_unsettled_and_reserved_management_subclasses_are_function(subclass: int) -> None:
    # The engine refuses to build these, so the token is assembled by hand.
    digits = assemble(2, subclass, 100 << 16 | 1234, block_cipher(7, KEY))
    assert plain_meter().enter(digits).name == "Function"


@pytest.mark.parametrize("subclass", [8, 9])
def test_a_64_bit_meter_has_no_third_or_fourth_key_change_section(subclass: int) -> None:
    digits = assemble(2, subclass, 0x123 << 32 | 0xDEADBEEF, block_cipher(7, KEY))
    result = plain_meter().enter(digits)
    assert result.name == "Function"
    assert "64-bit" in result.detail


def test_reserved_credit_subclass_is_function() -> None:
    digits = assemble(0, 5, 100 << 16 | 10, block_cipher(7, KEY))
    assert plain_meter().enter(digits).name == "Function"


def test_test_tokens_check_the_manufacturer_code() -> None:
    meter = plain_meter(mfr_code=42)
    assert meter.enter(test_token(control=4, mfr=42).digits).name == "Accept"
    assert meter.enter(test_token(control=4, mfr=0).digits).name == "Accept"
    wrong = meter.enter(test_token(control=4, mfr=7).digits)
    assert wrong.name == "Manufacturer code"
    assert "42" in wrong.detail
    four_digit = plain_meter(mfr_code=1234)
    assert four_digit.enter(test_token(control=1, mfr=1234, subclass=1).digits).name == "Accept"
    assert four_digit.enter(test_token(control=1, mfr=1235, subclass=1).digits).name == (
        "Manufacturer code"
    )


def test_test_token_shows_what_it_asks_for_and_changes_nothing() -> None:
    meter = pan1_meter()
    meter.enter(PAN1_CREDIT)
    before = to_state(meter)
    shown = meter.enter(test_token(control=1 << 2 | 1 << 3 | 1 << 4).digits)
    assert shown.name == "Accept"
    assert "credit 0.1 kWh" in shown.detail
    assert "KRN 1, KT 2" in shown.detail
    assert "TI 01" in shown.detail
    assert "load switch" not in shown.detail
    assert to_state(meter) == before
    # Test tokens carry no TID: the same one works again.
    assert meter.enter(test_token(control=4).digits).name == "Accept"


def test_another_meters_token_is_a_crc_error() -> None:
    meter = pan1_meter()
    result = meter.enter(PAN2_CREDIT)
    assert result.name == "CRC error"
    assert meter.credit == 0


def test_every_single_digit_typo_is_refused() -> None:
    meter = pan1_meter()
    answers = {
        meter.enter(PAN1_CREDIT[:i] + digit + PAN1_CREDIT[i + 1 :]).name
        for i in range(20)
        for digit in "0123456789"
        if digit != PAN1_CREDIT[i]
    }
    # A typo in the class bits can make a reserved class 3 or too large a number: Format.
    assert answers == {"CRC error", "Format"}
    assert meter.credit == 0


@pytest.mark.parametrize(
    "digits",
    [
        "2371610050118319419",  # 19 digits
        "237161005011831941970",  # 21 digits
        "2371610050118319419x",
        "",
        "99999999999999999999",  # more than 66 bits
        f"{(1 << 28) | (1 << 27):020d}",  # class 3
    ],
)
def test_what_is_not_a_token_is_format(digits: str) -> None:
    meter = pan1_meter()
    before = to_state(meter)
    result = meter.enter(digits)
    assert result.name == "Format"
    assert result.detail
    assert to_state(meter) == before


# --- amounts: Range and Overflow -------------------------------------------------------------


def test_zero_credit_is_range() -> None:
    meter = plain_meter()
    assert meter.enter(credit_token(KEY, tid=100, amount=0).digits).name == "Range"
    # Rejected, so its TID was not used up.
    assert meter.enter(credit_token(KEY, tid=100, amount=1).digits).name == "Accept"


def test_credit_above_the_per_token_maximum_is_range() -> None:
    meter = plain_meter(max_token=Decimal("100.0"))
    assert meter.enter(credit_token(KEY, tid=100, amount="100.1").digits).name == "Range"
    assert meter.enter(credit_token(KEY, tid=101, amount="100.0").digits).name == "Accept"


def test_credit_past_the_register_maximum_is_overflow() -> None:
    meter = plain_meter(max_credit=Decimal("50.0"))
    assert meter.enter(credit_token(KEY, tid=100, amount="25.6").digits).name == "Accept"
    over = meter.enter(credit_token(KEY, tid=101, amount="25.6").digits)
    assert over.name == "Overflow"
    assert meter.credit == Decimal("25.6")
    assert meter.enter(credit_token(KEY, tid=102, amount="24.4").digits).name == "Accept"
    assert meter.credit == Decimal("50.0")


def test_default_register_maximum_is_999999_9() -> None:
    meter = plain_meter()
    # 999999.9 kWh is rounded up to what the amount field carries: 1000062.4, one too many.
    too_much = credit_token(KEY, tid=100, amount="999999.9")
    assert too_much.credited == Decimal("1000062.4")
    assert meter.enter(too_much.digits).name == "Overflow"
    fits = credit_token(KEY, tid=101, amount="990000")
    assert meter.enter(fits.digits).name == "Accept"
    assert meter.credit == fits.credited == Decimal("990062.4")


# --- management tokens -----------------------------------------------------------------------


def test_clear_credit_of_this_meters_register_or_all() -> None:
    meter = plain_meter()
    meter.enter(credit_token(KEY, tid=100, amount=7).digits)
    assert meter.enter(clear_credit_token(KEY, tid=101, register=0).digits).name == "Accept"
    assert meter.credit == 0
    meter.enter(credit_token(KEY, tid=102, amount=7).digits)
    water_register = meter.enter(clear_credit_token(KEY, tid=103, register=1).digits)
    assert water_register.name == "Range"
    assert meter.credit == 7


def test_clear_tamper_and_power_limits() -> None:
    meter = plain_meter()
    meter.detect_tamper()
    assert meter.enter(clear_tamper_token(KEY, tid=100).digits).name == "Accept"
    assert meter.tamper is False
    assert meter.enter(max_power_token(KEY, tid=101, watts=16000).digits).name == "Accept"
    assert meter.power_limit == 16000
    # Like amounts, watts are rounded up to what the field carries.
    assert meter.enter(max_power_token(KEY, tid=102, watts=20000).digits).name == "Accept"
    assert meter.power_limit == 20004
    assert meter.enter(phase_unbalance_token(KEY, tid=103, watts=3000).digits).name == "Accept"
    assert meter.phase_unbalance_limit == 3000


# --- building a meter ------------------------------------------------------------------------


def test_create_refuses_both_or_neither_key() -> None:
    with pytest.raises(MeterSimError, match="either"):
        MeterSim.create(pan=PAN1, key=KEY, vk=VK, dkga=2, kt=2, sgc=1, ti=1, krn=1)
    with pytest.raises(MeterSimError, match="either"):
        MeterSim.create(pan=PAN1, kt=2, sgc=1, ti=1, krn=1)
    with pytest.raises(MeterSimError, match="DKGA"):
        MeterSim.create(pan=PAN1, vk=VK, kt=2, sgc=1, ti=1, krn=1)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"key": bytes(7)}, "64-bit decoder key"),
        ({"key": bytes(8), "ea": 11}, "128-bit decoder key"),
        ({"ea": 9}, "EA07"),
        ({"krn": 0}, "KRN"),
        ({"ken": 256}, "KEN"),
        ({"base": 2000}, "base date"),
        ({"memory_size": 0}, "memory size"),
        ({"meter_type": 3}, "meter type"),
        ({"max_credit": Decimal("0")}, "maximum credit"),
        ({"max_token": Decimal("1.05")}, "decimal place"),
    ],
)
def test_create_refuses_what_no_meter_has(override: dict[str, object], message: str) -> None:
    with pytest.raises(MeterSimError, match=message):
        plain_meter(**override)


def test_create_refuses_a_meter_number_with_a_wrong_check_digit() -> None:
    with pytest.raises(StsError, match="check digit should be 9"):
        plain_meter(pan="600727000000000008")


def test_results_name_is_the_displayed_text() -> None:
    result = pan1_meter().enter(PAN2_CREDIT)
    assert result.name is ResultName.CRC_ERROR
    assert str(result).startswith("CRC error: ")
