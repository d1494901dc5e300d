"""Properties of the simulated meter over random keys, TIDs and amounts.

A fresh token is accepted and credits exactly what the server says it does; a repeat is
Used; a token older than the meter's memory is Old; a rejected token changes nothing.
"""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from host.meter_sim import MeterSim, to_state
from server.sts import MAX_UNITS, credit_token

PAN1 = "600727000000000009"
TID_MAX = (1 << 24) - 1

eas = st.sampled_from([7, 11])
tenths = st.integers(min_value=1, max_value=int(MAX_UNITS * 10))
rnds = st.integers(min_value=0, max_value=15)


@st.composite
def meters(draw: st.DrawFn, memory_size: int | None = None) -> MeterSim:
    ea = draw(eas)
    key = draw(st.binary(min_size=8 if ea == 7 else 16, max_size=8 if ea == 7 else 16))
    size = memory_size or draw(st.integers(min_value=1, max_value=8))
    return MeterSim.create(
        pan=PAN1, key=key, kt=2, sgc=123456, ti=1, krn=1, ea=ea, memory_size=size,
        # A register large enough for any single token: these properties are about TIDs.
        max_credit=MAX_UNITS,
    )  # fmt: skip


@settings(deadline=None)
@given(meter=meters(), tid=st.integers(min_value=1, max_value=TID_MAX), amount=tenths, rnd=rnds)
def test_a_fresh_token_is_accepted_and_credits_exactly_what_it_says(
    meter: MeterSim, tid: int, amount: int, rnd: int
) -> None:
    token = credit_token(meter.key, tid=tid, amount=Decimal(amount) / 10, ea=meter.ea, rnd=rnd)
    result = meter.enter(token.digits)
    assert result.name == "Accept", result.detail
    assert meter.credit == token.credited
    assert tid in meter.tid_memory

    before = to_state(meter)
    assert meter.enter(token.digits).name == "Used"
    assert to_state(meter) == before


@settings(deadline=None)
@given(data=st.data(), size=st.integers(min_value=1, max_value=6))
def test_a_token_older_than_the_memory_is_old(data: st.DataObject, size: int) -> None:
    meter = data.draw(meters(memory_size=size))
    tids = sorted(
        data.draw(
            st.lists(
                st.integers(min_value=1, max_value=TID_MAX),
                min_size=size + 1,
                max_size=size + 1,
                unique=True,
            )
        )
    )
    oldest, recent = tids[0], tids[1:]
    for tid in data.draw(st.permutations(recent)):
        token = credit_token(meter.key, tid=tid, amount=1, ea=meter.ea)
        assert meter.enter(token.digits).name == "Accept"
    assert meter.tid_memory == recent
    before = to_state(meter)
    stale = credit_token(meter.key, tid=oldest, amount=1, ea=meter.ea)
    assert meter.enter(stale.digits).name == "Old"
    assert to_state(meter) == before


@settings(deadline=None)
@given(
    meter=meters(memory_size=20),
    amounts=st.lists(st.integers(min_value=1, max_value=16383), min_size=1, max_size=20),
    data=st.data(),
)
def test_tokens_within_memory_are_taken_in_any_order_and_add_up(
    meter: MeterSim, amounts: list[int], data: st.DataObject
) -> None:
    tokens = [
        credit_token(meter.key, tid=1000 + i, amount=Decimal(a) / 10, ea=meter.ea)
        for i, a in enumerate(amounts)
    ]
    for token in data.draw(st.permutations(tokens)):
        assert meter.enter(token.digits).name == "Accept"
    assert meter.credit == sum(Decimal(a) / 10 for a in amounts)


@settings(deadline=None)
@given(meter=meters(), digits=st.text(alphabet="0123456789", min_size=20, max_size=20))
def test_a_rejected_token_changes_nothing(meter: MeterSim, digits: str) -> None:
    before = to_state(meter)
    result = meter.enter(digits)
    if not result.accepted:
        assert to_state(meter) == before


@settings(deadline=None)
@given(
    key=st.binary(min_size=8, max_size=8),
    ken=st.integers(min_value=0, max_value=254),
    tid=st.integers(min_value=1, max_value=TID_MAX),
)
def test_key_expired_exactly_when_the_tid_top_byte_is_above_ken(
    key: bytes, ken: int, tid: int
) -> None:
    meter = MeterSim.create(pan=PAN1, key=key, kt=2, sgc=123456, ti=1, krn=1, ken=ken)
    # Built for a never-expiring key: the generator would rightly refuse an expired one.
    token = credit_token(key, tid=tid, amount=1)
    expected = "Key expired" if tid >> 16 > ken else "Accept"
    assert meter.enter(token.digits).name == expected
