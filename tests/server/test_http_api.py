"""The HTTP API: logins, API keys, vends, JSON errors with stable codes (both databases)."""

import pytest
from fastapi.testclient import TestClient

from server.api.app import create_app
from server.domain.roles import Role
from server.services import operators
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


def test_an_operator_logs_in_and_vends(api):
    headers = login(api)
    body = {"request_id": "h-1", "meter": world.pan(1), "amount": "10.00", "agent_code": "AG1"}
    first = api.post("/api/v1/vends", json=body, headers=headers)
    assert first.status_code == 201, first.text
    receipt = first.json()
    assert receipt["kwh"] == "40.0" and receipt["amount"] == "10.00"
    assert len(receipt["tokens"]) == 1 and len(receipt["tokens"][0]["digits"]) == 20
    again = api.post("/api/v1/vends", json=body, headers=headers)
    assert again.status_code == 200 and again.json()["replayed"] is True
    assert again.json()["tokens"] == receipt["tokens"]
    other = api.post("/api/v1/vends", json={**body, "amount": "11.00"}, headers=headers)
    assert other.status_code == 409 and other.json()["code"] == "request_id_conflict"
    by_receipt = api.get(f"/api/v1/vends/receipt/{receipt['receipt_no']}", headers=headers)
    assert by_receipt.json()["sale_id"] == receipt["sale_id"]


def test_a_pos_client_vends_with_its_api_key(api, ctx, admin):
    key = operators.create_pos_client(ctx, admin, name="shop", agent_code="AG1")
    body = {"request_id": "p-1", "meter": world.pan(2), "amount": "5"}
    answer = api.post("/api/v1/vends", json=body, headers={"X-API-Key": key})
    assert answer.status_code == 201 and answer.json()["channel"] == "pos"
    denied = api.post("/api/v1/agents/AG1/topups", json={"amount": "5"}, headers={"X-API-Key": key})
    assert denied.status_code == 403 and denied.json()["code"] == "forbidden"


def test_errors_are_json_with_a_stable_code(api):
    assert api.get("/api/v1/agents").json()["code"] == "unauthenticated"
    headers = login(api)
    typo = world.pan(1)[:-1] + str((int(world.pan(1)[-1]) + 1) % 10)
    answer = api.post(
        "/api/v1/vends",
        json={"request_id": "e-1", "meter": typo, "amount": "10", "agent_code": "AG1"},
        headers=headers,
    )
    assert answer.status_code == 422
    assert answer.json()["code"] == "invalid_meter_number"
    assert "check digit should be" in answer.json()["message"]
    bad = api.post("/api/v1/vends", json={"request_id": "e-2"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_request"
    assert "meter" in bad.json()["message"]
    cents = api.post(
        "/api/v1/vends",
        json={"request_id": "e-3", "meter": world.pan(1), "amount": "1.005", "agent_code": "AG1"},
        headers=headers,
    )
    assert cents.status_code == 422 and cents.json()["code"] == "invalid_amount"
    missing = api.get("/api/v1/agents/NOPE", headers=headers)
    assert missing.status_code == 404 and missing.json()["code"] == "agent_not_found"


def test_wrong_password_is_401(api):
    answer = api.post("/api/v1/auth/token", data={"username": "boss", "password": "nope"})
    assert answer.status_code == 401 and answer.json()["code"] == "bad_credentials"


def test_a_cashier_cannot_issue_engineering_tokens_but_a_supervisor_can(api, ctx, admin):
    body = {"meter": world.pan(1), "kind": "clear_tamper", "reason": "cover refitted"}
    refused = api.post("/api/v1/engineering-tokens", json=body, headers=login(api, "till"))
    assert refused.status_code == 403
    done = api.post("/api/v1/engineering-tokens", json=body, headers=login(api))
    assert done.status_code == 201 and done.json()["tokens"][0]["token_class"] == 2


def test_agents_topups_statement_and_reports(api):
    headers = login(api)
    created = api.post(
        "/api/v1/agents",
        json={"code": "AG2", "name": "Second", "credit_limit": "50"},
        headers=headers,
    )
    assert created.status_code == 201 and created.json()["available"] == "50.00"
    topped = api.post("/api/v1/agents/AG2/topups", json={"amount": "100.50"}, headers=headers)
    assert topped.json()["balance"] == "100.50"
    statement = api.get("/api/v1/agents/AG2/statement", headers=headers)
    assert statement.status_code == 200 and statement.json()["closing"] == "100.50"
    assert api.get("/api/v1/reports/ledger-check", headers=headers).json()["ok"] is True
    assert api.get("/api/v1/reports/audit-verify", headers=headers).json()["ok"] is True
    csv = api.get("/api/v1/reports/sales?by=day&format=csv", headers=headers)
    assert csv.status_code == 200 and csv.text.startswith("day,sales")


def test_no_vending_key_appears_in_the_openapi_document_or_supply_groups(api):
    headers = login(api)
    groups = api.get("/api/v1/supply-groups", headers=headers).text.lower()
    assert world.VENDING_KEY.hex() not in groups and '"key_revisions":[1]' in groups
    assert api.get("/openapi.json").status_code == 200
    assert api.get("/docs").status_code == 200


def test_control_characters_in_a_login_are_refused_not_a_crash(api):
    answer = api.post("/api/v1/auth/token", data={"username": "bo\x00ss", "password": "x"})
    assert answer.status_code == 401 and answer.json()["code"] == "bad_credentials"
