"""`gridvend meter`: register, import and show meters."""

from pathlib import Path

import click
from rich.table import Table

from server.cli.common import clear_errors, cli_actor, console, db_option, open_services
from server.cli.imports import run_import
from server.services import bulk_import, meters, supply_groups


@click.group()
def meter() -> None:
    """Meters: register, import, show."""


@meter.command("add")
@db_option
@click.argument("number")
@click.option("--sgc", required=True, help="Supply group code (6 digits)")
@click.option("--tariff", required=True)
@click.option("--customer", "customer_account", help="The owner's account number")
@click.option(
    "--krn", type=click.IntRange(1, 9), help="Key revision it holds (default: the group's)"
)
@click.option("--ti", default=1, show_default=True, type=click.IntRange(0, 99))
@click.option("--key-type", default=2, show_default=True, type=click.IntRange(0, 3))
@click.option(
    "--base-date",
    type=click.Choice(["1993", "2014", "2035"]),
    help="Base date it holds (default: the group's)",
)
@clear_errors
def add(
    db_url: str,
    number: str,
    sgc: str,
    tariff: str,
    customer_account: str | None,
    krn: int | None,
    ti: int,
    key_type: int,
    base_date: str | None,
) -> None:
    """Register a meter (the number is checked, Luhn digit included)."""
    ctx = open_services(db_url)
    try:
        view = meters.add_meter(
            ctx,
            cli_actor(),
            number=number,
            sgc=supply_groups.parse_sgc(sgc),
            tariff=tariff,
            customer_account=customer_account,
            krn=krn,
            ti=ti,
            key_type=key_type,
            base_date=int(base_date) if base_date else None,
        )
    finally:
        ctx.dispose()
    console.print(f"meter {view.pan} registered")


@meter.command("import")
@db_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--skip-bad", is_flag=True, help="Import the good rows even if some are bad")
@clear_errors
def import_meters(db_url: str, file: Path, skip_bad: bool) -> None:
    """Import meters from CSV or Excel. Columns: meter, sgc, tariff; optional customer, krn,
    ti, key_type, base_date, state. With a bad row nothing is imported unless --skip-bad."""
    ctx = open_services(db_url)
    try:
        run_import(
            file,
            "meters",
            lambda progress: bulk_import.import_meters(
                ctx, cli_actor(), file, skip_bad=skip_bad, progress=progress
            ),
        )
    finally:
        ctx.dispose()


@meter.command("show")
@db_option
@click.argument("number")
@clear_errors
def show(db_url: str, number: str) -> None:
    """A meter: key, state, customer, tariff, this month's purchases, last tokens."""
    ctx = open_services(db_url)
    try:
        view = meters.show_meter(ctx, cli_actor(), number)
    finally:
        ctx.dispose()
    table = Table(show_header=False, title=f"meter {view.pan}")
    for label, value in (
        ("state", view.state),
        (
            "customer",
            f"{view.customer_name} ({view.customer_account})" if view.customer_account else "none",
        ),
        ("tariff", view.tariff),
        (
            "key",
            f"SGC {view.sgc:06d}, KRN {view.krn}, TI {view.ti:02d}, KT {view.key_type}, "
            f"base {view.base_date}",
        ),
        ("key change due", "yes" if view.key_change_due else "no"),
        ("last TID", str(view.last_tid) if view.last_tid is not None else "none"),
        ("this month", f"{view.month_to_date.kwh} kWh"),
    ):
        table.add_row(label, value)
    console.print(table)
    if view.last_tokens:
        tokens = Table("issued (UTC)", "token", "what", title="last tokens")
        for at, token in view.last_tokens:
            tokens.add_row(f"{at:%Y-%m-%d %H:%M}", token.grouped, token.description)
        console.print(tokens)
