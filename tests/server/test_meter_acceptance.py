"""Tokens the server issues, typed into the meter simulator: the acceptance side."""

from decimal import Decimal

from host.meter_sim import MeterSim
from server.services import engineering, meters, supply_groups
from server.services.vending import VendRequest, vend
from tests.server import world


def meter_sim(
    pan: str, *, krn: int = 1, base: int = 2014, vk: bytes = world.VENDING_KEY
) -> MeterSim:
    return MeterSim.create(pan=pan, kt=2, sgc=world.SGC, ti=1, krn=krn, vk=vk, dkga=2, base=base)


def enter_all(meter: MeterSim, issued) -> list[str]:
    return [str(meter.enter(t.digits).name) for t in issued.tokens]


def test_the_meter_accepts_a_vend_and_credits_exactly_the_receipt_kwh(ctx, admin):
    w = world.build(ctx, admin, price="0.1234")
    meter = meter_sim(w.meter)
    receipt = vend(ctx, admin, VendRequest("r-1", w.meter, 1999, agent_code="AG1"))
    assert enter_all(meter, receipt) == ["Accept"]
    assert meter.credit == receipt.kwh == Decimal("161.9")


def test_two_vends_in_the_same_minute_get_different_tids_and_both_are_accepted(ctx, admin, clock):
    w = world.build(ctx, admin)
    meter = meter_sim(w.meter)
    first = vend(ctx, admin, VendRequest("r-1", w.meter, 500, agent_code="AG1"))
    clock.advance(seconds=10)
    second = vend(ctx, admin, VendRequest("r-2", w.meter, 700, agent_code="AG1"))
    assert second.tokens[0].tid == first.tokens[0].tid + 1
    assert enter_all(meter, first) == ["Accept"]
    assert enter_all(meter, second) == ["Accept"]
    assert meter.credit == first.kwh + second.kwh


def test_many_tokens_in_one_minute_keep_increasing_and_the_meter_takes_them_in_order(ctx, admin):
    w = world.build(ctx, admin)
    meter = meter_sim(w.meter)
    tids = []
    for n in range(5):
        receipt = vend(ctx, admin, VendRequest(f"r-{n}", w.meter, 100, agent_code="AG1"))
        tids.append(receipt.tokens[0].tid)
        assert enter_all(meter, receipt) == ["Accept"]
    assert tids == sorted(set(tids))


def test_a_meter_still_on_base_1993_gets_key_change_tokens_before_its_first_credit(ctx, admin):
    world.build(ctx, admin)
    supply_groups.import_vending_key(
        ctx, admin, sgc=world.SGC, krn=2, vending_key=world.VENDING_KEY_2
    )
    supply_groups.set_current_key(ctx, admin, sgc=world.SGC, krn=2)
    old = world.pan(50)
    meters.add_meter(ctx, admin, number=old, sgc=world.SGC, tariff="flat", krn=1, base_date=1993)
    # In 2025 the 1993 counter has run out: the meter remembers TIDs from just before that.
    meter = MeterSim.create(
        pan=old,
        kt=2,
        sgc=world.SGC,
        ti=1,
        krn=1,
        vk=world.VENDING_KEY,
        dkga=2,
        base=1993,
        manufactured_tid=0xFFFF00,
    )
    receipt = vend(ctx, admin, VendRequest("r-1", old, 1000, agent_code="AG1"))
    assert [(t.token_class, t.subclass) for t in receipt.tokens] == [(2, 3), (2, 4), (0, 0)]
    assert enter_all(meter, receipt) == ["1st key change accepted", "Accept", "Accept"]
    assert meter.krn == 2 and meter.base == 2014
    assert meter.credit == receipt.kwh
    # The meter record followed: the next sale is a single credit token.
    again = vend(ctx, admin, VendRequest("r-2", old, 1000, agent_code="AG1"))
    assert [t.token_class for t in again.tokens] == [0]
    assert enter_all(meter, again) == ["Accept"]


def test_engineering_tokens_are_accepted(ctx, admin):
    w = world.build(ctx, admin)
    meter = meter_sim(w.meter)
    meter.detect_tamper()
    order = engineering.issue(ctx, admin, w.meter, "clear_tamper", reason="cover refitted")
    assert enter_all(meter, order) == ["Accept"]
    assert meter.tamper is False
    order = engineering.issue(ctx, admin, w.meter, "max_power", watts=3000, reason="upgrade")
    assert enter_all(meter, order) == ["Accept"]
    assert meter.power_limit == 3000


def test_a_1993_meter_with_no_newer_key_configured_is_refused_clearly(ctx, admin):
    import pytest

    from server.domain.errors import Conflict

    world.build(ctx, admin, base_date=1993)
    with pytest.raises(Conflict, match="key change onto base date 2014") as refused:
        vend(ctx, admin, VendRequest("r-1", world.pan(1), 1000, agent_code="AG1"))
    assert refused.value.code == "key_change_needed"


def test_update_key_moves_a_meter_to_a_new_tariff_index_and_the_meter_follows(ctx, admin):
    w = world.build(ctx, admin)
    meter = meter_sim(w.meter)
    order = engineering.issue(ctx, admin, w.meter, "update_key", ti=7, reason="new TI")
    assert enter_all(meter, order) == ["1st key change accepted", "Accept"]
    assert meter.ti == 7
    receipt = vend(ctx, admin, VendRequest("r-1", w.meter, 500, agent_code="AG1"))
    assert enter_all(meter, receipt) == ["Accept"]


def test_a_test_token_needs_no_key_and_changes_nothing(ctx, admin):
    w = world.build(ctx, admin)
    order = engineering.issue(ctx, admin, w.meter, "test", control=(1 << 36) - 1, reason="check")
    assert [t.token_class for t in order.tokens] == [1]
    assert order.tokens[0].digits == "56493153725450313471"  # the STS.md "test all" vector
