"""`gridvend link`: the handhelds' link to the server (MQTT bridge, secrets, offline reserves)."""

import json
import logging
import os
import signal
import socket
import threading
from datetime import timedelta
from pathlib import Path

import click
from rich.table import Table

from server.cli.common import clear_errors, cli_actor, console, db_option, money, open_services
from server.cli.pruning import prune_options, start_pruner
from server.link import broker_files, prune
from server.link.device_secrets import DeviceSecrets
from server.link.mqtt_bridge import BrokerAddress, MqttBridge
from server.link.processor import LinkProcessor
from server.services import devices, offline
from server.storage.repositories.device_link import DeviceLinkRepository
from server.storage.schema import LinkMessage
from server.storage.unit_of_work import UnitOfWork


@click.group()
def link() -> None:
    """The handhelds' link: run the MQTT bridge, issue device secrets, offline allowances."""


@link.command("serve")
@db_option
@click.option("--broker-host", default="127.0.0.1", show_default=True)
@click.option("--broker-port", default=1884, show_default=True, type=click.IntRange(1, 65535))
@click.option("--user", default=broker_files.SERVER_USER, show_default=True)
@click.option(
    "--password-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("var/broker/server.password"),
    show_default=True,
    help="The server user's broker password (written by `gridvend broker config`)",
)
@click.option("--client-id", default=None, help="Unique per process [default: host-pid]")
@click.option("--workers", default=4, show_default=True, type=click.IntRange(1, 64))
@click.option(
    "--broker-ca",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="Connect with TLS, checking the broker against this CA (ca.pem of `broker certs`)",
)
@prune_options
@clear_errors
def serve(
    db_url: str,
    broker_host: str,
    broker_port: int,
    user: str,
    password_file: Path,
    client_id: str | None,
    workers: int,
    broker_ca: Path | None,
    prune_every: float,
    keep_days: float,
) -> None:
    """Serve the handhelds over MQTT until stopped (Ctrl-C or SIGTERM). Run one per server
    process: they share the uplinks through a shared subscription. Needs the master key.
    Also prunes the message log (see `gridvend link prune`) every --prune-every hours."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    ctx = open_services(db_url, need_keys=True)
    password = password_file.read_text().strip() if password_file.exists() else None
    processor = LinkProcessor(ctx, DeviceSecrets.from_environment())
    ca_file = str(broker_ca) if broker_ca is not None else None
    bridge = MqttBridge(
        processor,
        BrokerAddress(broker_host, broker_port, user, password, ca_file=ca_file),
        client_id=client_id or f"gridvend-{socket.gethostname()}-{os.getpid()}",
        workers=workers,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    bridge.start()
    pruner = start_pruner(ctx, prune_every, keep_days)
    over = " over TLS" if ca_file else ""
    console.print(f"gridvend link: MQTT bridge to {broker_host}:{broker_port} as {user}{over}")
    try:
        while not stop.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        if pruner is not None:
            pruner.stop()
        bridge.stop()
        ctx.dispose()


@link.command("secret")
@db_option
@click.argument("device")
@click.option("--json", "as_json", is_flag=True, help="One JSON object (for provisioning)")
@clear_errors
def secret(db_url: str, device: str, as_json: bool) -> None:
    """Give DEVICE a new secret and show it once (it goes into the device's image).
    Its old secret stops working; run `gridvend broker config` afterwards."""
    ctx = open_services(db_url, need_keys=True)
    try:
        issued = devices.issue_secret(ctx, cli_actor(), device, DeviceSecrets.from_environment())
    finally:
        ctx.dispose()
    if as_json:
        click.echo(
            json.dumps(
                {
                    "device": issued.device,
                    "secret": issued.secret_hex,
                    "broker_user": issued.broker_user,
                    "broker_password": issued.broker_password,
                    "generation": issued.generation,
                    "seq_floor": issued.seq_floor,
                }
            )
        )
        return
    console.print(f"device {issued.device}: secret {issued.secret_hex}")
    console.print(
        f"generation {issued.generation}; its journal must number sales above "
        f'{issued.seq_floor} (config.json "seq_floor": {issued.seq_floor})'
    )
    console.print("shown once: put it in the device's link settings now")


@link.command("allowance")
@db_option
@click.argument("device")
@click.argument("amount")
@clear_errors
def allowance(db_url: str, device: str, amount: str) -> None:
    """Set how much DEVICE may sell offline; that much of its vendor's float is reserved."""
    ctx = open_services(db_url)
    try:
        view = offline.set_allowance(ctx, cli_actor(), device, money(ctx, amount, "allowance"))
        fmt = ctx.currency.format
    finally:
        ctx.dispose()
    console.print(
        f"device {view.device}: allowance {fmt(view.allowance)}, reserved {fmt(view.held)}"
    )


@link.command("release")
@db_option
@click.argument("device")
@clear_errors
def release(db_url: str, device: str) -> None:
    """Give a disabled DEVICE's whole offline reserve back to its vendor's float (a device
    that will not come back): its offline sales not yet synced are then not honoured."""
    ctx = open_services(db_url)
    try:
        view = offline.release(ctx, cli_actor(), device)
        fmt = ctx.currency.format
    finally:
        ctx.dispose()
    console.print(f"device {view.device}: reserve released; it holds {fmt(view.held)}")


@link.command("prune")
@db_option
@click.option(
    "--older-than",
    "days",
    required=True,
    type=click.FloatRange(0),
    help="Days: prune messages older than this that no device needs any more",
)
@clear_errors
def prune_command(db_url: str, days: float) -> None:
    """Delete old rows of the message log: refused messages, those of replaced secrets, and
    those no device needs (undelivered downlinks and recent uplinks stay; sale outcomes are
    not messages and are never pruned)."""
    ctx = open_services(db_url)
    try:
        gone = prune.prune(ctx, cli_actor(), timedelta(days=days))
    finally:
        ctx.dispose()
    console.print(f"pruned {gone} message(s) older than {days:g} day(s)")


@link.command("reserve")
@db_option
@click.argument("device")
@clear_errors
def reserve(db_url: str, device: str) -> None:
    """Show DEVICE's offline reserve."""
    ctx = open_services(db_url)
    try:
        view = offline.reserve_of(ctx, cli_actor(), device)
        fmt = ctx.currency.format
    finally:
        ctx.dispose()
    table = Table("device", "allowance", "held", "sold offline", "may sell offline")
    table.add_row(
        view.device,
        fmt(view.allowance),
        fmt(view.held),
        fmt(view.spent),
        fmt(view.available_offline),
    )
    console.print(table)


@link.command("enable")
@db_option
@click.argument("device")
@clear_errors
def enable(db_url: str, device: str) -> None:
    """Let DEVICE talk to the server again."""
    _set_enabled(db_url, device, True)


@link.command("disable")
@db_option
@click.argument("device")
@clear_errors
def disable(db_url: str, device: str) -> None:
    """Refuse DEVICE's messages (then `gridvend broker config` to shut it out of the broker)."""
    _set_enabled(db_url, device, False)


def _set_enabled(db_url: str, device: str, enabled: bool) -> None:
    ctx = open_services(db_url)
    try:
        devices.set_enabled(ctx, cli_actor(), device, enabled)
    finally:
        ctx.dispose()
    console.print(f"device {device} {'enabled' if enabled else 'disabled'}")


@link.command("log")
@db_option
@click.option("--device", default=None, help="Only this device's messages")
@click.option("--limit", default=30, show_default=True, type=click.IntRange(1, 10000))
@clear_errors
def message_log(db_url: str, device: str | None, limit: int) -> None:
    """The newest messages to and from handhelds, and the refused ones."""
    ctx = open_services(db_url)
    try:

        def work(uow: UnitOfWork) -> list[LinkMessage]:
            device_id = devices.device_by_name(uow, device).id if device else None
            return DeviceLinkRepository(uow.session).messages(device_id, limit)

        rows = ctx.transaction(work, read_only=True)
    finally:
        ctx.dispose()
    table = Table("when", "device", "dir", "seq", "type", "outcome")
    for row in rows:
        table.add_row(
            row.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            row.device_name,
            row.direction,
            "" if row.seq is None else str(row.seq),
            row.kind,
            row.outcome,
        )
    console.print(table)


@link.command("check")
@db_option
@clear_errors
def check(db_url: str) -> None:
    """Check every offline reserve against its ledger account (exit 1 on a problem)."""
    ctx = open_services(db_url)
    try:
        problems = offline.check(ctx, cli_actor())
    finally:
        ctx.dispose()
    for problem in problems:
        console.print(problem)
    if problems:
        raise click.exceptions.Exit(1)
    console.print("offline reserves: sound")
