"""`gridvend broker config`: the Mosquitto files that give each handheld its own topics."""

import os
import secrets
from pathlib import Path

import click

from server.cli.common import clear_errors, cli_actor, console, db_option, open_services
from server.link import broker_files
from server.link.device_secrets import DeviceSecrets
from server.services import devices


@click.group()
def broker() -> None:
    """The MQTT broker (Mosquitto) the handhelds and server processes meet at."""


@broker.command("config")
@db_option
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("var/broker"),
    show_default=True,
    help="Folder for passwd, acl, mosquitto.conf and server.password",
)
@click.option("--device-port", default=1883, show_default=True, type=click.IntRange(1, 65535))
@click.option("--device-bind", default="0.0.0.0", show_default=True)
@click.option("--server-port", default=1884, show_default=True, type=click.IntRange(1, 65535))
@clear_errors
def config(
    db_url: str, out_dir: Path, device_port: int, device_bind: str, server_port: int
) -> None:
    """Write Mosquitto's password file and ACL for every enabled device (and a config using
    them). Run again after registering or disabling a device, then reload Mosquitto
    (SIGHUP). Needs the master key: device passwords derive from the device secrets."""
    ctx = open_services(db_url, need_keys=True)
    try:
        users = devices.broker_users(ctx, cli_actor(), DeviceSecrets.from_environment())
    finally:
        ctx.dispose()
    out_dir.mkdir(parents=True, exist_ok=True)
    server_password = _server_password(out_dir / "server.password")
    users[broker_files.SERVER_USER] = server_password
    _write_private(out_dir / "passwd", broker_files.password_file(users))
    (out_dir / "acl").write_text(broker_files.acl_file())
    (out_dir / "data").mkdir(exist_ok=True)
    listeners = broker_files.Listeners(device_port, device_bind, server_port)
    conf = broker_files.mosquitto_conf(
        (out_dir / "passwd").resolve(), (out_dir / "acl").resolve(), (out_dir / "data").resolve(),
        listeners,
    )  # fmt: skip
    (out_dir / "mosquitto.conf").write_text(conf)
    console.print(
        f"{len(users) - 1} device(s) and the server user written to {out_dir}/passwd and "
        f"{out_dir}/acl; start Mosquitto with -c {out_dir}/mosquitto.conf (or reload it)"
    )


def _server_password(path: Path) -> str:
    """The server processes' broker password: kept in a file readable by its owner only."""
    if path.exists():
        return path.read_text().strip()
    password = secrets.token_hex(16)
    _write_private(path, password + "\n")
    return password


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
