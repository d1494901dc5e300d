"""`gridvend device`: register a handheld on the server; verify a flashed one.

    gridvend device register --agent V001 --server https://vend.example.org --user tech1
    gridvend device register --agent V001 --name HH-0001 --db postgresql://...   # on the server
    gridvend device verify --port /dev/ttyUSB0 [--image hh-0001.img] [--interactive]

register prints the new device id and keeps its record (secret, broker login) in
var/devices/<id>.json, readable by you only, for `gridvend image build --device ID`.
verify prints a pass/fail table and exits 1 when any check fails.
"""

import json
from pathlib import Path

import click

from host.provisioning.console import console, one_line_errors, store_option, verify_table
from host.provisioning.contents import MANIFEST
from host.provisioning.device_record import save_record
from host.provisioning.errors import ProvisioningError
from host.provisioning.image import read_image
from host.provisioning.registration import new_device_name, open_registrar
from host.provisioning.verify import Expected, verify


@click.group()
def device() -> None:
    """Register handhelds on the server and verify flashed ones."""


def registrar_options(command):
    """--server/--user/--password/--token or --db, and --broker: where to register."""
    options = [
        click.option("--server", "server_url", metavar="URL", help="The vending server's URL"),
        click.option("--user", help="Operator who may manage vendors (admin, supervisor)"),
        click.option("--password", envvar="GRIDVEND_PASSWORD", help="[default: asked]"),
        click.option(
            "--totp",
            envvar="GRIDVEND_TOTP",
            metavar="CODE",
            help="The operator's TOTP code, if they have a second factor [default: asked]",
        ),
        click.option("--token", envvar="GRIDVEND_TOKEN", help="An operator's bearer token"),
        click.option(
            "--db", "db_url", metavar="URL", help="On the server machine: its database instead"
        ),
        click.option("--broker", "broker_url", metavar="URL", help="mqtt(s)://host[:port]"),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def ask_password(user: str) -> str:
    return click.prompt(f"password for {user}", hide_input=True)


def ask_totp(user: str) -> str:
    return click.prompt(f"TOTP code for {user}").strip()


@device.command("register")
@click.option("--agent", required=True, help="The vendor's code")
@click.option("--name", help="The device id (1-16 letters, digits, - _) [default: HH-xxxxxxxx]")
@click.option("--offline-allowance", default="0", show_default=True, help="Major units")
@registrar_options
@store_option
@one_line_errors
def register(
    agent: str,
    name: str | None,
    offline_allowance: str,
    server_url: str | None,
    user: str | None,
    password: str | None,
    totp: str | None,
    token: str | None,
    db_url: str | None,
    broker_url: str | None,
    store: Path,
) -> None:
    """Create the device on the server with a new secret and broker login."""
    registrar = open_registrar(
        server_url, db_url, user, password, token, broker_url, ask_password,
        totp=totp, ask_totp=ask_totp,
    )  # fmt: skip
    record = registrar.register(agent, name or new_device_name(), offline_allowance)
    path = save_record(store, record)
    click.echo(record.device_id)
    click.echo(
        f"registered for {record.agent_code} ({record.agent_name}); secret and broker login "
        f"kept in {path} (yours only) for `gridvend image build --device {record.device_id}`",
        err=True,
    )


@device.command("verify")
@click.option("--port", required=True, help="The handheld's serial port")
@click.option(
    "--image",
    "image_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The image flashed: the device must hold exactly its firmware and config",
)
@click.option("--interactive", is_flag=True, help="Ask for the display and keypad checks")
@click.option("--no-reset", is_flag=True, help="Leave the board at the REPL afterwards")
@one_line_errors
def verify_command(port: str, image_path: Path | None, interactive: bool, no_reset: bool) -> None:
    """Read the device back through its REPL and run its self-test."""
    expected = _expected_from_image(image_path) if image_path else None
    with console.status(f"checking the handheld on {port}..."):
        result = verify(port, expected, interactive=interactive, reset=not no_reset)
    console.print(verify_table(result))
    if not result.passed:
        raise ProvisioningError(
            "verify_failed",
            f"{len(result.failed)} of {len(result.checks)} checks failed: "
            + ", ".join(c.name for c in result.failed),
        )


def _expected_from_image(path: Path) -> Expected:
    files = read_image(path.read_bytes())
    if MANIFEST not in files or "config.json" not in files:
        raise ProvisioningError("not_an_image", f"{path} is not a gridvend device image")
    manifest = json.loads(files[MANIFEST])
    config = json.loads(files["config.json"])
    return Expected(config.get("device_id"), manifest["firmware_sha256"], manifest["config_sha256"])
