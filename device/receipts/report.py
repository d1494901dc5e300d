"""Shift report slips: X (totals so far) and Z (the shift is closed)."""

from i18n import t

from receipts.layout import centered, pair
from receipts.slip import money, when
from receipts.styles import BOLD, CUT, DOUBLE_HEIGHT, FEED, RULE


def shift_slip(totals, ctx, now, closing):
    """X report (closing=False) or Z report (closing=True) from journal shift totals."""
    out = []
    centered(out, BOLD | DOUBLE_HEIGHT, ctx["utility"])
    centered(out, BOLD | DOUBLE_HEIGHT, t("s_z_report" if closing else "s_x_report"))
    out.append((RULE, ""))
    pair(out, t("s_device"), ctx["device"])
    pair(out, t("s_vendor"), ctx["vendor"])
    pair(out, t("s_shift"), str(totals["shift"]))
    pair(out, t("s_opened"), when(ctx, totals["opened"]) if totals["opened"] else "-")
    pair(out, t("s_closed" if closing else "s_printed"), when(ctx, now))
    out.append((RULE, ""))
    pair(out, t("s_sales"), str(totals["count"]))
    pair(out, t("s_amount"), money(ctx, totals["amount"]))
    pair(out, t("s_refunds"), str(totals["refunds"]))
    pair(out, t("s_refunded"), money(ctx, totals["refunded"]))
    pair(out, t("s_net"), money(ctx, totals["amount"] - totals["refunded"]), BOLD)
    pair(out, t("s_unsynced"), str(totals["open"]))
    out.append((FEED, ""))
    out.append((CUT, ""))
    return out
