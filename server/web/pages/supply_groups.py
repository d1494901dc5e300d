"""Supply groups and their vending keys. Keys are never shown: only which revisions are
loaded (keys are imported on the server with `gridvend keys import`, never through a page)."""

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import Response

from server.domain.errors import DomainError, Forbidden
from server.domain.roles import Permission
from server.services import supply_groups
from server.web.access import Ctx, Looker, Sender
from server.web.form_values import optional_whole_number, whole_number
from server.web.notices import done, notice_of
from server.web.rendering import render
from server.web.routing import page_router, status_for

router = page_router()


def _groups_page(
    request: Request,
    ctx: Ctx,
    viewer: Looker,
    values: dict[str, str] | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    defaults = {
        "sgc": "",
        "name": "",
        "key_type": "2",
        "ea": "7",
        "dkga": "2",
        "krn": "1",
        "base_date": "2014",
        "ken": "255",
    }
    return render(
        request,
        "supply_groups.html",
        {
            "groups": supply_groups.list_supply_groups(ctx, viewer.actor),
            "values": values or defaults,
            "error": error,
            "notice": notice_of(request),
        },
        status=status,
    )


@router.get("/supply-groups")
def group_list(request: Request, ctx: Ctx, viewer: Looker) -> Response:
    """Every supply group with its key settings and which key revisions are loaded."""
    return _groups_page(request, ctx, viewer)


@router.post("/supply-groups")
def add_group(
    request: Request,
    ctx: Ctx,
    viewer: Sender,
    sgc: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    key_type: Annotated[str, Form()] = "2",
    ea: Annotated[str, Form()] = "7",
    dkga: Annotated[str, Form()] = "2",
    krn: Annotated[str, Form()] = "1",
    base_date: Annotated[str, Form()] = "2014",
    ken: Annotated[str, Form()] = "255",
) -> Response:
    """Register a supply group (its vending keys are imported on the server, not here)."""
    values = {
        "sgc": sgc,
        "name": name,
        "key_type": key_type,
        "ea": ea,
        "dkga": dkga,
        "krn": krn,
        "base_date": base_date,
        "ken": ken,
    }
    try:
        supply_groups.add_supply_group(
            ctx,
            viewer.actor,
            sgc=supply_groups.parse_sgc(sgc),
            name=name,
            key_type=whole_number(key_type, "key type", high=3),
            ea=whole_number(ea, "encryption algorithm", high=99),
            dkga=whole_number(dkga, "key derivation algorithm", high=99),
            krn=whole_number(krn, "key revision", low=1, high=9),
            base_date=whole_number(base_date, "base date", low=1993, high=2035),
            ken=whole_number(ken, "key expiry number", high=255),
        )
    except Forbidden:
        raise
    except DomainError as exc:
        return _groups_page(request, ctx, viewer, values, exc.message, status_for(exc))
    return done("/supply-groups", "group-added")


@router.post("/supply-groups/{sgc}/current-key")
def set_current_key(
    ctx: Ctx,
    viewer: Sender,
    sgc: str,
    krn: Annotated[str, Form()] = "",
    base_date: Annotated[str, Form()] = "",
) -> Response:
    """Move a group to another loaded key revision and/or base date (administrators)."""
    viewer.actor.require(Permission.MANAGE_KEYS)
    supply_groups.set_current_key(
        ctx,
        viewer.actor,
        sgc=supply_groups.parse_sgc(sgc),
        krn=optional_whole_number(krn, "key revision", low=1, high=9),
        base_date=optional_whole_number(base_date, "base date", low=1993, high=2035),
    )
    return done("/supply-groups", "key-set")
