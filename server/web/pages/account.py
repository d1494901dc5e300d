"""The operator's own account: turning the TOTP second step on and off."""

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import Response

from server.domain.errors import Forbidden, InvalidInput
from server.domain.roles import Role
from server.services import second_factor
from server.web.access import Ctx, Looker, Sender, Settings
from server.web.notices import done, notice_of
from server.web.rendering import render
from server.web.routing import page_router

router = page_router()


def _page(
    request: Request,
    ctx: Ctx,
    settings: Settings,
    viewer: Looker,
    *,
    enrolment: second_factor.Enrolment | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    assert viewer.actor.id is not None
    state = second_factor.status(ctx, viewer.actor.id)
    if enrolment is None and state == second_factor.PENDING:
        enrolment = second_factor.pending_enrolment(ctx, viewer.actor)
    context = {
        "totp_status": state,
        "enrolment": enrolment,
        "confirm_action": "/account/totp/confirm",
        "removal_blocked": viewer.actor.role is Role.ADMIN and settings.admin_totp_required,
        "notice": notice_of(request),
        "error": error,
    }
    return render(request, "account.html", context, status=status)


@router.get("/account")
def account(request: Request, ctx: Ctx, settings: Settings, viewer: Looker) -> Response:
    """Who you are and whether your second step is on."""
    return _page(request, ctx, settings, viewer)


@router.post("/account/totp/start")
def start(request: Request, ctx: Ctx, settings: Settings, viewer: Sender) -> Response:
    """Make a new secret and show it, to be confirmed with a first code."""
    enrolment = second_factor.begin(ctx, viewer.actor)
    return _page(request, ctx, settings, viewer, enrolment=enrolment)


@router.post("/account/totp/confirm")
def confirm(
    request: Request,
    ctx: Ctx,
    settings: Settings,
    viewer: Sender,
    code: Annotated[str, Form()] = "",
) -> Response:
    """Turn the second step on with the first code the app shows."""
    try:
        second_factor.confirm(ctx, viewer.actor, code)
    except InvalidInput as wrong:
        return _page(request, ctx, settings, viewer, error=wrong.message, status=422)
    return done("/account", "totp-on")


@router.post("/account/totp/remove")
def remove(
    request: Request,
    ctx: Ctx,
    settings: Settings,
    viewer: Sender,
    code: Annotated[str, Form()] = "",
) -> Response:
    """Turn the second step off, proven with a current code (not for required admins)."""
    assert viewer.actor.id is not None
    if viewer.actor.role is Role.ADMIN and settings.admin_totp_required:
        raise Forbidden("totp_required", "administrators must keep the second step on")
    if not second_factor.verify(ctx, viewer.actor.id, code):
        return _page(request, ctx, settings, viewer, error="That code is not right.", status=422)
    second_factor.remove(ctx, viewer.actor, viewer.actor.id, viewer.actor.name)
    return done("/account", "totp-off")
