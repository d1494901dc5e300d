"""Writing a sales report as CSV or Excel, and the name to save it under."""

import csv
import io
from datetime import timedelta, tzinfo

from openpyxl import Workbook

from server.services.reports import SalesReport

HEADERS = (
    "sales",
    "reversed",
    "amount",
    "tax",
    "fixed_charge",
    "debt_recovered",
    "energy_amount",
    "kwh",
)


def _lines(report: SalesReport) -> list[list[object]]:
    lines: list[list[object]] = [[report.by, *HEADERS]]
    for row in (*report.rows, report.total):
        lines.append([row.key, *(getattr(row, h) for h in HEADERS)])
    return lines


def to_csv(report: SalesReport) -> str:
    """The report as CSV text, a header row first and the total last."""
    out = io.StringIO()
    writer = csv.writer(out)
    for line in _lines(report):
        writer.writerow([str(v) for v in line])
    return out.getvalue()


def to_xlsx(report: SalesReport) -> bytes:
    """The report as an Excel workbook (numbers as numbers, amounts with 2 decimals)."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = f"sales by {report.by}"
    for line in _lines(report):
        sheet.append([v if isinstance(v, str | int) else float(v) for v in line])  # type: ignore[arg-type]
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def file_name(report: SalesReport, timezone: tzinfo) -> str:
    """sales-by-day-2025-03-01-to-2025-03-31, and -AG001 for one vendor's (no extension)."""
    first = report.start.astimezone(timezone).date()
    last = (report.end.astimezone(timezone) - timedelta(days=1)).date()
    name = f"sales-by-{report.by}-{first.isoformat()}-to-{last.isoformat()}"
    if report.agent:
        name += "-" + "".join(
            ch for ch in report.agent if ch.isascii() and (ch.isalnum() or ch in "-_")
        )
    return name
