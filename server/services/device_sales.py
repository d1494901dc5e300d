"""A handheld's sale, online or synced from its offline queue: exactly one final outcome.

The vend itself is the one vend function (services/vending.py), run inside this module's
transaction so that three things commit together or not at all:
- the sale id's outcome row (issued or refused): unique per device and sale id, so a
  sale once refused is never issued by a late duplicate, nor the other way round;
- for an offline sale, the amount moved from the device's offline reserve into the float;
- the vend (sale, tokens, ledger entry, float debit).
A refusal rolls the vend back to a savepoint and records only the outcome. Failures that
are nobody's final word (database away, vending key missing) record nothing: the handheld
sends the sale again later and gets the answer then.

Each outcome records the device's secret generation it was made under. A sale id that has
an outcome from another generation (the handheld was re-flashed and numbers its sales again)
is never replayed: the old receipt belongs to another sale. It is refused (`sale_id_reused`)
and changes nothing.

A device disabled, or a vendor not active, still has its offline sales honoured when they
were taken before that moment (the reserve's cutoff) and the reserve covers them: the
customers paid, and the money was set aside before the handheld took them. Every such sale
is written to the audit trail. See docs/link-protocol.md, "Disabled devices, suspended
vendors".
"""

import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from server.domain.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    Unavailable,
)
from server.link.answers import refusal_text
from server.link.messages import SaleOrder
from server.services import audit_trail, offline, vending
from server.services.context import Actor, ServiceContext
from server.services.devices import device_actor
from server.services.receipts import Receipt, build_receipt
from server.services.vending import VendRequest
from server.storage.repositories.device_link import (
    OfflineReserveRepository,
    SaleOutcomeRepository,
)
from server.storage.schema import Agent, Device
from server.storage.unit_of_work import UnitOfWork

log = logging.getLogger("gridvend.link")

# Refusals: the request itself is the problem, and asking again cannot change the answer.
FINAL = (InvalidInput, NotFound, Conflict, Forbidden)


@dataclass(frozen=True)
class SaleOutcome:
    """The answer for one device sale id: a receipt, or a refusal (code and vendor text)."""

    sale_ref: str
    receipt: Receipt | None = None
    code: str | None = None
    reason: str | None = None
    new: bool = False  # issued by this call (not a repeat of an earlier answer)

    @property
    def issued(self) -> bool:
        return self.receipt is not None


def sell(ctx: ServiceContext, device: Device, order: SaleOrder) -> SaleOutcome:
    """The final outcome of `order`: made now, or the one recorded before for its id.

    Raises only for failures that are not a final answer (DomainError Unavailable,
    database errors): the caller tells the handheld to try again later.
    """
    actor = device_actor(device)
    request = VendRequest(request_id=order.id, meter=order.meter, amount=order.amount)
    for _ in range(3):
        try:
            return ctx.transaction(lambda uow: _sell(ctx, uow, device, actor, order, request))
        except IntegrityError:
            continue  # a concurrent copy of this sale id committed first: replay its outcome
    raise Conflict("request_in_progress", f"sale {order.id}: try again in a moment")


def _sell(
    ctx: ServiceContext,
    uow: UnitOfWork,
    device: Device,
    actor: Actor,
    order: SaleOrder,
    request: VendRequest,
) -> SaleOutcome:
    outcomes = SaleOutcomeRepository(uow.session)
    generation = device.secret_generation
    known = outcomes.get(device.id, order.id)
    if known is not None:
        if known.generation != generation:
            return _reused(device, order, known.generation)
        return _replay(ctx, uow, actor, order, request, known.outcome, known.code, known.reason)
    now = ctx.now()
    stop = _stopped(uow, device)
    savepoint = uow.session.begin_nested()
    try:
        outcomes.add(device.id, order.id, "issued", offline=order.offline, at=now,
                      generation=generation)  # fmt: skip
        # The vend's own checks, then (offline) the reserve pays, then the vend proper. The
        # vend locks the meter first; taking it here first too keeps one lock order.
        pan, request_hash = vending.validate_request(actor, request)
        if order.offline:
            uow.meters.sale_target(pan)
        if stop is not None:
            _honour_or_refuse(ctx, uow, device, order, stop)
        if order.offline:
            offline.pay_offline_sale(ctx, uow, device, order.amount, order.id)
        receipt = vending.vend_in_transaction(
            ctx, uow, actor, request, pan, request_hash, vendor_stopped_ok=stop is not None
        )
    except FINAL as exc:
        assert isinstance(exc, DomainError)
        savepoint.rollback()
        text = refusal_text(exc.code)
        outcomes.add(device.id, order.id, "refused", offline=order.offline, at=now,
                     code=exc.code, reason=text, generation=generation)  # fmt: skip
        uow.commit()
        log.info("device %s sale %s refused: %s", device.name, order.id, exc.code)
        return SaleOutcome(order.id, code=exc.code, reason=text)
    if receipt.replayed:  # a sale stored without its outcome row (an older server wrote it)
        uow.commit()
    return SaleOutcome(order.id, receipt=receipt, new=not receipt.replayed)


def _reused(device: Device, order: SaleOrder, old_generation: int) -> SaleOutcome:
    # The handheld got a new secret since this sale id was answered, and numbers its sales
    # again: the recorded receipt is another customer's. Nothing is written.
    code = "sale_id_reused"
    log.warning(
        "device %s sale %s refused: the id was answered under secret generation %d, the "
        "device is now at generation %d (re-flashed without its journal?)",
        device.name,
        order.id,
        old_generation,
        device.secret_generation,
    )
    return SaleOutcome(order.id, code=code, reason=refusal_text(code))


# ---- disabled devices, vendors not active ----


@dataclass(frozen=True)
class _Stop:
    """Why the device may not sell now: "device_disabled" or "agent_not_active"."""

    code: str
    agent_id: int
    agent_status: str


def _stopped(uow: UnitOfWork, device: Device) -> _Stop | None:
    fresh = uow.devices.by_id(device.id)  # as it is now: it may be disabled since it was read
    assert fresh is not None
    agent = uow.agents.ref_by_id(fresh.agent_id)
    assert agent is not None
    if not fresh.enabled:
        return _Stop("device_disabled", agent.id, agent.status)
    if agent.status != "active":
        return _Stop("agent_not_active", agent.id, agent.status)
    return None


def _honour_or_refuse(
    ctx: ServiceContext, uow: UnitOfWork, device: Device, order: SaleOrder, stop: _Stop
) -> None:
    """Go on with an offline sale taken before the cutoff that the reserve covers (audited);
    otherwise refuse it: finally for a vendor not active (the vend's own refusal), and for
    a disabled device not at all (Unavailable: nothing is recorded, the sale stays queued on
    the handheld, for the day the device is enabled again)."""
    reserve = OfflineReserveRepository(uow.session).for_update(device.id, ctx.now())
    cutoff = reserve.cutoff_at
    honoured = (
        order.offline
        and cutoff is not None
        and 0 < order.time < cutoff.timestamp()
        and reserve.granted - reserve.spent >= order.amount
    )
    if not honoured:
        if stop.code == "device_disabled":
            raise Unavailable("device_disabled", f"device {device.name} is disabled")
        raise Conflict("agent_not_active", f"the vendor of {device.name} is not active")
    assert cutoff is not None
    # Lock order as everywhere: meter (taken by the caller), reserve, vendor, then the audit
    # chain's head. The record is rolled back with the savepoint if the vend refuses after all.
    agents = Agent.__table__
    uow.session.execute(select(agents.c.id).where(agents.c.id == stop.agent_id).with_for_update())
    audit_trail.record(
        ctx,
        uow,
        device_actor(device),
        "device.sale_after_cutoff",
        "device",
        device.name,
        after={
            "sale": order.id,
            "amount": order.amount,
            "sale_time": order.time,
            "cutoff": int(cutoff.timestamp()),
            "why": stop.code,
        },
    )
    log.info(
        "device %s sale %s: taken offline before the cutoff (%s), honoured from the reserve",
        device.name,
        order.id,
        stop.code,
    )


def _replay(
    ctx: ServiceContext,
    uow: UnitOfWork,
    actor: Actor,
    order: SaleOrder,
    request: VendRequest,
    outcome: str,
    code: str | None,
    reason: str | None,
) -> SaleOutcome:
    if outcome == "refused":
        return SaleOutcome(order.id, code=code, reason=reason)
    sale = uow.sales.by_request(actor.ref, order.id)
    assert sale is not None  # written in the same transaction as the outcome
    _, request_hash = vending.validate_request(actor, request)
    if sale.request_hash != request_hash:
        code = "request_id_conflict"
        return SaleOutcome(order.id, code=code, reason=refusal_text(code))
    return SaleOutcome(order.id, receipt=build_receipt(ctx, uow, sale, replayed=True))
