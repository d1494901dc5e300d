"""`gridvend broker config` / `gridvend broker certs`: the Mosquitto files that give each
handheld its own topics, and the certificates for TLS."""

import os
import secrets
from pathlib import Path

import click

from server.cli.common import clear_errors, cli_actor, console, db_option, open_services
from server.link import broker_files, tls
from server.link.device_secrets import DeviceSecrets
from server.services import devices

TLS_DEVICE_PORT = 8883


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
@click.option(
    "--device-port",
    default=None,
    type=click.IntRange(1, 65535),
    help="The handhelds' listener [default: 1883, with TLS 8883]",
)
@click.option("--device-bind", default="0.0.0.0", show_default=True)
@click.option("--server-port", default=1884, show_default=True, type=click.IntRange(1, 65535))
@click.option("--server-bind", default="127.0.0.1", show_default=True)
@click.option(
    "--tls-dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="TLS for the handhelds' listener: the folder `gridvend broker certs` wrote "
    "(ca.pem, server.pem, server.key)",
)
@click.option(
    "--plain-device-port",
    type=click.IntRange(1, 65535),
    default=None,
    help="With --tls-dir: also a plain listener for handhelds not moved to TLS yet",
)
@click.option(
    "--server-tls",
    is_flag=True,
    help="With --tls-dir: TLS on the server processes' listener too (for servers elsewhere)",
)
@clear_errors
def config(
    db_url: str,
    out_dir: Path,
    device_port: int | None,
    device_bind: str,
    server_port: int,
    server_bind: str,
    tls_dir: Path | None,
    plain_device_port: int | None,
    server_tls: bool,
) -> None:
    """Write Mosquitto's password file and ACL for every enabled device (and a config using
    them). Run again after registering or disabling a device, then reload Mosquitto
    (SIGHUP). Needs the master key: device passwords derive from the device secrets."""
    if tls_dir is None and (plain_device_port is not None or server_tls):
        raise click.UsageError("--plain-device-port and --server-tls go with --tls-dir")
    tls_files = broker_files.TlsFiles.in_dir(tls_dir) if tls_dir is not None else None
    if tls_files is not None:
        missing = [p for p in (tls_files.cafile, tls_files.certfile, tls_files.keyfile)
                   if not p.is_file()]  # fmt: skip
        if missing:
            raise click.UsageError(
                f"{missing[0]} is missing: write the certificates with `gridvend broker certs`"
            )
    if device_port is None:
        device_port = TLS_DEVICE_PORT if tls_files is not None else 1883
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
    listeners = broker_files.Listeners(
        device_port,
        device_bind,
        server_port,
        server_bind,
        tls=tls_files,
        server_tls=server_tls,
        plain_device_port=plain_device_port,
    )
    conf = broker_files.mosquitto_conf(
        (out_dir / "passwd").resolve(), (out_dir / "acl").resolve(), (out_dir / "data").resolve(),
        listeners,
    )  # fmt: skip
    (out_dir / "mosquitto.conf").write_text(conf)
    console.print(
        f"{len(users) - 1} device(s) and the server user written to {out_dir}/passwd and "
        f"{out_dir}/acl; start Mosquitto with -c {out_dir}/mosquitto.conf (or reload it)"
    )
    if tls_files is not None:
        console.print(
            f"handhelds: TLS on port {device_port}; put {tls_dir}/ca.der in their images "
            f"(set {tls.ENV_CA_FILE}={tls_files.cafile} for the server and provisioning)"
        )


@broker.command("certs")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("var/broker/tls"),
    show_default=True,
    help="Folder for ca.pem, ca.der, ca.key, server.pem, server.key",
)
@click.option(
    "--host",
    "hosts",
    multiple=True,
    required=True,
    help="A name (or IP address) the handhelds reach the broker/server by; repeat for more",
)
@click.option(
    "--ca-cert",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Sign with this CA (PEM or DER) instead of making a new one",
)
@click.option(
    "--ca-key", type=click.Path(dir_okay=False, exists=True, path_type=Path), help="Its key (PEM)"
)
@click.option("--days", default=tls.SERVER_DAYS, show_default=True, type=click.IntRange(1, 3650))
@clear_errors
def certs(
    out_dir: Path, hosts: tuple[str, ...], ca_cert: Path | None, ca_key: Path | None, days: int
) -> None:
    """Make the TLS certificates: a CA of this installation's own (or the one given) and a
    server certificate for the broker (and `gridvend serve --tls-cert`), for every --host."""
    try:
        files = tls.write_certs(out_dir, hosts, ca_cert=ca_cert, ca_key=ca_key, days=days)
    except tls.TlsError as exc:
        raise click.UsageError(str(exc)) from None
    console.print(
        f"CA {files.ca_pem} (handhelds: {files.ca_der}), server certificate {files.server_pem} "
        f"for {', '.join(hosts)}"
    )
    if files.ca_key is not None:
        console.print(f"keep {files.ca_key} safe (offline): it signs what the handhelds trust")


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
