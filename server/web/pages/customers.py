"""Customers: search, view (their meters, arrears), add, edit, and change arrears."""

from typing import Annotated
from urllib.parse import quote

from fastapi import Form, Request
from fastapi.responses import Response

from server.domain.errors import DomainError, Forbidden, NotFound
from server.domain.roles import Permission
from server.services import customers
from server.web import read_queries
from server.web.access import Ctx, Looker, Sender
from server.web.form_values import amount as parse_amount
from server.web.notices import done, notice_of
from server.web.rendering import render
from server.web.routing import page_router, status_for

router = page_router()
CUSTOMER_FIELDS = ("account_no", "name", "address", "phone", "debt")


@router.get("/customers")
def customer_list(request: Request, ctx: Ctx, viewer: Looker, q: str = "") -> Response:
    """Customers matching an account number, name, phone or address."""
    found = read_queries.search_customers(ctx, viewer.actor, q[:100])
    return render(
        request,
        "customers.html",
        {
            "q": q[:100],
            "customers": found,
            "limit": read_queries.MAX_ROWS,
            "notice": notice_of(request),
        },
    )


def _new_form(
    request: Request,
    viewer: Looker,
    values: dict[str, str],
    error: str | None = None,
    status: int = 200,
) -> Response:
    viewer.actor.require(Permission.MANAGE_CATALOGUE)
    return render(request, "customer_new.html", {"values": values, "error": error}, status=status)


@router.get("/customers/new")
def new_customer_form(request: Request, viewer: Looker) -> Response:
    """The form to add a customer."""
    return _new_form(request, viewer, dict.fromkeys(CUSTOMER_FIELDS, ""))


@router.post("/customers/new")
def add_customer(
    request: Request,
    ctx: Ctx,
    viewer: Sender,
    account_no: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    address: Annotated[str, Form()] = "",
    phone: Annotated[str, Form()] = "",
    debt: Annotated[str, Form()] = "",
) -> Response:
    """Add a customer, with opening arrears if any."""
    values = {
        "account_no": account_no,
        "name": name,
        "address": address,
        "phone": phone,
        "debt": debt,
    }
    try:
        customer = customers.add_customer(
            ctx,
            viewer.actor,
            account_no=account_no,
            name=name,
            address=address,
            phone=phone,
            debt=parse_amount(ctx, debt, "opening arrears") if debt.strip() else 0,
        )
    except Forbidden:
        raise
    except DomainError as exc:
        return _new_form(request, viewer, values, exc.message, status_for(exc))
    return done(f"/customers/{quote(customer.account_no, safe='')}", "customer-added")


EDIT_FIELDS = ("account_no", "name", "address", "phone")


def _customer_page(
    request: Request,
    ctx: Ctx,
    viewer: Looker,
    account_no: str,
    *,
    edit: dict[str, str] | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    customer = customers.get_customer(ctx, viewer.actor, account_no[:32])
    return render(
        request,
        "customer.html",
        {
            "customer": customer,
            "debt": ctx.currency.to_decimal(customer.debt),
            "meters": read_queries.meters_of_customer(ctx, viewer.actor, customer.account_no),
            "edit": edit or {f: getattr(customer, f) for f in EDIT_FIELDS},
            "notice": notice_of(request),
            "error": error,
        },
        status=status,
    )


@router.get("/customers/{account_no}")
def customer_page(request: Request, ctx: Ctx, viewer: Looker, account_no: str) -> Response:
    """A customer with their meters and arrears; the form to change their details."""
    return _customer_page(request, ctx, viewer, account_no)


@router.post("/customers/{account_no}/edit")
def edit_customer(
    request: Request,
    ctx: Ctx,
    viewer: Sender,
    account_no: str,
    new_account_no: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    address: Annotated[str, Form()] = "",
    phone: Annotated[str, Form()] = "",
) -> Response:
    """Change a customer's account number, name, address and phone (checked as when added)."""
    typed = {"account_no": new_account_no, "name": name, "address": address, "phone": phone}
    try:
        customer = customers.update_customer(
            ctx,
            viewer.actor,
            account_no[:32],
            new_account_no=new_account_no,
            name=name,
            address=address,
            phone=phone,
        )
    except (Forbidden, NotFound):
        raise
    except DomainError as exc:
        return _customer_page(
            request, ctx, viewer, account_no, edit=typed, error=exc.message, status=status_for(exc)
        )
    return done(f"/customers/{quote(customer.account_no, safe='')}", "customer-updated")


@router.post("/customers/{account_no}/debt")
def change_debt(
    ctx: Ctx,
    viewer: Sender,
    account_no: str,
    amount: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Add arrears (positive) or write some off (negative), with a reason."""
    customer = customers.change_debt(
        ctx, viewer.actor, account_no[:32], parse_amount(ctx, amount, "arrears change"), reason
    )
    return done(f"/customers/{quote(customer.account_no, safe='')}", "debt")
