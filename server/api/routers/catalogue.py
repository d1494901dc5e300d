"""Supply groups, tariffs, customers and meters."""

from typing import Annotated

from fastapi import APIRouter, File, Path, Query, UploadFile, status

from server.api.dependencies import Caller, Ctx
from server.api.schemas.catalogue import (
    BlockIO,
    CustomerIn,
    CustomerOut,
    CustomerUpdateIn,
    DebtIn,
    ImportErrorOut,
    ImportReportOut,
    MeterCustomerIn,
    MeterIn,
    MeterOut,
    MeterStateIn,
    MeterTariffIn,
    MeterTokenListOut,
    MeterTokenRow,
    SupplyGroupIn,
    SupplyGroupOut,
    TariffIn,
    TariffOut,
)
from server.api.schemas.common import Limit, Offset
from server.domain.errors import InvalidInput
from server.domain.tariffs import Block
from server.services import bulk_import, customers, meters, receipts, supply_groups, tariffs
from server.services.bulk_import import ImportReport
from server.services.meter_numbers import pan_of
from server.services.tariffs import TariffView

supply_group_router = APIRouter(prefix="/supply-groups", tags=["supply groups"])
tariff_router = APIRouter(prefix="/tariffs", tags=["tariffs"])
customer_router = APIRouter(prefix="/customers", tags=["customers"])
meter_router = APIRouter(prefix="/meters", tags=["meters"])

Text64 = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f]+$")]
Account = Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[^\x00-\x1f\x7f]+$")]
Number = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[0-9 -]+$")]


def _group_out(group, revisions: list[int]) -> SupplyGroupOut:
    return SupplyGroupOut(
        sgc=f"{group.sgc:06d}",
        name=group.name,
        key_type=group.key_type,
        ea=group.ea,
        dkga=group.dkga,
        current_krn=group.current_krn,
        base_date=group.base_date,
        ken=group.ken,
        key_revisions=revisions,
    )


@supply_group_router.get("", response_model=list[SupplyGroupOut])
def list_supply_groups(ctx: Ctx, actor: Caller) -> list[SupplyGroupOut]:
    """Every supply group with the key revisions it holds keys for (never the keys)."""
    return [_group_out(g, r) for g, r in supply_groups.list_supply_groups(ctx, actor)]


@supply_group_router.post("", response_model=SupplyGroupOut, status_code=status.HTTP_201_CREATED)
def add_supply_group(body: SupplyGroupIn, ctx: Ctx, actor: Caller) -> SupplyGroupOut:
    """Register a supply group. Its vending keys are imported with `gridvend keys import`,
    never through the API."""
    group = supply_groups.add_supply_group(
        ctx,
        actor,
        sgc=int(body.sgc),
        name=body.name,
        key_type=body.key_type,
        ea=body.ea,
        dkga=body.dkga,
        krn=body.krn,
        base_date=body.base_date,
        ken=body.ken,
    )
    return _group_out(group, [])


def _tariff_out(view: TariffView) -> TariffOut:
    return TariffOut(
        id=view.id,
        name=view.name,
        blocks=[BlockIO(up_to_kwh=b.up_to_kwh, price=b.price) for b in view.blocks],
        vat_rate=view.vat_rate,
        fixed_monthly=view.fixed_monthly,
        debt_rate=view.debt_rate,
        debt_cap=view.debt_cap,
    )


@tariff_router.get("", response_model=list[TariffOut])
def list_tariffs(ctx: Ctx, actor: Caller) -> list[TariffOut]:
    """Every tariff."""
    return [_tariff_out(t) for t in tariffs.list_tariffs(ctx, actor)]


@tariff_router.post("", response_model=TariffOut, status_code=status.HTTP_201_CREATED)
def add_tariff(body: TariffIn, ctx: Ctx, actor: Caller) -> TariffOut:
    """Add a tariff: blocks of (kWh this month up to, VAT-inclusive price per kWh), the last
    without a limit; fixed monthly charge; debt recovery share and cap per purchase."""
    view = tariffs.add_tariff(
        ctx,
        actor,
        name=body.name,
        blocks=tuple(Block(b.up_to_kwh, b.price) for b in body.blocks),
        vat_rate=body.vat_rate,
        fixed_monthly=ctx.currency.to_minor(body.fixed_monthly, what="fixed charge"),
        debt_rate=body.debt_rate,
        debt_cap=ctx.currency.to_minor(body.debt_cap, what="debt cap"),
    )
    return _tariff_out(view)


@tariff_router.get("/{name}", response_model=TariffOut)
def get_tariff(name: Text64, ctx: Ctx, actor: Caller) -> TariffOut:
    """A tariff by name."""
    return _tariff_out(tariffs.get_tariff(ctx, actor, name))


def _customer_out(ctx: Ctx, customer) -> CustomerOut:
    return CustomerOut(
        account_no=customer.account_no,
        name=customer.name,
        address=customer.address,
        phone=customer.phone,
        debt=ctx.currency.to_decimal(customer.debt),
    )


@customer_router.get("", response_model=list[CustomerOut])
def list_customers(
    ctx: Ctx, actor: Caller, offset: Offset = 0, limit: Limit = 100
) -> list[CustomerOut]:
    """A page of customers."""
    page = customers.list_customers(ctx, actor, offset=offset, limit=limit)
    return [_customer_out(ctx, c) for c in page]


@customer_router.post("", response_model=CustomerOut, status_code=status.HTTP_201_CREATED)
def add_customer(body: CustomerIn, ctx: Ctx, actor: Caller) -> CustomerOut:
    """Add a customer, with opening arrears if any."""
    customer = customers.add_customer(
        ctx,
        actor,
        account_no=body.account_no,
        name=body.name,
        address=body.address,
        phone=body.phone,
        debt=ctx.currency.to_minor(body.debt, what="debt"),
    )
    return _customer_out(ctx, customer)


def _import_out(report: ImportReport) -> ImportReportOut:
    return ImportReportOut(
        rows=report.rows,
        imported=report.imported,
        committed=report.committed,
        dry_run=report.dry_run,
        would_import=report.would_import,
        errors=[ImportErrorOut(line=line, message=message) for line, message in report.errors],
    )


def _upload(
    kind: str, ctx: Ctx, actor: Caller, file: UploadFile, skip_bad: bool, dry_run: bool
) -> ImportReportOut:
    content = file.file.read(bulk_import.MAX_UPLOAD_BYTES + 1)
    if not file.filename:
        raise InvalidInput("unsupported_file", "send the file with its name (.csv or .xlsx)")
    report = bulk_import.import_upload(
        ctx, actor, kind, file.filename, content, skip_bad=skip_bad, dry_run=dry_run
    )
    return _import_out(report)


Upload = Annotated[UploadFile, File(description="A .csv or .xlsx file, column names first")]
SkipBad = Annotated[bool, Query(description="import the good rows even if some are bad")]
DryRun = Annotated[
    bool, Query(description="check every row and report, writing nothing (a preview)")
]


@customer_router.post("/import", response_model=ImportReportOut)
def import_customers(
    ctx: Ctx, actor: Caller, file: Upload, skip_bad: SkipBad = False, dry_run: DryRun = False
) -> ImportReportOut:
    """Add the customers in a file (account_no, name; optional address, phone, debt): all
    rows or none unless `skip_bad`; with `dry_run`, only check them and report."""
    return _upload("customers", ctx, actor, file, skip_bad, dry_run)


@customer_router.get("/{account_no}", response_model=CustomerOut)
def get_customer(account_no: Account, ctx: Ctx, actor: Caller) -> CustomerOut:
    """A customer by account number."""
    return _customer_out(ctx, customers.get_customer(ctx, actor, account_no))


@customer_router.patch("/{account_no}", response_model=CustomerOut)
def update_customer(
    account_no: Account, body: CustomerUpdateIn, ctx: Ctx, actor: Caller
) -> CustomerOut:
    """Change a customer's account number, name, address or phone (the fields sent)."""
    customer = customers.update_customer(
        ctx,
        actor,
        account_no,
        new_account_no=body.account_no,
        name=body.name,
        address=body.address,
        phone=body.phone,
    )
    return _customer_out(ctx, customer)


@customer_router.post("/{account_no}/debt", response_model=CustomerOut)
def change_debt(account_no: Account, body: DebtIn, ctx: Ctx, actor: Caller) -> CustomerOut:
    """Add arrears (positive) or write some off (negative), with a reason."""
    amount = ctx.currency.to_minor(body.amount)
    return _customer_out(ctx, customers.change_debt(ctx, actor, account_no, amount, body.reason))


@meter_router.get("", response_model=list[MeterOut])
def list_meters(ctx: Ctx, actor: Caller, offset: Offset = 0, limit: Limit = 100) -> list[MeterOut]:
    """A page of meters."""
    return [
        MeterOut.model_validate(m)
        for m in meters.list_meters(ctx, actor, offset=offset, limit=limit)
    ]


@meter_router.post("", response_model=MeterOut, status_code=status.HTTP_201_CREATED)
def add_meter(body: MeterIn, ctx: Ctx, actor: Caller) -> MeterOut:
    """Register a meter (its number is checked, Luhn digit included)."""
    view = meters.add_meter(
        ctx,
        actor,
        number=body.meter,
        sgc=int(body.sgc),
        tariff=body.tariff,
        customer_account=body.customer_account,
        krn=body.krn,
        ti=body.ti,
        key_type=body.key_type,
        base_date=body.base_date,
    )
    return MeterOut.model_validate(view)


@meter_router.post("/import", response_model=ImportReportOut)
def import_meters(
    ctx: Ctx, actor: Caller, file: Upload, skip_bad: SkipBad = False, dry_run: DryRun = False
) -> ImportReportOut:
    """Register the meters in a file (meter, sgc, tariff; optional customer, krn, ti,
    key_type, base_date, state): all rows or none unless `skip_bad`; with `dry_run`, only
    check them (every check, look-ups included) and report, writing nothing."""
    return _upload("meters", ctx, actor, file, skip_bad, dry_run)


@meter_router.get("/{number}", response_model=MeterOut)
def get_meter(number: Number, ctx: Ctx, actor: Caller) -> MeterOut:
    """A meter: key, state, customer, tariff."""
    return MeterOut.model_validate(meters.show_meter(ctx, actor, number))


@meter_router.put("/{number}/state", response_model=MeterOut)
def set_meter_state(number: Number, body: MeterStateIn, ctx: Ctx, actor: Caller) -> MeterOut:
    """Block a meter (no more sales) or make it active again."""
    return MeterOut.model_validate(
        meters.set_meter_state(ctx, actor, number, body.state, body.reason)
    )


@meter_router.put("/{number}/tariff", response_model=MeterOut)
def change_tariff(number: Number, body: MeterTariffIn, ctx: Ctx, actor: Caller) -> MeterOut:
    """Price the meter's next sales at another tariff."""
    return MeterOut.model_validate(
        meters.change_tariff(ctx, actor, number, body.tariff, body.reason)
    )


@meter_router.put("/{number}/customer", response_model=MeterOut)
def move_meter(number: Number, body: MeterCustomerIn, ctx: Ctx, actor: Caller) -> MeterOut:
    """Give the meter to an existing customer, or to a new one added in the same step."""
    view = meters.move_meter(
        ctx,
        actor,
        number,
        customer_account=body.customer_account,
        new_customer=body.new_customer.model_dump() if body.new_customer else None,
        reason=body.reason,
    )
    return MeterOut.model_validate(view)


@meter_router.get("/{number}/tokens", response_model=MeterTokenListOut)
def last_tokens(
    number: Number,
    ctx: Ctx,
    actor: Caller,
    limit: Annotated[int, Query(ge=1, le=50)] = 5,
) -> MeterTokenListOut:
    """The meter's newest tokens, newest first (reprint of lost slips)."""
    found = receipts.last_tokens(ctx, actor, number, limit=limit)
    rows = [
        MeterTokenRow(
            issued_at=at, digits=t.digits, grouped=t.grouped, description=t.description, tid=t.tid
        )
        for at, t in found
    ]
    return MeterTokenListOut(meter=pan_of(number), tokens=rows)
