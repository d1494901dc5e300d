"""Logging in and out: password, then (when set up or required) the TOTP code."""

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response

from server.domain.errors import InvalidInput, Unauthenticated
from server.services import operators, second_factor
from server.web.access import Ctx, Settings
from server.web.auth import csrf
from server.web.auth.rate_limit import LoginThrottle, code_key
from server.web.auth.sessions import (
    FULL,
    MUST_ENROL,
    PASSWORD_ONLY,
    LoginRequired,
    SecondFactorDue,
    clear_cookie,
    complete,
    session_viewer,
    set_cookie,
    start,
)
from server.web.rendering import render
from server.web.routing import page_router

router = page_router()
ALL_STAGES = (FULL, PASSWORD_ONLY, MUST_ENROL)


def safe_next(target: str) -> str:
    """Where to go after logging in: a path on this site only (never another host)."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    if any(ord(ch) < 32 for ch in target):
        return "/"
    return target


def _throttle(request: Request) -> LoginThrottle:
    return request.app.state.login_throttle


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _login_page(
    request: Request,
    *,
    next_path: str,
    username: str = "",
    error: str | None = None,
    status: int = 200,
) -> Response:
    token = csrf.new_login_token()
    response = render(
        request,
        "login.html",
        {"login_csrf": token, "next": safe_next(next_path), "username": username, "error": error},
        status=status,
    )
    response.set_cookie(
        csrf.LOGIN_COOKIE,
        token,
        max_age=3600,
        path="/login",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.get("/login")
def login_form(request: Request, next: str = "/") -> Response:
    """The login form (or straight on, for someone already logged in)."""
    try:
        session_viewer(request)
        return RedirectResponse(safe_next(next), status_code=303)
    except (LoginRequired, SecondFactorDue):  # no session, or one half done: log in afresh
        return _login_page(request, next_path=next)


@router.post("/login")
def log_in(
    request: Request,
    ctx: Ctx,
    settings: Settings,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Check the password (throttled); start a session at the stage the operator needs."""
    csrf.check_origin(request)
    csrf.check(request.cookies.get(csrf.LOGIN_COOKIE, ""), csrf_token)
    throttle = _throttle(request)
    wait = throttle.password_wait(username, _address(request))
    if wait:
        minutes = int(wait // 60) + 1
        return _login_page(
            request,
            next_path=next,
            username=username,
            error=f"Too many failed attempts: try again in {minutes} minute(s).",
            status=429,
        )
    try:
        actor = operators.authenticate(ctx, username, password)
    except Unauthenticated as refused:
        if refused.code == "bad_credentials":
            throttle.password_failed(username, _address(request))
        return _login_page(
            request, next_path=next, username=username, error=refused.message, status=401
        )
    throttle.password_passed(username)
    step = second_factor.step_due(ctx, actor, admin_totp_required=settings.admin_totp_required)
    if step == second_factor.CODE_STEP:
        stage, target = PASSWORD_ONLY, "/login/code"
    elif step == second_factor.ENROL_STEP:
        stage, target = MUST_ENROL, "/login/enrol"
    else:
        stage, target = FULL, safe_next(next)
    token, expires = start(ctx, actor, stage)
    response = RedirectResponse(target, status_code=303)
    set_cookie(request, response, token, expires - ctx.now())
    response.delete_cookie(csrf.LOGIN_COOKIE, path="/login")
    return response


@router.get("/login/code")
def code_form(request: Request) -> Response:
    """The second step: a TOTP code."""
    session_viewer(request, stages=(PASSWORD_ONLY,))
    return render(request, "login_code.html")


@router.post("/login/code")
def check_code(
    request: Request,
    ctx: Ctx,
    code: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Accept a right code (each code once; wrong codes throttled)."""
    viewer = session_viewer(request, stages=(PASSWORD_ONLY,))
    csrf.check_origin(request)
    csrf.check(viewer.csrf, csrf_token)
    assert viewer.actor.id is not None
    key = code_key(viewer.actor.id)
    limiter = _throttle(request).per_code
    if limiter.retry_after(key):
        return render(
            request,
            "login_code.html",
            {"error": "Too many wrong codes: wait a few minutes, then try again."},
            status=429,
        )
    if not second_factor.verify(ctx, viewer.actor.id, code):
        limiter.fail(key)
        return render(
            request,
            "login_code.html",
            {"error": "That code is not right (or was already used). Type the newest one."},
            status=401,
        )
    limiter.succeed(key)
    return complete(ctx, request, viewer, "/")


@router.get("/login/enrol")
def enrol_form(request: Request, ctx: Ctx) -> Response:
    """Required set-up of the second step, before an administrator's first page."""
    viewer = session_viewer(request, stages=(MUST_ENROL,))
    enrolment = second_factor.pending_enrolment(ctx, viewer.actor) or second_factor.begin(
        ctx, viewer.actor
    )
    return render(
        request, "login_enrol.html", {"enrolment": enrolment, "confirm_action": "/login/enrol"}
    )


@router.post("/login/enrol")
def finish_enrolment(
    request: Request,
    ctx: Ctx,
    code: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Confirm the new second step with its first code; the session is then complete."""
    viewer = session_viewer(request, stages=(MUST_ENROL,))
    csrf.check_origin(request)
    csrf.check(viewer.csrf, csrf_token)
    try:
        second_factor.confirm(ctx, viewer.actor, code)
    except InvalidInput as wrong:
        enrolment = second_factor.pending_enrolment(ctx, viewer.actor)
        return render(
            request,
            "login_enrol.html",
            {"enrolment": enrolment, "confirm_action": "/login/enrol", "error": wrong.message},
            status=422,
        )
    return complete(ctx, request, viewer, "/?done=totp-on")


@router.post("/logout")
def log_out(request: Request, ctx: Ctx, csrf_token: Annotated[str, Form()] = "") -> Response:
    """End the page session (at whatever stage it was)."""
    try:
        viewer = session_viewer(request, stages=ALL_STAGES)
    except LoginRequired:
        response = RedirectResponse("/login", status_code=303)
        clear_cookie(response)
        return response
    csrf.check_origin(request)
    csrf.check(viewer.csrf, csrf_token)
    operators.log_out(ctx, viewer.token)  # the page session, and the same token on the API
    response = RedirectResponse("/login", status_code=303)
    clear_cookie(response)
    return response
