"""Reports: sales by vendor and by day with charts, tax collected, debt recovered,
engineering tokens issued; CSV and Excel export; filters by period and vendor."""

from collections import Counter

from fastapi import Request
from fastapi.responses import Response

from server.domain.errors import InvalidInput
from server.domain.roles import Permission
from server.services import agents, report_export, reports
from server.web import read_queries
from server.web.access import Ctx, Looker
from server.web.charts import row_chart
from server.web.periods import Period, parse_day, period
from server.web.rendering import render
from server.web.routing import page_router
from server.web.sales_charts import sales_chart

router = page_router()
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _period(ctx: Ctx, start: str, end: str) -> Period:
    return period(ctx, parse_day(start, "from"), parse_day(end, "to"), default_days=29)


def _vendor(text: str) -> str | None:
    """The vendor filter as the report service takes it: None for all vendors."""
    return text.strip()[:32] or None


@router.get("/reports")
def report_page(
    request: Request, ctx: Ctx, viewer: Looker, start: str = "", end: str = "", vendor: str = ""
) -> Response:
    """The period's figures, by vendor and by day, with charts and export links; all
    vendors, or the one chosen."""
    viewer.actor.require(Permission.REPORTS)
    days = _period(ctx, start, end)
    agent = _vendor(vendor)
    by_agent = reports.sales_report(
        ctx, viewer.actor, by="agent", start=days.start, end=days.end, agent_code=agent
    )
    by_day = reports.sales_report(
        ctx, viewer.actor, by="day", start=days.start, end=days.end, agent_code=agent
    )
    orders = read_queries.engineering_orders_between(ctx, viewer.actor, days.start, days.end)
    currency = ctx.currency.code
    day_chart = sales_chart(by_day, days, currency)
    return render(
        request,
        "reports.html",
        {
            "days": days,
            "vendor": agent or "",
            "vendors": [a.code for a in agents.list_agents(ctx, viewer.actor, limit=500)],
            "by_agent": by_agent,
            "by_day": by_day,
            "totals": by_agent.total,
            "day_chart": day_chart,
            "vendor_chart": row_chart(
                [(r.key, r.amount) for r in by_agent.rows],
                title=f"Sales per vendor ({currency})",
                unit=currency,
            ),
            "orders": orders,
            "orders_by_kind": sorted(Counter(o.kind for o in orders).items()),
            "engineering_tokens": sum(o.tokens for o in orders),
            "query": {
                "start": days.first.isoformat(),
                "end": days.last.isoformat(),
                "vendor": agent or "",
            },
        },
    )


@router.get("/reports/export")
def export(
    ctx: Ctx,
    viewer: Looker,
    by: str = "agent",
    format: str = "csv",
    start: str = "",
    end: str = "",
    vendor: str = "",
) -> Response:
    """The sales report (by vendor or by day, all vendors or one) as a CSV or Excel file."""
    viewer.actor.require(Permission.REPORTS)
    if format not in FORMATS:
        raise InvalidInput("invalid_format", f"format {format!r}: expected csv or xlsx")
    days = _period(ctx, start, end)
    agent = _vendor(vendor)
    report = reports.sales_report(
        ctx, viewer.actor, by=by, start=days.start, end=days.end, agent_code=agent
    )
    body: str | bytes = (
        report_export.to_csv(report) if format == "csv" else report_export.to_xlsx(report)
    )
    name = report_export.file_name(report, ctx.timezone)
    return Response(
        body,
        media_type=FORMATS[format],
        headers={"Content-Disposition": f'attachment; filename="{name}.{format}"'},
    )
