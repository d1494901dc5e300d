from datetime import datetime
from decimal import Decimal

from server.api.schemas.common import (
    AgentCode,
    MeterNumber,
    Out,
    PositiveMoney,
    RequestId,
    Strict,
    text,
)


class VendIn(Strict):
    request_id: RequestId
    meter: MeterNumber
    amount: PositiveMoney
    agent_code: AgentCode | None = None  # operators name the vendor; POS clients must not


class QuoteIn(Strict):
    meter: MeterNumber
    amount: PositiveMoney


class ReversalIn(Strict):
    receipt_no: text(20)
    reason: text(500)


class TokenOut(Out):
    digits: str
    grouped: str
    description: str
    token_class: int
    subclass: int
    tid: int | None


class ReceiptOut(Out):
    sale_id: int
    receipt_no: str
    request_id: str
    created_at: datetime
    status: str
    meter: str
    customer_name: str
    customer_account: str
    agent_code: str
    channel: str
    currency: str
    amount: Decimal
    tax: Decimal
    fixed_charge: Decimal
    debt_recovered: Decimal
    energy_amount: Decimal
    kwh: Decimal
    tokens: list[TokenOut]
    agent_balance: Decimal
    replayed: bool


class QuoteOut(Out):
    meter: str
    customer_name: str
    currency: str
    amount: Decimal
    tax: Decimal
    fixed_charge: Decimal
    debt_recovered: Decimal
    energy_amount: Decimal
    kwh: Decimal
    key_change_tokens: int
