"""The operator pages: server-rendered HTML on the same FastAPI app as the API.

`install(app)` adds the page routers and /static. Pages call the same service functions as
the API; sessions, CSRF, the TOTP second step and login throttling live in `auth/`.
"""

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from server.web.auth.rate_limit import LoginThrottle
from server.web.settings import WebSettings

STATIC = Path(__file__).parent / "static"


def page_routers() -> list[APIRouter]:
    """The routers of every group of pages, in the order they are matched."""
    from server.web.pages import (
        account,
        audit,
        customers,
        dashboard,
        engineering,
        handhelds,
        imports,
        login,
        meters,
        operators,
        receipts,
        reports,
        supply_groups,
        tariffs,
        vend,
        vendors,
    )

    modules = (
        login,
        account,
        dashboard,
        vend,
        receipts,
        meters,
        customers,
        imports,
        tariffs,
        supply_groups,
        vendors,
        handhelds,
        engineering,
        reports,
        audit,
        operators,
    )
    return [module.router for module in modules]


def install(app: FastAPI, settings: WebSettings | None = None) -> None:
    """Serve the operator pages under / and their CSS and JS under /static."""
    app.state.web_settings = settings or WebSettings.from_environment()
    app.state.login_throttle = LoginThrottle()
    for router in page_routers():
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
