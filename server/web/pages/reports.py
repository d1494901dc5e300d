"""Reports: sales by vendor and by day with charts, tax collected, debt recovered,
engineering tokens issued; CSV and Excel export; filters by period and vendor."""

from collections import Counter
from dataclasses import replace
from decimal import Decimal

from fastapi import Request
from fastapi.responses import Response

from server.domain.errors import InvalidInput
from server.domain.roles import Permission
from server.services import agents, report_export, reports
from server.services.reports import SalesReport, SalesRow
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
NO_DAILY_FOR_ONE_VENDOR = (
    "sales by day for one vendor: the sales report service sums all vendors' sales by day "
    "and has no vendor filter yet"
)


def _period(ctx: Ctx, start: str, end: str) -> Period:
    return period(ctx, parse_day(start, "from"), parse_day(end, "to"), default_days=29)


def for_vendor(report: SalesReport, vendor: str, zero: Decimal) -> SalesReport:
    """A by-vendor report cut down to one vendor (its row is then also the total)."""
    rows = tuple(r for r in report.rows if r.key == vendor)
    if rows:
        total = replace(rows[0], key="total")
    else:
        total = SalesRow("total", 0, 0, zero, zero, zero, zero, zero, Decimal("0.0"))
    return replace(report, rows=rows, total=total)


@router.get("/reports")
def report_page(
    request: Request, ctx: Ctx, viewer: Looker, start: str = "", end: str = "", vendor: str = ""
) -> Response:
    """The period's figures, by vendor and by day, with charts and export links."""
    viewer.actor.require(Permission.REPORTS)
    days = _period(ctx, start, end)
    vendor = vendor.strip()[:32]
    by_agent = reports.sales_report(ctx, viewer.actor, by="agent", start=days.start, end=days.end)
    if vendor:
        by_agent = for_vendor(by_agent, vendor, ctx.currency.to_decimal(0))
    by_day = None
    if not vendor:
        by_day = reports.sales_report(ctx, viewer.actor, by="day", start=days.start, end=days.end)
    orders = read_queries.engineering_orders_between(ctx, viewer.actor, days.start, days.end)
    currency = ctx.currency.code
    return render(
        request,
        "reports.html",
        {
            "days": days,
            "vendor": vendor,
            "vendors": [a.code for a in agents.list_agents(ctx, viewer.actor, limit=500)],
            "by_agent": by_agent,
            "by_day": by_day,
            "totals": by_agent.total,
            "day_chart": sales_chart(by_day, days, currency) if by_day else None,
            "vendor_chart": row_chart(
                [(r.key, r.amount) for r in by_agent.rows],
                title=f"Sales per vendor ({currency})",
                unit=currency,
            ),
            "no_daily_reason": NO_DAILY_FOR_ONE_VENDOR,
            "orders": orders,
            "orders_by_kind": sorted(Counter(o.kind for o in orders).items()),
            "engineering_tokens": sum(o.tokens for o in orders),
            "query": {
                "start": days.first.isoformat(),
                "end": days.last.isoformat(),
                "vendor": vendor,
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
    """The sales report as a CSV or Excel file."""
    viewer.actor.require(Permission.REPORTS)
    if format not in FORMATS:
        raise InvalidInput("invalid_format", f"format {format!r}: expected csv or xlsx")
    vendor = vendor.strip()[:32]
    if vendor and by == "day":
        raise InvalidInput("not_available", f"not available yet: {NO_DAILY_FOR_ONE_VENDOR}")
    days = _period(ctx, start, end)
    report = reports.sales_report(ctx, viewer.actor, by=by, start=days.start, end=days.end)
    if vendor:
        report = for_vendor(report, vendor, ctx.currency.to_decimal(0))
    body: str | bytes = (
        report_export.to_csv(report) if format == "csv" else report_export.to_xlsx(report)
    )
    name = f"sales-by-{report.by}-{days.first.isoformat()}-to-{days.last.isoformat()}"
    if vendor:
        name += f"-{''.join(ch for ch in vendor if ch.isalnum() or ch in '-_')}"
    return Response(
        body,
        media_type=FORMATS[format],
        headers={"Content-Disposition": f'attachment; filename="{name}.{format}"'},
    )
