"""Login sessions of the operator pages, in an HttpOnly, SameSite=Strict cookie.

A page opens only for a cookie whose token has a grant row at stage "full". Such a token is
a bearer token from `operators.start_session` (the same sessions the API uses, so disabling
an operator, logging out or the token expiring ends the page session too), issued only once
the password and, when the operator needs it, the TOTP code were given.

While the second step is still due, the cookie holds a random token that is *not* a bearer
token: its grant (stage "password" or "enrol", valid PENDING_MINUTES) names the operator and
nothing else, so a password alone never yields a token the API would take. Completing the
login replaces it with a new token (and a new cookie).
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy import delete, insert, select

from server.domain.errors import Unauthenticated
from server.domain.roles import Permission, may
from server.services import operators
from server.services.context import Actor, ServiceContext
from server.storage.unit_of_work import UnitOfWork
from server.web.auth import csrf
from server.web.tables import session_grants

COOKIE = "gridvend_session"
FULL, PASSWORD_ONLY, MUST_ENROL = "full", "password", "enrol"
PENDING_MINUTES = 15  # how long a login may wait between the password and the second step


class LoginRequired(Exception):
    """No valid session: the browser is sent to the login page (and back afterwards)."""


class SecondFactorDue(Exception):
    """Password given, second factor not yet: the browser is sent to that step."""

    def __init__(self, stage: str) -> None:
        super().__init__(stage)
        self.stage = stage


@dataclass(frozen=True)
class Grant:
    """What the pages know about a session token."""

    operator_id: int
    stage: str
    expires_at: datetime


@dataclass(frozen=True)
class Viewer:
    """The operator looking at a page, with the CSRF token their forms must carry."""

    actor: Actor
    token: str
    stage: str = FULL

    @property
    def csrf(self) -> str:
        return csrf.token_for_session(self.token)

    @property
    def name(self) -> str:
        return self.actor.name

    @property
    def role(self) -> str:
        return self.actor.role.value

    def may(self, permission: str) -> bool:
        """Whether this operator's role grants `permission` (a Permission value)."""
        return may(self.actor.role, Permission(permission))


def context_of(request: Request) -> ServiceContext:
    """The process's service context, with the pages' own tables in place."""
    ctx: ServiceContext = request.app.state.ctx
    return ctx


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_grant(
    ctx: ServiceContext, token: str, operator_id: int, stage: str, expires: datetime
) -> None:
    """Record a new session at `stage`, dropping expired ones."""

    def work(uow: UnitOfWork) -> None:
        connection = uow.session.connection()
        connection.execute(delete(session_grants).where(session_grants.c.expires_at < ctx.now()))
        connection.execute(
            insert(session_grants).values(
                token_hash=_digest(token),
                operator_id=operator_id,
                stage=stage,
                created_at=ctx.now(),
                expires_at=expires,
            )
        )
        uow.commit()

    ctx.transaction(work)


def grant_of(ctx: ServiceContext, token: str) -> Grant | None:
    """The grant of an unexpired session token, if any."""

    def work(uow: UnitOfWork) -> Grant | None:
        row = (
            uow.session.connection()
            .execute(
                select(
                    session_grants.c.operator_id,
                    session_grants.c.stage,
                    session_grants.c.expires_at,
                ).where(session_grants.c.token_hash == _digest(token))
            )
            .one_or_none()
        )
        return None if row is None else Grant(*row)

    found = ctx.transaction(work, read_only=True)
    if found is None or found.expires_at <= ctx.now():
        return None
    return found


def start(ctx: ServiceContext, actor: Actor, stage: str) -> tuple[str, datetime]:
    """A new page session for `actor` at `stage`: a bearer token when the login is complete
    (FULL), else a random token only the pages know; (token, expiry)."""
    assert actor.id is not None
    if stage == FULL:
        token, expires = operators.start_session(ctx, actor)
    else:
        token, expires = secrets.token_urlsafe(32), ctx.now() + timedelta(minutes=PENDING_MINUTES)
    open_grant(ctx, token, actor.id, stage, expires)
    return token, expires


def complete(ctx: ServiceContext, request: Request, viewer: "Viewer", target: str) -> Response:
    """The second step was given: a full session (new token, new cookie) replaces the
    half-done one, and the browser goes on to `target`."""
    token, expires = start(ctx, viewer.actor, FULL)
    close_grant(ctx, viewer.token)
    response = RedirectResponse(target, status_code=303)
    set_cookie(request, response, token, expires - ctx.now())
    return response


def close_grant(ctx: ServiceContext, token: str) -> None:
    """End a session: its cookie opens no page any more."""

    def work(uow: UnitOfWork) -> None:
        uow.session.connection().execute(
            delete(session_grants).where(session_grants.c.token_hash == _digest(token))
        )
        uow.commit()

    ctx.transaction(work)


def close_grants_of(ctx: ServiceContext, operator_id: int) -> None:
    """End every page session of an operator (after their second factor was reset)."""

    def work(uow: UnitOfWork) -> None:
        uow.session.connection().execute(
            delete(session_grants).where(session_grants.c.operator_id == operator_id)
        )
        uow.commit()

    ctx.transaction(work)


def set_cookie(request: Request, response: Response, token: str, lifetime: timedelta) -> None:
    """Hand the browser its session cookie: HttpOnly, SameSite=Strict, Secure over HTTPS.

    Its lifetime is relative (Max-Age): the browser's clock need not agree with the server's.
    """
    response.set_cookie(
        COOKIE,
        token,
        max_age=max(0, int(lifetime.total_seconds())),
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def clear_cookie(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")


def _actor(ctx: ServiceContext, token: str) -> Actor:
    try:
        return operators.remembered_actor(ctx, token=token) or operators.actor_for_token(ctx, token)
    except Unauthenticated:
        raise LoginRequired from None


def session_viewer(request: Request, *, stages: tuple[str, ...] = (FULL,)) -> Viewer:
    """The operator behind the request's cookie, if their session is at one of `stages`."""
    token = request.cookies.get(COOKIE, "")
    if not token or len(token) > 256:
        raise LoginRequired
    ctx = context_of(request)
    grant = grant_of(ctx, token)
    if grant is None:
        raise LoginRequired
    if grant.stage not in stages:
        raise SecondFactorDue(grant.stage)
    if grant.stage == FULL:
        actor = _actor(ctx, token)
    else:
        try:
            actor = operators.actor_by_id(ctx, grant.operator_id)
        except Unauthenticated:
            raise LoginRequired from None
    if actor.id != grant.operator_id:
        raise LoginRequired
    viewer = Viewer(actor, token, grant.stage)
    request.state.viewer = viewer
    return viewer
