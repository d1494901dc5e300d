"""Shift report slips: X (totals so far) and Z (the shift is closed)."""

from i18n import t

from receipts.layout import centered, pair
from receipts.slip import money, when
from receipts.styles import BOLD, CUT, DOUBLE_HEIGHT, FEED, RULE


def shift_slip(totals, ctx, now, closing):
    """X report (closing=False) or Z report (closing=True) from journal shift totals."""
    out = []
    centered(out, BOLD | DOUBLE_HEIGHT, ctx["utility"])
    centered(out, BOLD | DOUBLE_HEIGHT, t("slip_z_title" if closing else "slip_x_title"))
    out.append((RULE, ""))
    pair(out, t("slip_device"), ctx["device"])
    pair(out, t("slip_vendor"), ctx["vendor"])
    pair(out, t("slip_shift"), str(totals["shift"]))
    pair(out, t("slip_opened"), when(ctx, totals["opened"]) if totals["opened"] else "-")
    pair(out, t("slip_closed" if closing else "slip_printed"), when(ctx, now))
    out.append((RULE, ""))
    pair(out, t("slip_sales"), str(totals["count"]))
    pair(out, t("slip_sales_amount"), money(ctx, totals["amount"]))
    pair(out, t("slip_refunds"), str(totals["refunds"]))
    pair(out, t("slip_refunds_amount"), money(ctx, totals["refunded"]))
    pair(out, t("slip_net"), money(ctx, totals["amount"] - totals["refunded"]), BOLD)
    pair(out, t("slip_unsynced"), str(totals["open"]))
    out.append((FEED, ""))
    out.append((CUT, ""))
    return out
