"""What the server's CLI commands share: the --db option, opening the services, turning
every expected failure into one clear line and a non-zero exit."""

import functools
import getpass
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

import click
from rich.console import Console
from sqlalchemy.exc import OperationalError

from server.bootstrap import open_context
from server.domain.errors import DomainError
from server.domain.roles import Role
from server.security.master_key import MasterKeyError
from server.services.context import Actor, ServiceContext
from server.settings import default_db_url

console = Console()
F = TypeVar("F", bound=Callable[..., Any])


def db_option(command: F) -> F:
    """--db URL (default $GRIDVEND_DB, else var/gridvend.db)."""
    return click.option(
        "--db",
        "db_url",
        default=default_db_url,
        show_default="$GRIDVEND_DB or sqlite:///var/gridvend.db",
        help="Database URL: a SQLite file path/URL or postgresql://user@host/db",
    )(command)


def clear_errors(command: F) -> F:
    """Report expected failures as one line (exit 1); never a traceback for bad input."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except DomainError as exc:
            raise click.ClickException(f"{exc.message} [{exc.code}]") from None
        except MasterKeyError as exc:
            raise click.ClickException(str(exc)) from None
        except OperationalError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else "unreachable"
            raise click.ClickException(f"cannot use the database: {reason}") from None

    return wrapper  # type: ignore[return-value]


def open_services(db_url: str, *, need_keys: bool = False) -> ServiceContext:
    """The service context for a command (the master key only when keys are used)."""
    return open_context(db_url, need_keys=need_keys)


def cli_actor() -> Actor:
    """Whoever runs the CLI on the server: they hold the database and the master key, so they
    act as admin; the audit trail names their system account."""
    try:
        user = getpass.getuser()
    except Exception:  # no login name in some containers
        user = "unknown"
    return Actor(kind="cli", name=user, role=Role.ADMIN)


def money(ctx: ServiceContext, text: str, what: str = "amount") -> int:
    """A typed amount in minor units, refused clearly when malformed."""
    return ctx.currency.to_minor(text, what=what)


def show_money(value: Decimal, currency: str) -> str:
    return f"{value} {currency}"
