"""`gridvend customer`: add and import customers."""

from pathlib import Path

import click

from server.cli.common import clear_errors, cli_actor, console, db_option, money, open_services
from server.cli.imports import run_import
from server.services import bulk_import, customers


@click.group()
def customer() -> None:
    """Customers: who owns a meter, and their arrears."""


@customer.command("add")
@db_option
@click.argument("account_no")
@click.option("--name", required=True)
@click.option("--address", default="")
@click.option("--phone", default="")
@click.option("--debt", default="0", show_default=True, help="Opening arrears")
@clear_errors
def add(db_url: str, account_no: str, name: str, address: str, phone: str, debt: str) -> None:
    """Add a customer."""
    ctx = open_services(db_url)
    try:
        customers.add_customer(
            ctx,
            cli_actor(),
            account_no=account_no,
            name=name,
            address=address,
            phone=phone,
            debt=money(ctx, debt, "debt"),
        )
    finally:
        ctx.dispose()
    console.print(f"customer {account_no} added")


@customer.command("import")
@db_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--skip-bad", is_flag=True, help="Import the good rows even if some are bad")
@clear_errors
def import_customers(db_url: str, file: Path, skip_bad: bool) -> None:
    """Import customers from CSV or Excel. Columns: account_no, name; optional address,
    phone, debt. With a bad row nothing is imported unless --skip-bad."""
    ctx = open_services(db_url)
    try:
        run_import(
            file,
            "customers",
            lambda progress: bulk_import.import_customers(
                ctx, cli_actor(), file, skip_bad=skip_bad, progress=progress
            ),
        )
    finally:
        ctx.dispose()
