"""Reversals, top-ups, adjustments, the ledger check and the audit chain (both databases)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import update

from server.domain.errors import Conflict, Forbidden, InvalidInput
from server.domain.roles import Role
from server.services import agents, audit_trail, customers, ledger_check, reports, reversals
from server.services.context import Actor
from server.services.vending import VendRequest, vend
from server.storage.schema import Agent, AuditRecord
from tests.server import world

CASHIER = Actor(kind="operator", name="cash", role=Role.CASHIER, id=90)


def test_reversal_restores_the_float_marks_the_sale_and_balances(ctx, admin):
    w = world.build(ctx, admin)
    receipt = vend(ctx, admin, VendRequest("r-1", w.meter, 1000, agent_code="AG1"))
    reversed_ = reversals.reverse_sale(ctx, admin, receipt.receipt_no, "wrong meter typed")
    assert reversed_.status == "reversed" and reversed_.tokens == receipt.tokens
    assert agents.get_agent(ctx, admin, "AG1").balance == Decimal("1000.00")
    assert ledger_check.check(ctx, admin).ok
    with pytest.raises(Conflict, match="already reversed"):
        reversals.reverse_sale(ctx, admin, receipt.receipt_no, "again")


def test_a_cashier_may_not_reverse_and_a_reason_is_required(ctx, admin):
    w = world.build(ctx, admin)
    receipt = vend(ctx, admin, VendRequest("r-1", w.meter, 1000, agent_code="AG1"))
    with pytest.raises(Forbidden):
        reversals.reverse_sale(ctx, CASHIER, receipt.receipt_no, "because")
    with pytest.raises(InvalidInput, match="reason"):
        reversals.reverse_sale(ctx, admin, receipt.receipt_no, "  ")


def test_debt_is_recovered_from_sales_and_given_back_by_a_reversal(ctx, admin):
    from server.domain.tariffs import Block
    from server.services import meters, tariffs

    world.build(ctx, admin)
    tariffs.add_tariff(
        ctx,
        admin,
        name="arrears",
        blocks=(Block(None, Decimal("0.25")),),
        debt_rate=Decimal("0.5"),
        debt_cap=300,
    )
    customers.add_customer(ctx, admin, account_no="C9", name="Owes", debt=1000)
    number = world.pan(9)
    meters.add_meter(
        ctx, admin, number=number, sgc=world.SGC, tariff="arrears", customer_account="C9"
    )
    receipt = vend(ctx, admin, VendRequest("r-1", number, 1000, agent_code="AG1"))
    assert receipt.debt_recovered == Decimal("3.00") and receipt.kwh == Decimal("28.0")
    assert customers.get_customer(ctx, admin, "C9").debt == 700
    reversals.reverse_sale(ctx, admin, receipt.receipt_no, "test")
    assert customers.get_customer(ctx, admin, "C9").debt == 1000
    assert ledger_check.check(ctx, admin).ok


def test_adjustments_need_a_reason_and_respect_the_limit(ctx, admin):
    world.build(ctx, admin, float_minor=1000, credit_limit=500)
    agents.adjust(ctx, admin, "AG1", -1500, "counted short")
    with pytest.raises(Conflict) as refused:
        agents.adjust(ctx, admin, "AG1", -1, "one more")
    assert refused.value.code == "insufficient_float"
    with pytest.raises(InvalidInput, match="reason"):
        agents.adjust(ctx, admin, "AG1", 100, "")
    with pytest.raises(Conflict, match="limit cannot be less"):
        agents.set_limit(ctx, admin, "AG1", 100)
    assert ledger_check.check(ctx, admin).ok


def test_the_statement_runs_from_opening_to_closing_balance(ctx, admin, clock):
    w = world.build(ctx, admin, float_minor=5000)
    start = clock.now - timedelta(minutes=1)
    vend(ctx, admin, VendRequest("r-1", w.meter, 1000, agent_code="AG1"))
    agents.topup(ctx, admin, "AG1", 2000, "bank slip 77")
    statement = agents.statement(ctx, admin, "AG1", start, clock.now + timedelta(minutes=1))
    assert statement.opening == Decimal("0.00") and statement.closing == Decimal("60.00")
    assert [line.kind for line in statement.lines] == ["topup", "vend", "topup"]
    assert statement.lines[-1].balance == statement.closing


def test_the_ledger_check_finds_a_float_that_does_not_match_its_postings(ctx, admin):
    world.build(ctx, admin)
    with ctx.unit_of_work() as uow:
        uow.session.execute(update(Agent).values(balance=Agent.balance + 1))
        uow.commit()
    report = ledger_check.check(ctx, admin)
    assert not report.ok and "agent AG1: float shows 1000.01" in report.problems[0]


def test_the_audit_chain_verifies_and_detects_an_edited_record(ctx, admin):
    world.build(ctx, admin)
    verdict = audit_trail.verify(ctx, admin)
    assert verdict.ok and verdict.records > 5
    with ctx.unit_of_work() as uow:
        uow.session.execute(
            update(AuditRecord).where(AuditRecord.id == 3).values(actor="cli:someone-else")
        )
        uow.commit()
    verdict = audit_trail.verify(ctx, admin)
    assert not verdict.ok and verdict.problem == "record 3: its content was altered"


def test_the_audit_chain_detects_a_deleted_record(ctx, admin):
    from sqlalchemy import delete

    world.build(ctx, admin)
    with ctx.unit_of_work() as uow:
        uow.session.execute(delete(AuditRecord).where(AuditRecord.id == 2))
        uow.commit()
    verdict = audit_trail.verify(ctx, admin)
    assert not verdict.ok and "record 3: does not follow" in verdict.problem


def test_no_audit_record_holds_a_vending_key(ctx, admin):
    world.build(ctx, admin)
    with ctx.unit_of_work() as uow:
        text = " ".join(f"{r.before} {r.after}" for r in uow.audit.all()).lower()
    assert world.VENDING_KEY.hex() not in text


def test_sales_report_by_agent_and_by_day(ctx, admin, clock):
    w = world.build(ctx, admin)
    start = clock.now - timedelta(hours=1)
    vend(ctx, admin, VendRequest("r-1", w.meter, 1000, agent_code="AG1"))
    r2 = vend(ctx, admin, VendRequest("r-2", w.meter_b, 500, agent_code="AG1"))
    reversals.reverse_sale(ctx, admin, r2.receipt_no, "test")
    end = clock.now + timedelta(hours=1)
    by_agent = reports.sales_report(ctx, admin, by="agent", start=start, end=end)
    assert [(r.key, r.sales, r.reversed, r.amount) for r in by_agent.rows] == [
        ("AG1", 1, 1, Decimal("10.00"))
    ]
    by_day = reports.sales_report(ctx, admin, by="day", start=start, end=end)
    assert by_day.rows[0].key == "2025-03-14" and by_day.total.kwh == Decimal("40.0")
