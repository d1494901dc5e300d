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
"""

import logging
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from server.domain.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from server.link.answers import refusal_text
from server.link.messages import SaleOrder
from server.services import offline, vending
from server.services.context import Actor, ServiceContext
from server.services.devices import device_actor
from server.services.receipts import Receipt, build_receipt
from server.services.vending import VendRequest
from server.storage.repositories.device_link import SaleOutcomeRepository
from server.storage.schema import Device
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
    known = outcomes.get(device.id, order.id)
    if known is not None:
        return _replay(ctx, uow, actor, order, request, known.outcome, known.code, known.reason)
    now = ctx.now()
    savepoint = uow.session.begin_nested()
    try:
        outcomes.add(device.id, order.id, "issued", offline=order.offline, at=now)
        # The vend's own checks, then (offline) the reserve pays, then the vend proper. The
        # vend locks the meter first; taking it here first too keeps one lock order.
        pan, request_hash = _validated(actor, request)
        if order.offline:
            uow.meters.sale_target(pan)
            offline.pay_offline_sale(ctx, uow, device, order.amount, order.id)
        receipt = _vend_in(ctx, uow, actor, request, pan, request_hash)
    except FINAL as exc:
        assert isinstance(exc, DomainError)
        savepoint.rollback()
        text = refusal_text(exc.code)
        outcomes.add(device.id, order.id, "refused", offline=order.offline, at=now,
                     code=exc.code, reason=text)  # fmt: skip
        uow.commit()
        log.info("device %s sale %s refused: %s", device.name, order.id, exc.code)
        return SaleOutcome(order.id, code=exc.code, reason=text)
    if receipt.replayed:  # a sale stored without its outcome row (an older server wrote it)
        uow.commit()
    return SaleOutcome(order.id, receipt=receipt, new=not receipt.replayed)


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
    _, request_hash = _validated(actor, request)
    if sale.request_hash != request_hash:
        code = "request_id_conflict"
        return SaleOutcome(order.id, code=code, reason=refusal_text(code))
    return SaleOutcome(order.id, receipt=build_receipt(ctx, uow, sale, replayed=True))


# The vend service's two steps, used inside this module's transaction. They are the very
# code vend() runs (request checks, then the vend in a unit of work), reached here because
# the outcome row and the reserve payment must commit in the same transaction as the sale.
def _validated(actor: Actor, request: VendRequest) -> tuple[str, str]:
    return vending._validate(actor, request)


def _vend_in(
    ctx: ServiceContext,
    uow: UnitOfWork,
    actor: Actor,
    request: VendRequest,
    pan: str,
    request_hash: str,
) -> Receipt:
    return vending._vend(ctx, uow, actor, request, pan, request_hash)
