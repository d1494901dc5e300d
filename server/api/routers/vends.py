"""Vends (sales), quotes and reversals."""

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from server.api.dependencies import Caller, Ctx
from server.api.schemas.vends import QuoteIn, QuoteOut, ReceiptOut, ReversalIn, VendIn
from server.services import receipts, reversals, vending

router = APIRouter(tags=["vends"])
ReceiptNo = Annotated[str, Path(pattern=r"^[0-9]{8,19}$")]
SaleId = Annotated[int, Path(ge=1, le=2**62)]


@router.post(
    "/vends",
    response_model=ReceiptOut,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"model": ReceiptOut, "description": "A repeated request: the first receipt"}},
)
def vend(body: VendIn, ctx: Ctx, actor: Caller) -> Response:
    """Sell energy. The same `request_id` again returns the first receipt (200, `replayed`);
    with a different body it is refused (409 `request_id_conflict`)."""
    request = vending.VendRequest(
        request_id=body.request_id,
        meter=body.meter,
        amount=ctx.currency.to_minor(body.amount),
        agent_code=body.agent_code,
    )
    receipt = vending.vend(ctx, actor, request)
    # Serialized once here (the busiest endpoint), not validated again by the framework.
    return Response(
        ReceiptOut.model_validate(receipt).model_dump_json(),
        status_code=status.HTTP_200_OK if receipt.replayed else status.HTTP_201_CREATED,
        media_type="application/json",
    )


@router.get("/vends/{sale_id}", response_model=ReceiptOut)
def get_vend(sale_id: SaleId, ctx: Ctx, actor: Caller) -> ReceiptOut:
    """A sale's receipt by sale id."""
    return ReceiptOut.model_validate(receipts.reprint(ctx, actor, sale_id=sale_id))


@router.get("/vends/receipt/{receipt_no}", response_model=ReceiptOut)
def get_vend_by_receipt(receipt_no: ReceiptNo, ctx: Ctx, actor: Caller) -> ReceiptOut:
    """A sale's receipt by its printed receipt number (reprint)."""
    return ReceiptOut.model_validate(receipts.reprint(ctx, actor, receipt_no=receipt_no))


@router.post("/quotes", response_model=QuoteOut)
def quote(body: QuoteIn, ctx: Ctx, actor: Caller) -> QuoteOut:
    """What a sale would give now (the split and kWh), without issuing anything."""
    return QuoteOut.model_validate(
        vending.quote(ctx, actor, body.meter, ctx.currency.to_minor(body.amount))
    )


@router.post("/reversals", response_model=ReceiptOut)
def reverse(body: ReversalIn, ctx: Ctx, actor: Caller) -> ReceiptOut:
    """Reverse a sale (supervisor): restores the vendor's float; the token may already be
    loaded, so this is an accounting act recorded in the audit trail."""
    return ReceiptOut.model_validate(
        reversals.reverse_sale(ctx, actor, body.receipt_no, body.reason)
    )
