"""`gridvend vend` and `gridvend reprint`: sell from the command line, reprint a receipt."""

import uuid

import click
from rich.panel import Panel
from rich.table import Table

from server.cli.common import clear_errors, cli_actor, console, db_option, money, open_services
from server.services import receipts
from server.services.receipts import Receipt
from server.services.vending import VendRequest, quote, vend


def show_receipt(receipt: Receipt) -> None:
    """Print a receipt as a slip: tokens large, in entry order, then the split."""
    table = Table(show_header=False, box=None)
    for label, value in (
        ("receipt", receipt.receipt_no + ("  (REVERSED)" if receipt.status != "issued" else "")),
        ("date (UTC)", f"{receipt.created_at:%Y-%m-%d %H:%M}"),
        ("meter", receipt.meter),
        ("customer", f"{receipt.customer_name} {receipt.customer_account}".strip() or "-"),
        ("vendor", receipt.agent_code),
        ("amount", f"{receipt.amount} {receipt.currency}"),
        ("energy", str(receipt.energy_amount)),
        ("tax", str(receipt.tax)),
        ("fixed charge", str(receipt.fixed_charge)),
        ("debt recovered", str(receipt.debt_recovered)),
        ("units", f"{receipt.kwh} kWh"),
        ("vendor float", str(receipt.agent_balance)),
    ):
        table.add_row(label, value)
    for n, token in enumerate(receipt.tokens, start=1):
        table.add_row(f"token {n}", f"[bold]{token.grouped}[/bold]  {token.description}")
    title = "receipt (repeat of an earlier request)" if receipt.replayed else "receipt"
    console.print(Panel(table, title=title, expand=False))


@click.command("vend")
@db_option
@click.argument("meter")
@click.argument("amount")
@click.option("--agent", "agent_code", required=True, help="The vendor whose float pays")
@click.option(
    "--request-id",
    default=None,
    help="Idempotency key (default: a new one); the same id again reprints",
)
@click.option("--quote", "trial", is_flag=True, help="Only show what AMOUNT would buy")
@clear_errors
def vend_command(
    db_url: str, meter: str, amount: str, agent_code: str, request_id: str | None, trial: bool
) -> None:
    """Sell AMOUNT of energy to METER from a vendor's float and print the receipt."""
    ctx = open_services(db_url, need_keys=not trial)
    try:
        minor = money(ctx, amount)
        if trial:
            q = quote(ctx, cli_actor(), meter, minor)
            first = (
                f"; {q.key_change_tokens} key change tokens first" if q.key_change_tokens else ""
            )
            console.print(
                f"{q.amount} {q.currency} buys {q.kwh} kWh for meter {q.meter} (tax {q.tax}, "
                f"fixed charge {q.fixed_charge}, debt recovered {q.debt_recovered}{first})"
            )
            return
        request = VendRequest(request_id or f"cli-{uuid.uuid4()}", meter, minor, agent_code)
        receipt = vend(ctx, cli_actor(), request)
    finally:
        ctx.dispose()
    show_receipt(receipt)


@click.command("reprint")
@db_option
@click.argument("receipt_no", required=False)
@click.option("--meter", help="Instead: the last tokens issued to this meter")
@click.option("--last", default=5, show_default=True, type=click.IntRange(1, 50))
@clear_errors
def reprint(db_url: str, receipt_no: str | None, meter: str | None, last: int) -> None:
    """Reprint a receipt by number, or list a meter's last tokens (--meter)."""
    if (receipt_no is None) == (meter is None):
        raise click.UsageError("give a receipt number or --meter NUMBER")
    ctx = open_services(db_url)
    try:
        if receipt_no is not None:
            show_receipt(receipts.reprint(ctx, cli_actor(), receipt_no=receipt_no))
            return
        assert meter is not None
        rows = receipts.last_tokens(ctx, cli_actor(), meter, limit=last)
    finally:
        ctx.dispose()
    table = Table("issued (UTC)", "token", "what", "TID", title=f"last tokens of {meter}")
    for at, token in rows:
        table.add_row(
            f"{at:%Y-%m-%d %H:%M}",
            token.grouped,
            token.description,
            str(token.tid) if token.tid is not None else "",
        )
    console.print(table)
