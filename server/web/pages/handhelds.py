"""Handhelds: each one's status from its last hello, enabling and disabling, and the
offline allowance (money reserved from the vendor's float for sales made without signal)."""

from typing import Annotated
from urllib.parse import quote

from fastapi import Form, Request
from fastapi.responses import Response

from server.domain.errors import DomainError, Forbidden
from server.domain.roles import Permission
from server.services import devices, offline
from server.services.offline import ReserveView
from server.web import device_status
from server.web.access import Ctx, Looker, Sender, Settings
from server.web.form_values import amount as parse_amount
from server.web.notices import done, notice_of
from server.web.rendering import render
from server.web.routing import page_router, status_for

router = page_router()


def _page(
    request: Request,
    ctx: Ctx,
    settings: Settings,
    viewer: Looker,
    *,
    error: str | None = None,
    status: int = 200,
) -> Response:
    handhelds = device_status.statuses(ctx, viewer.actor)
    reserves: dict[str, ReserveView] = {
        h.name: offline.reserve_of(ctx, viewer.actor, h.name) for h in handhelds
    }
    return render(
        request,
        "handhelds.html",
        {
            "handhelds": handhelds,
            "reserves": reserves,
            "money": ctx.currency.to_decimal,
            "silent": {
                h.name
                for h in device_status.silent(handhelds, ctx.now(), settings.silent_after_minutes)
            },
            "silent_minutes": settings.silent_after_minutes,
            "notice": notice_of(request),
            "error": error,
        },
        status=status,
    )


@router.get("/handhelds")
def handheld_list(request: Request, ctx: Ctx, settings: Settings, viewer: Looker) -> Response:
    """Every handheld: last hello (firmware, battery, paper, queue, signal, heap, when),
    offline allowance and reserve."""
    return _page(request, ctx, settings, viewer)


@router.post("/handhelds/{name}/enabled")
def set_enabled(
    request: Request,
    ctx: Ctx,
    settings: Settings,
    viewer: Sender,
    name: str,
    enabled: Annotated[str, Form()] = "",
) -> Response:
    """Enable a handheld, or disable it (its messages are then refused)."""
    viewer.actor.require(Permission.MANAGE_AGENTS)
    try:
        devices.set_enabled(ctx, viewer.actor, name[:64], enabled == "yes")
    except Forbidden:
        raise
    except DomainError as exc:
        return _page(request, ctx, settings, viewer, error=exc.message, status=status_for(exc))
    return done(
        f"/handhelds#{quote(name[:64])}",
        "device-enabled" if enabled == "yes" else "device-disabled",
    )


@router.post("/handhelds/{name}/allowance")
def set_allowance(
    request: Request,
    ctx: Ctx,
    settings: Settings,
    viewer: Sender,
    name: str,
    amount: Annotated[str, Form()] = "",
) -> Response:
    """Set what a handheld may sell offline; the money is reserved from the float now."""
    try:
        offline.set_allowance(
            ctx, viewer.actor, name[:64], parse_amount(ctx, amount or "0", "offline allowance")
        )
    except Forbidden:
        raise
    except DomainError as exc:
        return _page(request, ctx, settings, viewer, error=exc.message, status=status_for(exc))
    return done(f"/handhelds#{quote(name[:64])}", "allowance")
