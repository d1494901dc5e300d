"""Turning templates into pages: one Jinja2 environment with autoescaping on for every
template, the filters pages share, the navigation, and the security headers."""

from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from server.domain.roles import Permission
from server.services.context import ServiceContext

TEMPLATES = Path(__file__).parent / "templates"

# (path, label, permission needed to see the link)
NAVIGATION: tuple[tuple[str, str, Permission], ...] = (
    ("/", "Dashboard", Permission.VIEW),
    ("/vend", "Vend", Permission.VEND),
    ("/meters", "Meters", Permission.VIEW),
    ("/customers", "Customers", Permission.VIEW),
    ("/vendors", "Vendors", Permission.VIEW),
    ("/handhelds", "Handhelds", Permission.VIEW),
    ("/tariffs", "Tariffs", Permission.VIEW),
    ("/supply-groups", "Supply groups", Permission.VIEW),
    ("/engineering", "Engineering", Permission.ENGINEERING),
    ("/reports", "Reports", Permission.REPORTS),
    ("/audit", "Audit log", Permission.AUDIT),
    ("/operators", "Operators", Permission.MANAGE_OPERATORS),
)

# No inline script or style anywhere: the pages load their CSS and JS from /static only.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


def money(value: Decimal | int | None) -> str:
    """An amount with thousands separators: 1,234.50."""
    if value is None:
        return ""
    return format(value, ",")


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,  # every template, whatever its name: nothing reaches a page unescaped
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["money"] = money
    return env


templates = _environment()


def local_time(ctx: ServiceContext, when: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored (UTC) time in the installation's time zone."""
    if when is None:
        return ""
    return when.astimezone(ctx.timezone).strftime(fmt)


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, *, status: int = 200
) -> HTMLResponse:
    """The page `template` with the shared context: viewer, navigation, currency, clock."""
    ctx: ServiceContext | None = getattr(request.app.state, "ctx", None)
    viewer = getattr(request.state, "viewer", None)
    nav = (
        [(path, label) for path, label, needed in NAVIGATION if viewer.may(needed)]
        if viewer is not None and getattr(viewer, "stage", "") == "full"
        else []
    )
    shared: dict[str, Any] = {
        "request": request,
        "viewer": viewer,
        "nav": nav,
        "path": request.url.path,
        "currency": ctx.currency.code if ctx is not None else "",
        "when": (lambda t, fmt="%Y-%m-%d %H:%M": local_time(ctx, t, fmt)) if ctx else str,
        "timezone": str(ctx.timezone) if ctx is not None else "UTC",
        "error": None,
        "notice": None,
    }
    shared.update(context or {})
    html = templates.get_template(template).render(shared)
    return HTMLResponse(html, status_code=status)


def secure(response: Response) -> Response:
    """Add the pages' security headers to a response."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response
