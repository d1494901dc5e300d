"""`gridvend report`, `gridvend ledger`, `gridvend audit`: figures and proofs."""

from datetime import datetime
from pathlib import Path

import click
from rich.table import Table

from server.api.periods import day_range
from server.cli.common import clear_errors, cli_actor, console, db_option, open_services
from server.services import audit_trail, ledger_check, report_export, reports

DATE = click.DateTime(formats=["%Y-%m-%d"])


@click.group()
def report() -> None:
    """Sales reports."""


@report.command("sales")
@db_option
@click.option("--by", type=click.Choice(["agent", "day"]), default="agent", show_default=True)
@click.option("--from", "start", type=DATE, help="First day (default: 30 days ago)")
@click.option("--to", "end", type=DATE, help="Last day (default: today)")
@click.option("--agent", "agent_code", default=None, help="Only this vendor's sales")
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the report to this CSV file ('-' for standard output)",
)
@click.option(
    "--xlsx",
    "xlsx_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the report to this Excel file",
)
@clear_errors
def sales(
    db_url: str,
    by: str,
    start: datetime | None,
    end: datetime | None,
    agent_code: str | None,
    csv_path: Path | None,
    xlsx_path: Path | None,
) -> None:
    """Sales totals by vendor or by day, of every vendor or one (reversed sales counted
    apart)."""
    ctx = open_services(db_url)
    try:
        first, last = day_range(ctx, start and start.date(), end and end.date())
        result = reports.sales_report(
            ctx, cli_actor(), by=by, start=first, end=last, agent_code=agent_code
        )
    finally:
        ctx.dispose()
    if csv_path is not None and str(csv_path) == "-":
        click.echo(report_export.to_csv(result), nl=False)
        return
    table = Table(
        by,
        "sales",
        "reversed",
        "amount",
        "tax",
        "fixed",
        "debt",
        "energy",
        "kWh",
        title=f"sales by {by}{f' of {agent_code}' if agent_code else ''} ({result.currency})",
    )
    for row in (*result.rows, result.total):
        table.add_row(
            row.key,
            str(row.sales),
            str(row.reversed),
            str(row.amount),
            str(row.tax),
            str(row.fixed_charge),
            str(row.debt_recovered),
            str(row.energy_amount),
            str(row.kwh),
        )
    console.print(table)
    if csv_path is not None:
        csv_path.write_text(report_export.to_csv(result))
        console.print(f"written to {csv_path}")
    if xlsx_path is not None:
        xlsx_path.write_bytes(report_export.to_xlsx(result))
        console.print(f"written to {xlsx_path}")


@click.group()
def ledger() -> None:
    """The double-entry ledger."""


@ledger.command("check")
@db_option
@clear_errors
def check(db_url: str) -> None:
    """Prove every entry balances and every float and debt equals its postings."""
    ctx = open_services(db_url)
    try:
        result = ledger_check.check(ctx, cli_actor())
    finally:
        ctx.dispose()
    for problem in result.problems:
        console.print(f"[red]{problem}[/red]")
    if not result.ok:
        raise click.ClickException(f"ledger check failed: {len(result.problems)} problem(s)")
    console.print(
        f"ledger balances: {result.entries_checked} entries, " f"{len(result.accounts)} accounts"
    )


@click.group()
def audit() -> None:
    """The hash-chained audit trail."""


@audit.command("verify")
@db_option
@clear_errors
def verify(db_url: str) -> None:
    """Recompute the audit chain; name the first altered or missing record."""
    ctx = open_services(db_url)
    try:
        verdict = audit_trail.verify(ctx, cli_actor())
    finally:
        ctx.dispose()
    if not verdict.ok:
        raise click.ClickException(f"audit trail broken: {verdict.problem}")
    console.print(f"audit trail intact: {verdict.records} records")
