"""Every form checks its CSRF token and the sender's role; refusals change nothing."""

import pytest

from server.web import page_routers
from server.web.routing import PageRoute
from tests.web.browsing import csrf_of
from tests.web.world import METER


def _page_posts() -> list[str]:
    """Every POST route of the pages, path parameters filled with real values."""
    paths = []
    for route in (r for router in page_routers() for r in router.routes):
        if isinstance(route, PageRoute) and "POST" in route.methods:
            paths.append(
                route.path.replace("{number}", METER)
                .replace("{code}", "AG001")
                .replace("{account_no}", "C-1001")
                .replace("{sgc}", "123456")
                .replace("{username}", "cara")
                .replace("{client}", "demo-pos")
            )
    return sorted(paths)


def test_the_pages_have_the_forms_this_test_expects():
    posts = _page_posts()
    assert len(posts) >= 31, posts
    assert "/vend/confirm" in posts and "/engineering" in posts and "/vendors/AG001/topup" in posts
    for new in (
        "/customers/C-1001/edit",
        f"/meters/{METER}/tariff",
        f"/meters/{METER}/customer",
        "/operators/cara/role",
        "/operators/cara/status",
        "/pos-clients/demo-pos/status",
    ):
        assert new in posts, new


def test_every_form_posted_without_its_csrf_token_is_refused(app, as_admin):
    audit_before = as_admin.get("/audit").text.count("<tr>")
    for path in _page_posts():
        if path.startswith("/login"):
            continue  # the login steps (before a full session) are tested in test_login
        answer = as_admin.post(path, data={"amount": "10", "reason": "x"}, follow_redirects=False)
        assert answer.status_code == 403, f"{path}: {answer.status_code}"
        assert "CSRF" in answer.text, path
    assert as_admin.get("/audit").text.count("<tr>") == audit_before


def test_a_form_with_a_wrong_csrf_token_is_refused(as_admin):
    as_admin.get("/vendors/AG001")
    answer = as_admin.post("/vendors/AG001/topup", data={"amount": "10", "csrf_token": "forged"})
    assert answer.status_code == 403
    assert "4,000.00" not in as_admin.get("/vendors/AG001").text  # float unchanged: 5,000.00


def test_another_sessions_token_does_not_work(as_admin, as_role):
    cara = as_role("cara")
    admin_token = csrf_of(as_admin.get("/vendors/AG001").text)
    answer = cara.post("/vendors/AG001/topup", data={"amount": "10", "csrf_token": admin_token})
    assert answer.status_code == 403


def test_a_form_sent_from_another_site_is_refused_even_with_the_token(as_admin):
    token = csrf_of(as_admin.get("/vendors/AG001").text)
    answer = as_admin.post(
        "/vendors/AG001/topup",
        data={"amount": "10", "csrf_token": token},
        headers={"Origin": "https://evil.example"},
    )
    assert answer.status_code == 403
    assert "evil.example" in answer.text


def test_a_form_posted_without_a_session_goes_to_the_login(client):
    answer = client.post("/vendors/AG001/topup", data={"amount": "10"}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")


@pytest.mark.parametrize("path", ["/engineering", "/operators", "/audit", "/reports"])
def test_a_cashier_cannot_open_pages_beyond_the_role(as_role, path):
    page = as_role("cara").get(path)
    assert page.status_code == 403
    assert "role cashier may not" in page.text


def test_a_cashier_cannot_issue_an_engineering_token_even_with_a_valid_form(as_role, as_admin):
    cara = as_role("cara")
    token = csrf_of(cara.get("/vend").text)
    answer = cara.post(
        "/engineering",
        data={"csrf_token": token, "meter": METER, "kind": "clear_tamper", "reason": "try"},
    )
    assert answer.status_code == 403
    assert "engineering" not in as_admin.get(f"/audit?q={METER}").text.split("</h1>")[1]


def test_a_cashier_does_not_see_links_to_pages_beyond_the_role(as_role):
    page = as_role("cara").get("/").text
    for hidden in ('href="/engineering"', 'href="/operators"', 'href="/audit"', 'href="/reports"'):
        assert hidden not in page
    assert 'href="/vend"' in page


def test_an_auditor_may_read_the_audit_log_but_not_sell_or_top_up(as_role):
    otto = as_role("otto")
    assert otto.get("/audit").status_code == 200
    assert otto.get("/vend").status_code == 403
    token = csrf_of(otto.get("/vendors/AG001").text)
    refused = otto.post("/vendors/AG001/topup", data={"amount": "10", "csrf_token": token})
    assert refused.status_code == 403
    assert "may not topup" in refused.text


def test_a_supervisor_cannot_manage_operators(as_role):
    sam = as_role("sam")
    assert sam.get("/operators").status_code == 403
    token = csrf_of(sam.get("/vend").text)
    answer = sam.post(
        "/operators",
        data={"csrf_token": token, "username": "mallory", "role": "admin", "password": "x" * 12},
    )
    assert answer.status_code == 403
