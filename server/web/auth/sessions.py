"""Login sessions of the operator pages, in an HttpOnly, SameSite=Strict cookie.

The cookie holds the operator's session token from `operators.log_in` (the same login the
API uses, so disabling an operator or letting the token expire ends the page session too).
A page opens only for a token that also has a grant row at stage "full": the grant is what
says the second factor was given, so a token fetched from the API with only a password
cannot open the pages of an operator who has TOTP.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from fastapi import Request, Response
from sqlalchemy import delete, insert, select, update

from server.domain.errors import Unauthenticated
from server.domain.roles import Permission, may
from server.services import operators
from server.services.context import Actor, ServiceContext
from server.storage.unit_of_work import UnitOfWork
from server.web.auth import csrf
from server.web.tables import session_grants

COOKIE = "gridvend_session"
FULL, PASSWORD_ONLY, MUST_ENROL = "full", "password", "enrol"


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


def promote(ctx: ServiceContext, token: str, stage: str = FULL) -> None:
    """Move a session to `stage` (once its second factor is given)."""

    def work(uow: UnitOfWork) -> None:
        uow.session.connection().execute(
            update(session_grants)
            .where(session_grants.c.token_hash == _digest(token))
            .values(stage=stage)
        )
        uow.commit()

    ctx.transaction(work)


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
    actor = _actor(ctx, token)
    if actor.id != grant.operator_id:
        raise LoginRequired
    viewer = Viewer(actor, token, grant.stage)
    request.state.viewer = viewer
    return viewer
