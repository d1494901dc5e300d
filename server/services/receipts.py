"""Receipts: what a sale returns and what a reprint shows, built from stored rows only."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from server.domain.errors import NotFound
from server.domain.receipt_numbers import receipt_number, sale_id_of
from server.domain.roles import Permission
from server.services.context import Actor, ServiceContext
from server.services.meter_numbers import pan_of
from server.storage.schema import IssuedToken, Sale
from server.storage.unit_of_work import UnitOfWork
from server.sts import format_token


@dataclass(frozen=True)
class ReceiptToken:
    """One token on a receipt, in the order the customer must enter it."""

    digits: str
    grouped: str
    description: str
    token_class: int
    subclass: int
    tid: int | None


@dataclass(frozen=True)
class Receipt:
    """Everything printed on a sale's slip. Money as Decimal in the installation currency."""

    sale_id: int
    receipt_no: str
    request_id: str
    created_at: datetime
    status: str
    meter: str
    customer_name: str
    customer_account: str
    agent_code: str
    channel: str
    currency: str
    amount: Decimal
    tax: Decimal
    fixed_charge: Decimal
    debt_recovered: Decimal
    energy_amount: Decimal
    kwh: Decimal
    tokens: tuple[ReceiptToken, ...]
    agent_balance: Decimal
    replayed: bool = False


def receipt_token(row: IssuedToken) -> ReceiptToken:
    """A stored token as it appears on a receipt."""
    return ReceiptToken(
        digits=row.digits,
        grouped=format_token(row.digits),
        description=row.description,
        token_class=row.token_class,
        subclass=row.subclass,
        tid=row.tid,
    )


def build_receipt(
    ctx: ServiceContext, uow: UnitOfWork, sale: Sale, *, replayed: bool = False
) -> Receipt:
    """The receipt of a stored sale."""
    meter = uow.meters.by_id(sale.meter_id)
    agent = uow.agents.by_id(sale.agent_id)
    customer = uow.customers.by_id(sale.customer_id) if sale.customer_id else None
    assert meter is not None and agent is not None
    money = ctx.currency.to_decimal
    return Receipt(
        sale_id=sale.id,
        receipt_no=receipt_number(sale.id),
        request_id=sale.request_id,
        created_at=sale.created_at,
        status=sale.status,
        meter=meter.pan,
        customer_name=customer.name if customer else "",
        customer_account=customer.account_no if customer else "",
        agent_code=agent.code,
        channel=sale.channel,
        currency=ctx.currency.code,
        amount=money(sale.amount),
        tax=money(sale.tax),
        fixed_charge=money(sale.fixed_charge),
        debt_recovered=money(sale.debt_recovered),
        energy_amount=money(sale.energy_amount),
        kwh=sale.kwh_credited,
        tokens=tuple(receipt_token(t) for t in uow.tokens.of_sale(sale.id)),
        agent_balance=money(sale.agent_balance_after),
        replayed=replayed,
    )


def check_may_see(actor: Actor, sale: Sale) -> None:
    """POS clients and devices see only their own vendor's sales (others look absent)."""
    if actor.agent_id is not None and sale.agent_id != actor.agent_id:
        raise NotFound("sale_not_found", f"no sale with receipt number {receipt_number(sale.id)}")


def reprint(
    ctx: ServiceContext, actor: Actor, *, receipt_no: str | None = None, sale_id: int | None = None
) -> Receipt:
    """A stored receipt, by receipt number or sale id, exactly as first issued (plus status)."""
    actor.require(Permission.REPRINT)
    wanted = sale_id_of(receipt_no) if receipt_no is not None else sale_id
    if wanted is None:
        raise NotFound("sale_not_found", "give a receipt number or a sale id")

    def work(uow: UnitOfWork) -> Receipt:
        sale = uow.sales.by_id(wanted)
        if sale is None:
            shown = receipt_no if receipt_no is not None else f"sale {wanted}"
            raise NotFound("sale_not_found", f"no sale with receipt number {shown}")
        check_may_see(actor, sale)
        return build_receipt(ctx, uow, sale)

    return ctx.transaction(work, read_only=True)


def last_tokens(
    ctx: ServiceContext, actor: Actor, meter_number: str, *, limit: int = 5
) -> list[tuple[datetime, ReceiptToken]]:
    """The newest tokens issued to a meter (credit, key change and engineering), newest first."""
    actor.require(Permission.REPRINT)
    pan = pan_of(meter_number)

    def work(uow: UnitOfWork) -> list[tuple[datetime, ReceiptToken]]:
        meter = uow.meters.by_pan(pan)
        if meter is None:
            raise NotFound("meter_not_found", f"meter {pan} is not registered")
        rows = uow.tokens.last_of_meter(meter.id, limit=limit)
        if actor.agent_id is not None:
            sales = uow.sales.of_meter(meter.id, limit=100)
            own = {s.id for s in sales if s.agent_id == actor.agent_id}
            rows = [r for r in rows if r.sale_id in own]
        return [(r.created_at, receipt_token(r)) for r in rows]

    return ctx.transaction(work, read_only=True)
