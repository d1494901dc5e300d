"""Vendors through the pages: float, top-up, adjustment, limit, status, handhelds, statement."""

from decimal import Decimal

from server import demo
from server.services import agents
from tests.web.browsing import send_form
from tests.web.pages_html import text_of


def _float(world, code="AG001") -> Decimal:
    return agents.get_agent(world.ctx, demo.SYSTEM, code).balance


def test_a_cashier_tops_up_a_vendor_and_the_statement_shows_the_running_balance(as_role, world):
    cara = as_role("cara")
    answer = send_form(
        cara, "/vendors/AG001", "/vendors/AG001/topup", {"amount": "250.50", "reference": "slip 77"}
    )
    assert answer.status_code == 200
    assert "Top-up recorded" in answer.text
    assert _float(world) == Decimal("5250.50")
    assert text_of(answer.text, "vendor-balance") == "5,250.50"
    statement = text_of(answer.text, "statement")
    assert "topup" in statement and "slip 77" in statement
    assert "250.50 5,250.50" in statement  # amount, then the running balance after it
    assert text_of(answer.text, "closing-balance") == "5,250.50"


def test_a_top_up_with_a_bad_amount_says_what_is_wrong_and_changes_nothing(as_admin, world):
    for typed, problem in (
        ("-5", "above zero"),
        ("12.345", "2 decimal places"),
        ("ten", "not a number"),
    ):
        page = send_form(as_admin, "/vendors/AG001", "/vendors/AG001/topup", {"amount": typed})
        assert page.status_code == 422, typed
        assert problem in page.text, typed
    assert _float(world) == Decimal("5000.00")


def test_an_adjustment_cannot_take_the_float_below_its_limit(as_admin, world):
    page = send_form(
        as_admin, "/vendors/AG002", "/vendors/AG002/adjust", {"amount": "-1300", "reason": "audit"}
    )
    assert page.status_code == 409
    assert "below minus its credit limit" in page.text
    ok = send_form(
        as_admin, "/vendors/AG002", "/vendors/AG002/adjust", {"amount": "-1100", "reason": "audit"}
    )
    assert "Adjustment recorded" in ok.text
    assert _float(world, "AG002") == Decimal("-100.00")


def test_a_supervisor_sets_the_limit_and_suspends_a_vendor(as_role, world):
    sam = as_role("sam")
    send_form(sam, "/vendors/AG001", "/vendors/AG001/limit", {"credit_limit": "300"})
    assert agents.get_agent(world.ctx, demo.SYSTEM, "AG001").credit_limit == Decimal("300.00")
    page = send_form(sam, "/vendors/AG001", "/vendors/AG001/status", {"status": "suspended"})
    assert text_of(page.text, "vendor-status") == "suspended"
    # A suspended vendor is no longer offered at the counter.
    assert 'value="AG001"' not in sam.get("/vend").text


def test_a_cashier_cannot_change_limits(as_role):
    cara = as_role("cara")
    page = cara.get("/vendors/AG001")
    assert 'action="/vendors/AG001/limit"' not in page.text
    refused = send_form(cara, "/vendors/AG001", "/vendors/AG001/limit", {"credit_limit": "9999"})
    assert refused.status_code == 403


def test_a_new_vendor_and_its_handheld(as_admin, world):
    page = send_form(
        as_admin,
        "/vendors",
        "/vendors",
        {"code": "AG003", "name": "Market stall", "phone": "", "credit_limit": "50"},
    )
    assert "Vendor added" in page.text
    page = send_form(
        as_admin,
        "/vendors/AG003",
        "/vendors/AG003/handhelds",
        {"name": "hh-0003", "offline_allowance": "40"},
    )
    assert "Handheld registered" in page.text
    assert "hh-0003" in text_of(page.text, "vendor-handhelds")
    listed = as_admin.get("/handhelds").text
    assert "hh-0003 (no secret yet)" in text_of(listed, "handheld-list")


def test_the_statement_period_is_chosen_by_dates(as_admin):
    page = as_admin.get("/vendors/AG001?start=2025-01-01&end=2025-01-31")
    assert "2025-01-01" in page.text and "2025-01-31" in page.text
    bad = as_admin.get("/vendors/AG001?start=yesterday")
    assert bad.status_code == 422 and "YYYY-MM-DD" in bad.text
