"""Vendors (agents): their float, credit limit and status; top-ups, adjustments, statements."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from server.domain import ledger
from server.domain.errors import Conflict, InvalidInput, NotFound
from server.domain.money import MAX_MINOR
from server.domain.roles import Permission
from server.services import audit_trail
from server.services.context import Actor, ServiceContext
from server.services.snapshots import snapshot
from server.services.text_fields import text_field
from server.storage.repositories.device_link import OfflineReserveRepository
from server.storage.schema import Agent, Device
from server.storage.unit_of_work import UnitOfWork

AGENT_STATUSES = ("active", "suspended", "closed")
AGENT_FIELDS = ("code", "name", "phone", "status", "balance", "credit_limit")


@dataclass(frozen=True)
class AgentView:
    """A vendor with money in major units."""

    id: int
    code: str
    name: str
    phone: str
    status: str
    balance: Decimal
    credit_limit: Decimal
    available: Decimal  # what the vendor can still sell: balance + credit limit


@dataclass(frozen=True)
class StatementLine:
    at: datetime
    kind: str
    memo: str
    sale_id: int | None
    amount: Decimal
    balance: Decimal


@dataclass(frozen=True)
class Statement:
    agent: AgentView
    start: datetime
    end: datetime
    opening: Decimal
    closing: Decimal
    lines: tuple[StatementLine, ...]


def view_of(ctx: ServiceContext, agent: Agent) -> AgentView:
    """An agent row as a view."""
    money = ctx.currency.to_decimal
    return AgentView(
        id=agent.id,
        code=agent.code,
        name=agent.name,
        phone=agent.phone,
        status=agent.status,
        balance=money(agent.balance),
        credit_limit=money(agent.credit_limit),
        available=money(agent.balance + agent.credit_limit),
    )


def agent_by_code(uow: UnitOfWork, code: str) -> Agent:
    """A stored agent, or a clear NotFound."""
    agent = uow.agents.by_code(code.strip())
    if agent is None:
        raise NotFound("agent_not_found", f"agent {code} does not exist")
    return agent


def add_agent(
    ctx: ServiceContext,
    actor: Actor,
    *,
    code: str,
    name: str,
    phone: str = "",
    credit_limit: int = 0,
) -> AgentView:
    """Register a vendor with an empty float and its own ledger account."""
    actor.require(Permission.MANAGE_AGENTS)
    code = code.strip()
    if not code or len(code) > 32 or not code.replace("-", "").replace("_", "").isalnum():
        raise InvalidInput(
            "invalid_agent_code", f"agent code {code!r}: 1 to 32 letters, digits, - or _"
        )
    name = text_field(name, "agent name", max_length=128)
    phone = text_field(phone, "phone", max_length=32, required=False)
    _check_limit(credit_limit)

    def work(uow: UnitOfWork) -> AgentView:
        if uow.agents.by_code(code) is not None:
            raise Conflict("duplicate_agent", f"agent {code} already exists")
        agent = uow.agents.add(
            Agent(
                code=code,
                name=name.strip(),
                phone=phone.strip(),
                status="active",
                balance=0,
                credit_limit=credit_limit,
                created_at=ctx.now(),
            )
        )
        uow.ledger.open_accounts([ledger.agent_float(agent.id)])
        audit_trail.record(
            ctx, uow, actor, "agent.add", "agent", code, after=snapshot(agent, AGENT_FIELDS)
        )
        uow.commit()
        return view_of(ctx, agent)

    return ctx.transaction(work)


def topup(
    ctx: ServiceContext, actor: Actor, code: str, amount: int, reference: str = ""
) -> AgentView:
    """Record a vendor's cash deposit: the float grows by `amount` (minor units)."""
    actor.require(Permission.TOPUP)
    if not 0 < amount <= MAX_MINOR:
        raise InvalidInput("invalid_amount", "a top-up must be above zero (and not absurdly large)")
    reference = text_field(reference, "reference", max_length=200, required=False)

    def work(uow: UnitOfWork) -> AgentView:
        agent = _locked(uow, code)
        before = snapshot(agent, AGENT_FIELDS)
        uow.agents.credit(agent.id, amount)
        uow.ledger.post(
            ledger.topup_entry(agent.id, amount, reference.strip()), actor=actor.ref, at=ctx.now()
        )
        uow.session.refresh(agent)
        audit_trail.record(
            ctx,
            uow,
            actor,
            "agent.topup",
            "agent",
            agent.code,
            before=before,
            after={**snapshot(agent, AGENT_FIELDS), "reference": reference},
        )
        uow.commit()
        return view_of(ctx, agent)

    return ctx.transaction(work)


def adjust(ctx: ServiceContext, actor: Actor, code: str, amount: int, reason: str) -> AgentView:
    """Correct a vendor's float up or down, with a reason; never below minus its limit."""
    actor.require(Permission.ADJUST)
    reason = text_field(reason, "reason", max_length=500)
    ledger.adjustment_entry(0, amount, reason)  # validates amount and reason before any I/O
    if abs(amount) > MAX_MINOR:
        raise InvalidInput("invalid_amount", "adjustment too large")

    def work(uow: UnitOfWork) -> AgentView:
        agent = _locked(uow, code)
        before = snapshot(agent, AGENT_FIELDS)
        if amount < 0 and uow.agents.debit_within_limit(agent.id, -amount) is None:
            raise Conflict(
                "insufficient_float",
                f"agent {agent.code}: taking {ctx.currency.format(-amount)} would put the float "
                f"below minus its credit limit ({ctx.currency.format(agent.credit_limit)})",
            )
        if amount > 0:
            uow.agents.credit(agent.id, amount)
        uow.ledger.post(
            ledger.adjustment_entry(agent.id, amount, reason), actor=actor.ref, at=ctx.now()
        )
        uow.session.refresh(agent)
        audit_trail.record(
            ctx,
            uow,
            actor,
            "agent.adjust",
            "agent",
            agent.code,
            before=before,
            after={**snapshot(agent, AGENT_FIELDS), "reason": reason},
        )
        uow.commit()
        return view_of(ctx, agent)

    return ctx.transaction(work)


def set_limit(ctx: ServiceContext, actor: Actor, code: str, credit_limit: int) -> AgentView:
    """Set how far below zero a vendor's float may go."""
    actor.require(Permission.SET_LIMIT)
    _check_limit(credit_limit)

    def work(uow: UnitOfWork) -> AgentView:
        agent = _locked(uow, code)
        if agent.balance < -credit_limit:
            raise Conflict(
                "limit_below_balance",
                f"agent {agent.code} is at {ctx.currency.format(agent.balance)}: the limit "
                f"cannot be less than {ctx.currency.format(-agent.balance)}",
            )
        before = snapshot(agent, AGENT_FIELDS)
        agent.credit_limit = credit_limit
        uow.session.flush()
        audit_trail.record(
            ctx,
            uow,
            actor,
            "agent.limit",
            "agent",
            agent.code,
            before=before,
            after=snapshot(agent, AGENT_FIELDS),
        )
        uow.commit()
        return view_of(ctx, agent)

    return ctx.transaction(work)


def set_status(ctx: ServiceContext, actor: Actor, code: str, status: str) -> AgentView:
    """Suspend a vendor (no sales), close it, or make it active again."""
    actor.require(Permission.MANAGE_AGENTS)
    if status not in AGENT_STATUSES:
        raise InvalidInput("invalid_status", f"status {status!r}: expected one of {AGENT_STATUSES}")

    def work(uow: UnitOfWork) -> AgentView:
        # Its handhelds' offline cutoff first (lock order: reserves, then the vendor): while
        # not active, offline sales taken before now are still honoured, none after.
        handhelds = uow.devices.of_agent(agent_by_code(uow, code).id)
        reserves = OfflineReserveRepository(uow.session)
        if status == "active":
            reserves.clear_cutoff([d.id for d in handhelds if d.enabled])
        else:
            reserves.mark_cutoff([d.id for d in handhelds], ctx.now())
        agent = _locked(uow, code)
        before = snapshot(agent, AGENT_FIELDS)
        agent.status = status
        uow.session.flush()
        audit_trail.record(
            ctx,
            uow,
            actor,
            "agent.status",
            "agent",
            agent.code,
            before=before,
            after=snapshot(agent, AGENT_FIELDS),
        )
        uow.commit()
        return view_of(ctx, agent)

    return ctx.transaction(work)


def get_agent(ctx: ServiceContext, actor: Actor, code: str) -> AgentView:
    """A vendor by code."""
    actor.require(Permission.VIEW)
    return ctx.transaction(lambda uow: view_of(ctx, agent_by_code(uow, code)), read_only=True)


def list_agents(
    ctx: ServiceContext, actor: Actor, *, offset: int = 0, limit: int = 100
) -> list[AgentView]:
    """A page of vendors."""
    actor.require(Permission.VIEW)
    return ctx.transaction(
        lambda uow: [view_of(ctx, a) for a in uow.agents.page(offset=offset, limit=limit)],
        read_only=True,
    )


def statement(
    ctx: ServiceContext, actor: Actor, code: str, start: datetime, end: datetime
) -> Statement:
    """The float's movements between `start` and `end`, with running balance."""
    actor.require(Permission.VIEW)
    if end <= start:
        raise InvalidInput("invalid_period", "the statement's end must be after its start")

    def work(uow: UnitOfWork) -> Statement:
        agent = agent_by_code(uow, code)
        opening, rows = uow.ledger.statement(ledger.agent_float(agent.id), start, end)
        money = ctx.currency.to_decimal
        running = opening
        lines = []
        for at, kind, memo, sale_id, amount in rows:
            running += amount
            lines.append(StatementLine(at, kind, memo, sale_id, money(amount), money(running)))
        return Statement(
            view_of(ctx, agent), start, end, money(opening), money(running), tuple(lines)
        )

    return ctx.transaction(work, read_only=True)


def add_device(
    ctx: ServiceContext, actor: Actor, code: str, name: str, *, offline_allowance: int = 0
) -> Device:
    """Register a handheld for a vendor, without a secret yet (devices.register_device
    registers one with its secret, in one transaction)."""

    def work(uow: UnitOfWork) -> Device:
        device = new_device(ctx, uow, actor, code, name, offline_allowance=offline_allowance)
        uow.commit()
        return device

    return ctx.transaction(work)


def new_device(
    ctx: ServiceContext,
    uow: UnitOfWork,
    actor: Actor,
    code: str,
    name: str,
    *,
    offline_allowance: int = 0,
) -> Device:
    """Add a handheld for a vendor in the caller's transaction (nothing committed)."""
    actor.require(Permission.MANAGE_AGENTS)
    name = text_field(name, "device name", max_length=64)
    if not 0 <= offline_allowance <= MAX_MINOR:
        raise InvalidInput("invalid_amount", "offline allowance cannot be negative")
    agent = agent_by_code(uow, code)
    if uow.devices.by_name(name.strip()) is not None:
        raise Conflict("duplicate_device", f"device {name} already exists")
    device = uow.devices.add(
        Device(
            agent_id=agent.id,
            name=name.strip(),
            enabled=True,
            offline_allowance=offline_allowance,
            secret=None,
            secret_generation=0,
            created_at=ctx.now(),
        )
    )
    audit_trail.record(
        ctx,
        uow,
        actor,
        "device.add",
        "device",
        device.name,
        after={"agent": agent.code, "offline_allowance": offline_allowance},
    )
    return device


def _locked(uow: UnitOfWork, code: str) -> Agent:
    agent = agent_by_code(uow, code)
    locked = uow.agents.for_update(agent.id)
    assert locked is not None
    return locked


def _check_limit(credit_limit: int) -> None:
    if not 0 <= credit_limit <= MAX_MINOR:
        raise InvalidInput("invalid_limit", "a credit limit cannot be negative")
