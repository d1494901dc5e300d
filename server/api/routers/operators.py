"""Operators (roles, disabling) and point-of-sale clients (disabling their API keys)."""

from typing import Annotated

from fastapi import APIRouter, Path, status

from server.api.dependencies import Caller, Ctx
from server.api.schemas.operators import (
    OperatorIn,
    OperatorOut,
    OperatorStatusIn,
    PosClientOut,
    PosClientStatusIn,
    RoleIn,
)
from server.domain.roles import Role
from server.services import operators

operator_router = APIRouter(prefix="/operators", tags=["operators"])
pos_client_router = APIRouter(prefix="/pos-clients", tags=["operators"])

Username = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[^\x00-\x20\x7f]+$")]
ClientName = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f]+$")]


@operator_router.get("", response_model=list[OperatorOut])
def list_operators(ctx: Ctx, actor: Caller) -> list[OperatorOut]:
    """Every operator with role and state (admin)."""
    return [OperatorOut.model_validate(o) for o in operators.list_operators(ctx, actor)]


@operator_router.post("", response_model=OperatorOut, status_code=status.HTTP_201_CREATED)
def add_operator(body: OperatorIn, ctx: Ctx, actor: Caller) -> OperatorOut:
    """Add an operator with a role and a first password (admin)."""
    added = operators.create_operator(
        ctx,
        actor,
        username=body.username,
        password=body.password,
        role=Role(body.role),
        full_name=body.full_name,
    )
    return OperatorOut.model_validate(added)


@operator_router.put("/{username}/role", response_model=OperatorOut)
def set_role(username: Username, body: RoleIn, ctx: Ctx, actor: Caller) -> OperatorOut:
    """Give an operator another role, from their next request on (admin). Refused (409
    `last_admin`) when no active administrator would be left."""
    return OperatorOut.model_validate(operators.set_role(ctx, actor, username, Role(body.role)))


@operator_router.put("/{username}/status", response_model=OperatorOut)
def set_status(username: Username, body: OperatorStatusIn, ctx: Ctx, actor: Caller) -> OperatorOut:
    """Disable an operator (they cannot log in; their page sessions and bearer tokens end
    at once) or enable them again (admin). Nobody can disable themselves (409
    `cannot_disable_self`), nor the last active administrator (409 `last_admin`)."""
    changed = operators.set_active(ctx, actor, username, body.active, body.reason)
    return OperatorOut.model_validate(changed)


@pos_client_router.get("", response_model=list[PosClientOut])
def list_pos_clients(ctx: Ctx, actor: Caller) -> list[PosClientOut]:
    """Every point-of-sale client and the vendor whose float it sells (never its key)."""
    return [PosClientOut.model_validate(c) for c in operators.list_pos_clients(ctx, actor)]


@pos_client_router.put("/{name}/status", response_model=PosClientOut)
def set_pos_client_status(
    name: ClientName, body: PosClientStatusIn, ctx: Ctx, actor: Caller
) -> PosClientOut:
    """Disable a POS client (its API key is refused from its next request here; other
    server processes may take it for up to 5 more seconds) or enable it again."""
    changed = operators.set_pos_client_enabled(ctx, actor, name, body.enabled, body.reason)
    return PosClientOut.model_validate(changed)
