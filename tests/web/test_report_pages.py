"""Reports through the pages: figures from the sales report service, charts, exports."""

import csv
import io
from datetime import timedelta

from openpyxl import load_workbook

from server import demo
from server.services import engineering, vending
from server.services.vending import VendRequest
from tests.web.pages_html import text_of
from tests.web.world import METER, METER_OWING


def _sell(world, clock, n: int, meter: str, amount: int, agent: str) -> None:
    vending.vend(world.ctx, demo.SYSTEM, VendRequest(f"r-{n}", meter, amount, agent_code=agent))
    clock.advance(minutes=1)


def _week_of_sales(world, clock) -> None:
    clock.advance(days=-3)
    _sell(world, clock, 1, METER, 1000, "AG001")
    clock.advance(days=1)
    _sell(world, clock, 2, METER_OWING, 2000, "AG002")
    _sell(world, clock, 3, METER, 500, "AG001")
    clock.advance(days=2)


def test_the_totals_tax_and_debt_are_the_services_figures(as_admin, world, clock):
    _week_of_sales(world, clock)
    engineering.issue(world.ctx, demo.SYSTEM, METER, "clear_tamper", reason="cover refitted")
    page = as_admin.get("/reports").text
    assert text_of(page, "total-sales") == "3"
    assert text_of(page, "total-amount") == "35.00"
    assert text_of(page, "engineering-count") == "1"
    vendors = text_of(page, "sales-by-vendor")
    assert "AG001 2 0 15.00" in vendors and "AG002 1 0 20.00" in vendors
    assert float(text_of(page, "total-debt")) > 0  # Kofi's arrears were partly recovered
    assert "clear_tamper" in text_of(page, "engineering-orders")
    assert page.count('<rect class="bar"') >= 2 + 30  # two vendors, thirty days


def test_the_vendor_filter_keeps_one_vendor_by_vendor_and_by_day(as_admin, world, clock):
    _week_of_sales(world, clock)
    page = as_admin.get("/reports?vendor=AG001").text
    assert text_of(page, "total-amount") == "15.00"
    assert "AG002" not in text_of(page, "sales-by-vendor")
    days = text_of(page, "sales-by-day")
    assert "2025-03-11 1 0 10.00" in days and "2025-03-12 1 0 5.00" in days
    assert "20.00" not in days  # AG002's sale of the 12th is not counted
    assert "Sales per day, AG001" in page  # the chart says whose sales it draws
    assert "Not available yet" not in page
    everyone = text_of(as_admin.get("/reports").text, "sales-by-day")
    assert "2025-03-12 2 0 25.00" in everyone


def test_an_unknown_vendor_is_refused_clearly(as_admin):
    page = as_admin.get("/reports?vendor=NOBODY")
    assert page.status_code == 404 and "agent NOBODY does not exist" in page.text


def test_the_csv_export_is_the_report_as_shown(as_admin, world, clock):
    _week_of_sales(world, clock)
    answer = as_admin.get("/reports/export?by=agent&format=csv")
    assert answer.headers["content-type"].startswith("text/csv")
    assert (
        'filename="sales-by-agent-2025-02-13-to-2025-03-14.csv"'
        in answer.headers["content-disposition"]
    )
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert rows[0][:4] == ["agent", "sales", "reversed", "amount"]
    assert rows[1][:4] == ["AG001", "2", "0", "15.00"]
    assert rows[-1][:4] == ["total", "3", "0", "35.00"]


def test_the_excel_export_by_day_has_a_row_per_day_with_sales(as_admin, world, clock):
    _week_of_sales(world, clock)
    start = (clock.now - timedelta(days=10)).date().isoformat()
    answer = as_admin.get(f"/reports/export?by=day&format=xlsx&start={start}")
    book = load_workbook(io.BytesIO(answer.content))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][0] == "day"
    assert [r[1] for r in rows[1:-1]] == [1, 2]
    assert rows[-1][0] == "total" and rows[-1][3] == 35.0


def test_a_by_day_export_for_one_vendor_has_only_its_sales(as_admin, world, clock):
    _week_of_sales(world, clock)
    answer = as_admin.get("/reports/export?by=day&format=csv&vendor=AG002")
    assert answer.status_code == 200
    assert (
        'filename="sales-by-day-2025-02-13-to-2025-03-14-AG002.csv"'
        in answer.headers["content-disposition"]
    )
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert rows[1][:4] == ["2025-03-12", "1", "0", "20.00"]
    assert rows[-1][:4] == ["total", "1", "0", "20.00"] and len(rows) == 3
    book = load_workbook(
        io.BytesIO(as_admin.get("/reports/export?by=day&format=xlsx&vendor=AG001").content)
    )
    assert [r[:2] for r in book.active.iter_rows(values_only=True)][1:] == [
        ("2025-03-11", 1),
        ("2025-03-12", 1),
        ("total", 2),
    ]


def test_a_period_ending_before_it_starts_is_refused(as_admin):
    answer = as_admin.get("/reports?start=2025-03-10&end=2025-03-01")
    assert answer.status_code == 422 and "before it starts" in answer.text


def test_the_dashboard_counts_today_and_lists_vendors_low_on_float(as_admin, world, clock):
    _sell(world, clock, 1, METER, 1000, "AG001")
    _sell(world, clock, 2, demo.pan(4), 1000, "AG001")  # two key change tokens and a credit
    page = as_admin.get("/").text
    assert text_of(page, "sales-today") == "2"
    assert text_of(page, "amount-today") == "20.00"
    assert text_of(page, "tokens-today") == "4"
    assert "Every active vendor has at least 100.00 USD" in page
    vending.vend(world.ctx, demo.SYSTEM, VendRequest("big", METER, 490_000, agent_code="AG001"))
    low = text_of(as_admin.get("/").text, "low-vendors")
    assert "AG001" in low and "AG002" not in low
