"""The operator services over the HTTP API: editing customers, a meter's tariff and
customer, imports with a dry run, sales by day for one vendor, operators' roles and
status, disabling API keys, logging out (both databases)."""

import csv
import io
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from server.api.app import create_app
from server.domain.roles import Role
from server.domain.tariffs import Block
from server.services import agents, customers, meters, operators, tariffs
from server.services.vending import VendRequest, vend
from tests.server import world

PASSWORD = "test password 1"


@pytest.fixture
def api(ctx, admin):
    world.build(ctx, admin)
    operators.create_operator(ctx, admin, username="boss", password=PASSWORD, role=Role.ADMIN)
    operators.create_operator(ctx, admin, username="till", password=PASSWORD, role=Role.CASHIER)
    with TestClient(create_app(ctx), raise_server_exceptions=False) as client:
        yield client


def login(api, username="boss") -> dict[str, str]:
    answer = api.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def test_a_customer_is_edited(api, ctx, admin):
    boss = login(api)
    answer = api.patch(
        "/api/v1/customers/C001", json={"name": "Amina O.", "phone": "0244"}, headers=boss
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() | {"debt": None} == {
        "account_no": "C001",
        "name": "Amina O.",
        "address": "Plot 4",
        "phone": "0244",
        "debt": None,
    }
    renamed = api.patch("/api/v1/customers/C001", json={"account_no": "C001-A"}, headers=boss)
    assert renamed.json()["account_no"] == "C001-A"
    assert api.get("/api/v1/customers/C001", headers=boss).status_code == 404
    customers.add_customer(ctx, admin, account_no="C002", name="Kofi")
    taken = api.patch("/api/v1/customers/C001-A", json={"account_no": "C002"}, headers=boss)
    assert taken.status_code == 409 and taken.json()["code"] == "duplicate_customer"
    empty = api.patch("/api/v1/customers/C001-A", json={"name": ""}, headers=boss)
    assert empty.status_code == 422 and "name" in empty.json()["message"]
    typo = api.patch("/api/v1/customers/C001-A", json={"nmae": "x"}, headers=boss)
    assert typo.status_code == 422
    cashier = api.patch("/api/v1/customers/C001-A", json={"name": "x"}, headers=login(api, "till"))
    assert cashier.status_code == 403
    assert customers.get_customer(ctx, admin, "C001-A").name == "Amina O."


def test_a_meters_tariff_and_customer_change(api, ctx, admin):
    boss = login(api)
    tariffs.add_tariff(ctx, admin, name="dear", blocks=(Block(None, Decimal("0.5")),))
    meter = world.pan(1)
    answer = api.put(f"/api/v1/meters/{meter}/tariff", json={"tariff": "dear"}, headers=boss)
    assert answer.status_code == 200 and answer.json()["tariff"] == "dear"
    missing = api.put(f"/api/v1/meters/{meter}/tariff", json={"tariff": "nope"}, headers=boss)
    assert missing.status_code == 404 and missing.json()["code"] == "tariff_not_found"

    fresh = api.put(
        f"/api/v1/meters/{meter}/customer",
        json={"new_customer": {"account_no": "C005", "name": "Esi"}, "reason": "new owner"},
        headers=boss,
    )
    assert fresh.status_code == 200, fresh.text
    assert (fresh.json()["customer_account"], fresh.json()["customer_name"]) == ("C005", "Esi")
    back = api.put(
        f"/api/v1/meters/{meter}/customer", json={"customer_account": "C001"}, headers=boss
    )
    assert back.json()["customer_account"] == "C001"
    both = api.put(
        f"/api/v1/meters/{meter}/customer",
        json={"customer_account": "C001", "new_customer": {"account_no": "C6", "name": "x"}},
        headers=boss,
    )
    assert both.status_code == 422 and both.json()["code"] == "invalid_customer"
    till = api.put(
        f"/api/v1/meters/{meter}/tariff", json={"tariff": "flat"}, headers=login(api, "till")
    )
    assert till.status_code == 403
    assert meters.show_meter(ctx, admin, meter).tariff == "dear"


def test_an_import_dry_run_reports_and_writes_nothing_then_the_import_writes(api, ctx, admin):
    boss = login(api)
    good = f"{world.pan(50)},{world.SGC},flat\n{world.pan(51)},{world.SGC},flat\n"
    bad = f"meter,sgc,tariff\n{good}{world.pan(52)},{world.SGC},nosuch\n"

    def send(content: str, **params):
        return api.post(
            "/api/v1/meters/import",
            params=params,
            files={"file": ("meters.csv", content.encode(), "text/csv")},
            headers=boss,
        )

    checked = send(bad, dry_run="true").json()
    assert checked["dry_run"] is True and checked["committed"] is False
    assert (checked["rows"], checked["imported"], checked["would_import"]) == (3, 0, 0)
    assert [e["line"] for e in checked["errors"]] == [4] and "nosuch" in checked["errors"][0][
        "message"
    ]
    lenient = send(bad, dry_run="true", skip_bad="true").json()
    assert lenient["would_import"] == 2 and lenient["imported"] == 0
    assert len(meters.list_meters(ctx, admin, limit=100)) == 2  # nothing written
    done = send(bad, skip_bad="true").json()
    assert done["committed"] is True and done["imported"] == 2 and done["dry_run"] is False
    assert len(meters.list_meters(ctx, admin, limit=100)) == 4
    wrong_kind = api.post(
        "/api/v1/customers/import",
        params={"dry_run": "true"},
        files={"file": ("people.txt", b"account_no,name\n", "text/plain")},
        headers=boss,
    )
    assert wrong_kind.status_code == 422 and wrong_kind.json()["code"] == "unsupported_file"
    people = api.post(
        "/api/v1/customers/import",
        params={"dry_run": "true"},
        files={"file": ("people.csv", b"account_no,name\nC100,Ama\nC001,Dup\n", "text/csv")},
        headers=boss,
    ).json()
    assert people["errors"] == [{"line": 3, "message": "customer account C001 already exists"}]
    till = api.post(
        "/api/v1/meters/import",
        params={"dry_run": "true"},
        files={"file": ("meters.csv", bad.encode(), "text/csv")},
        headers=login(api, "till"),
    )
    assert till.status_code == 403


def test_sales_by_day_for_one_vendor_as_json_csv_and_excel(api, ctx, admin, clock):
    agents.add_agent(ctx, admin, code="AG2", name="Town vendor")
    agents.topup(ctx, admin, "AG2", 100_000, "opening float")
    vend(ctx, admin, VendRequest("r-1", world.pan(1), 1000, agent_code="AG1"))
    vend(ctx, admin, VendRequest("r-2", world.pan(2), 2000, agent_code="AG2"))
    boss = login(api)
    query = {"by": "day", "agent": "AG2", "from": "2025-03-14", "to": "2025-03-14"}
    report = api.get("/api/v1/reports/sales", params=query, headers=boss).json()
    assert report["agent"] == "AG2" and report["total"]["amount"] == "20.00"
    assert [r["key"] for r in report["rows"]] == ["2025-03-14"]
    as_csv = api.get("/api/v1/reports/sales", params={**query, "format": "csv"}, headers=boss)
    rows = list(csv.reader(io.StringIO(as_csv.text)))
    assert rows[1][:4] == ["2025-03-14", "1", "0", "20.00"]
    assert "sales-by-day-2025-03-14-to-2025-03-14-AG2.csv" in as_csv.headers["content-disposition"]
    as_xlsx = api.get("/api/v1/reports/sales", params={**query, "format": "xlsx"}, headers=boss)
    sheet = load_workbook(io.BytesIO(as_xlsx.content)).active
    assert list(sheet.iter_rows(values_only=True))[-1][:4] == ("total", 1, 0, 20.0)
    everyone = api.get("/api/v1/reports/sales", params={"by": "day"}, headers=boss).json()
    assert everyone["agent"] is None and everyone["total"]["amount"] == "30.00"
    unknown = api.get("/api/v1/reports/sales", params={"agent": "NOPE"}, headers=boss)
    assert unknown.status_code == 404


def test_operators_roles_and_status_over_the_api(api):
    boss = login(api)
    listed = api.get("/api/v1/operators", headers=boss).json()
    assert {o["username"]: o["role"] for o in listed} == {"boss": "admin", "till": "cashier"}
    added = api.post(
        "/api/v1/operators",
        json={"username": "sue", "password": PASSWORD, "role": "auditor"},
        headers=boss,
    )
    assert added.status_code == 201 and added.json()["active"] is True
    sue = login(api, "sue")
    assert api.get("/api/v1/reports/sales", headers=sue).status_code == 200

    demoted = api.put("/api/v1/operators/sue/role", json={"role": "cashier"}, headers=boss)
    assert demoted.status_code == 200 and demoted.json()["role"] == "cashier"
    assert api.get("/api/v1/reports/sales", headers=sue).status_code == 403  # at once

    off = api.put("/api/v1/operators/sue/status", json={"active": False}, headers=boss)
    assert off.status_code == 200 and off.json()["active"] is False
    assert api.get("/api/v1/meters", headers=sue).status_code == 401  # her token ended
    refused = api.post("/api/v1/auth/token", data={"username": "sue", "password": PASSWORD})
    assert refused.status_code == 401 and refused.json()["code"] == "operator_disabled"
    api.put("/api/v1/operators/sue/status", json={"active": True}, headers=boss)
    assert api.get("/api/v1/meters", headers=login(api, "sue")).status_code == 200

    myself = api.put("/api/v1/operators/boss/status", json={"active": False}, headers=boss)
    assert myself.status_code == 409 and myself.json()["code"] == "cannot_disable_self"
    last = api.put("/api/v1/operators/boss/role", json={"role": "auditor"}, headers=boss)
    assert last.status_code == 409 and last.json()["code"] == "last_admin"
    pos = api.put("/api/v1/operators/till/role", json={"role": "pos"}, headers=boss)
    assert pos.status_code == 422
    nobody = api.put("/api/v1/operators/nobody/role", json={"role": "auditor"}, headers=boss)
    assert nobody.status_code == 404
    till = login(api, "till")
    assert (
        api.put("/api/v1/operators/till/role", json={"role": "admin"}, headers=till).status_code
        == 403
    )
    assert api.get("/api/v1/operators", headers=till).status_code == 403


def test_a_disabled_api_key_is_refused_from_the_next_sale(api, ctx, admin):
    key = operators.create_pos_client(ctx, admin, name="shop", agent_code="AG1")
    body = {"request_id": "p-1", "meter": world.pan(2), "amount": "5"}
    assert api.post("/api/v1/vends", json=body, headers={"X-API-Key": key}).status_code == 201
    boss = login(api)
    assert [c["name"] for c in api.get("/api/v1/pos-clients", headers=boss).json()] == ["shop"]
    off = api.put("/api/v1/pos-clients/shop/status", json={"enabled": False}, headers=boss)
    assert off.status_code == 200 and off.json() == {
        "name": "shop",
        "agent_code": "AG1",
        "enabled": False,
        "created_at": off.json()["created_at"],
    }
    refused = api.post(
        "/api/v1/vends", json={**body, "request_id": "p-2"}, headers={"X-API-Key": key}
    )
    assert refused.status_code == 401 and refused.json()["code"] == "pos_client_disabled"
    api.put("/api/v1/pos-clients/shop/status", json={"enabled": True}, headers=boss)
    again = api.post(
        "/api/v1/vends", json={**body, "request_id": "p-3"}, headers={"X-API-Key": key}
    )
    assert again.status_code == 201


def test_logging_out_ends_the_bearer_token(api):
    boss = login(api)
    assert api.get("/api/v1/meters", headers=boss).status_code == 200
    assert api.post("/api/v1/auth/logout", headers=boss).status_code == 204
    after = api.get("/api/v1/meters", headers=boss)
    assert after.status_code == 401 and after.json()["code"] == "bad_token"
    assert api.post("/api/v1/auth/logout").status_code == 401
