"""What the provisioning commands share on screen: one-line errors, the verify table, the
flash progress bar, and the options several commands take."""

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from host.provisioning.cache_dir import default_cache_dir
from host.provisioning.device_record import DEFAULT_STORE
from host.provisioning.errors import ProvisioningError
from host.provisioning.partitions import CHIPS, FLASH_SIZES
from host.provisioning.verify import Check, VerifyResult

console = Console()
F = TypeVar("F", bound=Callable[..., Any])


class Failed(click.ClickException):
    """A provisioning failure: one line on stderr ("Error: ..."), exit status 1."""


def one_line_errors(command: F) -> F:
    """Every expected failure as one sentence and a non-zero exit, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except ProvisioningError as exc:
            raise Failed(exc.message) from None

    return wrapper  # type: ignore[return-value]


def chip_option(command: F) -> F:
    return click.option(
        "--chip",
        type=click.Choice(sorted(CHIPS)),
        default="esp32",
        show_default=True,
        help="The handheld's chip",
    )(command)


def flash_size_option(default: str | None = "4MB") -> Callable[[F], F]:
    def decorate(command: F) -> F:
        return click.option(
            "--flash-size",
            type=click.Choice(list(FLASH_SIZES)),
            default=default,
            show_default=default is not None,
            help="The board's flash (esptool flash-id shows it)",
        )(command)

    return decorate


def store_option(command: F) -> F:
    return click.option(
        "--store",
        type=click.Path(file_okay=False, path_type=Path),
        default=DEFAULT_STORE,
        show_default=True,
        help="Where registration records (with secrets, mode 0600) are kept",
    )(command)


def cache_option(command: F) -> F:
    return click.option(
        "--cache",
        "cache_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help=f"Compiled modules and registry packages [default: {default_cache_dir()}]",
    )(command)


def image_settings_options(command: F, endpoints: bool = True) -> F:
    """--wifi --apn [--server --broker] --language --vendor-pin --utility --ca."""
    options = [
        click.option("--wifi", metavar="SSID:PASS", help="Wi-Fi network the handheld joins"),
        click.option("--apn", help="GPRS access point name of the SIM's operator"),
    ]
    if endpoints:
        options += [
            click.option("--server", "server_url", metavar="URL", help="The server's HTTP URL"),
            click.option("--broker", "broker_url", metavar="URL", help="mqtt(s)://host[:port]"),
        ]
    options += [
        click.option(
            "--language",
            type=click.Choice(["en", "fr", "sw"]),
            default="en",
            show_default=True,
            help="The handheld's first language",
        ),
        click.option(
            "--vendor-pin",
            metavar="DIGITS",
            help="The vendor's PIN (4-8 digits) [default: a random one, shown once]",
        ),
        click.option(
            "--utility", default="gridvend", show_default=True, help="Name printed on slips"
        ),
        click.option(
            "--ca",
            "ca_file",
            type=click.Path(dir_okay=False, exists=True, path_type=Path),
            default=None,
            help="TLS: the CA certificate (PEM or DER) the handheld checks the server with "
            "[default: the one registration gave, when the server has TLS]",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def device_settings_options(command: F) -> F:
    """image_settings_options without --server and --broker, for commands whose
    registration options already take them."""
    return image_settings_options(command, endpoints=False)


def verify_table(result: VerifyResult) -> Table:
    """The pass/fail table of one device."""
    title = f"{result.device_id or 'unknown device'} on {result.port}"
    table = Table(title=title, title_justify="left")
    table.add_column("check")
    table.add_column("result")
    table.add_column("detail", overflow="fold")
    for check in result.checks:
        table.add_row(check.name, _verdict(check), check.detail)
    return table


def _verdict(check: Check) -> str:
    return "[green]PASS[/green]" if check.ok else "[bold red]FAIL[/bold red]"


@contextmanager
def flash_progress() -> Iterator[Callable[[int, int], None]]:
    """A progress bar per region esptool writes; yields the callback flash() takes."""
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )
    state: dict[str, Any] = {"task": None, "total": None, "region": 0}

    def update(done: int, total: int) -> None:
        if state["task"] is None or total != state["total"] or done < state.get("done", 0):
            state["region"] += 1
            state["task"] = progress.add_task(f"writing region {state['region']}", total=total)
            state["total"] = total
        state["done"] = done
        progress.update(state["task"], completed=done)

    with progress:
        yield update
