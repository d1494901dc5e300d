"""Request dependencies: the service context, and who is calling (bearer token or API key)."""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from server.domain.errors import Unauthenticated
from server.services import operators
from server.services.context import Actor, ServiceContext

bearer = HTTPBearer(auto_error=False, description="Operators: the token from POST /auth/token")
api_key = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="Point-of-sale clients: their API key"
)


async def get_ctx(request: Request) -> ServiceContext:
    """The process's ServiceContext, set up by create_app."""
    return request.app.state.ctx


Ctx = Annotated[ServiceContext, Depends(get_ctx)]


async def get_actor(
    ctx: Ctx,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    key: Annotated[str | None, Depends(api_key)],
) -> Actor:
    """The operator (bearer token) or POS client (X-API-Key) making the request."""
    # A caller seen moments ago is known without I/O; otherwise the database is asked, in
    # the thread pool, never on the event loop.
    if credentials is not None and credentials.credentials:
        token = credentials.credentials
        known = operators.remembered_actor(ctx, token=token)
        return known or await run_in_threadpool(operators.actor_for_token, ctx, token)
    if key:
        known = operators.remembered_actor(ctx, api_key=key)
        return known or await run_in_threadpool(operators.actor_for_api_key, ctx, key)
    raise Unauthenticated(
        "unauthenticated", "log in (POST /api/v1/auth/token) or send an X-API-Key header"
    )


Caller = Annotated[Actor, Depends(get_actor)]
