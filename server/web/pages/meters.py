"""Meters: search, view (key, tokens, history with reprints), register, change tariff or
customer, block and unblock."""

from typing import Annotated
from urllib.parse import quote

from fastapi import Form, Request
from fastapi.responses import Response

from server.domain.errors import DomainError, Forbidden, InvalidInput
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


MOVE_FIELDS = ("customer", "new_account_no", "new_name", "new_address", "new_phone")


def _meter_page(
    request: Request,
    ctx: Ctx,
    viewer: Looker,
    number: str,
    *,
    move: dict[str, str] | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    view = meters.show_meter(ctx, viewer.actor, number[:40])
    history = (
        read_queries.meter_history(ctx, viewer.actor, view.pan)
        if viewer.may(Permission.REPRINT)
        else None
    )
    catalogue = viewer.may(Permission.MANAGE_CATALOGUE)
    return render(
        request,
        "meter.html",
        {
            "meter": view,
            "history": history,
            "tariffs": tariffs.list_tariffs(ctx, viewer.actor) if catalogue else [],
            "move": move or dict.fromkeys(MOVE_FIELDS, ""),
            "notice": notice_of(request),
            "error": error,
        },
        status=status,
    )


@router.get("/meters/{number}")
def meter_page(request: Request, ctx: Ctx, viewer: Looker, number: str) -> Response:
    """A meter: its customer, key, state, tokens and sales (each sale reprintable); the
    forms to change its tariff or customer, and to block it."""
    return _meter_page(request, ctx, viewer, number)


@router.post("/meters/{number}/tariff")
def change_tariff(
    ctx: Ctx,
    viewer: Sender,
    number: str,
    tariff: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Price the meter's next sales at another tariff."""
    view = meters.change_tariff(ctx, viewer.actor, number[:40], tariff[:64], reason)
    return done(f"/meters/{quote(view.pan)}", "meter-tariff")


@router.post("/meters/{number}/customer")
def move_meter(
    request: Request,
    ctx: Ctx,
    viewer: Sender,
    number: str,
    customer: Annotated[str, Form()] = "",
    new_account_no: Annotated[str, Form()] = "",
    new_name: Annotated[str, Form()] = "",
    new_address: Annotated[str, Form()] = "",
    new_phone: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Give the meter to an existing customer (account number) or to a new one."""
    typed = {
        "customer": customer,
        "new_account_no": new_account_no,
        "new_name": new_name,
        "new_address": new_address,
        "new_phone": new_phone,
    }
    wants_new = any(v.strip() for v in (new_account_no, new_name, new_address, new_phone))
    try:
        if wants_new and customer.strip():
            raise InvalidInput(
                "invalid_customer",
                "give either an existing customer's account number or a new customer, not both",
            )
        view = meters.move_meter(
            ctx,
            viewer.actor,
            number[:40],
            customer_account=None if wants_new else customer,
            new_customer=(
                {
                    "account_no": new_account_no,
                    "name": new_name,
                    "address": new_address,
                    "phone": new_phone,
                }
                if wants_new
                else None
            ),
            reason=reason,
        )
    except Forbidden:
        raise
    except DomainError as exc:
        if exc.code == "meter_not_found" or exc.code == "invalid_meter_number":
            raise
        return _meter_page(
            request, ctx, viewer, number, move=typed, error=exc.message, status=status_for(exc)
        )
    return done(f"/meters/{quote(view.pan)}", "meter-moved")


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
