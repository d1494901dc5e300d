"""The dashboard: today's sales, tokens issued, vendors low on float, handhelds, 30 days."""

from dataclasses import dataclass
from decimal import Decimal

from fastapi import Request
from fastapi.responses import Response

from server.domain.roles import Permission
from server.services import agents, reports
from server.services.agents import AgentView
from server.web import device_status, read_queries
from server.web.access import Ctx, Looker, Settings
from server.web.notices import notice_of
from server.web.periods import period, today
from server.web.rendering import render
from server.web.routing import page_router
from server.web.sales_charts import sales_chart

router = page_router()
CHART_DAYS = 30


@dataclass(frozen=True)
class Today:
    sales: int
    amount: Decimal
    kwh: Decimal
    reversed: int


def vendors_below(ctx: Ctx, viewer: Looker, threshold: Decimal) -> list[AgentView]:
    """Active vendors whose available float (balance + credit limit) is under `threshold`."""
    low: list[AgentView] = []
    offset = 0
    while page := agents.list_agents(ctx, viewer.actor, offset=offset, limit=500):
        low.extend(a for a in page if a.status == "active" and a.available < threshold)
        offset += len(page)
        if offset >= 20_000:
            break
    return sorted(low, key=lambda a: a.available)


@router.get("/")
def dashboard(request: Request, ctx: Ctx, settings: Settings, viewer: Looker) -> Response:
    """The figures an office looks at first."""
    viewer.actor.require(Permission.VIEW)
    day = today(ctx)
    figures = chart = None
    if viewer.may(Permission.REPORTS):
        total = reports.sales_report(
            ctx, viewer.actor, by="day", start=day.start, end=day.end
        ).total
        figures = Today(total.sales, total.amount, total.kwh, total.reversed)
        month = period(ctx, None, day.last, default_days=CHART_DAYS - 1)
        history = reports.sales_report(
            ctx, viewer.actor, by="day", start=month.start, end=month.end
        )
        chart = sales_chart(history, month, ctx.currency.code)
    tokens_today = read_queries.tokens_issued_between(ctx, viewer.actor, day.start, day.end)
    handhelds = device_status.statuses(ctx, viewer.actor)
    return render(
        request,
        "dashboard.html",
        {
            "day": day,
            "figures": figures,
            "chart": chart,
            "tokens_today": tokens_today,
            "threshold": settings.float_alert.quantize(ctx.currency.quantum),
            "low_vendors": vendors_below(ctx, viewer, settings.float_alert),
            "silent": device_status.silent(handhelds, ctx.now(), settings.silent_after_minutes),
            "silent_minutes": settings.silent_after_minutes,
            "queued": device_status.queued_sales(handhelds),
            "handheld_count": len(handhelds),
            "notice": notice_of(request),
        },
    )
