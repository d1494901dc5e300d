"""The vend: one service function for every door (HTTP, MQTT, CLI), and the quote beside it.

In one transaction: find the request id (a repeat gets the first answer), lock the meter,
price the sale, take the next TID, have the security module make the token(s), debit the
vendor's float within its limit, and write sale, tokens and ledger entry.
"""

import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.exc import IntegrityError

from server.domain import ledger
from server.domain.errors import Conflict, DomainError, InvalidInput, NotFound
from server.domain.meter_keys import KeyIdentity
from server.domain.money import MAX_MINOR
from server.domain.receipt_numbers import receipt_number
from server.domain.roles import Permission
from server.domain.tariffs import MonthToDate, PriceSplit, TariffTerms, price_sale
from server.security.module import Credit, MeterCredentials
from server.services.context import Actor, ServiceContext
from server.services.meter_numbers import pan_of
from server.services.meter_tokens import plan_due, record_meter_key, store_tokens, take_tid
from server.services.meters import due_key_of
from server.services.receipts import Receipt, ReceiptToken, build_receipt
from server.services.supply_groups import key_lookup
from server.services.tariffs import cached_terms
from server.storage.repositories.agents import AgentRef
from server.storage.schema import Customer, Meter, Sale
from server.storage.unit_of_work import UnitOfWork
from server.sts import format_token

CHANNELS = {"operator": "office", "pos": "pos", "device": "device", "cli": "office"}


@dataclass(frozen=True)
class VendRequest:
    """A sale as asked for. `agent_code` names the float for operators; POS clients and
    devices always sell from their own vendor's float."""

    request_id: str
    meter: str
    amount: int  # minor units, what the customer paid
    agent_code: str | None = None


@dataclass(frozen=True)
class Quote:
    """A trial vend: the split a sale would have, and the tokens it would need."""

    meter: str
    customer_name: str
    currency: str
    amount: Decimal
    tax: Decimal
    fixed_charge: Decimal
    debt_recovered: Decimal
    energy_amount: Decimal
    kwh: Decimal
    key_change_tokens: int  # how many key change tokens would come first


def vend(ctx: ServiceContext, actor: Actor, request: VendRequest) -> Receipt:
    """Sell energy: exactly one sale and one credit token per request id, however often asked.

    The same request id with the same body returns the first receipt (marked `replayed`);
    with a different body it is refused as a conflict.
    """
    actor.require(Permission.VEND)
    pan, request_hash = _validate(actor, request)
    for _ in range(2):
        try:
            return ctx.transaction(lambda uow: _vend(ctx, uow, actor, request, pan, request_hash))
        except IntegrityError:
            # A concurrent duplicate committed first; the next attempt finds and replays it.
            continue
    raise Conflict("request_in_progress", f"request {request.request_id}: retry in a moment")


def quote(ctx: ServiceContext, actor: Actor, meter: str, amount: int) -> Quote:
    """What a sale of `amount` would give now, without issuing anything."""
    actor.require(Permission.QUOTE)
    pan = pan_of(meter)
    _check_amount(amount)

    def work(uow: UnitOfWork) -> Quote:
        meter_row = _meter(uow, pan)
        customer = uow.customers.by_id(meter_row.customer_id) if meter_row.customer_id else None
        split = _price(ctx, uow, meter_row, customer, amount)
        group = uow.supply_groups.by_id(meter_row.supply_group_id)
        assert group is not None
        due = due_key_of(meter_row, group)
        money = ctx.currency.to_decimal
        return Quote(
            meter=pan,
            customer_name=customer.name if customer else "",
            currency=ctx.currency.code,
            amount=money(split.amount),
            tax=money(split.tax),
            fixed_charge=money(split.fixed_charge),
            debt_recovered=money(split.debt_recovered),
            energy_amount=money(split.energy_amount),
            kwh=split.kwh,
            key_change_tokens=0 if due is None else (2 if due.ea == 7 else 4),
        )

    return ctx.transaction(work, read_only=True)


def _validate(actor: Actor, request: VendRequest) -> tuple[str, str]:
    rid = request.request_id
    if not rid or len(rid) > 64 or not rid.isascii() or not rid.isprintable():
        raise InvalidInput("invalid_request_id", "request_id: 1 to 64 printable ASCII characters")
    pan = pan_of(request.meter)
    _check_amount(request.amount)
    if actor.agent_id is None and not request.agent_code:
        raise InvalidInput("agent_required", "say which vendor's float pays: give agent_code")
    if actor.agent_id is not None and request.agent_code:
        raise InvalidInput(
            "agent_not_allowed", "leave agent_code out: your API key already names your vendor"
        )
    body = {
        "meter": pan,
        "amount": request.amount,
        "agent": request.agent_code if actor.agent_id is None else actor.agent_id,
    }
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
    return pan, digest


def _check_amount(amount: int) -> None:
    if not 0 < amount <= MAX_MINOR:
        raise InvalidInput("invalid_amount", "amount must be above zero")


def _vend(
    ctx: ServiceContext,
    uow: UnitOfWork,
    actor: Actor,
    request: VendRequest,
    pan: str,
    request_hash: str,
    vendor_stopped_ok: bool = False,
) -> Receipt:
    # Lock order, everywhere: meter, then customer, then agent. No deadlock cycles. The
    # meter is read with the sale this request id already made, if any, in one round trip.
    target = uow.meters.sale_target(pan, (actor.ref, request.request_id))
    existing_id = target.existing_sale_id if target is not None else None
    if existing_id is None and target is None:
        existing_id = uow.sales.id_by_request(actor.ref, request.request_id)
    if existing_id is not None:
        # A repeat: the first answer, whatever became of the meter or the float since.
        sale = uow.session.get(Sale, existing_id)
        assert sale is not None
        return _replay(ctx, uow, sale, request, request_hash)
    if target is None:
        raise NotFound("meter_not_found", f"meter {pan} is not registered")
    if target.state != "active":
        raise Conflict("meter_blocked", f"meter {pan} is {target.state}: no sales to it")
    agent = _paying_agent(uow, actor, request)
    now = ctx.now()
    terms = cached_terms(ctx, uow, target.tariff_id)
    debt = 0
    if target.customer_id is not None and target.customer_debt and terms.debt_rate:
        locked = uow.customers.for_update(target.customer_id)  # its debt is read and reduced
        assert locked is not None
        debt = locked.debt
    month = ctx.month_of(now)
    split = price_sale(
        request.amount,
        terms,
        _month_to_date(uow, terms, target.meter_id, month),
        debt,
        ctx.currency,
    )

    current = KeyIdentity(
        sgc=target.sgc,
        krn=target.krn,
        ti=target.ti,
        kt=target.key_type,
        base=target.base_date,
        ea=target.ea,
        dkga=target.dkga,
        ken=target.ken,
    )
    plan = plan_due(
        current,
        group_krn=target.group_krn,
        group_base=target.group_base,
        pending_ti=target.pending_ti,
    )
    tid = take_tid(target.last_tid, plan, now)
    tokens = ctx.security.make_tokens(
        MeterCredentials(pan, current),
        [Credit(split.kwh, tid)],
        keys=key_lookup(ctx, uow),
        new_key=plan.new,
    )
    credited = tokens[-1].credited
    assert credited is not None

    sale_id = uow.sales.insert(
        {
            "client_ref": actor.ref,
            "request_id": request.request_id,
            "request_hash": request_hash,
            "meter_id": target.meter_id,
            "customer_id": target.customer_id,
            "agent_id": agent.id,
            "channel": CHANNELS[actor.kind],
            "operator_id": actor.id if actor.kind == "operator" else None,
            "pos_client_id": actor.id if actor.kind == "pos" else None,
            "device_id": actor.id if actor.kind == "device" else None,
            "month": month,
            "amount": split.amount,
            "fixed_charge_gross": split.fixed_charge_gross,
            "fixed_charge": split.fixed_charge,
            "debt_recovered": split.debt_recovered,
            "energy_amount": split.energy_amount,
            "tax": split.tax,
            "kwh": split.kwh,
            "kwh_credited": credited,
            "agent_balance_after": 0,  # set below, once the float is debited
            "status": "issued",
            "created_at": now,
        }
    )
    store_tokens(uow, target.meter_id, plan, tokens, now, sale_id=sale_id)
    record_meter_key(uow, target.meter_id, plan, tid, target.last_tid)
    uow.ledger.post(
        ledger.vend_entry(split, agent.id, target.customer_id),
        actor=actor.ref,
        at=now,
        sale_id=sale_id,
    )
    if split.debt_recovered:
        assert target.customer_id is not None
        uow.customers.change_debt(target.customer_id, -split.debt_recovered)
    # The float last: its row is every sale's hot spot, so it stays locked only for the
    # debit, the balance noted on the sale, and the commit.
    debited = uow.agents.debit_for_sale(
        split.amount, agent.id, any_status=vendor_stopped_ok and actor.agent_id is not None
    )
    if debited is None:
        raise _refusal(ctx, uow, agent.id, split.amount)
    balance, agent_code = debited
    uow.sales.note_agent_balance(sale_id, balance)
    uow.commit()
    money = ctx.currency.to_decimal
    return Receipt(
        sale_id=sale_id,
        receipt_no=receipt_number(sale_id),
        request_id=request.request_id,
        created_at=now,
        status="issued",
        meter=pan,
        customer_name=target.customer_name,
        customer_account=target.customer_account,
        agent_code=agent_code,
        channel=CHANNELS[actor.kind],
        currency=ctx.currency.code,
        amount=money(split.amount),
        tax=money(split.tax),
        fixed_charge=money(split.fixed_charge),
        debt_recovered=money(split.debt_recovered),
        energy_amount=money(split.energy_amount),
        kwh=credited,
        tokens=tuple(
            ReceiptToken(
                t.digits,
                format_token(t.digits),
                t.description[:128],
                t.token_class,
                t.subclass,
                t.tid,
            )
            for t in tokens
        ),
        agent_balance=money(balance),
    )


def _month_to_date(uow: UnitOfWork, terms: TariffTerms, meter_id: int, month: int) -> MonthToDate:
    # A flat tariff without a fixed charge prices every sale alike: no need to look.
    if len(terms.blocks) == 1 and not terms.fixed_monthly:
        return MonthToDate()
    return uow.sales.month_to_date(meter_id, month)


def _paying_agent(uow: UnitOfWork, actor: Actor, request: VendRequest) -> AgentRef:
    """The vendor whose float pays: the caller's own (POS client, device) or the one named.

    The caller's own is not read here: the float debit, last, takes money only from an
    active agent, and `_refusal` then says why it could not."""
    if actor.agent_id is not None:
        return AgentRef(id=actor.agent_id, code="", status="active")
    found = uow.agents.ref_by_code((request.agent_code or "").strip())
    if found is None:
        raise NotFound("agent_not_found", f"agent {request.agent_code} does not exist")
    if found.status != "active":
        raise Conflict("agent_not_active", f"agent {found.code} is {found.status}: no sales")
    return found


def _refusal(ctx: ServiceContext, uow: UnitOfWork, agent_id: int, amount: int) -> DomainError:
    """Why the float debit was refused: the agent stopped being active, or not enough float."""
    agent = uow.agents.by_id(agent_id)
    if agent is None:
        return NotFound("agent_not_found", f"agent {agent_id} does not exist")
    uow.session.refresh(agent)
    if agent.status != "active":
        return Conflict("agent_not_active", f"agent {agent.code} is {agent.status}: no sales")
    money = ctx.currency.format
    return Conflict(
        "insufficient_float",
        f"agent {agent.code}: float {money(agent.balance)} with credit limit "
        f"{money(agent.credit_limit)} does not cover {money(amount)}",
    )


def _replay(
    ctx: ServiceContext, uow: UnitOfWork, sale: Sale, request: VendRequest, request_hash: str
) -> Receipt:
    if sale.request_hash != request_hash:
        raise Conflict(
            "request_id_conflict",
            f"request {request.request_id} was already used for a different sale "
            "(other meter, amount or vendor); use a new request id",
        )
    return build_receipt(ctx, uow, sale, replayed=True)


def _meter(uow: UnitOfWork, pan: str) -> Meter:
    meter = uow.meters.by_pan(pan)
    if meter is None:
        raise NotFound("meter_not_found", f"meter {pan} is not registered")
    if meter.state != "active":
        raise Conflict("meter_blocked", f"meter {pan} is {meter.state}: no sales to it")
    return meter


def _price(
    ctx: ServiceContext, uow: UnitOfWork, meter: Meter, customer: Customer | None, amount: int
) -> PriceSplit:
    terms = cached_terms(ctx, uow, meter.tariff_id)
    month = _month_to_date(uow, terms, meter.id, ctx.month_of(ctx.now()))
    debt = customer.debt if customer is not None else 0
    return price_sale(amount, terms, month, debt, ctx.currency)


# ---- for services that vend inside a transaction of their own (services/device_sales.py) ----


def validate_request(actor: Actor, request: VendRequest) -> tuple[str, str]:
    """The request's checks, before any I/O: (meter PAN, request hash); InvalidInput if wrong."""
    return _validate(actor, request)


def vend_in_transaction(
    ctx: ServiceContext,
    uow: UnitOfWork,
    actor: Actor,
    request: VendRequest,
    pan: str,
    request_hash: str,
    *,
    vendor_stopped_ok: bool = False,
) -> Receipt:
    """The vend in the caller's unit of work (what `vend` runs in its own): a repeat of the
    request id replays its receipt; otherwise it sells and COMMITS the unit of work, with
    whatever the caller wrote in it before. Raises the vend's refusals like `vend`.
    `actor.require(Permission.VEND)` is the caller's to check; `pan` and `request_hash`
    come from `validate_request`. `vendor_stopped_ok` debits the caller's own vendor even
    when it is no longer active: for a sale the caller has established was paid for before
    the vendor was stopped (an offline sale honoured from its device's reserve)."""
    return _vend(ctx, uow, actor, request, pan, request_hash, vendor_stopped_ok)
