"""`gridvend db`: create or migrate the database schema."""

import click

from server.cli.common import clear_errors, console, db_option
from server.domain.money import Currency
from server.services.installation import initialise
from server.storage.database import make_engine, make_session_factory
from server.storage.migrate import current_revision, upgrade
from server.storage.unit_of_work import UnitOfWork


@click.group()
def db() -> None:
    """The database schema."""


@db.command("upgrade")
@db_option
@click.option(
    "--currency",
    envvar="GRIDVEND_CURRENCY",
    help="ISO 4217 code for a new database (default USD); fixed once it exists",
)
@click.option(
    "--timezone",
    default="UTC",
    show_default=True,
    envvar="GRIDVEND_TIMEZONE",
    help="Where months begin for block tariffs and where report days are cut",
)
@clear_errors
def upgrade_command(db_url: str, currency: str | None, timezone: str) -> None:
    """Create the database or bring it to the newest schema (safe to run again)."""
    before = current_revision(db_url)
    upgrade(db_url)
    engine = make_engine(db_url)
    try:
        with UnitOfWork(make_session_factory(engine), {}) as uow:
            existing = uow.installation.get()
            if currency is None:
                currency = existing.currency if existing else "USD"
            installation = initialise(uow, Currency.of(currency), timezone)
            uow.commit()
    finally:
        engine.dispose()
    after = current_revision(db_url)
    state = "already at" if before == after else f"upgraded from {before or 'empty'} to"
    console.print(f"database {state} revision {after}; money in {installation.currency}")
