"""Engineering tokens (supervisor and above): clear tamper, clear credit, power limits, test
tokens, and moving a meter to a new key revision, tariff index or base date."""

import json
from dataclasses import dataclass, replace
from datetime import datetime

from server.domain.errors import Conflict, InvalidInput, NotFound
from server.domain.meter_keys import BASE_DATES
from server.domain.roles import Permission
from server.security.module import (
    ClearCredit,
    ClearTamper,
    MaxPower,
    MeterCredentials,
    PhaseUnbalance,
    TestToken,
    TokenOrder,
)
from server.services import audit_trail
from server.services.context import Actor, ServiceContext
from server.services.meter_numbers import pan_of
from server.services.meter_tokens import KeyPlan, record_meter_key, store_tokens, take_tid
from server.services.meters import due_key_of, key_of
from server.services.receipts import ReceiptToken, receipt_token
from server.services.supply_groups import key_lookup
from server.services.text_fields import text_field
from server.storage.schema import EngineeringOrder
from server.storage.unit_of_work import UnitOfWork

KINDS = ("clear_tamper", "clear_credit", "max_power", "phase_unbalance", "test", "update_key")
TIMED = {"clear_tamper", "clear_credit", "max_power", "phase_unbalance"}
MAX_WATTS = 18_201_624  # the largest value the STS amount field carries


@dataclass(frozen=True)
class EngineeringResult:
    """The tokens of an engineering order, in the order they must be entered."""

    order_id: int
    meter: str
    kind: str
    created_at: datetime
    tokens: tuple[ReceiptToken, ...]


def issue(
    ctx: ServiceContext,
    actor: Actor,
    meter_number: str,
    kind: str,
    *,
    reason: str = "",
    watts: int | None = None,
    register: int = 0xFFFF,
    control: int | None = None,
    mfr: int = 0,
    subclass: int = 0,
    krn: int | None = None,
    ti: int | None = None,
    base_date: int | None = None,
) -> EngineeringResult:
    """Make an engineering token for a meter and record it (who, why, which tokens).

    Keyed tokens come after any key change the meter is due, like credit does. `update_key`
    issues only key change tokens: to `krn`/`ti`/`base_date` where given, else to the supply
    group's current key.
    """
    actor.require(Permission.ENGINEERING)
    pan = pan_of(meter_number)
    if kind not in KINDS:
        raise InvalidInput("invalid_kind", f"engineering token {kind!r}: expected one of {KINDS}")
    reason = text_field(reason, "reason", max_length=500, required=False)
    if kind in ("max_power", "phase_unbalance") and (watts is None or not 0 <= watts <= MAX_WATTS):
        raise InvalidInput("invalid_watts", f"{kind} needs watts between 0 and {MAX_WATTS}")
    if kind == "clear_credit" and not 0 <= register <= 0xFFFF:
        raise InvalidInput("invalid_register", "register: 0 to 65535 (65535 clears all)")
    if kind == "test" and control is None:
        raise InvalidInput("invalid_control", "a test token needs its control bits")
    if base_date is not None and base_date not in BASE_DATES:
        raise InvalidInput("invalid_key", f"base date {base_date}: expected 1993, 2014 or 2035")
    parameters = {
        "watts": watts,
        "register": register if kind == "clear_credit" else None,
        "control": control,
        "mfr": mfr if kind == "test" else None,
        "subclass": subclass if kind == "test" else None,
        "krn": krn,
        "ti": ti,
        "base_date": base_date,
    }
    parameters = {k: v for k, v in parameters.items() if v is not None}

    def work(uow: UnitOfWork) -> EngineeringResult:
        meter = uow.meters.by_pan_for_update(pan)
        if meter is None:
            raise NotFound("meter_not_found", f"meter {pan} is not registered")
        group = uow.supply_groups.by_id(meter.supply_group_id)
        assert group is not None
        requested = None
        if kind == "update_key":
            start = due_key_of(meter, group) or key_of(meter, group)
            requested = replace(
                start,
                krn=start.krn if krn is None else krn,
                ti=start.ti if ti is None else ti,
                base=start.base if base_date is None else base_date,
            )  # replace() validates the new fields
            if requested == key_of(meter, group):
                raise Conflict("key_unchanged", f"meter {pan} already holds that key")
        # A test token is not encrypted: it never carries a pending key change along.
        due = None if kind == "test" else due_key_of(meter, group)
        plan = KeyPlan(key_of(meter, group), requested or due)
        now = ctx.now()
        tid = None
        orders: list[TokenOrder] = []
        if kind in TIMED:
            tid = take_tid(meter.last_tid, plan, now)
            orders.append(_order(kind, tid, watts, register))
        elif kind == "test":
            assert control is not None
            orders.append(TestToken(control=control, mfr=mfr, subclass=subclass))
        tokens = ctx.security.make_tokens(
            MeterCredentials(pan, plan.current),
            orders,
            keys=key_lookup(ctx, uow),
            new_key=plan.new,
        )
        order = uow.tokens.add_order(
            EngineeringOrder(
                meter_id=meter.id,
                kind=kind,
                parameters=json.dumps(parameters, sort_keys=True),
                actor=actor.ref,
                reason=reason.strip(),
                created_at=now,
            )
        )
        store_tokens(uow, meter.id, plan, tokens, now, order_id=order.id)
        before = {"krn": meter.krn, "ti": meter.ti, "base_date": meter.base_date}
        record_meter_key(uow, meter.id, plan, tid, meter.last_tid)
        key = plan.effective
        uow.session.flush()
        audit_trail.record(
            ctx,
            uow,
            actor,
            f"engineering.{kind}",
            "meter",
            pan,
            before=before,
            after={
                "krn": key.krn,
                "ti": key.ti,
                "base_date": key.base,
                "order": order.id,
                "tokens": len(tokens),
                "reason": reason,
                **parameters,
            },
        )
        rows = uow.tokens.of_order(order.id)
        uow.commit()
        return EngineeringResult(order.id, pan, kind, now, tuple(receipt_token(r) for r in rows))

    return ctx.transaction(work)


def _order(kind: str, tid: int, watts: int | None, register: int) -> TokenOrder:
    if kind == "clear_tamper":
        return ClearTamper(tid)
    if kind == "clear_credit":
        return ClearCredit(tid, register)
    assert watts is not None
    return MaxPower(tid, watts) if kind == "max_power" else PhaseUnbalance(tid, watts)
