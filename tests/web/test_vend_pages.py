"""Selling at the counter through the pages: quote, confirm, receipt, reprint; the meter
simulator takes the token from the receipt page."""

import re
from decimal import Decimal

from host.meter_sim import MeterSim
from server import demo
from server.services import agents
from tests.web.browsing import csrf_of, send_form
from tests.web.pages_html import text_of, tokens_on
from tests.web.world import METER, METER_1993


def demo_meter_sim(
    pan: str, *, krn: int = 2, base: int = 2014, vk: bytes = demo.TEST_VENDING_KEY_2
) -> MeterSim:
    return MeterSim.create(pan=pan, kt=2, sgc=demo.SGC, ti=1, krn=krn, vk=vk, dkga=2, base=base)


def _quote(client, meter=METER, amount="20.00", agent="AG001"):
    return send_form(
        client, "/vend", "/vend/quote", {"meter": meter, "amount": amount, "agent": agent}
    )


def _confirm_form(quote_html: str) -> dict[str, str]:
    form = quote_html.split('action="/vend/confirm"')[1]
    return dict(re.findall(r'name="([a-z_]+)" value="([^"]*)"', form))


def test_the_quote_shows_the_split_and_the_customer(as_role):
    page = _quote(as_role("cara"))
    assert page.status_code == 200
    assert text_of(page.text, "quote-customer") == "Amina Okafor"
    assert text_of(page.text, "quote-amount") == "20.00 USD"
    assert text_of(page.text, "quote-kwh").endswith("kWh")
    assert Decimal(text_of(page.text, "quote-tax")) > 0


def test_confirming_sells_once_and_shows_a_receipt_whose_token_the_meter_accepts(as_role, world):
    cara = as_role("cara")
    quote = _quote(cara)
    form = _confirm_form(quote.text)
    sold = cara.post("/vend/confirm", data=form, follow_redirects=False)
    assert sold.status_code == 303
    receipt = cara.get(sold.headers["location"])
    assert receipt.status_code == 200
    tokens = tokens_on(receipt.text)
    assert len(tokens) == 1
    meter = demo_meter_sim(METER)
    assert meter.enter(tokens[0]).name == "Accept"
    assert f"{meter.credit} kWh" == text_of(receipt.text, "receipt-kwh")
    # The token is shown in groups of four, as people type it.
    assert " ".join(tokens[0][i : i + 4] for i in range(0, 20, 4)) in receipt.text
    # Sending the confirm form again (a double click) gives the same sale, not a second one.
    again = cara.post("/vend/confirm", data=form, follow_redirects=False)
    assert again.headers["location"] == sold.headers["location"]
    assert agents.get_agent(world.ctx, demo.SYSTEM, "AG001").balance == Decimal("4980.00")


def test_a_1993_meter_gets_its_key_change_tokens_first_and_the_meter_takes_all(as_admin):
    quote = _quote(as_admin, meter=METER_1993, amount="15.00")
    assert "needs 2 key change tokens first" in quote.text
    sold = as_admin.post("/vend/confirm", data=_confirm_form(quote.text))
    tokens = tokens_on(sold.text)
    assert len(tokens) == 3
    assert "Enter the tokens in this order." in sold.text
    meter = MeterSim.create(
        pan=METER_1993, kt=2, sgc=demo.SGC, ti=1, krn=1, vk=demo.TEST_VENDING_KEY, dkga=2,
        base=1993, manufactured_tid=0xFFFF00,
    )  # fmt: skip
    assert [meter.enter(t).name for t in tokens] == ["1st key change accepted", "Accept", "Accept"]


def test_a_mistyped_meter_number_is_refused_with_the_digit_expected(as_admin):
    typo = METER[:-1] + str((int(METER[-1]) + 1) % 10)
    page = _quote(as_admin, meter=typo)
    assert page.status_code == 422
    assert f"check digit should be {METER[-1]}" in page.text
    assert f'value="{typo}"' in page.text  # what was typed stays in the form


def test_a_sale_beyond_the_float_is_refused_and_nothing_is_sold(as_admin, world):
    quote = _quote(as_admin, amount="99999.00", agent="AG002")
    answer = as_admin.post("/vend/confirm", data=_confirm_form(quote.text))
    assert answer.status_code == 409
    assert "does not cover" in answer.text
    assert agents.get_agent(world.ctx, demo.SYSTEM, "AG002").balance == Decimal("1000.00")


def test_the_meter_check_names_the_customer_or_the_problem(as_role):
    cara = as_role("cara")
    good = cara.get(f"/vend/meter-check?number={METER}").json()
    assert good == {
        "ok": True,
        "meter": METER,
        "state": "active",
        "customer": "Amina Okafor",
        "account": "C-1001",
        "tariff": "residential",
        "key_change_due": False,
        "message": "",
    }
    typo = cara.get("/vend/meter-check?number=600727999999999999").json()
    assert typo["ok"] is False and "check digit" in typo["message"]
    unknown = cara.get(f"/vend/meter-check?number={demo.pan(99)}").json()
    assert unknown == {"ok": False, "message": f"meter {demo.pan(99)} is not registered"}


def test_a_receipt_is_reprinted_from_the_meter_history(as_admin):
    quote = _quote(as_admin)
    sold = as_admin.post("/vend/confirm", data=_confirm_form(quote.text), follow_redirects=False)
    receipt_no = sold.headers["location"].split("/")[2].split("?")[0]
    history = as_admin.get(f"/meters/{METER}")
    assert f'href="/receipts/{receipt_no}"' in history.text
    reprint = as_admin.get(f"/receipts/{receipt_no}?paper=80mm")
    assert 'href="/static/receipt-80mm.css"' in reprint.text
    assert tokens_on(reprint.text) == tokens_on(as_admin.get(sold.headers["location"]).text)


def test_finding_a_receipt_by_number_checks_its_digit(as_admin):
    answer = as_admin.get("/receipts?no=00000019", follow_redirects=False)
    assert answer.status_code == 422
    assert "check digit should be" in answer.text


def test_the_receipt_page_has_print_styles_for_a4_and_80mm(client):
    for paper, size in (("a4", "size: A4"), ("80mm", "size: 80mm")):
        css = client.get(f"/static/receipt-{paper}.css")
        assert css.status_code == 200
        assert "@media print" in css.text and size in css.text
    assert "@media print" in client.get("/static/gridvend.css").text


def test_confirming_without_a_session_goes_to_the_login(client):
    answer = client.post("/vend/confirm", data={"csrf_token": "x"}, follow_redirects=False)
    assert answer.status_code == 303


def test_a_request_id_reused_for_another_sale_is_refused(as_admin):
    form = _confirm_form(_quote(as_admin).text)
    as_admin.post("/vend/confirm", data=form)
    changed = {**form, "amount": "25.00", "csrf_token": csrf_of(as_admin.get("/vend").text)}
    answer = as_admin.post("/vend/confirm", data=changed)
    assert answer.status_code == 409
    assert "already used for a different sale" in answer.text
