"""Meters: search, view (key, tokens, history with reprints), register, block and unblock."""

from typing import Annotated
from urllib.parse import quote

from fastapi import Form, Request
from fastapi.responses import Response

from server.domain.errors import DomainError, Forbidden
from server.domain.roles import Permission
from server.services import meters, supply_groups, tariffs
from server.web import read_queries
from server.web.access import Ctx, Looker, Sender
from server.web.form_values import optional_whole_number
from server.web.notices import done, notice_of
from server.web.rendering import render
from server.web.routing import page_router, status_for

router = page_router()


@router.get("/meters")
def meter_list(request: Request, ctx: Ctx, viewer: Looker, q: str = "") -> Response:
    """Meters matching a number, account or customer name (all, first 200, without one)."""
    found = read_queries.search_meters(ctx, viewer.actor, q[:100])
    return render(
        request,
        "meters.html",
        {
            "q": q[:100],
            "meters": found,
            "limit": read_queries.MAX_ROWS,
            "notice": notice_of(request),
        },
    )


def _new_form(
    request: Request,
    ctx: Ctx,
    viewer: Looker,
    values: dict[str, str],
    error: str | None = None,
    status: int = 200,
) -> Response:
    viewer.actor.require(Permission.MANAGE_CATALOGUE)
    return render(
        request,
        "meter_new.html",
        {
            "values": values,
            "groups": [g for g, _ in supply_groups.list_supply_groups(ctx, viewer.actor)],
            "tariffs": tariffs.list_tariffs(ctx, viewer.actor),
            "error": error,
        },
        status=status,
    )


METER_FIELDS = ("number", "sgc", "tariff", "customer", "krn", "ti", "base_date")


@router.get("/meters/new")
def new_meter_form(request: Request, ctx: Ctx, viewer: Looker, customer: str = "") -> Response:
    """The form to register a meter."""
    values = dict.fromkeys(METER_FIELDS, "")
    values["customer"] = customer[:32]
    return _new_form(request, ctx, viewer, values)


@router.post("/meters/new")
def add_meter(
    request: Request,
    ctx: Ctx,
    viewer: Sender,
    number: Annotated[str, Form()] = "",
    sgc: Annotated[str, Form()] = "",
    tariff: Annotated[str, Form()] = "",
    customer: Annotated[str, Form()] = "",
    krn: Annotated[str, Form()] = "",
    ti: Annotated[str, Form()] = "",
    base_date: Annotated[str, Form()] = "",
) -> Response:
    """Register a meter (number checked, Luhn digit included); key defaults to its group's."""
    values = {
        "number": number,
        "sgc": sgc,
        "tariff": tariff,
        "customer": customer,
        "krn": krn,
        "ti": ti,
        "base_date": base_date,
    }
    try:
        view = meters.add_meter(
            ctx,
            viewer.actor,
            number=number,
            sgc=supply_groups.parse_sgc(sgc),
            tariff=tariff,
            customer_account=customer.strip() or None,
            krn=optional_whole_number(krn, "key revision", low=1, high=9),
            ti=optional_whole_number(ti, "tariff index", high=99) or 1,
            base_date=optional_whole_number(base_date, "base date", low=1993, high=2035),
        )
    except Forbidden:
        raise
    except DomainError as exc:
        return _new_form(request, ctx, viewer, values, exc.message, status_for(exc))
    return done(f"/meters/{view.pan}", "meter-added")


@router.get("/meters/{number}")
def meter_page(request: Request, ctx: Ctx, viewer: Looker, number: str) -> Response:
    """A meter: its customer, key, state, tokens and sales (each sale reprintable)."""
    view = meters.show_meter(ctx, viewer.actor, number[:40])
    history = (
        read_queries.meter_history(ctx, viewer.actor, view.pan)
        if viewer.may(Permission.REPRINT)
        else None
    )
    return render(
        request,
        "meter.html",
        {"meter": view, "history": history, "notice": notice_of(request)},
    )


@router.post("/meters/{number}/state")
def set_state(
    ctx: Ctx,
    viewer: Sender,
    number: str,
    state: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Block a meter (no more sales) or make it active again, with a reason."""
    view = meters.set_meter_state(ctx, viewer.actor, number[:40], state, reason)
    return done(f"/meters/{quote(view.pan)}", "meter-state")
