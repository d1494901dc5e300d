"""The vend service on both databases: a sale, its receipt, its ledger entry."""

from decimal import Decimal

import pytest

from server.domain.errors import Conflict, InvalidInput, NotFound
from server.services import agents, receipts
from server.services.vending import VendRequest, quote, vend
from tests.server import world


def test_a_vend_returns_a_receipt_with_one_credit_token(ctx, admin):
    w = world.build(ctx, admin, price="0.25")
    receipt = vend(ctx, admin, VendRequest("r-1", w.meter, 1000, agent_code="AG1"))
    assert receipt.amount == Decimal("10.00")
    assert receipt.kwh == Decimal("40.0")
    assert [t.token_class for t in receipt.tokens] == [0]
    assert len(receipt.tokens[0].digits) == 20
    assert receipt.tokens[0].grouped.count(" ") == 4
    assert receipt.agent_balance == Decimal("990.00")
    assert receipt.customer_name == "Amina Okafor"
    assert receipt.replayed is False


def test_quote_shows_the_split_without_issuing(ctx, admin):
    w = world.build(ctx, admin, price="0.25")
    q = quote(ctx, admin, w.meter, 1000)
    assert q.kwh == Decimal("40.0") and q.key_change_tokens == 0
    assert agents.get_agent(ctx, admin, "AG1").balance == Decimal("1000.00")


def test_reprint_by_receipt_number_gives_the_same_tokens(ctx, admin):
    w = world.build(ctx, admin)
    first = vend(ctx, admin, VendRequest("r-1", w.meter, 500, agent_code="AG1"))
    again = receipts.reprint(ctx, admin, receipt_no=first.receipt_no)
    assert again.tokens == first.tokens and again.sale_id == first.sale_id


def test_unknown_meter_and_typo_are_refused_clearly(ctx, admin):
    world.build(ctx, admin)
    with pytest.raises(NotFound, match="not registered"):
        vend(ctx, admin, VendRequest("r-1", world.pan(99), 500, agent_code="AG1"))
    typo = world.pan(1)[:-1] + str((int(world.pan(1)[-1]) + 1) % 10)
    with pytest.raises(InvalidInput, match="check digit"):
        vend(ctx, admin, VendRequest("r-2", typo, 500, agent_code="AG1"))


def test_a_vend_beyond_float_and_limit_is_refused(ctx, admin):
    w = world.build(ctx, admin, float_minor=500, credit_limit=100)
    with pytest.raises(Conflict) as refused:
        vend(ctx, admin, VendRequest("r-1", w.meter, 601, agent_code="AG1"))
    assert refused.value.code == "insufficient_float"
    vend(ctx, admin, VendRequest("r-2", w.meter, 600, agent_code="AG1"))
    assert agents.get_agent(ctx, admin, "AG1").balance == Decimal("-1.00")
