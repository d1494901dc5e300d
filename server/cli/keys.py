"""`gridvend keys`: vending keys into the security module; master keys."""

from pathlib import Path

import click

from server.cli.common import clear_errors, cli_actor, console, db_option, open_services
from server.security.master_key import write_new_master_key
from server.services import supply_groups


@click.group()
def keys() -> None:
    """Vending keys (sealed in the security module) and the master key that seals them."""


@keys.command("import")
@db_option
@click.option("--sgc", required=True, help="Supply group code (6 digits)")
@click.option("--krn", required=True, type=click.IntRange(1, 9), help="Key revision number")
@click.option(
    "--file",
    "key_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A file holding the key in hex; without it the key is asked for, hidden",
)
@clear_errors
def import_key(db_url: str, sgc: str, krn: int, key_file: Path | None) -> None:
    """Load a vending key. It is sealed at once and never shown again."""
    group = supply_groups.parse_sgc(sgc)
    if key_file is not None:
        try:
            text = key_file.read_text()
        except OSError as exc:
            raise click.ClickException(f"{key_file}: {exc.strerror or exc}") from None
    else:
        text = click.prompt("Vending key (hex)", hide_input=True)
    digits = "".join(text.split())
    try:
        vending_key = bytes.fromhex(digits)
    except ValueError:
        raise click.ClickException("the vending key must be hex digits (0-9, a-f)") from None
    ctx = open_services(db_url, need_keys=True)
    try:
        supply_groups.import_vending_key(
            ctx, cli_actor(), sgc=group, krn=krn, vending_key=vending_key
        )
    finally:
        ctx.dispose()
    console.print(f"vending key for supply group {group:06d} revision {krn} imported and sealed")


@keys.command("new-master-key")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@clear_errors
def new_master_key(path: Path) -> None:
    """Write a fresh random master key to PATH (mode 600). Keep it safe and backed up:
    without it, the sealed vending keys cannot be opened."""
    try:
        write_new_master_key(path)
    except FileExistsError:
        raise click.ClickException(f"{path} exists; refusing to overwrite a master key") from None
    console.print(f"master key written to {path}; set GRIDVEND_MASTER_KEY_FILE={path}")
