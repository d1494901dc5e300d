"""`gridvend agent`: vendors, their float and statements."""

from datetime import datetime

import click
from rich.table import Table

from server.api.periods import day_range
from server.cli.common import clear_errors, cli_actor, console, db_option, money, open_services
from server.services import agents

DATE = click.DateTime(formats=["%Y-%m-%d"])


@click.group()
def agent() -> None:
    """Vendors (agents): float, credit limit, top-ups, statements."""


@agent.command("add")
@db_option
@click.argument("code")
@click.option("--name", required=True)
@click.option("--phone", default="")
@click.option(
    "--credit-limit", default="0", show_default=True, help="How far below zero the float may go"
)
@clear_errors
def add(db_url: str, code: str, name: str, phone: str, credit_limit: str) -> None:
    """Register a vendor (with an empty float)."""
    ctx = open_services(db_url)
    try:
        agents.add_agent(
            ctx,
            cli_actor(),
            code=code,
            name=name,
            phone=phone,
            credit_limit=money(ctx, credit_limit, "credit limit"),
        )
    finally:
        ctx.dispose()
    console.print(f"agent {code} added")


@agent.command("topup")
@db_option
@click.argument("code")
@click.argument("amount")
@click.option("--reference", default="", help="Deposit slip or receipt reference")
@clear_errors
def topup(db_url: str, code: str, amount: str, reference: str) -> None:
    """Record a cash deposit: the vendor's float grows by AMOUNT."""
    ctx = open_services(db_url)
    try:
        view = agents.topup(ctx, cli_actor(), code, money(ctx, amount), reference)
    finally:
        ctx.dispose()
    console.print(f"agent {view.code}: float {view.balance} {ctx.currency.code}")


@agent.command("adjust")
@db_option
@click.argument("code")
@click.argument("amount")
@click.option("--reason", required=True)
@clear_errors
def adjust(db_url: str, code: str, amount: str, reason: str) -> None:
    """Correct a vendor's float by AMOUNT (negative to reduce), with a reason."""
    ctx = open_services(db_url)
    try:
        view = agents.adjust(ctx, cli_actor(), code, money(ctx, amount), reason)
    finally:
        ctx.dispose()
    console.print(f"agent {view.code}: float {view.balance} {ctx.currency.code}")


@agent.command("limit")
@db_option
@click.argument("code")
@click.argument("credit_limit")
@clear_errors
def limit(db_url: str, code: str, credit_limit: str) -> None:
    """Set how far below zero the vendor's float may go."""
    ctx = open_services(db_url)
    try:
        view = agents.set_limit(ctx, cli_actor(), code, money(ctx, credit_limit, "credit limit"))
    finally:
        ctx.dispose()
    console.print(
        f"agent {view.code}: credit limit {view.credit_limit}, "
        f"may sell {view.available} {ctx.currency.code}"
    )


@agent.command("list")
@db_option
@clear_errors
def list_agents(db_url: str) -> None:
    """List vendors with their floats."""
    ctx = open_services(db_url)
    try:
        views = agents.list_agents(ctx, cli_actor(), limit=1000)
    finally:
        ctx.dispose()
    table = Table("code", "name", "status", "float", "credit limit", "available")
    for v in views:
        table.add_row(
            v.code, v.name, v.status, str(v.balance), str(v.credit_limit), str(v.available)
        )
    console.print(table)


@agent.command("statement")
@db_option
@click.argument("code")
@click.option("--from", "start", type=DATE, help="First day (default: 30 days ago)")
@click.option("--to", "end", type=DATE, help="Last day (default: today)")
@clear_errors
def statement(db_url: str, code: str, start: datetime | None, end: datetime | None) -> None:
    """The vendor's float movements, with running balance."""
    ctx = open_services(db_url)
    try:
        first, last = day_range(ctx, start and start.date(), end and end.date())
        result = agents.statement(ctx, cli_actor(), code, first, last)
    finally:
        ctx.dispose()
    table = Table(
        "when (UTC)",
        "what",
        "memo",
        "amount",
        "balance",
        title=f"{result.agent.code} {result.agent.name}",
    )
    table.add_row(f"{result.start:%Y-%m-%d}", "opening", "", "", str(result.opening))
    for line in result.lines:
        table.add_row(
            f"{line.at:%Y-%m-%d %H:%M}", line.kind, line.memo, str(line.amount), str(line.balance)
        )
    table.add_row("", "closing", "", "", str(result.closing))
    console.print(table)
