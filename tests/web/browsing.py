"""Driving the pages over HTTP without a browser (FastAPI's TestClient): logging in, and
sending forms the way a browser does, with the CSRF token from the page."""

import re
from html import unescape

from fastapi.testclient import TestClient

from tests.web.world import PASSWORDS

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token of the first form on a page."""
    found = _CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return unescape(found.group(1))


def log_in(client: TestClient, username: str, password: str | None = None) -> TestClient:
    """Log `username` in with the login form; the client keeps the session cookie."""
    page = client.get("/login")
    answer = client.post(
        "/login",
        data={
            "username": username,
            "password": PASSWORDS[username] if password is None else password,
            "csrf_token": csrf_of(page.text),
            "next": "/",
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return client


def send_form(client: TestClient, page_path: str, action: str, data: dict[str, str], **options):
    """Open `page_path`, then post `data` to `action` with that page's CSRF token."""
    page = client.get(page_path)
    assert page.status_code == 200, page.text
    return client.post(action, data={**data, "csrf_token": csrf_of(page.text)}, **options)
