"""Meters, customers, tariffs and supply groups through the pages."""

from server import demo
from server.services import meters
from tests.web.browsing import send_form
from tests.web.pages_html import text_of
from tests.web.world import METER


def test_the_supply_group_page_says_which_keys_are_loaded_and_never_shows_one(as_admin):
    page = as_admin.get("/supply-groups").text
    keys = text_of(page, "group-list")
    assert "KRN 1: loaded" in keys and "KRN 2: loaded" in keys
    for secret in (demo.TEST_VENDING_KEY, demo.TEST_VENDING_KEY_2):
        assert secret.hex() not in page.lower()
        assert secret.hex().upper() not in page


def test_an_administrator_moves_a_group_to_another_key_revision(as_admin, world):
    page = send_form(
        as_admin,
        "/supply-groups",
        "/supply-groups/123456/current-key",
        {"krn": "1", "base_date": "2014"},
    )
    assert "moved to its new key" in page.text
    assert meters.show_meter(world.ctx, demo.SYSTEM, METER).key_change_due


def test_a_supervisor_cannot_move_keys(as_role):
    sam = as_role("sam")
    assert 'current-key"' not in sam.get("/supply-groups").text
    refused = send_form(sam, "/supply-groups", "/supply-groups/123456/current-key", {"krn": "1"})
    assert refused.status_code == 403


def test_a_tariff_is_added_with_blocks_and_percentages(as_admin):
    page = send_form(
        as_admin,
        "/tariffs",
        "/tariffs",
        {
            "name": "commercial",
            "blocks": "100:0.20,*:0.30",
            "vat_percent": "16",
            "fixed_monthly": "5",
            "debt_percent": "",
            "debt_cap": "",
        },
    )
    assert "Tariff added" in page.text
    row = [r for r in text_of(page.text, "tariff-list").split("commercial")][1]
    assert "100.0: 0.2000" in row and "above: 0.3000" in row and "16 %" in row


def test_a_malformed_tariff_is_refused_with_the_block_named(as_admin):
    page = send_form(as_admin, "/tariffs", "/tariffs", {"name": "broken", "blocks": "50:x"})
    assert page.status_code == 422
    assert "block 1 price" in page.text
    assert 'value="broken"' in page.text


def test_a_meter_is_registered_for_a_customer_and_then_blocked(as_admin, world):
    number = demo.pan(40)
    page = send_form(
        as_admin,
        "/meters/new",
        "/meters/new",
        {"number": number, "sgc": "123456", "tariff": "residential", "customer": "C-1002"},
    )
    assert "Meter registered" in page.text
    assert "Kofi Mensah" in page.text
    page = send_form(
        as_admin,
        f"/meters/{number}",
        f"/meters/{number}/state",
        {"state": "blocked", "reason": "tamper"},
    )
    assert text_of(page.text, "meter-state") == "blocked"
    check = as_admin.get(f"/vend/meter-check?number={number}").json()
    assert check["ok"] is False and "blocked" in check["message"]


def test_searching_meters_by_customer_name_or_grouped_number(as_admin):
    by_name = text_of(as_admin.get("/meters?q=kofi").text, "meter-list")
    assert demo.pan(2) in by_name and demo.pan(1) not in by_name
    grouped = " ".join(METER[i : i + 4] for i in range(0, 18, 4))
    assert METER in text_of(as_admin.get(f"/meters?q={grouped}").text, "meter-list")


def test_a_customer_is_added_and_their_arrears_changed(as_admin):
    page = send_form(
        as_admin,
        "/customers/new",
        "/customers/new",
        {"account_no": "C-3001", "name": "Ama Owusu", "address": "", "phone": "", "debt": "10"},
    )
    assert "Customer added" in page.text
    assert text_of(page.text, "customer-debt") == "10.00 USD"
    page = send_form(
        as_admin, "/customers/C-3001", "/customers/C-3001/debt", {"amount": "-4", "reason": "paid"}
    )
    assert text_of(page.text, "customer-debt") == "6.00 USD"


def test_a_duplicate_customer_is_refused_and_the_form_kept(as_admin):
    page = send_form(
        as_admin, "/customers/new", "/customers/new", {"account_no": "C-1001", "name": "Again"}
    )
    assert page.status_code == 409
    assert "already exists" in page.text and 'value="Again"' in page.text
