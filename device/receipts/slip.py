"""The slips: the token slip and the "token pending" slip a customer keeps, and the
shift reports (X: totals so far, Z: the shift is closed)."""

from i18n import t
from vend import format_money, group

from receipts import (
    BOLD,
    CENTER,
    CUT,
    DOUBLE_HEIGHT,
    DOUBLE_WIDTH,
    FEED,
    RULE,
    centered,
    pair,
    text,
)

_BIG = CENTER | BOLD | DOUBLE_HEIGHT


def when(ctx, seconds):
    """Device seconds as "YYYY-MM-DD HH:MM" in the device's local time."""
    tm = ctx["localtime"](seconds)
    return f"{tm[0]:04d}-{tm[1]:02d}-{tm[2]:02d} {tm[3]:02d}:{tm[4]:02d}"


def money(ctx, minor):
    """Minor units with the currency: "KES 500.00"."""
    return format_money(minor, ctx["digits"], ctx["currency"])


def energy(kwh_tenths):
    """Energy in 0.1 kWh as text: 125 -> "12.5 kWh"."""
    return "%d.%d kWh" % (kwh_tenths // 10, kwh_tenths % 10)  # noqa: UP031 - MicroPython


def heading(out, ctx, reprint):
    """Utility name and slip title; a reprint says it is a copy."""
    centered(out, BOLD | DOUBLE_HEIGHT, ctx["utility"])
    centered(out, 0, t("s_title"))
    if reprint:
        centered(out, BOLD, t("s_copy"))
    out.append((RULE, ""))


def _sale_lines(out, sale, ctx):
    pair(out, t("s_date"), when(ctx, sale["time"]))
    pair(out, t("s_vendor"), sale.get("vendor_name", sale["vendor"]))
    pair(out, t("s_device"), ctx["device"])
    pair(out, t("s_ref"), ctx["sale_id"])
    out.append((RULE, ""))
    pair(out, t("s_meter"), group(sale["meter"]))


def token_slip(sale, ctx, reprint=False):
    """The slip for an answered sale: charges, then key change tokens, then the token(s).

    sale: as journal.sale() returns it (with "answer"); ctx: utility, device, sale_id,
    currency, digits (minor), localtime (a function like time.localtime).
    """
    answer = sale["answer"]
    out = []
    heading(out, ctx, reprint)
    pair(out, t("s_receipt"), answer["receipt"])
    _sale_lines(out, sale, ctx)
    if answer.get("customer"):
        pair(out, t("s_customer"), answer["customer"])
    out.append((RULE, ""))
    pair(out, t("s_paid"), money(ctx, sale["amount"]), BOLD)
    pair(out, t("s_tax"), money(ctx, answer["tax"]))
    pair(out, t("s_fixed"), money(ctx, answer["fixed"]))
    pair(out, t("s_debt"), money(ctx, answer["debt"]))
    pair(out, t("s_energy"), energy(answer["kwh_tenths"]), BOLD)
    out.append((RULE, ""))
    keys = answer.get("key_change") or ()
    if keys:
        text(out, BOLD, t("s_keyfirst"))
        for i, token in enumerate(keys):
            text(out, 0, t("s_key_n", i + 1, len(keys)))
            out.append((_BIG, group(token)))
        out.append((RULE, ""))
    tokens = answer["tokens"]
    for i, token in enumerate(tokens):
        if len(tokens) > 1:
            centered(out, BOLD, t("s_token_n", i + 1, len(tokens)))
        else:
            centered(out, BOLD, t("s_token"))
        out.append((_BIG, group(token)))
    out.append((RULE, ""))
    centered(out, 0, t("s_thanks"))
    out.append((FEED, ""))
    out.append((CUT, ""))
    return out


def pending_slip(sale, ctx, reprint=False):
    """The slip for a sale taken offline: payment received, token to follow."""
    out = []
    heading(out, ctx, reprint)
    centered(out, BOLD | DOUBLE_HEIGHT | DOUBLE_WIDTH, t("s_received"))
    centered(out, BOLD, t("s_pending"))
    out.append((RULE, ""))
    centered(out, 0, t("s_ref"))
    out.append((_BIG, ctx["sale_id"]))
    out.append((RULE, ""))
    _sale_lines(out, sale, ctx)
    pair(out, t("s_paid"), money(ctx, sale["amount"]), BOLD)
    out.append((RULE, ""))
    text(out, 0, t("s_pendnote"))
    out.append((FEED, ""))
    out.append((CUT, ""))
    return out


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
