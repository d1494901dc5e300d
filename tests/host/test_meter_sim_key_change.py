"""Key changes on the simulated meter: sections in any order, rollover, moving base date."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import UTC, datetime

import pytest

from host.meter_sim import MeterSim, from_state, to_state
from host.meter_sim.meter import PendingSection
from server.sts import credit_token, derive_decoder_key, key_change_tokens, tid_from_time
from server.sts.cipher import block_cipher
from server.sts.token import assemble

VK = bytes.fromhex("abababababababab")
VK160 = bytes.fromhex("abababababababab949494949494949401234567")
PAN1 = "600727000000000009"
# STS.md: PAN1, TI 01 -> TI 02, new DK 060b8643c59a27f1, KEN 255, KRN 1, RO 0, KT 2.
FIRST = "51638423060042734509"
SECOND = "15361891762113502242"
OLD_KEY = bytes.fromhex("e653341f9d5bf36f")
NEW_KEY = bytes.fromhex("060b8643c59a27f1")
PAN1_CREDIT = "23716100501183194197"


def pan1_meter(**overrides: object) -> MeterSim:
    params: dict[str, object] = dict(pan=PAN1, vk=VK, dkga=2, kt=2, sgc=123456, ti=1, krn=1)
    params.update(overrides)
    return MeterSim.create(**params)  # type: ignore[arg-type]


def ea11_meter(**overrides: object) -> MeterSim:
    params: dict[str, object] = dict(
        pan=PAN1, vk=VK160, dkga=4, kt=2, sgc=123457, ti=1, krn=1, ea=11
    )
    params.update(overrides)
    return MeterSim.create(**params)  # type: ignore[arg-type]


@pytest.mark.parametrize("order", [(FIRST, SECOND), (SECOND, FIRST)], ids=["1-2", "2-1"])
def test_ea07_key_change_vector_in_either_order(order: tuple[str, str]) -> None:
    meter = pan1_meter()
    assert meter.key == OLD_KEY
    partial = meter.enter(order[0])
    assert partial.name == "1st key change accepted"
    assert partial.accepted
    assert meter.key == OLD_KEY
    done = meter.enter(order[1])
    assert done.name == "Accept"
    assert (meter.key, meter.ti, meter.krn, meter.kt, meter.ken) == (NEW_KEY, 2, 1, 2, 255)
    assert meter.pending == {}


def test_after_a_key_change_old_key_tokens_fail_and_new_key_tokens_work() -> None:
    meter = pan1_meter()
    meter.enter(FIRST)
    meter.enter(SECOND)
    assert meter.enter(PAN1_CREDIT).name == "CRC error"
    assert meter.enter(FIRST).name == "CRC error"
    assert meter.enter(credit_token(NEW_KEY, tid=5871716, amount=1).digits).name == "Accept"


def test_key_change_keeps_tid_memory_without_rollover() -> None:
    meter = pan1_meter()
    meter.enter(PAN1_CREDIT)
    meter.enter(FIRST)
    meter.enter(SECOND)
    assert 5871715 in meter.tid_memory
    assert meter.base == 1993
    same_tid = credit_token(NEW_KEY, tid=5871715, amount=1).digits
    assert meter.enter(same_tid).name == "Used"


def test_the_same_section_twice_is_still_one_section() -> None:
    meter = pan1_meter()
    assert meter.enter(FIRST).name == "1st key change accepted"
    assert meter.enter(FIRST).name == "1st key change accepted"
    assert meter.enter(SECOND).name == "Accept"


def test_sections_held_under_another_key_are_dropped() -> None:
    meter = pan1_meter()
    meter.enter(FIRST)
    stale = {s: dataclasses.replace(p, key_id="0" * 16) for s, p in meter.pending.items()}
    meter.pending = stale
    assert meter.enter(SECOND).name == "1st key change accepted"
    assert meter.key == OLD_KEY


def test_partial_key_change_survives_the_state_file() -> None:
    meter = pan1_meter()
    meter.enter(SECOND)
    reloaded = from_state(to_state(meter))
    assert isinstance(reloaded.pending[4], PendingSection)
    assert reloaded.enter(FIRST).name == "Accept"
    assert reloaded.key == NEW_KEY


def test_key_change_carries_ken_high_and_low_halves() -> None:
    meter = pan1_meter()
    new_key = derive_decoder_key(VK, dkga=2, pan=PAN1, kt=2, sgc=123456, ti=1, krn=2)
    tokens = key_change_tokens(OLD_KEY, new_key, ken=0x5A, krn=2, ro=0, kt=2, ti=1)
    assert [meter.enter(t.digits).name for t in tokens] == ["1st key change accepted", "Accept"]
    assert (meter.ken, meter.krn, meter.key) == (0x5A, 2, new_key)
    late = credit_token(new_key, tid=0x5B << 16, amount=1).digits
    assert meter.enter(late).name == "Key expired"


def test_key_change_to_a_default_key_then_credit_is_ddtk() -> None:
    meter = pan1_meter()
    tokens = key_change_tokens(OLD_KEY, NEW_KEY, ken=255, krn=2, ro=0, kt=1, ti=1)
    for token in tokens:
        meter.enter(token.digits)
    assert meter.kt == 1
    assert meter.enter(credit_token(NEW_KEY, tid=6_000_000, amount=1).digits).name == "DDTK"


@pytest.mark.parametrize(
    ("payload", "why"),
    [
        (15 << 40 | 0 << 36 | 2 << 32 | 0x11223344, "key revision 0"),  # KRN 0
        (15 << 40 | 10 << 36 | 2 << 32 | 0x11223344, "key revision 10"),  # KRN 10
    ],
)
def test_first_section_with_a_krn_outside_1_to_9_is_range(payload: int, why: str) -> None:
    meter = pan1_meter()
    result = meter.enter(assemble(2, 3, payload, block_cipher(7, OLD_KEY)))
    assert result.name == "Range"
    assert why in result.detail
    assert meter.pending == {}


def test_second_section_with_a_tariff_index_above_99_is_range() -> None:
    digits = assemble(2, 4, 15 << 40 | 100 << 32 | 0x11223344, block_cipher(7, OLD_KEY))
    assert pan1_meter().enter(digits).name == "Range"


EA11_NEW = derive_decoder_key(VK160, dkga=4, pan=PAN1, kt=2, sgc=654321, ti=3, krn=2, ea=11)
EA11_OLD = derive_decoder_key(VK160, dkga=4, pan=PAN1, kt=2, sgc=123457, ti=1, krn=1, ea=11)
EA11_SECTIONS = key_change_tokens(
    EA11_OLD, EA11_NEW, ken=200, krn=2, ro=0, kt=2, ti=3, ea=11, sgc=654321
)


@pytest.mark.parametrize("order", list(itertools.permutations(range(4))))
def test_ea11_key_change_in_every_order_of_its_four_sections(order: tuple[int, ...]) -> None:
    meter = ea11_meter()
    assert meter.key == EA11_OLD
    answers = [meter.enter(EA11_SECTIONS[i].digits).name for i in order]
    assert answers == [
        "1st key change accepted",
        "2nd key change accepted",
        "3rd key change accepted",
        "Accept",
    ]
    assert (meter.key, meter.sgc, meter.krn, meter.ti, meter.ken) == (EA11_NEW, 654321, 2, 3, 200)
    tid = tid_from_time(datetime(2010, 1, 1, tzinfo=UTC))
    fresh = credit_token(EA11_NEW, tid=tid, amount=5, ea=11, ken=200).digits
    assert meter.enter(fresh).name == "Accept"


def test_ea11_sgc_above_999999_is_range() -> None:
    cipher = block_cipher(11, EA11_OLD)
    meter = ea11_meter()
    for section in EA11_SECTIONS[:3]:
        meter.enter(section.digits)
    # SGC high part 245 makes at least 245 << 12 = 1003520: no such supply group.
    too_high = assemble(2, 9, 245 << 32 | 0x01020304, cipher)
    assert meter.enter(too_high).name == "Range"
    assert meter.key == EA11_OLD
    assert len(meter.pending) == 3


# --- rollover and base dates -----------------------------------------------------------------


def test_rollover_clears_the_tid_memory() -> None:
    meter = pan1_meter(memory_size=5, manufactured_tid=5_000_000)
    meter.enter(PAN1_CREDIT)
    tokens = key_change_tokens(OLD_KEY, NEW_KEY, ken=255, krn=2, ro=1, kt=2, ti=1)
    result = None
    for token in tokens:
        result = meter.enter(token.digits)
    assert result is not None and result.name == "Accept"
    assert "TID memory cleared" in result.detail
    assert meter.tid_memory == []
    # Memory empty: a TID far below anything seen before is taken.
    assert meter.enter(credit_token(NEW_KEY, tid=10, amount=1).digits).name == "Accept"


def test_a_meter_on_base_1993_moves_to_2014_with_a_rollover_key_change() -> None:
    old_key = derive_decoder_key(VK160, dkga=4, pan=PAN1, kt=2, sgc=123457, ti=1, krn=1)
    manufactured = tid_from_time(datetime(2024, 6, 1, tzinfo=UTC), 1993)
    meter = MeterSim.create(
        pan=PAN1, key=old_key, kt=2, sgc=123457, ti=1, krn=1, manufactured_tid=manufactured
    )
    last_1993 = tid_from_time(datetime(2024, 11, 20, tzinfo=UTC), 1993)
    assert meter.enter(credit_token(old_key, tid=last_1993, amount=10).digits).name == "Accept"

    when = datetime(2025, 1, 15, 9, 30, tzinfo=UTC)
    new_tid = tid_from_time(when, 2014)
    assert new_tid < manufactured
    # Before the move, a base-2014 TID looks ancient to the meter.
    assert meter.enter(credit_token(old_key, tid=new_tid, amount=5).digits).name == "Old"

    new_key = derive_decoder_key(VK160, dkga=4, pan=PAN1, kt=2, sgc=123457, ti=1, krn=2, base=2014)
    for token in key_change_tokens(old_key, new_key, ken=255, krn=2, ro=1, kt=2, ti=1):
        meter.enter(token.digits)
    assert (meter.base, meter.key, meter.krn, meter.tid_memory) == (2014, new_key, 2, [])

    result = meter.enter(credit_token(new_key, tid=new_tid, amount=5).digits)
    assert result.name == "Accept"
    assert "2025-01-15 09:30 UTC" in result.detail
    assert meter.enter(credit_token(new_key, tid=new_tid, amount=5).digits).name == "Used"


def test_rollover_goes_to_the_base_date_it_was_told() -> None:
    meter = pan1_meter(rollover_base=2035)
    for token in key_change_tokens(OLD_KEY, NEW_KEY, ken=255, krn=2, ro=1, kt=2, ti=1):
        meter.enter(token.digits)
    assert meter.base == 2035
    assert meter.rollover_base is None


def test_rollover_on_the_last_base_date_keeps_it() -> None:
    meter = pan1_meter(base=2035)
    for token in key_change_tokens(OLD_KEY, NEW_KEY, ken=255, krn=2, ro=1, kt=2, ti=1):
        meter.enter(token.digits)
    assert meter.base == 2035
