"""The sales charts the dashboard and the reports draw, from the sales report service."""

from decimal import Decimal

from server.services.reports import SalesReport
from server.web.charts import Chart, column_chart
from server.web.periods import Period


def daily_points(
    report: SalesReport, days: Period, field: str = "amount"
) -> list[tuple[str, Decimal]]:
    """(day label, value) for every day of the period, zero where nothing was sold."""
    by_day = {row.key: getattr(row, field) for row in report.rows}
    return [(f"{d:%d %b}", by_day.get(d.isoformat(), Decimal(0))) for d in days.days]


def sales_chart(report: SalesReport, days: Period, currency: str) -> Chart:
    """Sales per day over `days` as columns (one vendor's when the report is about one)."""
    whose = f", {report.agent}" if report.agent else ""
    return column_chart(
        daily_points(report, days),
        title=f"Sales per day{whose}, {days.first:%d %b} to {days.last:%d %b %Y} ({currency})",
        unit=currency,
        label_every=max(1, len(days.days) // 8),
    )
