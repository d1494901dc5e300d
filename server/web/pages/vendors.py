"""Vendors: float, credit limit, status; top-up, adjustment, limit and status forms; the
statement with its running balance; their handhelds."""

from collections.abc import Callable
from typing import Annotated
from urllib.parse import quote

from fastapi import Form, Request
from fastapi.responses import Response

from server.domain.errors import DomainError, Forbidden
from server.domain.receipt_numbers import receipt_number
from server.domain.roles import Permission
from server.services import agents
from server.services.agents import AgentView
from server.web import device_status
from server.web.access import Ctx, Looker, Sender
from server.web.form_values import amount as parse_amount
from server.web.notices import done, notice_of
from server.web.periods import parse_day, period
from server.web.rendering import render
from server.web.routing import page_router, status_for

router = page_router()
PAGE_SIZE = 100


def _list_page(
    request: Request,
    ctx: Ctx,
    viewer: Looker,
    page: int = 1,
    values: dict[str, str] | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    page = max(1, page)
    found = agents.list_agents(
        ctx, viewer.actor, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE + 1
    )
    return render(
        request,
        "vendors.html",
        {
            "vendors": found[:PAGE_SIZE],
            "page": page,
            "more": len(found) > PAGE_SIZE,
            "values": values or {"code": "", "name": "", "phone": "", "credit_limit": ""},
            "error": error,
            "notice": notice_of(request),
        },
        status=status,
    )


@router.get("/vendors")
def vendor_list(request: Request, ctx: Ctx, viewer: Looker, page: int = 1) -> Response:
    """Every vendor with float, credit limit and what they can still sell."""
    return _list_page(request, ctx, viewer, page)


@router.post("/vendors")
def add_vendor(
    request: Request,
    ctx: Ctx,
    viewer: Sender,
    code: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    phone: Annotated[str, Form()] = "",
    credit_limit: Annotated[str, Form()] = "",
) -> Response:
    """Register a vendor with an empty float."""
    values = {"code": code, "name": name, "phone": phone, "credit_limit": credit_limit}
    try:
        view = agents.add_agent(
            ctx,
            viewer.actor,
            code=code,
            name=name,
            phone=phone,
            credit_limit=parse_amount(ctx, credit_limit, "credit limit")
            if credit_limit.strip()
            else 0,
        )
    except Forbidden:
        raise
    except DomainError as exc:
        return _list_page(
            request, ctx, viewer, values=values, error=exc.message, status=status_for(exc)
        )
    return done(f"/vendors/{quote(view.code)}", "vendor-added")


def _vendor_page(
    request: Request,
    ctx: Ctx,
    viewer: Looker,
    code: str,
    *,
    start: str = "",
    end: str = "",
    error: str | None = None,
    status: int = 200,
) -> Response:
    vendor = agents.get_agent(ctx, viewer.actor, code[:32])
    days = period(ctx, parse_day(start, "from"), parse_day(end, "to"), default_days=29)
    statement = agents.statement(ctx, viewer.actor, vendor.code, days.start, days.end)
    handhelds = [
        h for h in device_status.statuses(ctx, viewer.actor) if h.agent_code == vendor.code
    ]
    return render(
        request,
        "vendor.html",
        {
            "vendor": vendor,
            "days": days,
            "statement": statement,
            "receipt_number": receipt_number,
            "handhelds": handhelds,
            "offline_total": sum(
                (h.offline_allowance for h in handhelds), ctx.currency.to_decimal(0)
            ),
            "error": error,
            "notice": notice_of(request),
        },
        status=status,
    )


@router.get("/vendors/{code}")
def vendor_page(
    request: Request, ctx: Ctx, viewer: Looker, code: str, start: str = "", end: str = ""
) -> Response:
    """A vendor: float, limit, statement (default the last 30 days), handhelds, forms."""
    return _vendor_page(request, ctx, viewer, code, start=start, end=end)


def _act(
    request: Request,
    ctx: Ctx,
    viewer: Sender,
    code: str,
    action: Callable[[], AgentView],
    notice: str,
) -> Response:
    """Run a vendor action; back to the vendor page with a notice, or with the refusal."""
    try:
        view = action()
    except Forbidden:
        raise
    except DomainError as exc:
        return _vendor_page(request, ctx, viewer, code, error=exc.message, status=status_for(exc))
    return done(f"/vendors/{quote(view.code)}", notice)


@router.post("/vendors/{code}/topup")
def topup(
    request: Request,
    ctx: Ctx,
    viewer: Sender,
    code: str,
    amount: Annotated[str, Form()] = "",
    reference: Annotated[str, Form()] = "",
) -> Response:
    """Record a cash deposit: the float grows by the amount."""
    return _act(
        request,
        ctx,
        viewer,
        code,
        lambda: agents.topup(
            ctx, viewer.actor, code[:32], parse_amount(ctx, amount, "top-up"), reference
        ),
        "topup",
    )


@router.post("/vendors/{code}/adjust")
def adjust(
    request: Request,
    ctx: Ctx,
    viewer: Sender,
    code: str,
    amount: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Correct the float up (positive) or down (negative), with a reason."""
    return _act(
        request,
        ctx,
        viewer,
        code,
        lambda: agents.adjust(
            ctx, viewer.actor, code[:32], parse_amount(ctx, amount, "adjustment"), reason
        ),
        "adjusted",
    )


@router.post("/vendors/{code}/limit")
def set_limit(
    request: Request,
    ctx: Ctx,
    viewer: Sender,
    code: str,
    credit_limit: Annotated[str, Form()] = "",
) -> Response:
    """Set how far below zero the float may go."""
    return _act(
        request,
        ctx,
        viewer,
        code,
        lambda: agents.set_limit(
            ctx, viewer.actor, code[:32], parse_amount(ctx, credit_limit or "0", "credit limit")
        ),
        "limit",
    )


@router.post("/vendors/{code}/status")
def set_status(
    request: Request,
    ctx: Ctx,
    viewer: Sender,
    code: str,
    status: Annotated[str, Form()] = "",
) -> Response:
    """Suspend (no sales), close, or make active again."""
    return _act(
        request,
        ctx,
        viewer,
        code,
        lambda: agents.set_status(ctx, viewer.actor, code[:32], status),
        "status",
    )


@router.post("/vendors/{code}/handhelds")
def add_handheld(
    request: Request,
    ctx: Ctx,
    viewer: Sender,
    code: str,
    name: Annotated[str, Form()] = "",
    offline_allowance: Annotated[str, Form()] = "",
) -> Response:
    """Register a handheld for this vendor, with what it may sell offline."""
    viewer.actor.require(Permission.MANAGE_AGENTS)
    try:
        agents.add_device(
            ctx,
            viewer.actor,
            code[:32],
            name,
            offline_allowance=parse_amount(ctx, offline_allowance, "offline allowance")
            if offline_allowance.strip()
            else 0,
        )
    except Forbidden:
        raise
    except DomainError as exc:
        return _vendor_page(request, ctx, viewer, code, error=exc.message, status=status_for(exc))
    return done(f"/vendors/{quote(code[:32])}", "device-added")
