"""Vendors (agents), their float, top-ups, adjustments, limits and statements."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from server.api.dependencies import Caller, Ctx
from server.api.periods import day_range
from server.api.schemas.agents import (
    AdjustmentIn,
    AgentIn,
    AgentOut,
    LimitIn,
    StatementOut,
    StatusIn,
    TopupIn,
)
from server.api.schemas.common import Limit, Offset
from server.services import agents

router = APIRouter(prefix="/agents", tags=["agents"])
Code = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,32}$")]
Day = Annotated[date | None, Query(description="a date, YYYY-MM-DD")]


@router.get("", response_model=list[AgentOut])
def list_agents(ctx: Ctx, actor: Caller, offset: Offset = 0, limit: Limit = 100) -> list[AgentOut]:
    """A page of vendors."""
    return [
        AgentOut.model_validate(a)
        for a in agents.list_agents(ctx, actor, offset=offset, limit=limit)
    ]


@router.post("", response_model=AgentOut, status_code=status.HTTP_201_CREATED)
def add_agent(body: AgentIn, ctx: Ctx, actor: Caller) -> AgentOut:
    """Register a vendor (empty float)."""
    view = agents.add_agent(
        ctx,
        actor,
        code=body.code,
        name=body.name,
        phone=body.phone,
        credit_limit=ctx.currency.to_minor(body.credit_limit, what="credit limit"),
    )
    return AgentOut.model_validate(view)


@router.get("/{code}", response_model=AgentOut)
def get_agent(code: Code, ctx: Ctx, actor: Caller) -> AgentOut:
    """A vendor, with balance and what it may still sell."""
    return AgentOut.model_validate(agents.get_agent(ctx, actor, code))


@router.post("/{code}/topups", response_model=AgentOut, status_code=status.HTTP_201_CREATED)
def topup(code: Code, body: TopupIn, ctx: Ctx, actor: Caller) -> AgentOut:
    """Record a cash deposit: the vendor's float grows."""
    amount = ctx.currency.to_minor(body.amount)
    return AgentOut.model_validate(agents.topup(ctx, actor, code, amount, body.reference))


@router.post("/{code}/adjustments", response_model=AgentOut, status_code=status.HTTP_201_CREATED)
def adjust(code: Code, body: AdjustmentIn, ctx: Ctx, actor: Caller) -> AgentOut:
    """Correct the float up (positive) or down (negative), with a reason."""
    amount = ctx.currency.to_minor(body.amount)
    return AgentOut.model_validate(agents.adjust(ctx, actor, code, amount, body.reason))


@router.put("/{code}/limit", response_model=AgentOut)
def set_limit(code: Code, body: LimitIn, ctx: Ctx, actor: Caller) -> AgentOut:
    """Set how far below zero the float may go."""
    limit = ctx.currency.to_minor(body.credit_limit, what="credit limit")
    return AgentOut.model_validate(agents.set_limit(ctx, actor, code, limit))


@router.put("/{code}/status", response_model=AgentOut)
def set_status(code: Code, body: StatusIn, ctx: Ctx, actor: Caller) -> AgentOut:
    """active, suspended (no sales) or closed."""
    return AgentOut.model_validate(agents.set_status(ctx, actor, code, body.status))


@router.get("/{code}/statement", response_model=StatementOut)
def statement(
    code: Code,
    ctx: Ctx,
    actor: Caller,
    start: Annotated[Day, Query(alias="from")] = None,
    end: Annotated[Day, Query(alias="to")] = None,
) -> StatementOut:
    """The float's movements from `from` to `to` inclusive (default: the last 30 days)."""
    first, last = day_range(ctx, start, end)
    return StatementOut.model_validate(agents.statement(ctx, actor, code, first, last))
