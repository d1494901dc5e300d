"""The FastAPI application: routers under /api/v1, OpenAPI docs at /docs."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from gridvend import __version__
from server.api import errors
from server.api.routers import (
    agents,
    auth,
    catalogue,
    devices,
    engineering_tokens,
    operators,
    reports,
    vends,
)
from server.link import http_transport
from server.services.context import ServiceContext
from server.settings import default_db_url
from server.web import install as install_web_pages

API_PREFIX = "/api/v1"


def create_app(ctx: ServiceContext, *, dispose_on_shutdown: bool = False) -> FastAPI:
    """The API over an open service context."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        if dispose_on_shutdown:
            ctx.dispose()

    app = FastAPI(
        title="gridvend vending server",
        version=__version__,
        description="Prepaid electricity vending: meters, tariffs, vendors with float limits, "
        "idempotent vends issuing STS tokens. Errors are JSON: `code` (stable) and `message`.",
        lifespan=lifespan,
    )
    app.state.ctx = ctx
    errors.install(app)
    health = APIRouter(tags=["health"])

    @health.get("/health")
    async def alive() -> dict[str, str]:
        """Liveness: answers without a login."""
        return {"status": "ok", "version": __version__}

    # Each router straight onto the app (not nested): route matching stays one flat list.
    for router in (
        vends.router,  # first: the busiest
        auth.router,
        catalogue.supply_group_router,
        catalogue.tariff_router,
        catalogue.customer_router,
        catalogue.meter_router,
        agents.router,
        devices.router,  # handheld registration (provisioning)
        engineering_tokens.router,
        reports.router,
        operators.operator_router,  # roles, disabling
        operators.pos_client_router,  # disabling API keys
        http_transport.router,  # the handhelds' signed messages (device link over HTTP)
        health,
    ):
        app.include_router(router, prefix=API_PREFIX)
    install_web_pages(app)  # the operator pages under / (server/web)
    return app


def app_from_environment() -> FastAPI:
    """The app for `uvicorn --factory`: database from $GRIDVEND_DB, master key from
    $GRIDVEND_MASTER_KEY_FILE (or $GRIDVEND_MASTER_KEY). Refuses to start without a key."""
    from server.bootstrap import open_context

    ctx = open_context(default_db_url(), need_keys=True)
    return create_app(ctx, dispose_on_shutdown=True)
