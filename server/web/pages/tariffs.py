"""Tariffs: the list, and adding one (a tariff never changes once added)."""

from decimal import Decimal
from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import Response

from server.domain.errors import DomainError, Forbidden
from server.services import tariffs
from server.web.access import Ctx, Looker, Sender
from server.web.form_values import amount as parse_amount
from server.web.notices import done, notice_of
from server.web.rendering import render
from server.web.routing import page_router, status_for

router = page_router()
TARIFF_FIELDS = ("name", "blocks", "vat_percent", "fixed_monthly", "debt_percent", "debt_cap")


def percent(text: str, what: str) -> Decimal:
    """A rate typed as a percentage ('16' or '16.5') as a fraction (0.16, 0.165)."""
    if not text.strip():
        return Decimal(0)
    return tariffs.parse_decimal(text, what) / 100


def _tariffs_page(
    request: Request,
    ctx: Ctx,
    viewer: Looker,
    values: dict[str, str] | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    return render(
        request,
        "tariffs.html",
        {
            "tariffs": tariffs.list_tariffs(ctx, viewer.actor),
            "values": values or dict.fromkeys(TARIFF_FIELDS, ""),
            "error": error,
            "notice": notice_of(request),
        },
        status=status,
    )


@router.get("/tariffs")
def tariff_list(request: Request, ctx: Ctx, viewer: Looker) -> Response:
    """Every tariff: blocks, VAT, fixed charge, debt recovery."""
    return _tariffs_page(request, ctx, viewer)


@router.post("/tariffs")
def add_tariff(
    request: Request,
    ctx: Ctx,
    viewer: Sender,
    name: Annotated[str, Form()] = "",
    blocks: Annotated[str, Form()] = "",
    vat_percent: Annotated[str, Form()] = "",
    fixed_monthly: Annotated[str, Form()] = "",
    debt_percent: Annotated[str, Form()] = "",
    debt_cap: Annotated[str, Form()] = "",
) -> Response:
    """Add a tariff (a tariff never changes once added: prices change by a new one)."""
    values = {
        "name": name,
        "blocks": blocks,
        "vat_percent": vat_percent,
        "fixed_monthly": fixed_monthly,
        "debt_percent": debt_percent,
        "debt_cap": debt_cap,
    }
    try:
        tariffs.add_tariff(
            ctx,
            viewer.actor,
            name=name,
            blocks=tariffs.parse_blocks(blocks),
            vat_rate=percent(vat_percent, "VAT rate"),
            fixed_monthly=parse_amount(ctx, fixed_monthly, "fixed monthly charge")
            if fixed_monthly.strip()
            else 0,
            debt_rate=percent(debt_percent, "debt recovery rate"),
            debt_cap=parse_amount(ctx, debt_cap, "debt cap") if debt_cap.strip() else 0,
        )
    except Forbidden:
        raise
    except DomainError as exc:
        return _tariffs_page(request, ctx, viewer, values, exc.message, status_for(exc))
    return done("/tariffs", "tariff-added")
