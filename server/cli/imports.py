"""Running a bulk import with a progress bar and a per-row error report."""

from collections.abc import Callable
from pathlib import Path

import click
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from server.cli.common import console
from server.services.bulk_import import ImportReport

MAX_SHOWN = 50


def run_import(
    path: Path, what: str, work: Callable[[Callable[[int], None]], ImportReport]
) -> None:
    """Run `work` (given a progress callback), then report; exit 1 when rows were bad."""
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed} rows"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task(f"importing {what} from {path.name}", total=None)
        report = work(lambda done: progress.update(task, completed=done))
    if report.errors:
        table = Table("line", "problem", title=f"{len(report.errors)} bad row(s) in {path.name}")
        for line, message in report.errors[:MAX_SHOWN]:
            table.add_row(str(line), message)
        console.print(table)
        if len(report.errors) > MAX_SHOWN:
            console.print(f"... and {len(report.errors) - MAX_SHOWN} more")
    if not report.committed:
        raise click.ClickException(
            f"nothing imported: {len(report.errors)} of {report.rows} rows are bad "
            "(fix them, or use --skip-bad to import the good rows)"
        )
    console.print(f"{report.imported} of {report.rows} {what} imported")
    if report.errors:
        raise SystemExit(1)
