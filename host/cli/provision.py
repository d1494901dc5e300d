"""`gridvend provision`: register, build the image, flash and verify, in one command.

One handheld:
    gridvend provision --port /dev/ttyUSB0 --agent V001 --firmware ESP32_GENERIC.bin \\
        --server https://vend.example.org --user tech1 --broker mqtts://broker.example.org
A batch (a CSV with a column "agent", and optionally name, offline_allowance,
vendor_pin, wifi, apn, language), on every port matching a pattern, in turn:
    gridvend provision --batch devices.csv --port-glob '/dev/ttyUSB*' --firmware ... \\
        --server ... --user tech1 [--report report.csv]

Exit status 0 when every device passed, 1 otherwise. The batch report (one row per
device) may hold generated vendor PINs: it is readable by you only.
"""

import time
from pathlib import Path

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from host.cli.device import ask_password, ask_totp, registrar_options
from host.provisioning.console import (
    cache_option,
    chip_option,
    console,
    device_settings_options,
    flash_size_option,
    one_line_errors,
    store_option,
    verify_table,
)
from host.provisioning.device_config import ImageSettings
from host.provisioning.errors import ProvisioningError
from host.provisioning.provision import (
    Bench,
    DeviceOrder,
    DeviceResult,
    ports_matching,
    read_orders,
    write_report,
)
from host.provisioning.registration import open_registrar
from host.provisioning.verify import VerifyResult


@click.command("provision")
@click.option("--port", help="One handheld's serial port")
@click.option("--agent", help="The vendor the handheld sells for")
@click.option("--name", help="Its device id [default: HH-xxxxxxxx]")
@click.option(
    "--device",
    "device_id",
    help="Re-provision this registered device: the server issues it a new secret",
)
@click.option(
    "--keep-secret",
    is_flag=True,
    help="With --device: use its stored record as it is, without the server (only for a "
    "device that has never sold, e.g. a retry after a failed flash)",
)
@click.option("--offline-allowance", default="0", show_default=True, help="Major units")
@click.option(
    "--batch",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A CSV of devices to provision, one per line",
)
@click.option("--port-glob", help="With --batch: the ports to use in turn, e.g. '/dev/ttyUSB*'")
@click.option(
    "--report",
    type=click.Path(dir_okay=False, path_type=Path),
    help="With --batch: the CSV report [default: provision-report-<time>.csv]",
)
@click.option(
    "--firmware",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The MicroPython firmware .bin for the chip",
)
@chip_option
@flash_size_option()
@registrar_options
@device_settings_options
@click.option("--interactive", is_flag=True, help="Operator confirms display and keypad")
@click.option("--baud", default=460800, show_default=True, type=int)
@click.option(
    "--connect-attempts", type=int, help="esptool's tries to reach the bootloader [default: 7]"
)
@store_option
@cache_option
@one_line_errors
def provision(
    port: str | None,
    agent: str | None,
    name: str | None,
    device_id: str | None,
    keep_secret: bool,
    offline_allowance: str,
    batch: Path | None,
    port_glob: str | None,
    report: Path | None,
    firmware: Path,
    chip: str,
    flash_size: str,
    server_url: str | None,
    user: str | None,
    password: str | None,
    totp: str | None,
    token: str | None,
    db_url: str | None,
    broker_url: str | None,
    wifi: str | None,
    apn: str | None,
    language: str,
    vendor_pin: str | None,
    utility: str,
    ca_file: Path | None,
    interactive: bool,
    baud: int,
    connect_attempts: int | None,
    store: Path,
    cache_dir: Path | None,
) -> None:
    """Register, build, flash and verify one handheld, or a batch from a CSV file."""
    settings = ImageSettings(
        language=language,
        wifi=wifi,
        apn=apn,
        server_url=server_url,
        broker_url=broker_url,
        utility=utility,
        vendor_pin=vendor_pin,
        ca_file=ca_file,
    )
    if batch is None:
        if not port or not (agent or device_id):
            raise click.UsageError("give --port and --agent (or --device), or --batch FILE")
        order = DeviceOrder(agent or "", name, offline_allowance, device_id, settings)
        orders = None
    else:
        if not port_glob:
            raise click.UsageError("--batch needs --port-glob, e.g. '/dev/ttyUSB*'")
        orders = read_orders(batch, settings)
    if keep_secret and not device_id:
        raise click.UsageError("--keep-secret goes with --device")
    registrar = None
    if not keep_secret:
        registrar = open_registrar(
            server_url, db_url, user, password, token, broker_url, ask_password,
            totp=totp, ask_totp=ask_totp,
        )  # fmt: skip
    bench = Bench(
        registrar,
        firmware,
        chip,
        flash_size,
        store=store,
        cache_dir=cache_dir,
        baud=baud,
        interactive=interactive,
        connect_attempts=connect_attempts,
    )
    if orders is None:
        _one(bench, port or "", order)
    else:
        _batch(bench, orders, port_glob or "", report)


def _one(bench: Bench, port: str, order: DeviceOrder) -> None:
    with console.status(f"provisioning the handheld on {port}...") as status:
        result = bench.provision(
            port,
            order,
            on_stage=lambda stage: status.update(f"{port}: {stage}..."),
            on_progress=lambda done, total: status.update(
                f"{port}: flash, {100 * done // max(total, 1)}% of a region"
            ),
        )
    if result.checks:
        console.print(verify_table(VerifyResult(port, result.device_id, checks=result.checks)))
    if result.vendor_pin:
        console.print(
            f"vendor PIN for {result.agent} on {result.device_id}: "
            f"[bold]{result.vendor_pin}[/bold] (shown once: give it to the vendor)"
        )
    if not result.ok:
        raise ProvisioningError("provision_failed", f"{result.stage}: {result.message}")
    console.print(f"[green]done[/green] {result.message} in {result.seconds:.0f} s")


def _batch(bench: Bench, orders: list[DeviceOrder], pattern: str, report: Path | None) -> None:
    ports = ports_matching(pattern)
    if not ports:
        raise ProvisioningError(
            "no_ports", f"no serial port matches {pattern}: plug the boards in (or fix the pattern)"
        )
    report = report or Path(time.strftime("provision-report-%Y%m%d-%H%M%S.csv"))
    write_report(report, [])  # a report that cannot be written stops us before any device
    console.print(f"{len(orders)} devices on {len(ports)} port(s): {', '.join(ports)}")
    results: list[DeviceResult] = []
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )

    def between_rounds(count: int) -> None:
        progress.stop()
        click.pause(f"connect the next {count} board(s), then press any key...")
        progress.start()

    def done(result: DeviceResult) -> None:
        results.append(result)
        write_report(report, results)  # kept current: an interrupted batch still has one
        mark = "[green]ok[/green]" if result.ok else f"[red]failed at {result.stage}[/red]"
        progress.console.print(
            f"line {result.row}: {result.device_id or '-'} ({result.agent}) on {result.port}: "
            f"{mark} - {result.message} ({result.seconds:.0f} s)"
        )
        progress.advance(overall)

    with progress:
        overall = progress.add_task("devices", total=len(orders))
        bench.provision_batch(
            orders,
            ports,
            on_result=done,
            on_start=lambda i, port, order: progress.update(
                overall, description=f"line {order.row} on {port}"
            ),
            between_rounds=between_rounds,
            on_stage=None,
        )
    passed = sum(r.ok for r in results)
    console.print(f"{passed} of {len(results)} devices passed; report: {report}")
    if any(r.vendor_pin for r in results):
        console.print(
            "generated vendor PINs are in the report only: hand them over, then delete it"
        )
    if passed != len(results):
        raise ProvisioningError(
            "batch_failed", f"{len(results) - passed} devices failed (see {report})"
        )
