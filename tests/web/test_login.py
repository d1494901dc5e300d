"""Logging in: sessions in HttpOnly SameSite cookies, throttled guessing, the TOTP second
step (optional, or required for administrators), logging out."""

import re

import httpx
import pytest

from server import demo
from server.services import operators, totp
from server.web.settings import WebSettings
from tests.web.browsing import csrf_of, log_in, send_form
from tests.web.world import PASSWORDS


def _post_login(client, username, password, next_path="/"):
    page = client.get("/login")
    return client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "csrf_token": csrf_of(page.text),
            "next": next_path,
        },
        follow_redirects=False,
    )


def test_the_right_password_opens_a_session_in_an_httponly_samesite_cookie(client):
    answer = _post_login(client, "sam", PASSWORDS["sam"])
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    cookie = next(c for c in answer.headers.get_list("set-cookie") if "gridvend_session=" in c)
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Path=/" in cookie
    assert client.get("/").status_code == 200


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(client):
    answer = _post_login(client, "sam", "not the password")
    assert answer.status_code == 401
    assert "wrong username or password" in answer.text
    assert "gridvend_session" not in answer.headers.get("set-cookie", "")
    unknown = _post_login(client, "nobody-here", "whatever-password")
    assert unknown.status_code == 401 and "wrong username or password" in unknown.text


def test_after_five_wrong_passwords_even_the_right_one_waits(client):
    for _ in range(5):
        assert _post_login(client, "cara", "wrong password!").status_code == 401
    blocked = _post_login(client, "cara", PASSWORDS["cara"])
    assert blocked.status_code == 429
    assert "Too many failed attempts" in blocked.text
    # Another operator from the same address is not locked out by cara's attempts.
    assert _post_login(client, "sam", PASSWORDS["sam"]).status_code == 303


def test_the_login_form_needs_its_csrf_token(client):
    client.get("/login")
    answer = client.post(
        "/login",
        data={"username": "sam", "password": PASSWORDS["sam"], "next": "/"},
        follow_redirects=False,
    )
    assert answer.status_code == 403
    assert "CSRF" in answer.text


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil"])
def test_after_login_the_browser_never_goes_to_another_site(client, target):
    answer = _post_login(client, "sam", PASSWORDS["sam"], next_path=target)
    assert answer.headers["location"] == "/"


def test_after_login_the_browser_returns_to_the_page_it_asked_for(client):
    first = client.get("/reports?start=2025-03-01", follow_redirects=False)
    assert first.headers["location"] == "/login?next=/reports%3Fstart%3D2025-03-01"
    answer = _post_login(client, "sam", PASSWORDS["sam"], next_path="/reports?start=2025-03-01")
    assert answer.headers["location"] == "/reports?start=2025-03-01"


def test_logging_out_ends_the_session_even_for_a_kept_copy_of_the_cookie(client):
    log_in(client, "sam")
    token = client.cookies.get("gridvend_session")
    answer = send_form(client, "/", "/logout", {}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/login"
    replayed = httpx.Client(transport=client._transport, base_url="http://testserver")
    replayed.cookies.set("gridvend_session", token)
    assert replayed.get("/", follow_redirects=False).headers["location"] == "/login?next=/"


def test_an_api_token_alone_does_not_open_the_pages(client):
    """A bearer token from POST /api/v1/auth/token (password only) is not a page session."""
    token = client.post(
        "/api/v1/auth/token", data={"username": "sam", "password": PASSWORDS["sam"]}
    ).json()["access_token"]
    client.cookies.set("gridvend_session", token)
    assert client.get("/", follow_redirects=False).status_code == 303


def _enrol(client, clock) -> str:
    """Turn the second step on from the account page; the secret."""
    page = send_form(client, "/account", "/account/totp/start", {})
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page.text).group(1)
    code = totp.code_at(secret, clock.now.timestamp())
    done = client.post(
        "/account/totp/confirm",
        data={"code": code, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    assert client.get("/account").text.count('id="totp-status">on<') == 1
    return secret


def test_with_totp_on_the_password_alone_opens_nothing_and_the_code_does(client, clock):
    log_in(client, "sam")
    secret = _enrol(client, clock)
    send_form(client, "/", "/logout", {})
    clock.advance(seconds=60)  # the enrolment's code is spent; a new one is due

    answer = _post_login(client, "sam", PASSWORDS["sam"])
    assert answer.headers["location"] == "/login/code"
    assert client.get("/", follow_redirects=False).headers["location"] == "/login/code"
    page = client.get("/login/code")
    wrong = client.post("/login/code", data={"code": "000000", "csrf_token": csrf_of(page.text)})
    assert wrong.status_code == 401
    code = totp.code_at(secret, clock.now.timestamp())
    right = client.post(
        "/login/code",
        data={"code": code, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert right.status_code == 303 and right.headers["location"] == "/"
    assert client.get("/").status_code == 200

    # The same code cannot open a second session (replay within its 30 seconds).
    other = httpx.Client(transport=client._transport, base_url="http://testserver")
    assert _post_login(other, "sam", PASSWORDS["sam"]).headers["location"] == "/login/code"
    again = other.post(
        "/login/code",
        data={"code": code, "csrf_token": csrf_of(other.get("/login/code").text)},
    )
    assert again.status_code == 401


def test_the_code_form_needs_its_csrf_token(client, clock):
    log_in(client, "sam")
    secret = _enrol(client, clock)
    send_form(client, "/", "/logout", {})
    clock.advance(seconds=60)
    _post_login(client, "sam", PASSWORDS["sam"])
    code = totp.code_at(secret, clock.now.timestamp())
    assert client.post("/login/code", data={"code": code}).status_code == 403
    assert client.get("/", follow_redirects=False).headers["location"] == "/login/code"


def test_wrong_codes_are_throttled(client, clock):
    log_in(client, "sam")
    _enrol(client, clock)
    send_form(client, "/", "/logout", {})
    _post_login(client, "sam", PASSWORDS["sam"])
    token = csrf_of(client.get("/login/code").text)
    for _ in range(5):
        assert (
            client.post("/login/code", data={"code": "000000", "csrf_token": token}).status_code
            == 401
        )
    assert (
        client.post("/login/code", data={"code": "000000", "csrf_token": token}).status_code == 429
    )


def test_an_administrator_resets_a_lost_second_step(client, as_role, clock):
    log_in(client, "sam")
    _enrol(client, clock)
    admin = as_role("admin")
    page = admin.get("/operators")
    assert "reset second step" in page.text
    reset = admin.post(
        "/operators/sam/reset-second-step",
        data={"csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert reset.status_code == 303
    # sam's open page session ended with the reset; the password alone now logs in.
    assert client.get("/", follow_redirects=False).status_code == 303
    assert _post_login(client, "sam", PASSWORDS["sam"]).headers["location"] == "/"
    audit = admin.get("/audit?q=totp").text
    assert "operator.totp_enrol" in audit and "operator.totp_remove" in audit


@pytest.fixture
def totp_required() -> WebSettings:
    return WebSettings(admin_totp_required=True)


def test_when_required_an_administrator_must_set_up_totp_before_any_page(app, client, clock):
    app.state.web_settings = WebSettings(admin_totp_required=True)
    answer = _post_login(client, "admin", PASSWORDS["admin"])
    assert answer.headers["location"] == "/login/enrol"
    assert client.get("/", follow_redirects=False).headers["location"] == "/login/enrol"
    page = client.get("/login/enrol")
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page.text).group(1)
    wrong = client.post("/login/enrol", data={"code": "123456", "csrf_token": csrf_of(page.text)})
    assert wrong.status_code == 422 and secret in wrong.text
    right = client.post(
        "/login/enrol",
        data={
            "code": totp.code_at(secret, clock.now.timestamp()),
            "csrf_token": csrf_of(page.text),
        },
        follow_redirects=False,
    )
    assert right.headers["location"] == "/?done=totp-on"
    assert client.get("/").status_code == 200
    # ...and cannot turn it off again while it is required.
    account = client.get("/account")
    assert "must keep their second step" in account.text
    refused = client.post(
        "/account/totp/remove",
        data={
            "code": totp.code_at(secret, clock.now.timestamp() + 30),
            "csrf_token": csrf_of(account.text),
        },
    )
    assert refused.status_code == 403


def test_other_roles_are_not_forced_to_use_totp_when_admins_are(app, client):
    app.state.web_settings = WebSettings(admin_totp_required=True)
    assert _post_login(client, "cara", PASSWORDS["cara"]).headers["location"] == "/"


def test_the_cookie_of_a_half_done_login_is_no_api_token(client, clock):
    """With the password given and the code not yet, the cookie opens neither the pages nor
    the API: a password alone never yields a bearer token."""
    log_in(client, "sam")
    secret = _enrol(client, clock)
    send_form(client, "/", "/logout", {})
    clock.advance(seconds=60)
    assert _post_login(client, "sam", PASSWORD_SAM).headers["location"] == "/login/code"
    half = client.cookies.get("gridvend_session")
    bearer = {"Authorization": f"Bearer {half}"}
    assert client.get("/api/v1/meters", headers=bearer).status_code == 401
    page = client.get("/login/code")
    code = totp.code_at(secret, clock.now.timestamp())
    client.post("/login/code", data={"code": code, "csrf_token": csrf_of(page.text)})
    full = client.cookies.get("gridvend_session")
    assert full != half  # a new session token once the second step is given
    assert client.get("/api/v1/meters", headers={"Authorization": f"Bearer {full}"}).is_success
    stale = httpx.Client(transport=client._transport, base_url="http://testserver")
    stale.cookies.set("gridvend_session", half)
    assert stale.get("/", follow_redirects=False).headers["location"].startswith("/login")


def test_logging_out_of_the_pages_ends_the_same_token_on_the_api(client):
    log_in(client, "sam")
    token = client.cookies.get("gridvend_session")
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/meters", headers=bearer).status_code == 200
    send_form(client, "/", "/logout", {})
    assert client.get("/api/v1/meters", headers=bearer).status_code == 401


def test_a_disabled_operator_is_told_so_only_with_the_right_password(client, world):
    operators.set_active(world.ctx, demo.SYSTEM, "sam", False)
    assert "sam is disabled" in _post_login(client, "sam", PASSWORD_SAM).text
    wrong = _post_login(client, "sam", "not the password")
    assert "wrong username or password" in wrong.text and "disabled" not in wrong.text


PASSWORD_SAM = PASSWORDS["sam"]
