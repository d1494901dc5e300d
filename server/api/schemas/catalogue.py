"""Supply groups, tariffs, customers and meters."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import Field, StringConstraints

from server.api.schemas.common import MeterNumber, Money, Out, Strict, text

Sgc = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$"), Field(examples=["123456"])]
AccountNo = text(32)
TariffName = text(64)


class SupplyGroupIn(Strict):
    sgc: Sgc
    name: text(128, min_length=0) = ""
    key_type: Annotated[int, Field(ge=0, le=3)] = 2
    ea: Annotated[int, Field(description="7 (EA07) or 11 (EA11)")] = 7
    dkga: Annotated[int, Field(description="2 (DKGA02) or 4 (DKGA04)")] = 2
    krn: Annotated[int, Field(ge=1, le=9)] = 1
    base_date: Annotated[int, Field(description="1993, 2014 or 2035")] = 2014
    ken: Annotated[int, Field(ge=0, le=255)] = 255


class SupplyGroupOut(Out):
    sgc: str
    name: str
    key_type: int
    ea: int
    dkga: int
    current_krn: int
    base_date: int
    ken: int
    key_revisions: list[int]


class BlockIO(Out, Strict):
    up_to_kwh: Annotated[Decimal | None, Field(gt=0, max_digits=12, allow_inf_nan=False)] = None
    price: Annotated[Decimal, Field(gt=0, max_digits=14, allow_inf_nan=False)]


class TariffIn(Strict):
    name: TariffName
    blocks: Annotated[list[BlockIO], Field(min_length=1, max_length=20)]
    vat_rate: Annotated[Decimal, Field(ge=0, lt=1, allow_inf_nan=False)] = Decimal(0)
    fixed_monthly: Annotated[Decimal, Field(ge=0, max_digits=18, allow_inf_nan=False)] = Decimal(0)
    debt_rate: Annotated[Decimal, Field(ge=0, le=1, allow_inf_nan=False)] = Decimal(0)
    debt_cap: Annotated[Decimal, Field(ge=0, max_digits=18, allow_inf_nan=False)] = Decimal(0)


class TariffOut(Out):
    id: int
    name: str
    blocks: list[BlockIO]
    vat_rate: Decimal
    fixed_monthly: Decimal
    debt_rate: Decimal
    debt_cap: Decimal


class CustomerIn(Strict):
    account_no: AccountNo
    name: text(128)
    address: text(256, min_length=0) = ""
    phone: text(32, min_length=0) = ""
    debt: Annotated[Decimal, Field(ge=0, max_digits=18, allow_inf_nan=False)] = Decimal(0)


class CustomerUpdateIn(Strict):
    """Only the fields sent change; each is checked as when the customer was added."""

    account_no: AccountNo | None = None
    name: text(128) | None = None
    address: text(256, min_length=0) | None = None
    phone: text(32, min_length=0) | None = None


class NewCustomerIn(Strict):
    account_no: AccountNo
    name: text(128)
    address: text(256, min_length=0) = ""
    phone: text(32, min_length=0) = ""


class MeterTariffIn(Strict):
    tariff: TariffName
    reason: text(500, min_length=0) = ""


class MeterCustomerIn(Strict):
    """Exactly one of `customer_account` (an existing customer) and `new_customer`."""

    customer_account: AccountNo | None = None
    new_customer: NewCustomerIn | None = None
    reason: text(500, min_length=0) = ""


class ImportErrorOut(Out):
    line: int
    message: str


class ImportReportOut(Out):
    rows: int
    imported: int
    committed: bool
    dry_run: bool
    would_import: int
    errors: list[ImportErrorOut]


class DebtIn(Strict):
    amount: Money
    reason: text(500)


class CustomerOut(Out):
    account_no: str
    name: str
    address: str
    phone: str
    debt: Decimal


class MeterIn(Strict):
    meter: MeterNumber
    sgc: Sgc
    tariff: TariffName
    customer_account: AccountNo | None = None
    krn: Annotated[int | None, Field(ge=1, le=9)] = None
    ti: Annotated[int, Field(ge=0, le=99)] = 1
    key_type: Annotated[int, Field(ge=0, le=3)] = 2
    base_date: Annotated[int | None, Field(description="1993, 2014 or 2035")] = None


class MeterStateIn(Strict):
    state: text(16)
    reason: text(500, min_length=0) = ""


class MonthToDateOut(Out):
    kwh: Decimal
    fixed_collected: int


class MeterOut(Out):
    pan: str
    state: str
    sgc: int
    krn: int
    ti: int
    key_type: int
    base_date: int
    key_change_due: bool
    tariff: str
    customer_account: str
    customer_name: str
    last_tid: int | None


class MeterTokenRow(Out):
    issued_at: datetime
    digits: str
    grouped: str
    description: str
    tid: int | None


class MeterTokenListOut(Out):
    meter: str
    tokens: list[MeterTokenRow]
