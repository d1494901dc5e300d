"""Sales reports: totals by vendor or by day over a period."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from server.domain.errors import InvalidInput
from server.domain.roles import Permission
from server.services.context import Actor, ServiceContext
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


def sales_report(
    ctx: ServiceContext, actor: Actor, *, by: str, start: datetime, end: datetime
) -> SalesReport:
    """Sales from `start` (inclusive) to `end` (exclusive), grouped by vendor code or by
    local day in the installation's time zone."""
    actor.require(Permission.REPORTS)
    if by not in GROUPINGS:
        raise InvalidInput("invalid_grouping", f"group by {by!r}: expected agent or day")
    if end <= start:
        raise InvalidInput("invalid_period", "the period's end must be after its start")

    def work(uow: UnitOfWork) -> SalesReport:
        codes: dict[int, str] = {}
        sums: dict[str, list] = defaultdict(lambda: [0, 0, 0, 0, 0, 0, 0, Decimal(0)])
        for sale in uow.sales.between(start, end):
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
        return SalesReport(by, start, end, ctx.currency.code, rows, _row(ctx, "total", totals))

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
