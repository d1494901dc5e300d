"""Reversing a sale: an accounting act (STS tokens cannot be recalled)."""

from server.domain import ledger
from server.domain.errors import Conflict, InvalidInput, NotFound
from server.domain.receipt_numbers import receipt_number, sale_id_of
from server.domain.roles import Permission
from server.services import audit_trail
from server.services.context import Actor, ServiceContext
from server.services.receipts import Receipt, build_receipt
from server.services.text_fields import text_field
from server.storage.unit_of_work import UnitOfWork


def reverse_sale(ctx: ServiceContext, actor: Actor, receipt_no: str, reason: str) -> Receipt:
    """Undo a sale's money: the vendor's float and the customer's debt are restored by an
    opposite ledger entry, the sale is marked reversed. Its token may already be in the
    meter; the audit trail records who reversed it and why."""
    actor.require(Permission.REVERSE)
    if not reason.strip():
        raise InvalidInput("reason_required", "a reversal needs a reason")
    reason = text_field(reason, "reason", max_length=500)
    sale_id = sale_id_of(receipt_no)

    def work(uow: UnitOfWork) -> Receipt:
        sale = uow.sales.for_update(sale_id)
        if sale is None:
            raise NotFound("sale_not_found", f"no sale with receipt number {receipt_no}")
        if sale.status != "issued":
            raise Conflict(
                "already_reversed", f"sale {receipt_number(sale.id)} is already {sale.status}"
            )
        original = uow.ledger.entry_of_sale(sale.id)
        assert original is not None, "every sale has its vend entry"
        now = ctx.now()
        memo = f"reversal of {receipt_number(sale.id)}: {reason.strip()}"
        uow.ledger.post(
            ledger.reversal_entry(original, memo), actor=actor.ref, at=now, sale_id=sale.id
        )
        if sale.customer_id is not None and sale.debt_recovered:
            uow.customers.for_update(sale.customer_id)
            uow.customers.change_debt(sale.customer_id, sale.debt_recovered)
        uow.agents.credit(sale.agent_id, sale.amount)
        sale.status = "reversed"
        sale.reversed_at = now
        sale.reversal_reason = reason.strip()
        sale.reversed_by = actor.ref
        uow.session.flush()
        audit_trail.record(
            ctx,
            uow,
            actor,
            "sale.reverse",
            "sale",
            receipt_number(sale.id),
            before={"status": "issued"},
            after={
                "status": "reversed",
                "reason": reason.strip(),
                "amount": ctx.currency.format(sale.amount),
                "note": "token not recallable; it may already be loaded",
            },
        )
        receipt = build_receipt(ctx, uow, sale)
        uow.commit()
        return receipt

    return ctx.transaction(work)
