"""The operator pages in a real browser: headless Chromium driven by Selenium, against the
server on a free port of 127.0.0.1 with a temporary SQLite database holding the demo data
and thirty days of sales.

Screenshots go to build/screenshots (or $GRIDVEND_SCREENSHOT_DIR, e.g. docs/screenshots).
"""

import csv
import io
import random
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from host.meter_sim import MeterSim
from server import demo
from server.api.app import create_app
from server.domain.tariffs import Block
from server.link.device_secrets import DeviceSecrets
from server.link.envelope import Envelope
from server.link.processor import LinkProcessor
from server.services import agents, customers, devices, engineering, meters, tariffs, totp, vending
from server.services.vending import VendRequest
from server.web.settings import WebSettings
from tests.web import chromium
from tests.web import world as demo_world
from tests.web.in_browser import (
    PHONE,
    log_in,
    pdf_pages,
    shot,
    shot_of,
    submit,
    text,
    tokens_fit_the_receipt,
    wait_for,
)
from tests.web.live_server import serving
from tests.web.world import METER

pytestmark = pytest.mark.skipif(chromium.missing() is not None, reason=str(chromium.missing()))

XSS_NAME = "<script>alert('xss')</script>"


class ShiftableClock:
    """The real time, moved back by `offset` while history is being made."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) - self.offset


def _history(world: demo_world.World, clock: ShiftableClock) -> None:
    """Thirty days of counter sales from both vendors, an engineering token, a customer
    whose name is a script."""
    ctx, rng = world.ctx, random.Random(7)
    clock.offset = timedelta(days=30, hours=2)
    agents.topup(ctx, demo.SYSTEM, "AG001", 200_000, "month's float")
    n = 0
    for day in range(29, -1, -1):
        clock.offset = timedelta(days=day, hours=2)
        for _ in range(rng.randint(2, 6)):
            n += 1
            meter = rng.choice([demo.pan(1), demo.pan(2), demo.pan(3)])
            agent = rng.choice(["AG001", "AG001", "AG002"])
            vending.vend(
                ctx, demo.SYSTEM, VendRequest(f"h-{n}", meter, rng.randint(5, 40) * 100, agent)
            )
            clock.offset -= timedelta(minutes=3)
    clock.offset = timedelta(hours=1)
    engineering.issue(ctx, demo.SYSTEM, demo.pan(3), "clear_tamper", reason="cover refitted")
    customers.add_customer(ctx, demo.SYSTEM, account_no="C-6666", name=XSS_NAME, address="")
    meters.add_meter(
        ctx,
        demo.SYSTEM,
        number=demo.pan(66),
        sgc=demo.SGC,
        tariff="residential",
        customer_account="C-6666",
    )
    clock.offset = timedelta(0)


@dataclass
class Live:
    """The running server: its URL, its world and clock, and its device secrets."""

    base: str
    world: demo_world.World
    clock: ShiftableClock
    secrets: DeviceSecrets

    def __iter__(self):  # tests unpack (base, world)
        return iter((self.base, self.world))


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """A server with the demo data and a month of history."""
    clock = ShiftableClock()
    clock.offset = timedelta(days=31)
    folder = tmp_path_factory.mktemp("chromium-world")
    template = demo_world.build_template(folder, clock)
    world = demo_world.copy_of(template, folder, clock)
    _history(world, clock)
    secrets = DeviceSecrets(template.master_key)
    app = create_app(world.ctx)
    app.state.web_settings = WebSettings()
    app.state.link_processor = LinkProcessor(world.ctx, secrets)
    try:
        with serving(app) as base:
            yield Live(base, world, clock, secrets)
    finally:
        world.ctx.dispose()


@pytest.fixture(scope="module")
def driver():
    with chromium.browser() as opened:
        yield opened


@pytest.fixture
def browser(driver):
    """The module's browser, logged out, at desktop size."""
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    driver.delete_all_cookies()
    return driver


def test_logging_in_opens_the_dashboard_with_todays_figures_and_the_chart(browser, live):
    base, _ = live
    browser.get(f"{base}/")
    assert "/login" in browser.current_url
    log_in(browser, base, "admin")
    assert browser.title.startswith("Dashboard")
    assert int(text(browser, "#sales-today")) >= 2
    bars = browser.find_elements("css selector", "figure.chart svg rect.bar")
    assert len(bars) == 30
    assert sum(1 for bar in bars if float(bar.get_attribute("height")) > 0) >= 28
    shot(browser, "dashboard")


def test_vend_at_the_counter_and_the_meter_takes_the_token_on_the_receipt(browser, live):
    base, world = live
    log_in(browser, base, "cara")
    browser.get(f"{base}/vend")
    assert not browser.find_element("id", "meter-owner").is_displayed()
    field = browser.find_element("id", "meter")
    typo = METER[:-1] + str((int(METER[-1]) + 3) % 10)
    field.send_keys(typo[:10])
    assert text(browser, "#meter-check") == "10 of 18 digits"
    field.send_keys(typo[10:])
    wait_for(browser, lambda d: "check digit should be" in text(d, "#meter-check"))
    assert (
        text(browser, "#meter-check") == f"check digit should be {METER[-1]}; is a digit mistyped?"
    )
    assert field.get_attribute("aria-invalid") == "true"
    field.clear()
    field.send_keys(" ".join(METER[i : i + 4] for i in range(0, 18, 4)))  # as printed on a meter
    wait_for(browser, lambda d: d.find_element("id", "owner-name").text == "Amina Okafor")
    assert text(browser, "#owner-account") == "C-1001"
    browser.find_element("id", "amount").send_keys("25.00")
    submit(browser, "#get-quote")
    wait_for(browser, lambda d: d.title.startswith("Quote"))
    assert text(browser, "#quote-amount") == "25.00 USD"
    kwh = text(browser, "#quote-kwh")
    submit(browser, "#confirm-sale")
    wait_for(browser, lambda d: "/receipts/" in d.current_url)
    shown = [t.text for t in browser.find_elements("css selector", "#receipt .token")]
    assert len(shown) == 1 and re.fullmatch(r"(\d{4} ){4}\d{4}", shown[0])
    assert text(browser, "#receipt-kwh") == kwh
    assert tokens_fit_the_receipt(browser)
    shot(browser, "receipt")
    meter = MeterSim.create(
        pan=METER, kt=2, sgc=demo.SGC, ti=1, krn=2, vk=demo.TEST_VENDING_KEY_2, dkga=2, base=2014
    )
    assert meter.enter(shown[0].replace(" ", "")).name == "Accept"
    assert f"{meter.credit} kWh" == kwh
    # The same receipt reprinted from the meter's history shows the same token.
    receipt_no = text(browser, "#receipt-no")
    browser.get(f"{base}/meters/{METER}")
    browser.find_element("link text", receipt_no).click()
    wait_for(browser, lambda d: d.current_url.endswith(f"/receipts/{receipt_no}"))
    assert [t.text for t in browser.find_elements("css selector", "#receipt .token")] == shown


def test_the_receipt_prints_on_one_a4_page_and_one_80mm_slip(browser, live):
    base, world = live
    log_in(browser, base, "admin")
    receipt = vending.vend(
        world.ctx, demo.SYSTEM, VendRequest("print-4", demo.pan(4), 3000, agent_code="AG001")
    )  # the 1993 meter: two key change tokens and a credit, the longest receipt there is
    browser.get(f"{base}/receipts/{receipt.receipt_no}")
    assert len(browser.find_elements("css selector", "#receipt .token")) == 3
    assert pdf_pages(browser, 21.0, 29.7) == 1
    browser.get(f"{base}/receipts/{receipt.receipt_no}?paper=80mm")
    assert pdf_pages(browser, 8.0, 20.0) == 1
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        assert browser.find_element("css selector", "header.top").is_displayed() is False
        token_px = browser.execute_script(
            "const token = document.querySelector('#receipt .token');"
            "return parseFloat(getComputedStyle(token).fontSize);"
        )
        width_px = browser.execute_script("return document.querySelector('#receipt').offsetWidth")
        assert token_px >= 15 and width_px <= 80 / 25.4 * 96 + 1  # 13 pt tokens on 80 mm paper
        assert tokens_fit_the_receipt(browser)
        assert "Keep this slip" in text(browser, "#receipt footer")
        shot_of(browser, "#receipt", "receipt-80mm-print")
        browser.get(f"{base}/receipts/{receipt.receipt_no}?paper=a4")
        assert tokens_fit_the_receipt(browser)
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})


def test_a_cashier_tops_up_a_vendor(browser, live):
    base, world = live
    before = agents.get_agent(world.ctx, demo.SYSTEM, "AG002").balance
    log_in(browser, base, "cara")
    browser.get(f"{base}/vendors/AG002")
    browser.find_element("id", "topup-amount").send_keys("150.25")
    browser.find_element("css selector", "#topup-form input[name=reference]").send_keys(
        "bank slip 42"
    )
    submit(browser, "#topup-submit")
    wait_for(browser, lambda d: "done=topup" in d.current_url)
    assert "Top-up recorded" in text(browser, ".notice")
    after = agents.get_agent(world.ctx, demo.SYSTEM, "AG002").balance
    assert after == before + Decimal("150.25")
    assert text(browser, "#vendor-balance") == f"{after:,}"
    assert "bank slip 42" in text(browser, "#statement")


def test_importing_meters_with_a_bad_row_lists_it_and_writes_nothing(browser, live, tmp_path):
    base, world = live
    rows = [
        "meter,sgc,tariff,customer",
        f"{demo.pan(501)},123456,residential,C-1001",
        f"{demo.pan(502)},123456,residential,C-9999",  # no such customer
        f"{demo.pan(503)},123456,residential,",
    ]
    upload = tmp_path / "new-meters.csv"
    upload.write_text("\n".join(rows) + "\n")
    count = len(meters.list_meters(world.ctx, demo.SYSTEM, limit=1000))
    log_in(browser, base, "admin")
    browser.get(f"{base}/imports?kind=meters")
    browser.find_element("id", "import-file").send_keys(str(upload))
    submit(browser, "#check-file")
    wait_for(browser, lambda d: d.find_elements("id", "bad-rows"))
    bad = text(browser, "#bad-rows")
    assert "1 row(s) would be refused" in bad
    assert "line 3: customer account C-9999 does not exist" in bad
    assert "Nothing has been written yet." in browser.page_source
    assert "C-9999" in text(browser, "#import-sample tr.bad")  # the refused row, marked
    assert len(meters.list_meters(world.ctx, demo.SYSTEM, limit=1000)) == count
    shot(browser, "import-preview")


def test_a_form_without_its_csrf_token_is_refused(browser, live):
    base, world = live
    before = agents.get_agent(world.ctx, demo.SYSTEM, "AG001").balance
    log_in(browser, base, "admin")
    browser.get(f"{base}/vendors/AG001")
    status = browser.execute_script(
        "const form = new FormData(document.getElementById('topup-form'));"
        "form.delete('csrf_token'); form.set('amount', '10');"
        "return fetch('/vendors/AG001/topup', {method: 'POST', body: new URLSearchParams(form)})"
        ".then(r => r.status);"
    )
    assert status == 403
    browser.execute_script("document.querySelector('#topup-form input[name=csrf_token]').remove()")
    browser.find_element("id", "topup-amount").send_keys("10")
    submit(browser, "#topup-submit")
    wait_for(browser, lambda d: d.title.startswith("Not allowed"))
    assert "no CSRF token" in text(browser, "p.error")
    assert agents.get_agent(world.ctx, demo.SYSTEM, "AG001").balance == before


def test_a_cashier_cannot_open_engineering_tokens(browser, live):
    base, _ = live
    log_in(browser, base, "cara")
    links = [a.text for a in browser.find_elements("css selector", "header nav a")]
    assert "Vend" in links and "Engineering" not in links and "Operators" not in links
    browser.get(f"{base}/engineering")
    assert browser.title.startswith("Not allowed")
    assert text(browser, "p.error") == "role cashier may not engineering"
    browser.get(f"{base}/operators")
    assert browser.title.startswith("Not allowed")


def test_a_customer_named_like_a_script_is_shown_as_text(browser, live):
    from selenium.common.exceptions import NoAlertPresentException

    base, _ = live
    log_in(browser, base, "admin")
    for path in ("/customers?q=C-6666", "/customers/C-6666", f"/meters/{demo.pan(66)}", "/audit"):
        browser.get(base + path)
        with pytest.raises(NoAlertPresentException):
            browser.switch_to.alert.text  # noqa: B018 - opening the alert is the check
        assert XSS_NAME in browser.find_element("tag name", "main").text, path
    assert text(browser, "#audit-records").count(XSS_NAME) >= 1


def test_totp_second_step_from_set_up_to_login(browser, live):
    base, _ = live
    log_in(browser, base, "sam")
    browser.get(f"{base}/account")
    submit(browser, "form[action='/account/totp/start'] button")
    wait_for(browser, lambda d: d.find_elements("id", "totp-secret"))
    secret = text(browser, "#totp-secret")
    browser.find_element("css selector", "input[name=code]").send_keys(
        totp.code_at(secret, time.time())
    )
    submit(browser, "form[action='/account/totp/confirm'] button")
    wait_for(browser, lambda d: "done=totp-on" in d.current_url)
    assert text(browser, "#totp-status") == "on"
    submit(browser, "header form[action='/logout'] button")
    wait_for(browser, lambda d: "/login" in d.current_url)

    log_in(browser, base, "sam")
    assert browser.current_url.endswith("/login/code")
    browser.get(f"{base}/reports")
    assert browser.current_url.endswith("/login/code")  # no page before the code
    browser.find_element("name", "code").send_keys("000000")
    submit(browser, "form[action='/login/code'] button")
    wait_for(browser, lambda d: d.find_elements("css selector", "p.error"))
    assert "not right" in text(browser, "p.error")
    # The code of the next 30 seconds (the one used to set up is spent).
    browser.find_element("name", "code").send_keys(totp.code_at(secret, time.time() + 30))
    submit(browser, "form[action='/login/code'] button")
    wait_for(browser, lambda d: d.title.startswith("Dashboard"))


def test_the_pages_fit_a_phone_screen(browser, live):
    base, _ = live
    log_in(browser, base, "admin")
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
    for path, name in (
        ("/", "phone-dashboard"),
        ("/vend", "phone-vend"),
        (f"/meters/{METER}", None),
    ):
        browser.get(base + path)
        overflow = browser.execute_script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} is {overflow}px wider than the phone"
        if name:
            shot(browser, name)
    browser.get(f"{base}/vend")
    field = browser.find_element("id", "meter")
    assert field.size["width"] >= 300  # the form uses the phone's width


def test_a_handheld_that_stops_talking_goes_stale_on_the_dashboard(browser, live):
    base, world = live
    agents.add_device(world.ctx, demo.SYSTEM, "AG002", "HH-0042")
    issued = devices.issue_secret(world.ctx, demo.SYSTEM, "HH-0042", live.secrets)
    status = {"fw": "1.4.2", "bat": 57, "paper": "ok", "queue": 2, "heap": 40_960, "sig": 3}
    hello = Envelope("HH-0042", 1, int(time.time()), "hello", {**status, "tr": "http"})
    hello = hello.sign(bytes.fromhex(issued.secret_hex))
    assert httpx.post(f"{base}/api/v1/link", content=hello.to_wire()).status_code == 200
    log_in(browser, base, "admin")
    assert not browser.find_elements("id", "silent-handhelds")
    assert int(text(browser, "#queued")) == 2
    live.clock.offset = -timedelta(minutes=61)  # an hour passes without a word from it
    try:
        browser.get(f"{base}/")
        row = text(browser, "#silent-handhelds")
        assert "HH-0042" in row and "AG002" in row
        shot(browser, "dashboard-silent-handheld")
        browser.get(f"{base}/handhelds")
        assert "silent" in text(browser, "tr[id='HH-0042']")
        shot(browser, "handhelds")
    finally:
        live.clock.offset = timedelta(0)


def test_the_reports_page_and_its_csv_export(browser, live):
    base, world = live
    log_in(browser, base, "admin")
    browser.get(f"{base}/reports")
    assert len(browser.find_elements("css selector", "figure.chart svg")) == 2
    total = text(browser, "#total-amount")
    shot(browser, "reports")
    href = browser.find_element("id", "export-agent-csv").get_attribute("href")
    body = browser.execute_script("return fetch(arguments[0]).then(r => r.text());", href)
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][0] == "agent" and {r[0] for r in rows[1:-1]} == {"AG001", "AG002"}
    assert rows[-1][0] == "total" and f"{Decimal(rows[-1][3]):,}" == total
    browser.find_element(
        "css selector", "#report-filter select[name=vendor] option[value=AG002]"
    ).click()
    submit(browser, "#report-filter button")
    wait_for(browser, lambda d: "vendor=AG002" in d.current_url)
    assert "AG001" not in text(browser, "#sales-by-vendor")


def test_edit_a_customer_change_the_meters_tariff_and_see_both_on_the_meter_page(browser, live):
    base, world = live
    tariffs.add_tariff(
        world.ctx, demo.SYSTEM, name="small business", blocks=(Block(None, Decimal("0.30")),)
    )
    meter = demo.pan(3)  # Wanjiru Kamau's (C-1003)
    log_in(browser, base, "admin")
    browser.get(f"{base}/customers/C-1003")
    name = browser.find_element("id", "edit-name")
    name.clear()
    name.send_keys("Wanjiru Kamau-Otieno")
    phone = browser.find_element("id", "edit-phone")
    phone.clear()
    phone.send_keys("+254 700 123456")
    submit(browser, "#save-customer")
    wait_for(browser, lambda d: "done=customer-updated" in d.current_url)
    assert "Customer details saved." in text(browser, ".notice")
    assert text(browser, "#customer-name").startswith("Wanjiru Kamau-Otieno")
    browser.find_element("link text", meter).click()
    wait_for(browser, lambda d: d.current_url.endswith(f"/meters/{meter}"))
    browser.find_element("css selector", "#tariff-choice option[value='small business']").click()
    browser.find_element("css selector", "#change-tariff input[name=reason]").send_keys(
        "shop in the front room"
    )
    submit(browser, "#save-tariff")
    wait_for(browser, lambda d: "done=meter-tariff" in d.current_url)
    assert "Tariff changed" in text(browser, ".notice")
    assert text(browser, "#meter-tariff") == "small business"
    assert text(browser, "#meter-customer") == "Wanjiru Kamau-Otieno (C-1003)"
    shot(browser, "meter")
    view = meters.show_meter(world.ctx, demo.SYSTEM, meter)
    assert (view.tariff, view.customer_name) == ("small business", "Wanjiru Kamau-Otieno")
    assert customers.get_customer(world.ctx, demo.SYSTEM, "C-1003").phone == "+254 700 123456"
