"""`gridvend tariff`: prices."""

import click
from rich.table import Table

from server.cli.common import clear_errors, cli_actor, console, db_option, money, open_services
from server.services import tariffs


@click.group()
def tariff() -> None:
    """Tariffs: flat or block prices, VAT, fixed monthly charge, debt recovery."""


@tariff.command("add")
@db_option
@click.argument("name")
@click.option(
    "--blocks",
    required=True,
    help="Price per kWh incl. VAT: '0.25' (flat) or '50:0.10,200:0.20,*:0.40' "
    "(monthly kWh up to : price; the last block has '*')",
)
@click.option("--vat", default="0", show_default=True, help="VAT rate, e.g. 0.16")
@click.option(
    "--fixed-monthly",
    default="0",
    show_default=True,
    help="Fixed charge per month (incl. VAT), from the month's first purchase",
)
@click.option(
    "--debt-rate",
    default="0",
    show_default=True,
    help="Share of each purchase recovered against arrears, e.g. 0.25",
)
@click.option(
    "--debt-cap",
    default="0",
    show_default=True,
    help="Most recovered from one purchase (0: no cap)",
)
@clear_errors
def add(
    db_url: str, name: str, blocks: str, vat: str, fixed_monthly: str, debt_rate: str, debt_cap: str
) -> None:
    """Add a tariff."""
    ctx = open_services(db_url)
    try:
        view = tariffs.add_tariff(
            ctx,
            cli_actor(),
            name=name,
            blocks=tariffs.parse_blocks(blocks),
            vat_rate=tariffs.parse_decimal(vat, "VAT rate"),
            fixed_monthly=money(ctx, fixed_monthly, "fixed charge"),
            debt_rate=tariffs.parse_decimal(debt_rate, "debt rate"),
            debt_cap=money(ctx, debt_cap, "debt cap"),
        )
    finally:
        ctx.dispose()
    console.print(f"tariff {view.name} added")


@tariff.command("list")
@db_option
@clear_errors
def list_tariffs(db_url: str) -> None:
    """List tariffs."""
    ctx = open_services(db_url)
    try:
        views = tariffs.list_tariffs(ctx, cli_actor())
    finally:
        ctx.dispose()
    table = Table(
        "name", "blocks (kWh/month: price)", "VAT", "fixed/month", "debt rate", "debt cap"
    )
    for v in views:
        blocks = ", ".join(
            f"{'*' if b.up_to_kwh is None else b.up_to_kwh}: {b.price}" for b in v.blocks
        )
        table.add_row(
            v.name, blocks, str(v.vat_rate), str(v.fixed_monthly), str(v.debt_rate), str(v.debt_cap)
        )
    console.print(table)
