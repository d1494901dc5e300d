"""Meters: registration with a validated number, state, and what a meter holds."""

from dataclasses import dataclass
from datetime import datetime

from server.domain.errors import Conflict, InvalidInput, NotFound
from server.domain.meter_keys import KeyIdentity, due_key
from server.domain.roles import Permission
from server.domain.tariffs import MonthToDate
from server.services import audit_trail
from server.services.context import Actor, ServiceContext
from server.services.customers import customer_by_account
from server.services.customers import new_customer as add_new_customer
from server.services.meter_numbers import pan_of
from server.services.receipts import ReceiptToken, receipt_token
from server.services.snapshots import snapshot
from server.services.tariffs import tariff_by_name
from server.services.text_fields import text_field
from server.storage.schema import Meter, SupplyGroup
from server.storage.unit_of_work import UnitOfWork

METER_STATES = ("active", "blocked")
METER_FIELDS = ("pan", "krn", "ti", "key_type", "base_date", "pending_ti", "state", "last_tid")


def key_of(meter: Meter, group: SupplyGroup) -> KeyIdentity:
    """The key a meter holds now, as the domain sees it."""
    return KeyIdentity(
        sgc=group.sgc,
        krn=meter.krn,
        ti=meter.ti,
        kt=meter.key_type,
        base=meter.base_date,
        ea=group.ea,
        dkga=group.dkga,
        ken=group.ken,
    )


def due_key_of(meter: Meter, group: SupplyGroup) -> KeyIdentity | None:
    """The key the meter must move to before its next token, if any."""
    return due_key(
        key_of(meter, group), krn=group.current_krn, base=group.base_date, ti=meter.pending_ti
    )


@dataclass(frozen=True)
class MeterView:
    """A meter with what an operator needs to see about it."""

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
    month_to_date: MonthToDate
    last_tokens: tuple[tuple[datetime, ReceiptToken], ...]


def new_meter(
    ctx: ServiceContext,
    uow: UnitOfWork,
    actor: Actor,
    *,
    number: str,
    sgc: int,
    tariff: str,
    customer_account: str | None = None,
    krn: int | None = None,
    ti: int = 1,
    key_type: int = 2,
    base_date: int | None = None,
    state: str = "active",
) -> Meter:
    """Register a meter inside an open unit of work (bulk imports add many in one).

    Key revision and base date default to the supply group's current ones: a meter installed
    today already holds its group's current key.
    """
    pan = pan_of(number)
    if state not in METER_STATES:
        raise InvalidInput("invalid_state", f"meter state {state!r}: expected active or blocked")
    group = uow.supply_groups.by_sgc(sgc)
    if group is None:
        raise NotFound("supply_group_not_found", f"supply group {sgc:06d} does not exist")
    key = KeyIdentity(
        sgc=sgc,
        krn=group.current_krn if krn is None else krn,
        ti=ti,
        kt=key_type,
        base=group.base_date if base_date is None else base_date,
        ea=group.ea,
        dkga=group.dkga,
        ken=group.ken,
    )
    tariff_row = tariff_by_name(uow, tariff)
    customer = customer_by_account(uow, customer_account) if customer_account else None
    if uow.meters.by_pan(pan) is not None:
        raise Conflict("duplicate_meter", f"meter {pan} is already registered")
    meter = uow.meters.add(
        Meter(
            pan=pan,
            supply_group_id=group.id,
            krn=key.krn,
            ti=key.ti,
            key_type=key.kt,
            base_date=key.base,
            pending_ti=None,
            state=state,
            customer_id=customer.id if customer else None,
            tariff_id=tariff_row.id,
            last_tid=None,
            created_at=ctx.now(),
        )
    )
    audit_trail.record(
        ctx,
        uow,
        actor,
        "meter.add",
        "meter",
        pan,
        after={
            **snapshot(meter, METER_FIELDS),
            "sgc": sgc,
            "tariff": tariff_row.name,
            "customer": customer.account_no if customer else None,
        },
    )
    return meter


def add_meter(ctx: ServiceContext, actor: Actor, **fields: object) -> MeterView:
    """Register one meter (see `new_meter` for the fields)."""
    actor.require(Permission.MANAGE_CATALOGUE)

    def work(uow: UnitOfWork) -> MeterView:
        meter = new_meter(ctx, uow, actor, **fields)  # type: ignore[arg-type]
        view = _view(ctx, uow, meter)
        uow.commit()
        return view

    return ctx.transaction(work)


def show_meter(ctx: ServiceContext, actor: Actor, number: str) -> MeterView:
    """A meter with its customer, tariff, key, this month's purchases and last tokens."""
    actor.require(Permission.VIEW)
    pan = pan_of(number)

    def work(uow: UnitOfWork) -> MeterView:
        return _view(ctx, uow, meter_by_pan(uow, pan))

    return ctx.transaction(work, read_only=True)


def list_meters(
    ctx: ServiceContext, actor: Actor, *, offset: int = 0, limit: int = 100
) -> list[MeterView]:
    """A page of meters."""
    actor.require(Permission.VIEW)

    def work(uow: UnitOfWork) -> list[MeterView]:
        return [_view(ctx, uow, m, tokens=0) for m in uow.meters.page(offset=offset, limit=limit)]

    return ctx.transaction(work, read_only=True)


def set_meter_state(
    ctx: ServiceContext, actor: Actor, number: str, state: str, reason: str = ""
) -> MeterView:
    """Block a meter (no more sales) or make it active again."""
    actor.require(Permission.MANAGE_CATALOGUE)
    pan = pan_of(number)
    if state not in METER_STATES:
        raise InvalidInput("invalid_state", f"meter state {state!r}: expected active or blocked")
    reason = text_field(reason, "reason", max_length=500, required=False)

    def work(uow: UnitOfWork) -> MeterView:
        meter = uow.meters.by_pan_for_update(pan)
        if meter is None:
            raise NotFound("meter_not_found", f"meter {pan} is not registered")
        before = snapshot(meter, METER_FIELDS)
        meter.state = state
        uow.session.flush()
        audit_trail.record(
            ctx,
            uow,
            actor,
            "meter.state",
            "meter",
            pan,
            before=before,
            after={**snapshot(meter, METER_FIELDS), "reason": reason},
        )
        view = _view(ctx, uow, meter)
        uow.commit()
        return view

    return ctx.transaction(work)


def change_tariff(
    ctx: ServiceContext, actor: Actor, number: str, tariff: str, reason: str = ""
) -> MeterView:
    """Sell to a meter at another tariff from its next sale on (its tokens and key do not
    change: the tariff is the price, kept on the server)."""
    actor.require(Permission.MANAGE_CATALOGUE)
    pan = pan_of(number)
    reason = text_field(reason, "reason", max_length=500, required=False)

    def work(uow: UnitOfWork) -> MeterView:
        meter = _meter_for_update(uow, pan)
        new = tariff_by_name(uow, tariff)
        old = uow.tariffs.by_id(meter.tariff_id)
        if new.id != meter.tariff_id:
            meter.tariff_id = new.id
            uow.session.flush()
            audit_trail.record(
                ctx,
                uow,
                actor,
                "meter.tariff",
                "meter",
                pan,
                before={"pan": pan, "tariff": old.name if old else None},
                after={"pan": pan, "tariff": new.name, "reason": reason},
            )
        view = _view(ctx, uow, meter)
        uow.commit()
        return view

    return ctx.transaction(work)


NEW_CUSTOMER_FIELDS = ("account_no", "name", "address", "phone", "debt")


def move_meter(
    ctx: ServiceContext,
    actor: Actor,
    number: str,
    *,
    customer_account: str | None = None,
    new_customer: dict[str, object] | None = None,
    reason: str = "",
) -> MeterView:
    """Give a meter to another customer: an existing one (`customer_account`) or one added
    in the same transaction (`new_customer`: account_no, name, address, phone, debt in
    minor units, checked as any new customer). Its past sales stay with the customer they
    were made for; from its next sale on, arrears are recovered from the new customer."""
    actor.require(Permission.MANAGE_CATALOGUE)
    pan = pan_of(number)
    reason = text_field(reason, "reason", max_length=500, required=False)
    if customer_account is not None and not customer_account.strip():
        customer_account = None
    if (customer_account is None) == (new_customer is None):
        raise InvalidInput(
            "invalid_customer",
            "name the customer to move the meter to: an existing account, or a new customer",
        )
    if new_customer is not None:
        unknown = set(new_customer) - set(NEW_CUSTOMER_FIELDS)
        if unknown:
            raise InvalidInput(
                "invalid_customer", f"new customer: unknown field(s) {', '.join(sorted(unknown))}"
            )

    def work(uow: UnitOfWork) -> MeterView:
        meter = _meter_for_update(uow, pan)
        old = uow.customers.by_id(meter.customer_id) if meter.customer_id else None
        if new_customer is not None:
            target = add_new_customer(ctx, uow, actor, **new_customer)  # type: ignore[arg-type]
        else:
            target = customer_by_account(uow, customer_account or "")
        if old is None or old.id != target.id:
            meter.customer_id = target.id
            uow.session.flush()
            audit_trail.record(
                ctx,
                uow,
                actor,
                "meter.customer",
                "meter",
                pan,
                before={"pan": pan, "customer": old.account_no if old else None},
                after={"pan": pan, "customer": target.account_no, "reason": reason},
            )
        view = _view(ctx, uow, meter)
        uow.commit()
        return view

    return ctx.transaction(work)


def _meter_for_update(uow: UnitOfWork, pan: str) -> Meter:
    meter = uow.meters.by_pan_for_update(pan)
    if meter is None:
        raise NotFound("meter_not_found", f"meter {pan} is not registered")
    return meter


def meter_by_pan(uow: UnitOfWork, pan: str) -> Meter:
    """A stored meter, or a clear NotFound."""
    meter = uow.meters.by_pan(pan)
    if meter is None:
        raise NotFound("meter_not_found", f"meter {pan} is not registered")
    return meter


def _view(ctx: ServiceContext, uow: UnitOfWork, meter: Meter, *, tokens: int = 5) -> MeterView:
    group = uow.supply_groups.by_id(meter.supply_group_id)
    tariff = uow.tariffs.by_id(meter.tariff_id)
    customer = uow.customers.by_id(meter.customer_id) if meter.customer_id else None
    assert group is not None and tariff is not None
    last = uow.tokens.last_of_meter(meter.id, limit=tokens) if tokens else []
    return MeterView(
        pan=meter.pan,
        state=meter.state,
        sgc=group.sgc,
        krn=meter.krn,
        ti=meter.ti,
        key_type=meter.key_type,
        base_date=meter.base_date,
        key_change_due=due_key_of(meter, group) is not None,
        tariff=tariff.name,
        customer_account=customer.account_no if customer else "",
        customer_name=customer.name if customer else "",
        last_tid=meter.last_tid,
        month_to_date=uow.sales.month_to_date(meter.id, ctx.month_of(ctx.now())),
        last_tokens=tuple((t.created_at, receipt_token(t)) for t in last),
    )
