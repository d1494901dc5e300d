"""Sales reports: totals by vendor or by day over a period, for every vendor or one."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select

from server.domain.errors import InvalidInput
from server.domain.roles import Permission
from server.services.agents import agent_by_code
from server.services.context import Actor, ServiceContext
from server.services.text_fields import text_field
from server.storage.schema import Sale
from server.storage.unit_of_work import UnitOfWork

GROUPINGS = ("agent", "day")


@dataclass(frozen=True)
class SalesRow:
    """Totals for one vendor or one day. Reversed sales are counted apart, not in the money."""

    key: str
    sales: int
    reversed: int
    amount: Decimal
    tax: Decimal
    fixed_charge: Decimal
    debt_recovered: Decimal
    energy_amount: Decimal
    kwh: Decimal


@dataclass(frozen=True)
class SalesReport:
    by: str
    start: datetime
    end: datetime
    currency: str
    rows: tuple[SalesRow, ...]
    total: SalesRow
    agent: str | None = None  # the one vendor the report is about, or None: all vendors


def sales_report(
    ctx: ServiceContext,
    actor: Actor,
    *,
    by: str,
    start: datetime,
    end: datetime,
    agent_code: str | None = None,
) -> SalesReport:
    """Sales from `start` (inclusive) to `end` (exclusive), grouped by vendor code or by
    local day in the installation's time zone; only vendor `agent_code`'s when given."""
    actor.require(Permission.REPORTS)
    if by not in GROUPINGS:
        raise InvalidInput("invalid_grouping", f"group by {by!r}: expected agent or day")
    if end <= start:
        raise InvalidInput("invalid_period", "the period's end must be after its start")
    if agent_code is not None:
        agent_code = text_field(agent_code, "vendor", max_length=32)

    def work(uow: UnitOfWork) -> SalesReport:
        codes: dict[int, str] = {}
        sums: dict[str, list] = defaultdict(lambda: [0, 0, 0, 0, 0, 0, 0, Decimal(0)])
        if agent_code is None:
            sales = uow.sales.between(start, end)
        else:
            agent = agent_by_code(uow, agent_code)
            codes[agent.id] = agent.code
            sales = uow.session.scalars(
                select(Sale)
                .where(Sale.agent_id == agent.id, Sale.created_at >= start, Sale.created_at < end)
                .order_by(Sale.created_at, Sale.id)
            )
        for sale in sales:
            if by == "agent":
                if sale.agent_id not in codes:
                    agent = uow.agents.by_id(sale.agent_id)
                    codes[sale.agent_id] = agent.code if agent else str(sale.agent_id)
                key = codes[sale.agent_id]
            else:
                key = sale.created_at.astimezone(ctx.timezone).date().isoformat()
            row = sums[key]
            if sale.status != "issued":
                row[1] += 1
                continue
            row[0] += 1
            row[2] += sale.amount
            row[3] += sale.tax
            row[4] += sale.fixed_charge
            row[5] += sale.debt_recovered
            row[6] += sale.energy_amount
            row[7] += sale.kwh_credited
        rows = tuple(_row(ctx, key, values) for key, values in sorted(sums.items()))
        totals = [sum(v[i] for v in sums.values()) for i in range(7)]
        totals.append(sum((v[7] for v in sums.values()), Decimal(0)))
        total = _row(ctx, "total", totals)
        return SalesReport(by, start, end, ctx.currency.code, rows, total, agent_code)

    return ctx.transaction(work, read_only=True)


def _row(ctx: ServiceContext, key: str, v: list) -> SalesRow:
    money = ctx.currency.to_decimal
    return SalesRow(
        key,
        v[0],
        v[1],
        money(v[2]),
        money(v[3]),
        money(v[4]),
        money(v[5]),
        money(v[6]),
        Decimal(v[7]).quantize(Decimal("0.1")),
    )
