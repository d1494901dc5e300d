"""`gridvend supply-group`: supply groups and their current key."""

import click
from rich.table import Table

from server.cli.common import clear_errors, cli_actor, console, db_option, open_services
from server.services import supply_groups


@click.group("supply-group")
def supply_group() -> None:
    """Supply groups: SGC, key revision, algorithm, derivation, base date."""


@supply_group.command("add")
@db_option
@click.option("--sgc", required=True, help="Supply group code (6 digits)")
@click.option("--name", default="")
@click.option("--krn", default=1, show_default=True, type=click.IntRange(1, 9))
@click.option("--key-type", default=2, show_default=True, type=click.IntRange(0, 3))
@click.option("--ea", default=7, show_default=True, type=click.Choice(["7", "11"]))
@click.option("--dkga", default=2, show_default=True, type=click.Choice(["2", "4"]))
@click.option(
    "--base-date", default=2014, show_default=True, type=click.Choice(["1993", "2014", "2035"])
)
@click.option("--ken", default=255, show_default=True, type=click.IntRange(0, 255))
@clear_errors
def add(
    db_url: str,
    sgc: str,
    name: str,
    krn: int,
    key_type: int,
    ea: str,
    dkga: str,
    base_date: str,
    ken: int,
) -> None:
    """Register a supply group."""
    ctx = open_services(db_url)
    try:
        group = supply_groups.add_supply_group(
            ctx,
            cli_actor(),
            sgc=supply_groups.parse_sgc(sgc),
            name=name,
            key_type=key_type,
            ea=int(ea),
            dkga=int(dkga),
            krn=krn,
            base_date=int(base_date),
            ken=ken,
        )
    finally:
        ctx.dispose()
    console.print(f"supply group {group.sgc:06d} added; import its key with `gridvend keys import`")


@supply_group.command("set-key")
@db_option
@click.option("--sgc", required=True)
@click.option("--krn", type=click.IntRange(1, 9), help="The new current key revision")
@click.option("--base-date", type=click.Choice(["1993", "2014", "2035"]))
@clear_errors
def set_key(db_url: str, sgc: str, krn: int | None, base_date: str | None) -> None:
    """Move the group to a new key revision or base date: each meter gets key change tokens
    before its next credit."""
    if krn is None and base_date is None:
        raise click.UsageError("give --krn, --base-date or both")
    ctx = open_services(db_url)
    try:
        group = supply_groups.set_current_key(
            ctx,
            cli_actor(),
            sgc=supply_groups.parse_sgc(sgc),
            krn=krn,
            base_date=int(base_date) if base_date else None,
        )
    finally:
        ctx.dispose()
    console.print(
        f"supply group {group.sgc:06d} now on KRN {group.current_krn}, base {group.base_date}"
    )


@supply_group.command("list")
@db_option
@clear_errors
def list_groups(db_url: str) -> None:
    """List supply groups and the key revisions imported (never the keys)."""
    ctx = open_services(db_url)
    try:
        rows = supply_groups.list_supply_groups(ctx, cli_actor())
    finally:
        ctx.dispose()
    table = Table("SGC", "name", "KRN", "keys for KRN", "EA", "DKGA", "base", "KT")
    for g, revisions in rows:
        table.add_row(
            f"{g.sgc:06d}",
            g.name,
            str(g.current_krn),
            ", ".join(map(str, revisions)) or "none",
            f"{g.ea:02d}",
            f"{g.dkga:02d}",
            str(g.base_date),
            str(g.key_type),
        )
    console.print(table)
