"""Whatever people type is shown as text: a customer named like a script never runs."""

import re

import pytest

from server import demo
from server.services import customers, meters, vending
from server.services.vending import VendRequest
from tests.web.browsing import csrf_of, send_form
from tests.web.world import METER

PROBES = (
    "<script>alert('xss')</script>",
    '"><img src=x onerror=alert(1)>',
)


@pytest.fixture
def probed(world):
    """A customer (and a meter, a sale, a vendor) whose names are script probes."""
    ctx = world.ctx
    customers.add_customer(
        ctx, demo.SYSTEM, account_no="X<1>", name=PROBES[0], address=PROBES[1], phone=""
    )
    probe_meter = demo.pan(77)
    meters.add_meter(
        ctx,
        demo.SYSTEM,
        number=probe_meter,
        sgc=demo.SGC,
        tariff="residential",
        customer_account="X<1>",
    )
    receipt = vending.vend(
        ctx, demo.SYSTEM, VendRequest("xss-1", probe_meter, 1000, agent_code="AG001")
    )
    return probe_meter, receipt.receipt_no


def _assert_escaped(html: str) -> None:
    for probe in PROBES:
        assert probe not in html
    assert "<img" not in html  # no page shows images: this one could only come from input
    for tag in re.findall(r"<script[^>]*>", html):  # the only scripts are the pages' own files
        assert re.fullmatch(r'<script src="/static/[a-z-]+\.js">', tag), tag


def test_a_script_in_a_customer_name_is_shown_as_text_on_every_page(as_admin, probed):
    probe_meter, receipt_no = probed
    pages = [
        "/customers",
        "/customers?q=script",
        "/customers/X%3C1%3E",
        "/meters",
        f"/meters/{probe_meter}",
        f"/receipts/{receipt_no}",
        "/audit",
        "/reports",
    ]
    for path in pages:
        page = as_admin.get(path)
        assert page.status_code == 200, path
        _assert_escaped(page.text)
    shown = as_admin.get("/customers/X%3C1%3E").text
    assert "&lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt;" in shown
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in shown


def test_the_vend_quote_and_meter_check_keep_the_name_as_data(as_admin, probed):
    probe_meter, _ = probed
    page = as_admin.get("/vend")
    quote = as_admin.post(
        "/vend/quote",
        data={
            "meter": probe_meter,
            "amount": "5",
            "agent": "AG001",
            "csrf_token": csrf_of(page.text),
        },
    )
    _assert_escaped(quote.text)
    answer = as_admin.get(f"/vend/meter-check?number={probe_meter}")
    assert answer.headers["content-type"] == "application/json"
    assert answer.json()["customer"] == PROBES[0]  # JSON, put on the page with textContent


def test_typed_search_text_is_escaped_when_shown_back(as_admin):
    page = as_admin.get("/meters?q=%3Cscript%3Ealert(1)%3C/script%3E")
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


def test_a_form_refusal_quoting_input_is_escaped(as_admin):
    page = send_form(
        as_admin, "/vendors", "/vendors", {"code": "<b>bad</b>", "name": "x", "credit_limit": ""}
    )
    assert page.status_code == 422
    assert "<b>bad</b>" not in page.text and "&lt;b&gt;bad&lt;/b&gt;" in page.text


def test_pages_forbid_inline_scripts_by_policy(as_admin):
    policy = as_admin.get(f"/meters/{METER}").headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
