"""Vend at the counter: meter (checked as typed), amount and vendor; quote; confirm; receipt.

The confirm form carries a request id made when the quote was shown, so a double click or
a resent form gives the same sale back (the vend service replays it), never a second token.
"""

import uuid
from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from server.domain.errors import DomainError, Forbidden, InvalidInput
from server.domain.roles import Permission
from server.services import agents, meters, vending
from server.services.vending import VendRequest
from server.web.access import Ctx, Looker, Sender
from server.web.form_values import amount as parse_amount
from server.web.rendering import render
from server.web.routing import page_router, status_for

router = page_router()


def _vendor_options(ctx: Ctx, viewer: Looker) -> list[tuple[str, str]]:
    found = agents.list_agents(ctx, viewer.actor, limit=500)
    return [
        (a.code, f"{a.code} · {a.name} · {a.available} available")
        for a in found
        if a.status == "active"
    ]


def _form(
    request: Request,
    ctx: Ctx,
    viewer: Looker,
    *,
    meter: str = "",
    amount: str = "",
    agent: str = "",
    error: str | None = None,
    status: int = 200,
) -> Response:
    return render(
        request,
        "vend.html",
        {
            "meter": meter,
            "amount": amount,
            "agent": agent,
            "vendors": _vendor_options(ctx, viewer),
            "error": error,
        },
        status=status,
    )


@router.get("/vend")
def vend_form(
    request: Request, ctx: Ctx, viewer: Looker, meter: str = "", agent: str = ""
) -> Response:
    """The counter form, optionally with the meter (say, from its history page) filled in."""
    viewer.actor.require(Permission.VEND)
    return _form(request, ctx, viewer, meter=meter[:40], agent=agent[:32])


@router.get("/vend/meter-check")
def meter_check(ctx: Ctx, viewer: Looker, number: str = "") -> JSONResponse:
    """For the counter form as the number is typed: is it valid, whose is it, can it buy."""
    viewer.actor.require(Permission.VEND)
    try:
        view = meters.show_meter(ctx, viewer.actor, number[:40])
    except Forbidden:
        raise
    except DomainError as exc:
        return JSONResponse({"ok": False, "message": exc.message})
    return JSONResponse(
        {
            "ok": view.state == "active",
            "meter": view.pan,
            "state": view.state,
            "customer": view.customer_name,
            "account": view.customer_account,
            "tariff": view.tariff,
            "key_change_due": view.key_change_due,
            "message": ""
            if view.state == "active"
            else f"meter {view.pan} is {view.state}: no sales to it",
        }
    )


@router.post("/vend/quote")
def quote(
    request: Request,
    ctx: Ctx,
    viewer: Sender,
    meter: Annotated[str, Form()] = "",
    amount: Annotated[str, Form()] = "",
    agent: Annotated[str, Form()] = "",
) -> Response:
    """What the amount buys (tax, charges, debt, kWh), with the button that sells it."""
    try:
        minor = parse_amount(ctx, amount)
        trial = vending.quote(ctx, viewer.actor, meter, minor)
        if not agent.strip():
            raise InvalidInput("agent_required", "choose the vendor whose float pays")
    except Forbidden:
        raise
    except DomainError as exc:
        return _form(
            request,
            ctx,
            viewer,
            meter=meter,
            amount=amount,
            agent=agent,
            error=exc.message,
            status=status_for(exc),
        )
    return render(
        request,
        "vend_quote.html",
        {
            "quote": trial,
            "amount_text": str(ctx.currency.to_decimal(minor)),
            "agent": agent.strip(),
            "request_id": f"web-{uuid.uuid4().hex}",
        },
    )


@router.post("/vend/confirm")
def confirm(
    request: Request,
    ctx: Ctx,
    viewer: Sender,
    meter: Annotated[str, Form()] = "",
    amount: Annotated[str, Form()] = "",
    agent: Annotated[str, Form()] = "",
    request_id: Annotated[str, Form()] = "",
) -> Response:
    """Sell: exactly one sale and token set per request id; then the receipt page."""
    try:
        receipt = vending.vend(
            ctx,
            viewer.actor,
            VendRequest(
                request_id=request_id,
                meter=meter,
                amount=parse_amount(ctx, amount),
                agent_code=agent,
            ),
        )
    except Forbidden:
        raise
    except DomainError as exc:
        return _form(
            request,
            ctx,
            viewer,
            meter=meter,
            amount=amount,
            agent=agent,
            error=exc.message,
            status=status_for(exc),
        )
    return RedirectResponse(f"/receipts/{receipt.receipt_no}?new=1", status_code=303)
