"""Operators log in here for a bearer token (password, and the TOTP code when they have
one), and log out."""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, status
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, OAuth2PasswordRequestForm

from server.api.dependencies import Ctx, bearer
from server.api.errors import error_body
from server.api.schemas.auth import LoginOut
from server.domain.errors import Unauthenticated
from server.services import operators, second_factor
from server.web.auth.rate_limit import LoginThrottle, code_key
from server.web.settings import WebSettings

router = APIRouter(prefix="/auth", tags=["auth"])
TooMany = {429: {"description": "Too many failed attempts: wait `Retry-After` seconds"}}


def _throttle(request: Request) -> LoginThrottle:
    """The same throttle the login page counts in (one per app)."""
    throttle = getattr(request.app.state, "login_throttle", None)
    if throttle is None:
        throttle = request.app.state.login_throttle = LoginThrottle()
    return throttle


def _settings(request: Request) -> WebSettings:
    found = getattr(request.app.state, "web_settings", None)
    return found if isinstance(found, WebSettings) else WebSettings.from_environment()


def _wait(seconds: float, what: str) -> JSONResponse:
    wait = int(seconds) + 1
    return JSONResponse(
        error_body("too_many_attempts", f"too many wrong {what}: try again in {wait} seconds"),
        status_code=429,
        headers={"Retry-After": str(wait)},
    )


@router.post("/token", response_model=LoginOut, responses=TooMany)
def log_in(
    request: Request,
    ctx: Ctx,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    totp: Annotated[
        str,
        Form(
            max_length=16,
            description="The current 6-digit TOTP code: required for operators who set up "
            "the second step (and administrators when GRIDVEND_ADMIN_TOTP=required)",
        ),
    ] = "",
) -> LoginOut | JSONResponse:
    """Exchange username and password (and the TOTP code, field `totp`, for an operator
    with a second step) for a bearer token. Throttled like the login page, counted
    together with it: five wrong passwords for a username in 15 minutes (thirty from one
    address), or five wrong codes, and that login waits (429)."""
    throttle = _throttle(request)
    address = request.client.host if request.client else "unknown"
    wait = throttle.password_wait(form.username, address)
    if wait:
        return _wait(wait, "passwords")
    try:
        actor = operators.authenticate(ctx, form.username, form.password)
    except Unauthenticated as refused:
        if refused.code == "bad_credentials":
            throttle.password_failed(form.username, address)
        raise
    throttle.password_passed(form.username)
    assert actor.id is not None
    key = code_key(actor.id)
    if totp.strip():
        wait = throttle.per_code.retry_after(key)
        if wait:
            return _wait(wait, "TOTP codes")
    try:
        second_factor.check_login(
            ctx, actor, totp, admin_totp_required=_settings(request).admin_totp_required
        )
    except Unauthenticated as refused:
        if refused.code == "wrong_totp_code":
            throttle.per_code.fail(key)
        raise
    if totp.strip():
        throttle.per_code.succeed(key)
    token, expires = operators.start_session(ctx, actor)
    return LoginOut(access_token=token, expires_at=expires, role=actor.role.value)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def log_out(
    ctx: Ctx, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Response:
    """End the bearer token sent with this request, at once (and the page session using
    it). Other server processes may honour it for up to 5 more seconds."""
    if credentials is None or not credentials.credentials:
        raise Unauthenticated("unauthenticated", "send the bearer token to end")
    operators.actor_for_token(ctx, credentials.credentials)
    operators.log_out(ctx, credentials.credentials)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
