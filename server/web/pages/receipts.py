"""Receipt pages: a sale's slip, printable on A4 or an 80 mm receipt printer; reprints."""

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from server.domain.receipt_numbers import sale_id_of
from server.services import receipts
from server.web.access import Ctx, Looker
from server.web.rendering import render
from server.web.routing import page_router

router = page_router()
PAPERS = ("a4", "80mm")


@router.get("/receipts")
def find_receipt(viewer: Looker, no: str = "") -> Response:
    """Go to a receipt by its printed number (the check digit catches a typo)."""
    sale_id_of(no)  # refuses a mistyped number with the digit it expected
    return RedirectResponse(f"/receipts/{''.join(no.split())}", status_code=303)


@router.get("/receipts/{receipt_no}")
def receipt(
    request: Request, ctx: Ctx, viewer: Looker, receipt_no: str, paper: str = "a4", new: str = ""
) -> Response:
    """A sale's receipt exactly as issued (plus its status), ready to print."""
    found = receipts.reprint(ctx, viewer.actor, receipt_no=receipt_no[:24])
    return render(
        request,
        "receipt.html",
        {
            "receipt": found,
            "paper": paper if paper in PAPERS else "a4",
            "just_sold": new == "1",
        },
    )
