"""Engineering tokens (supervisor and above): clear tamper, clear credit, power limits, test
tokens, key changes. Each issue is written to the audit trail by the service."""

from datetime import timedelta
from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import Response

from server.domain.errors import DomainError, Forbidden
from server.domain.roles import Permission
from server.services import engineering
from server.web import read_queries
from server.web.access import Ctx, Looker, Sender
from server.web.form_values import optional_whole_number, whole_number
from server.web.rendering import render
from server.web.routing import page_router, status_for

router = page_router()
KIND_LABELS = {
    "clear_tamper": "Clear tamper",
    "clear_credit": "Clear credit",
    "max_power": "Set maximum power",
    "phase_unbalance": "Set phase unbalance limit",
    "test": "Test token (no key needed)",
    "update_key": "Key change (new key revision, tariff index or base date)",
}
TEST_ALL = (1 << 36) - 1  # every control bit: the meter tests everything it can
FIELDS = (
    "meter",
    "kind",
    "reason",
    "watts",
    "credit_register",
    "control",
    "krn",
    "ti",
    "base_date",
)


def _page(
    request: Request,
    ctx: Ctx,
    viewer: Looker,
    values: dict[str, str],
    error: str | None = None,
    status: int = 200,
) -> Response:
    viewer.actor.require(Permission.ENGINEERING)
    now = ctx.now()
    recent = read_queries.engineering_orders_between(
        ctx, viewer.actor, now - timedelta(days=30), now + timedelta(minutes=1)
    )
    return render(
        request,
        "engineering.html",
        {"values": values, "kinds": KIND_LABELS, "recent": recent[:50], "error": error},
        status=status,
    )


@router.get("/engineering")
def engineering_form(request: Request, ctx: Ctx, viewer: Looker, meter: str = "") -> Response:
    """The engineering token form, and the last 30 days' orders."""
    values = dict.fromkeys(FIELDS, "")
    values.update(meter=meter[:40], kind="clear_tamper", credit_register="65535", control="all")
    return _page(request, ctx, viewer, values)


@router.post("/engineering")
def issue(
    request: Request,
    ctx: Ctx,
    viewer: Sender,
    meter: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    watts: Annotated[str, Form()] = "",
    credit_register: Annotated[str, Form()] = "65535",
    control: Annotated[str, Form()] = "all",
    krn: Annotated[str, Form()] = "",
    ti: Annotated[str, Form()] = "",
    base_date: Annotated[str, Form()] = "",
) -> Response:
    """Issue the tokens; show them large, in entry order."""
    viewer.actor.require(Permission.ENGINEERING)
    values = {
        "meter": meter,
        "kind": kind,
        "reason": reason,
        "watts": watts,
        "credit_register": credit_register,
        "control": control,
        "krn": krn,
        "ti": ti,
        "base_date": base_date,
    }
    try:
        result = engineering.issue(
            ctx,
            viewer.actor,
            meter,
            kind,
            reason=reason,
            watts=optional_whole_number(watts, "watts", high=engineering.MAX_WATTS),
            register=whole_number(credit_register or "65535", "register", high=0xFFFF),
            control=(
                TEST_ALL
                if control.strip() in ("", "all")
                else whole_number(control, "control bits", high=TEST_ALL)
            )
            if kind == "test"
            else None,
            krn=optional_whole_number(krn, "key revision", low=1, high=9),
            ti=optional_whole_number(ti, "tariff index", high=99),
            base_date=optional_whole_number(base_date, "base date", low=1993, high=2035),
        )
    except Forbidden:
        raise
    except DomainError as exc:
        return _page(request, ctx, viewer, values, exc.message, status_for(exc))
    return render(
        request,
        "engineering_result.html",
        {"result": result, "label": KIND_LABELS.get(result.kind, result.kind)},
    )
