"""Read-only lookups the pages show and the service layer does not offer (yet).

Each checks the viewer's permission first, reads in a read-only unit of work, and returns
plain rows. None computes money or applies a business rule: totals, prices and balances
always come from the services. These are candidates to move into server/services.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, or_, select

from server.domain.errors import NotFound
from server.domain.receipt_numbers import receipt_number
from server.domain.roles import Permission, may
from server.services.context import Actor, ServiceContext
from server.services.meter_numbers import pan_of
from server.storage.schema import (
    AuditRecord,
    Customer,
    EngineeringOrder,
    IssuedToken,
    Meter,
    Tariff,
)
from server.storage.unit_of_work import UnitOfWork

MAX_ROWS = 200


@dataclass(frozen=True)
class MeterRow:
    pan: str
    state: str
    customer_account: str
    customer_name: str
    tariff: str


@dataclass(frozen=True)
class CustomerRow:
    account_no: str
    name: str
    address: str
    phone: str
    debt: Decimal


@dataclass(frozen=True)
class SaleRow:
    receipt_no: str
    created_at: datetime
    agent_code: str
    channel: str
    amount: Decimal
    kwh: Decimal
    status: str


@dataclass(frozen=True)
class MeterHistory:
    """A meter's sales (newest first) and how many tokens it has been issued in all."""

    sales: tuple[SaleRow, ...]
    tokens_issued: int


@dataclass(frozen=True)
class EngineeringRow:
    created_at: datetime
    meter: str
    kind: str
    actor: str
    reason: str
    tokens: int


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    before: str | None
    after: str | None


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


def search_meters(ctx: ServiceContext, actor: Actor, text: str = "") -> list[MeterRow]:
    """Meters whose number, customer account or customer name contains `text`."""
    actor.require(Permission.VIEW)
    wanted = text.strip()
    compact = "".join(wanted.split()).replace("-", "")
    if compact.isdigit():  # a meter number as printed, in groups: search its digits
        wanted = compact

    def work(uow: UnitOfWork) -> list[MeterRow]:
        query = (
            select(Meter.pan, Meter.state, Customer.account_no, Customer.name, Tariff.name)
            .outerjoin(Customer, Customer.id == Meter.customer_id)
            .join(Tariff, Tariff.id == Meter.tariff_id)
            .order_by(Meter.id)
            .limit(MAX_ROWS)
        )
        if wanted:
            pattern = _like(wanted)
            query = query.where(
                or_(
                    Meter.pan.like(pattern, escape="\\"),
                    func.lower(Customer.account_no).like(pattern, escape="\\"),
                    func.lower(Customer.name).like(pattern, escape="\\"),
                )
            )
        return [
            MeterRow(pan, state, account or "", name or "", tariff)
            for pan, state, account, name, tariff in uow.session.execute(query)
        ]

    return ctx.transaction(work, read_only=True)


def search_customers(ctx: ServiceContext, actor: Actor, text: str = "") -> list[CustomerRow]:
    """Customers whose account number, name, phone or address contains `text`."""
    actor.require(Permission.VIEW)
    wanted = text.strip()

    def work(uow: UnitOfWork) -> list[CustomerRow]:
        query = select(Customer).order_by(Customer.id).limit(MAX_ROWS)
        if wanted:
            pattern = _like(wanted)
            query = query.where(
                or_(
                    func.lower(Customer.account_no).like(pattern, escape="\\"),
                    func.lower(Customer.name).like(pattern, escape="\\"),
                    func.lower(Customer.phone).like(pattern, escape="\\"),
                    func.lower(Customer.address).like(pattern, escape="\\"),
                )
            )
        money = ctx.currency.to_decimal
        return [
            CustomerRow(c.account_no, c.name, c.address, c.phone, money(c.debt))
            for c in uow.session.scalars(query)
        ]

    return ctx.transaction(work, read_only=True)


def meters_of_customer(ctx: ServiceContext, actor: Actor, account_no: str) -> list[MeterRow]:
    """The meters registered to a customer."""
    actor.require(Permission.VIEW)

    def work(uow: UnitOfWork) -> list[MeterRow]:
        customer = uow.customers.by_account(account_no.strip())
        if customer is None:
            raise NotFound("customer_not_found", f"customer account {account_no} does not exist")
        rows = []
        for meter in uow.meters.of_customer(customer.id):
            tariff = uow.tariffs.by_id(meter.tariff_id)
            rows.append(
                MeterRow(
                    meter.pan,
                    meter.state,
                    customer.account_no,
                    customer.name,
                    tariff.name if tariff else "",
                )
            )
        return rows

    return ctx.transaction(work, read_only=True)


def meter_history(
    ctx: ServiceContext, actor: Actor, number: str, *, limit: int = 20
) -> MeterHistory:
    """A meter's newest sales (for reprints) and its count of tokens ever issued."""
    actor.require(Permission.REPRINT)
    pan = pan_of(number)

    def work(uow: UnitOfWork) -> MeterHistory:
        meter = uow.meters.by_pan(pan)
        if meter is None:
            raise NotFound("meter_not_found", f"meter {pan} is not registered")
        codes: dict[int, str] = {}
        sales = []
        money = ctx.currency.to_decimal
        for sale in uow.sales.of_meter(meter.id, limit=limit):
            if actor.agent_id is not None and sale.agent_id != actor.agent_id:
                continue
            if sale.agent_id not in codes:
                agent = uow.agents.by_id(sale.agent_id)
                codes[sale.agent_id] = agent.code if agent else ""
            sales.append(
                SaleRow(
                    receipt_number(sale.id),
                    sale.created_at,
                    codes[sale.agent_id],
                    sale.channel,
                    money(sale.amount),
                    sale.kwh_credited,
                    sale.status,
                )
            )
        count = uow.session.scalar(
            select(func.count()).select_from(IssuedToken).where(IssuedToken.meter_id == meter.id)
        )
        return MeterHistory(tuple(sales), int(count or 0))

    return ctx.transaction(work, read_only=True)


def tokens_issued_between(ctx: ServiceContext, actor: Actor, start: datetime, end: datetime) -> int:
    """How many tokens (credit, key change and engineering) were issued in [start, end)."""
    actor.require(Permission.VIEW)

    def work(uow: UnitOfWork) -> int:
        count = uow.session.scalar(
            select(func.count())
            .select_from(IssuedToken)
            .where(IssuedToken.created_at >= start, IssuedToken.created_at < end)
        )
        return int(count or 0)

    return ctx.transaction(work, read_only=True)


def engineering_orders_between(
    ctx: ServiceContext, actor: Actor, start: datetime, end: datetime
) -> list[EngineeringRow]:
    """Engineering orders made in [start, end), newest first, with their token counts."""
    if not may(actor.role, Permission.ENGINEERING):
        actor.require(Permission.REPORTS)

    def work(uow: UnitOfWork) -> list[EngineeringRow]:
        tokens = (
            select(IssuedToken.engineering_order_id, func.count().label("n"))
            .where(IssuedToken.engineering_order_id.is_not(None))
            .group_by(IssuedToken.engineering_order_id)
            .subquery()
        )
        query = (
            select(
                EngineeringOrder.created_at,
                Meter.pan,
                EngineeringOrder.kind,
                EngineeringOrder.actor,
                EngineeringOrder.reason,
                func.coalesce(tokens.c.n, 0),
            )
            .join(Meter, Meter.id == EngineeringOrder.meter_id)
            .outerjoin(tokens, tokens.c.engineering_order_id == EngineeringOrder.id)
            .where(EngineeringOrder.created_at >= start, EngineeringOrder.created_at < end)
            .order_by(EngineeringOrder.id.desc())
            .limit(MAX_ROWS * 5)
        )
        return [EngineeringRow(*row) for row in uow.session.execute(query)]

    return ctx.transaction(work, read_only=True)


def audit_page(
    ctx: ServiceContext,
    actor: Actor,
    *,
    before_id: int | None = None,
    text: str = "",
    limit: int = 50,
) -> list[AuditRow]:
    """Audit records newest first, older than `before_id`, whose action, actor or entity
    contains `text`."""
    actor.require(Permission.AUDIT)

    def work(uow: UnitOfWork) -> list[AuditRow]:
        query = select(AuditRecord).order_by(AuditRecord.id.desc()).limit(limit)
        if before_id is not None:
            query = query.where(AuditRecord.id < before_id)
        if text.strip():
            pattern = _like(text.strip())
            query = query.where(
                or_(
                    func.lower(AuditRecord.action).like(pattern, escape="\\"),
                    func.lower(AuditRecord.actor).like(pattern, escape="\\"),
                    func.lower(AuditRecord.entity_id).like(pattern, escape="\\"),
                    func.lower(AuditRecord.entity).like(pattern, escape="\\"),
                )
            )
        return [
            AuditRow(r.id, r.at, r.actor, r.action, r.entity, r.entity_id, r.before, r.after)
            for r in uow.session.scalars(query)
        ]

    return ctx.transaction(work, read_only=True)
