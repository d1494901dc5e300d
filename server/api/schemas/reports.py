from datetime import datetime
from decimal import Decimal

from server.api.schemas.common import Out


class SalesRowOut(Out):
    key: str
    sales: int
    reversed: int
    amount: Decimal
    tax: Decimal
    fixed_charge: Decimal
    debt_recovered: Decimal
    energy_amount: Decimal
    kwh: Decimal


class SalesReportOut(Out):
    by: str
    start: datetime
    end: datetime
    currency: str
    agent: str | None
    rows: list[SalesRowOut]
    total: SalesRowOut


class LedgerCheckOut(Out):
    ok: bool
    entries_checked: int
    problems: list[str]


class AuditVerifyOut(Out):
    ok: bool
    records: int
    problem: str
