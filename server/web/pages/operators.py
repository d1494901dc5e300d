"""Operators and their roles: list, add, change a role, disable or enable, reset someone's
second step; the point-of-sale clients' API keys, disabled or enabled."""

from typing import Annotated
from urllib.parse import quote

from fastapi import Form, Request
from fastapi.responses import Response

from server.domain.errors import DomainError, Forbidden, NotFound
from server.domain.roles import Permission, Role
from server.services import operators, second_factor
from server.web.access import Ctx, Looker, Sender
from server.web.auth.sessions import close_grants_of
from server.web.notices import done, notice_of
from server.web.rendering import render
from server.web.routing import page_router, status_for

router = page_router()
ROLES = [r.value for r in Role if r is not Role.POS]


def _page(
    request: Request,
    ctx: Ctx,
    viewer: Looker,
    values: dict[str, str] | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    viewer.actor.require(Permission.MANAGE_OPERATORS)
    return render(
        request,
        "operators.html",
        {
            "operators": operators.list_operators(ctx, viewer.actor),
            "with_totp": second_factor.enrolled_operator_ids(ctx),
            "pos_clients": operators.list_pos_clients(ctx, viewer.actor),
            "roles": ROLES,
            "values": values or {"username": "", "full_name": "", "role": "cashier"},
            "error": error,
            "notice": notice_of(request),
        },
        status=status,
    )


def _anchor(name: str) -> str:
    return f"/operators#{quote(name, safe='')}"


@router.get("/operators")
def operator_list(request: Request, ctx: Ctx, viewer: Looker) -> Response:
    """Every operator with role, state and second step; the form to add one."""
    return _page(request, ctx, viewer)


@router.post("/operators")
def add_operator(
    request: Request,
    ctx: Ctx,
    viewer: Sender,
    username: Annotated[str, Form()] = "",
    full_name: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
) -> Response:
    """Add an operator with a role and a first password."""
    values = {"username": username, "full_name": full_name, "role": role}
    try:
        operators.create_operator(
            ctx,
            viewer.actor,
            username=username,
            password=password,
            role=Role.parse(role),
            full_name=full_name,
        )
    except Forbidden:
        raise
    except DomainError as exc:
        return _page(request, ctx, viewer, values, exc.message, status_for(exc))
    return done("/operators", "operator-added")


@router.post("/operators/{username}/role")
def change_role(
    request: Request,
    ctx: Ctx,
    viewer: Sender,
    username: str,
    role: Annotated[str, Form()] = "",
) -> Response:
    """Give an operator another role (never leaving the installation without an admin)."""
    try:
        changed = operators.set_role(ctx, viewer.actor, username[:64], Role.parse(role))
    except (Forbidden, NotFound):
        raise
    except DomainError as exc:
        return _page(request, ctx, viewer, error=exc.message, status=status_for(exc))
    return done(_anchor(changed.username), "role")


@router.post("/operators/{username}/status")
def change_status(
    request: Request,
    ctx: Ctx,
    viewer: Sender,
    username: str,
    active: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Disable an operator (their sessions and tokens end at once) or enable them again."""
    if active not in ("yes", "no"):
        return _page(request, ctx, viewer, error="active: expected yes or no", status=422)
    try:
        changed = operators.set_active(ctx, viewer.actor, username[:64], active == "yes", reason)
    except (Forbidden, NotFound):
        raise
    except DomainError as exc:
        return _page(request, ctx, viewer, error=exc.message, status=status_for(exc))
    return done(
        _anchor(changed.username), "operator-enabled" if changed.active else "operator-disabled"
    )


@router.post("/operators/{username}/reset-second-step")
def reset_second_step(ctx: Ctx, viewer: Sender, username: str) -> Response:
    """Remove an operator's TOTP (a lost phone) and end their page sessions."""
    viewer.actor.require(Permission.MANAGE_OPERATORS)
    found = next(
        (o for o in operators.list_operators(ctx, viewer.actor) if o.username == username), None
    )
    if found is None:
        raise NotFound("operator_not_found", f"operator {username} does not exist")
    second_factor.remove(ctx, viewer.actor, found.id, found.username)
    close_grants_of(ctx, found.id)
    return done(_anchor(found.username), "totp-reset")


@router.post("/pos-clients/{client}/status")
def change_pos_client(
    request: Request,
    ctx: Ctx,
    viewer: Sender,
    client: str,
    enabled: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Disable a point-of-sale client (its API key is refused from its next request) or
    enable it again."""
    viewer.actor.require(Permission.MANAGE_OPERATORS)
    if enabled not in ("yes", "no"):
        return _page(request, ctx, viewer, error="enabled: expected yes or no", status=422)
    changed = operators.set_pos_client_enabled(
        ctx, viewer.actor, client[:64], enabled == "yes", reason
    )
    return done(
        f"/operators#pos-{quote(changed.name, safe='')}",
        "pos-enabled" if changed.enabled else "pos-disabled",
    )
