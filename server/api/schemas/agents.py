from datetime import datetime
from decimal import Decimal

from server.api.schemas.common import AgentCode, Money, Out, PositiveMoney, Strict, text


class AgentIn(Strict):
    code: AgentCode
    name: text(128)
    phone: text(32, min_length=0) = ""
    credit_limit: Money = Decimal(0)


class TopupIn(Strict):
    amount: PositiveMoney
    reference: text(200, min_length=0) = ""


class AdjustmentIn(Strict):
    amount: Money
    reason: text(500)


class LimitIn(Strict):
    credit_limit: Money


class StatusIn(Strict):
    status: text(16)


class AgentOut(Out):
    id: int
    code: str
    name: str
    phone: str
    status: str
    balance: Decimal
    credit_limit: Decimal
    available: Decimal


class StatementLineOut(Out):
    at: datetime
    kind: str
    memo: str
    sale_id: int | None
    amount: Decimal
    balance: Decimal


class StatementOut(Out):
    agent: AgentOut
    start: datetime
    end: datetime
    opening: Decimal
    closing: Decimal
    lines: list[StatementLineOut]
