"""The message-log pruning that long-running commands (`serve`, `link serve`) do on the side."""

from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

import click

from server.cli.common import cli_actor
from server.link import prune
from server.services.context import ServiceContext

F = TypeVar("F", bound=Callable[..., object])


def prune_options(command: F) -> F:
    """--prune-every HOURS and --keep-days DAYS."""
    command = click.option(
        "--keep-days",
        default=float(prune.DEFAULT_KEEP_DAYS),
        show_default=True,
        type=click.FloatRange(0),
        help="Pruning keeps the device link's messages younger than this",
    )(command)
    return click.option(
        "--prune-every",
        default=1.0,
        show_default=True,
        type=click.FloatRange(0),
        help="Hours between prunings of the device link's message log (0: never)",
    )(command)


def start_pruner(ctx: ServiceContext, prune_every: float, keep_days: float) -> prune.Pruner | None:
    """A started Pruner for the options' values, or None when pruning is off."""
    if prune_every <= 0:
        return None
    pruner = prune.Pruner(
        ctx, cli_actor(), keep=timedelta(days=keep_days), every_s=prune_every * 3600
    )
    pruner.start()
    return pruner
