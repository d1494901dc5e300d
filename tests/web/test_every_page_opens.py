"""Every page opens for an administrator, and a page needs a login."""

import pytest

from tests.web.browsing import csrf_of

PAGES = [
    "/",
    "/vend",
    "/meters",
    "/meters/new",
    "/customers",
    "/customers/new",
    "/customers/C-1001",
    "/meters/600727000000000017",
    "/imports",
    "/tariffs",
    "/supply-groups",
    "/vendors",
    "/vendors/AG001",
    "/handhelds",
    "/engineering",
    "/reports",
    "/audit",
    "/operators",
    "/account",
]


@pytest.mark.parametrize("path", PAGES)
def test_an_administrator_opens_every_page(as_admin, path):
    page = as_admin.get(path)
    assert page.status_code == 200, page.text[:2000]
    assert "<h1" in page.text
    assert "Not available yet" not in page.text  # every page's service exists


@pytest.mark.parametrize("path", ["/", "/vend", "/meters", "/reports", "/audit"])
def test_without_a_login_every_page_sends_the_browser_to_the_login(client, path):
    answer = client.get(path, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/login?next={path}"


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/vendors?page=abc", 422),
        ("/audit?before=abc", 422),
        ("/meters/12345", 422),
        ("/meters/600727000000000991", 404),
        ("/customers/NOBODY", 404),
        ("/vendors/NOBODY", 404),
        ("/receipts/00000019", 422),
        ("/receipts/99999997", 404),
        ("/reports?start=2025-02-30", 422),
        ("/reports/export?format=pdf", 422),
        ("/imports?kind=%00", 200),
        ("/meters?q=%25_%5C", 200),
    ],
)
def test_bad_addresses_get_a_page_saying_what_is_wrong(as_admin, path, status):
    page = as_admin.get(path)
    assert page.status_code == status, page.text[:500]
    assert page.headers["content-type"].startswith("text/html")
    assert "<h1" in page.text


def test_a_form_with_a_malformed_body_gets_a_page_not_a_crash(as_admin):
    token = csrf_of(as_admin.get("/vendors/AG001").text)
    answer = as_admin.post(
        "/vendors/AG001/topup",
        content=b"csrf_token=" + token.encode() + b"&amount=%ZZ",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 422
    assert "top-up &#39;%ZZ&#39;: not a number" in answer.text
