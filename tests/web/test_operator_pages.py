"""Editing customers, a meter's tariff and customer, operators' roles and status, and POS
clients' API keys through the pages: the same services as the API, CSRF and role checked,
refusals shown on the page with what was typed."""

from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from server import demo
from server.domain.tariffs import Block
from server.services import customers, meters, operators, tariffs
from tests.web.browsing import csrf_of, log_in, send_form
from tests.web.pages_html import text_of
from tests.web.world import METER, PASSWORDS

EDIT = {"new_account_no": "C-1001", "name": "Amina Okafor-Mensah", "address": "Plot 9", "phone": ""}


def _audit_rows(client) -> int:
    return client.get("/audit").text.count("<tr")


# ---- Customers ----


def test_an_administrator_edits_a_customer(as_admin, world):
    page = as_admin.get("/customers/C-1001").text
    assert "Not available yet" not in page and 'action="/customers/C-1001/edit"' in page
    answer = send_form(
        as_admin,
        "/customers/C-1001",
        "/customers/C-1001/edit",
        {**EDIT, "new_account_no": "C-1001-A", "phone": "+233 20 555"},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/customers/C-1001-A?done=customer-updated"
    shown = as_admin.get(answer.headers["location"]).text
    assert "Customer details saved." in shown
    assert text_of(shown, "customer-name").startswith("Amina Okafor-Mensah")
    assert "+233 20 555" in shown and "Plot 9" in shown
    assert demo.pan(1) in shown  # the meter followed the account
    assert "customer.update" in as_admin.get("/audit?q=C-1001-A").text


def test_a_refused_edit_shows_the_reason_and_keeps_what_was_typed(as_admin, world):
    empty = send_form(
        as_admin, "/customers/C-1001", "/customers/C-1001/edit", {**EDIT, "name": " "}
    )
    assert empty.status_code == 422 and "customer name: required" in empty.text
    assert 'value="Plot 9"' in empty.text  # the typed address is still in the form
    taken = send_form(
        as_admin,
        "/customers/C-1001",
        "/customers/C-1001/edit",
        {**EDIT, "new_account_no": "C-1002"},
    )
    assert taken.status_code == 409 and "C-1002 already exists" in taken.text
    assert customers.get_customer(world.ctx, demo.SYSTEM, "C-1001").address != "Plot 9"


def test_a_cashier_sees_no_edit_form_and_cannot_post_one(as_role, as_admin, world):
    cara = as_role("cara")
    page = cara.get("/customers/C-1001").text
    assert 'action="/customers/C-1001/edit"' not in page
    audit = _audit_rows(as_admin)
    answer = cara.post("/customers/C-1001/edit", data={**EDIT, "csrf_token": csrf_of(page)})
    assert answer.status_code == 403 and "may not manage-catalogue" in answer.text
    assert _audit_rows(as_admin) == audit
    no_token = as_admin.post("/customers/C-1001/edit", data=EDIT)
    assert no_token.status_code == 403 and "CSRF" in no_token.text


def test_a_script_typed_as_a_name_is_kept_as_text(as_admin, world):
    script = "<script>alert(1)</script>"
    send_form(as_admin, "/customers/C-1001", "/customers/C-1001/edit", {**EDIT, "name": script})
    page = as_admin.get("/customers/C-1001").text
    assert script not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


# ---- Meters: tariff and customer ----


@pytest.fixture
def business(world):
    tariffs.add_tariff(world.ctx, demo.SYSTEM, name="business", blocks=(Block(None, Decimal(1)),))


def test_a_meters_tariff_is_changed_from_its_page(as_admin, world, business):
    page = as_admin.get(f"/meters/{METER}").text
    assert "Not available yet" not in page and '<option value="business">' in page
    answer = send_form(
        as_admin,
        f"/meters/{METER}",
        f"/meters/{METER}/tariff",
        {"tariff": "business", "reason": "shop opened"},
        follow_redirects=False,
    )
    assert answer.headers["location"] == f"/meters/{METER}?done=meter-tariff"
    shown = as_admin.get(f"/meters/{METER}").text
    assert text_of(shown, "meter-tariff") == "business"
    assert meters.show_meter(world.ctx, demo.SYSTEM, METER).tariff == "business"
    unknown = send_form(as_admin, f"/meters/{METER}", f"/meters/{METER}/tariff", {"tariff": "x"})
    assert unknown.status_code == 404 and "tariff" in unknown.text


def test_a_meter_moves_to_an_existing_or_a_new_customer_from_its_page(as_admin, world):
    moved = send_form(
        as_admin, f"/meters/{METER}", f"/meters/{METER}/customer", {"customer": "C-1002"}
    )
    assert moved.status_code == 200 and "The meter now belongs to that customer." in moved.text
    assert "C-1002" in text_of(moved.text, "meter-customer")
    fresh = send_form(
        as_admin,
        f"/meters/{METER}",
        f"/meters/{METER}/customer",
        {"new_account_no": "C-2001", "new_name": "Esi Boateng", "new_phone": "0244"},
    )
    assert "Esi Boateng" in text_of(fresh.text, "meter-customer")
    assert customers.get_customer(world.ctx, demo.SYSTEM, "C-2001").phone == "0244"


def test_a_move_naming_two_customers_or_none_is_refused_with_the_form_kept(as_admin, world):
    both = send_form(
        as_admin,
        f"/meters/{METER}",
        f"/meters/{METER}/customer",
        {"customer": "C-1002", "new_account_no": "C-2002", "new_name": "Musa"},
    )
    assert both.status_code == 422 and "not both" in both.text
    assert 'value="Musa"' in both.text
    nobody = send_form(as_admin, f"/meters/{METER}", f"/meters/{METER}/customer", {})
    assert nobody.status_code == 422 and "an existing account, or a new customer" in nobody.text
    missing = send_form(
        as_admin, f"/meters/{METER}", f"/meters/{METER}/customer", {"customer": "C-404"}
    )
    assert missing.status_code == 404 and "C-404 does not exist" in missing.text
    assert meters.show_meter(world.ctx, demo.SYSTEM, METER).customer_account == "C-1001"


def test_a_cashier_sees_no_meter_forms_and_cannot_post_them(as_role, world, business):
    cara = as_role("cara")
    page = cara.get(f"/meters/{METER}").text
    assert f'action="/meters/{METER}/tariff"' not in page
    token = csrf_of(page)
    refused = cara.post(f"/meters/{METER}/tariff", data={"tariff": "business", "csrf_token": token})
    assert refused.status_code == 403
    moved = cara.post(f"/meters/{METER}/customer", data={"customer": "C-1002", "csrf_token": token})
    assert moved.status_code == 403
    view = meters.show_meter(world.ctx, demo.SYSTEM, METER)
    assert (view.tariff, view.customer_account) == ("residential", "C-1001")


# ---- Operators ----


def test_a_new_role_applies_to_the_operators_open_session(as_admin, as_role):
    cara = as_role("cara")
    assert 'href="/vend"' in cara.get("/").text
    answer = send_form(
        as_admin, "/operators", "/operators/cara/role", {"role": "auditor"}, follow_redirects=False
    )
    assert answer.headers["location"] == "/operators?done=role#cara"
    page = as_admin.get(answer.headers["location"]).text
    assert "Role changed" in page and text_of(page, "cara").startswith("cara auditor")
    assert 'href="/vend"' not in cara.get("/").text and cara.get("/audit").status_code == 200


def test_a_disabled_operator_is_logged_out_everywhere_and_cannot_log_in(app, as_admin, as_role):
    cara = as_role("cara")
    client = TestClient(app, base_url="http://testserver")
    token = client.post(
        "/api/v1/auth/token", data={"username": "cara", "password": PASSWORD_CARA}
    ).json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/meters", headers=bearer).status_code == 200
    answer = send_form(
        as_admin, "/operators", "/operators/cara/status", {"active": "no"}, follow_redirects=False
    )
    assert answer.headers["location"] == "/operators?done=operator-disabled#cara"
    assert "Operator disabled" in as_admin.get("/operators?done=operator-disabled").text
    assert cara.get("/", follow_redirects=False).headers["location"] == "/login?next=/"
    assert client.get("/api/v1/meters", headers=bearer).status_code == 401
    page = client.get("/login")
    again = client.post(
        "/login",
        data={"username": "cara", "password": PASSWORD_CARA, "csrf_token": csrf_of(page.text)},
    )
    assert again.status_code == 401 and "cara is disabled" in again.text
    send_form(as_admin, "/operators", "/operators/cara/status", {"active": "yes"})
    assert log_in(client, "cara").get("/").status_code == 200
    client.close()


PASSWORD_CARA = PASSWORDS["cara"]


def test_an_administrator_cannot_disable_or_demote_the_last_administrator(as_admin, world):
    page = as_admin.get("/operators").text
    assert 'action="/operators/admin/status"' not in page  # no button for yourself
    myself = send_form(as_admin, "/operators", "/operators/admin/status", {"active": "no"})
    assert myself.status_code == 409 and "cannot disable your own login" in myself.text
    demote = send_form(as_admin, "/operators", "/operators/admin/role", {"role": "cashier"})
    assert demote.status_code == 409 and "only active administrator" in demote.text
    assert as_admin.get("/operators").status_code == 200  # still an administrator
    bad = send_form(as_admin, "/operators", "/operators/cara/role", {"role": "pos"})
    assert bad.status_code == 422
    nobody = send_form(as_admin, "/operators", "/operators/nobody/role", {"role": "cashier"})
    assert nobody.status_code == 404


def test_a_supervisor_cannot_change_roles_or_status(as_role):
    sam = as_role("sam")
    token = csrf_of(sam.get("/vend").text)
    for path, data in (
        ("/operators/sam/role", {"role": "admin"}),
        ("/operators/cara/status", {"active": "no"}),
    ):
        assert sam.post(path, data={**data, "csrf_token": token}).status_code == 403
    assert "vend" in sam.get("/vend").text.lower()


def test_a_pos_clients_api_key_is_disabled_from_the_operators_page(as_admin, client, world):
    key = operators.create_pos_client(world.ctx, demo.SYSTEM, name="shop-7", agent_code="AG001")
    sale = {"request_id": "k-1", "meter": METER, "amount": "5"}
    assert client.post("/api/v1/vends", json=sale, headers={"X-API-Key": key}).status_code == 201
    page = as_admin.get("/operators").text
    assert "shop-7" in text_of(page, "pos-clients") and "demo-pos" in text_of(page, "pos-clients")
    answer = send_form(
        as_admin,
        "/operators",
        "/pos-clients/shop-7/status",
        {"enabled": "no"},
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/operators?done=pos-disabled#pos-shop-7"
    refused = client.post(
        "/api/v1/vends", json={**sale, "request_id": "k-2"}, headers={"X-API-Key": key}
    )
    assert refused.status_code == 401 and refused.json()["code"] == "pos_client_disabled"
    assert "pos_client.disable" in as_admin.get("/audit?q=shop-7").text
