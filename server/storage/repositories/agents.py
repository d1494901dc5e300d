"""Vendors (agents), their devices and point-of-sale clients."""

from dataclasses import dataclass

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from server.storage.schema import Agent, Device, PosClient

_AGENTS = Agent.__table__


_DEBIT_FOR_SALE = (
    update(_AGENTS)
    .where(
        _AGENTS.c.id == bindparam("b_id"),
        _AGENTS.c.status == "active",
        _AGENTS.c.balance - bindparam("amount") >= -_AGENTS.c.credit_limit,
    )
    .values(balance=_AGENTS.c.balance - bindparam("amount"))
    .returning(_AGENTS.c.balance, _AGENTS.c.code)
)
# The same without the status check: an offline sale paid for before the vendor was
# stopped, honoured from its device's reserve (services/device_sales.py).
_DEBIT_FOR_RESERVED_SALE = (
    update(_AGENTS)
    .where(
        _AGENTS.c.id == bindparam("b_id"),
        _AGENTS.c.balance - bindparam("amount") >= -_AGENTS.c.credit_limit,
    )
    .values(balance=_AGENTS.c.balance - bindparam("amount"))
    .returning(_AGENTS.c.balance, _AGENTS.c.code)
)
_REF_COLUMNS = (_AGENTS.c.id, _AGENTS.c.code, _AGENTS.c.status)
_REF_BY_ID = select(*_REF_COLUMNS).where(_AGENTS.c.id == bindparam("b_id"))
_REF_BY_CODE = select(*_REF_COLUMNS).where(_AGENTS.c.code == bindparam("b_code"))


@dataclass(frozen=True)
class AgentRef:
    """Who an agent is, without its money (read without a lock)."""

    id: int
    code: str
    status: str


class AgentRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, agent: Agent) -> Agent:
        self.session.add(agent)
        self.session.flush()
        return agent

    def by_code(self, code: str) -> Agent | None:
        return self.session.scalars(select(Agent).where(Agent.code == code)).one_or_none()

    def by_id(self, agent_id: int) -> Agent | None:
        return self.session.get(Agent, agent_id)

    def for_update(self, agent_id: int) -> Agent | None:
        """The agent row, locked until commit (PostgreSQL; SQLite already holds the write lock)."""
        return self.session.scalars(
            select(Agent).where(Agent.id == agent_id).with_for_update()
        ).one_or_none()

    def page(self, *, offset: int = 0, limit: int = 100) -> list[Agent]:
        query = select(Agent).order_by(Agent.id).offset(offset).limit(limit)
        return list(self.session.scalars(query))

    def debit_within_limit(self, agent_id: int, amount: int) -> int | None:
        """Take `amount` off the float if balance + credit limit covers it; the new balance.

        One conditional UPDATE: on PostgreSQL, concurrent debits queue on the row lock and each
        re-checks the condition against the committed balance, so no two can both pass on
        the same money. None means refused (not enough float).
        """
        statement = (
            update(Agent)
            .where(Agent.id == agent_id, Agent.balance - amount >= -Agent.credit_limit)
            .values(balance=Agent.balance - amount)
            .returning(Agent.balance)
            .execution_options(synchronize_session=False)
        )
        return self.session.execute(statement).scalar_one_or_none()

    def ref_by_id(self, agent_id: int) -> AgentRef | None:
        row = self.session.connection().execute(_REF_BY_ID, {"b_id": agent_id}).one_or_none()
        return None if row is None else AgentRef(*row)

    def ref_by_code(self, code: str) -> AgentRef | None:
        row = self.session.connection().execute(_REF_BY_CODE, {"b_code": code}).one_or_none()
        return None if row is None else AgentRef(*row)

    def debit_for_sale(
        self, amount: int, agent_id: int, *, any_status: bool = False
    ) -> tuple[int, str] | None:
        """Take `amount` off an active agent's float (any agent's, with `any_status`) if
        balance + limit covers it, in one conditional UPDATE (see `debit_within_limit`); the
        new balance and the agent's code, or None if refused (not enough float, not active,
        or no such agent)."""
        statement = _DEBIT_FOR_RESERVED_SALE if any_status else _DEBIT_FOR_SALE
        found = self.session.connection().execute(statement, {"b_id": agent_id, "amount": amount})
        row = found.one_or_none()
        return None if row is None else (row[0], row[1])

    def credit(self, agent_id: int, amount: int) -> int:
        """Add `amount` (may be negative for a correction) to the float; the new balance."""
        statement = (
            update(Agent)
            .where(Agent.id == agent_id)
            .values(balance=Agent.balance + amount)
            .returning(Agent.balance)
            .execution_options(synchronize_session=False)
        )
        return self.session.execute(statement).scalar_one()


class DeviceRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, device: Device) -> Device:
        self.session.add(device)
        self.session.flush()
        return device

    def by_name(self, name: str) -> Device | None:
        return self.session.scalars(select(Device).where(Device.name == name)).one_or_none()

    def by_id(self, device_id: int) -> Device | None:
        return self.session.get(Device, device_id)

    def of_agent(self, agent_id: int) -> list[Device]:
        query = select(Device).where(Device.agent_id == agent_id).order_by(Device.id)
        return list(self.session.scalars(query))


class PosClientRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, client: PosClient) -> PosClient:
        self.session.add(client)
        self.session.flush()
        return client

    def by_id(self, client_id: int) -> PosClient | None:
        return self.session.get(PosClient, client_id)

    def by_name(self, name: str) -> PosClient | None:
        return self.session.scalars(select(PosClient).where(PosClient.name == name)).one_or_none()
