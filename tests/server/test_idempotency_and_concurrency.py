"""Exactly one sale per request id, and floats that hold under concurrency (both databases)."""

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from server.domain.errors import Conflict, DomainError
from server.services import agents, ledger_check, meters
from server.services.vending import VendRequest, vend
from server.storage.schema import Sale
from tests.server import world


def sale_count(ctx) -> int:
    with ctx.unit_of_work(read_only=True) as uow:
        return uow.session.execute(select(func.count(Sale.id))).scalar_one()


def test_a_retried_request_returns_the_first_receipt_and_debits_once(ctx, admin):
    w = world.build(ctx, admin)
    request = VendRequest("retry-1", w.meter, 1000, agent_code="AG1")
    first = vend(ctx, admin, request)
    second = vend(ctx, admin, request)
    assert second.replayed and not first.replayed
    assert (second.sale_id, second.tokens, second.agent_balance) == (
        first.sale_id,
        first.tokens,
        first.agent_balance,
    )
    assert agents.get_agent(ctx, admin, "AG1").balance == Decimal("990.00")
    assert sale_count(ctx) == 1


def test_the_same_request_id_with_another_body_is_a_conflict(ctx, admin):
    w = world.build(ctx, admin)
    vend(ctx, admin, VendRequest("dup", w.meter, 1000, agent_code="AG1"))
    with pytest.raises(Conflict) as refused:
        vend(ctx, admin, VendRequest("dup", w.meter, 1500, agent_code="AG1"))
    assert refused.value.code == "request_id_conflict"
    with pytest.raises(Conflict):
        vend(ctx, admin, VendRequest("dup", w.meter_b, 1000, agent_code="AG1"))
    assert sale_count(ctx) == 1


def test_concurrent_retries_of_one_request_make_one_sale(ctx, admin):
    w = world.build(ctx, admin)
    request = VendRequest("storm", w.meter, 1000, agent_code="AG1")
    with ThreadPoolExecutor(max_workers=16) as pool:
        receipts = list(pool.map(lambda _: vend(ctx, admin, request), range(32)))
    assert len({r.sale_id for r in receipts}) == 1
    assert len({r.tokens for r in receipts}) == 1
    assert sum(not r.replayed for r in receipts) == 1
    assert sale_count(ctx) == 1
    assert agents.get_agent(ctx, admin, "AG1").balance == Decimal("990.00")


def test_100_concurrent_vends_on_a_float_covering_40_leave_exactly_zero(ctx, admin):
    w = world.build(ctx, admin, float_minor=40 * 1000)
    numbers = [w.meter, w.meter_b]
    for n in range(3, 11):
        numbers.append(world.pan(n))
        meters.add_meter(ctx, admin, number=world.pan(n), sgc=world.SGC, tariff="flat")

    def attempt(n: int) -> str:
        try:
            vend(ctx, admin, VendRequest(f"c-{n}", numbers[n % 10], 1000, agent_code="AG1"))
            return "ok"
        except DomainError as exc:
            return exc.code

    with ThreadPoolExecutor(max_workers=32) as pool:
        outcomes = list(pool.map(attempt, range(100)))
    assert outcomes.count("ok") == 40
    assert outcomes.count("insufficient_float") == 60
    assert agents.get_agent(ctx, admin, "AG1").balance == Decimal("0.00")
    report = ledger_check.check(ctx, admin)
    assert report.ok, report.problems
    # Every meter's TIDs are distinct: the unique index would have refused a clash.
    assert sale_count(ctx) == 40


def test_a_credit_limit_lets_the_float_go_exactly_that_far_below_zero(ctx, admin):
    w = world.build(ctx, admin, float_minor=10 * 1000, credit_limit=5 * 1000)

    def attempt(n: int) -> bool:
        try:
            vend(ctx, admin, VendRequest(f"l-{n}", (w.meter, w.meter_b)[n % 2], 1000, "AG1"))
            return True
        except Conflict:
            return False

    with ThreadPoolExecutor(max_workers=16) as pool:
        assert sum(pool.map(attempt, range(30))) == 15
    assert agents.get_agent(ctx, admin, "AG1").balance == Decimal("-50.00")
