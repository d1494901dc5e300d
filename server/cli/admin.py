"""`gridvend admin`: operators and point-of-sale clients."""

import click
from rich.table import Table

from server.cli.common import clear_errors, cli_actor, console, db_option, open_services
from server.domain.roles import Role
from server.services import operators, second_factor

ROLES = [r.value for r in Role if r is not Role.POS]


@click.group()
def admin() -> None:
    """Operators and their roles; API keys for point-of-sale clients."""


@admin.command("create-operator")
@db_option
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--name", "full_name", default="", help="The person's full name")
@click.password_option(help="Prompted (hidden) when not given")
@clear_errors
def create_operator(db_url: str, username: str, role: str, full_name: str, password: str) -> None:
    """Add an operator who logs in to the API (password stored as an argon2 hash)."""
    ctx = open_services(db_url)
    try:
        operators.create_operator(
            ctx,
            cli_actor(),
            username=username,
            password=password,
            role=Role(role),
            full_name=full_name,
        )
    finally:
        ctx.dispose()
    console.print(f"operator {username} ({role}) created")


@admin.command("create-api-key")
@db_option
@click.option("--name", required=True, help="The POS client's name")
@click.option("--agent", "agent_code", required=True, help="The vendor whose float it sells")
@clear_errors
def create_api_key(db_url: str, name: str, agent_code: str) -> None:
    """Register a point-of-sale client and print its API key (shown only this once)."""
    ctx = open_services(db_url)
    try:
        key = operators.create_pos_client(ctx, cli_actor(), name=name, agent_code=agent_code)
    finally:
        ctx.dispose()
    console.print(f"POS client {name} sells from {agent_code}'s float. Its API key (shown once):")
    click.echo(key)


@admin.command("operators")
@db_option
@clear_errors
def list_operators(db_url: str) -> None:
    """List operators and their roles."""
    ctx = open_services(db_url)
    try:
        rows = operators.list_operators(ctx, cli_actor())
    finally:
        ctx.dispose()
    table = Table("username", "role", "name", "active")
    for op in rows:
        table.add_row(op.username, op.role, op.full_name, "yes" if op.active else "no")
    console.print(table)


@admin.command("set-role")
@db_option
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True)
@clear_errors
def set_role(db_url: str, username: str, role: str) -> None:
    """Give an operator another role (the last active admin keeps theirs)."""
    ctx = open_services(db_url)
    try:
        operators.set_role(ctx, cli_actor(), username, Role(role))
    finally:
        ctx.dispose()
    console.print(f"operator {username} is now {role}")


@admin.command("disable-operator")
@db_option
@click.argument("username")
@click.option("--reason", default="", help="Kept in the audit log")
@clear_errors
def disable_operator(db_url: str, username: str, reason: str) -> None:
    """Disable an operator: no more logins; their sessions and tokens end (running servers
    stop taking them within 5 seconds)."""
    ctx = open_services(db_url)
    try:
        operators.set_active(ctx, cli_actor(), username, False, reason)
    finally:
        ctx.dispose()
    console.print(f"operator {username} disabled")


@admin.command("enable-operator")
@db_option
@click.argument("username")
@clear_errors
def enable_operator(db_url: str, username: str) -> None:
    """Let a disabled operator log in again."""
    ctx = open_services(db_url)
    try:
        operators.set_active(ctx, cli_actor(), username, True)
    finally:
        ctx.dispose()
    console.print(f"operator {username} enabled")


@admin.command("disable-api-key")
@db_option
@click.argument("name")
@click.option("--reason", default="", help="Kept in the audit log")
@clear_errors
def disable_api_key(db_url: str, name: str, reason: str) -> None:
    """Disable a POS client's API key (running servers refuse it within 5 seconds)."""
    ctx = open_services(db_url)
    try:
        operators.set_pos_client_enabled(ctx, cli_actor(), name, False, reason)
    finally:
        ctx.dispose()
    console.print(f"POS client {name} disabled")


@admin.command("enable-api-key")
@db_option
@click.argument("name")
@clear_errors
def enable_api_key(db_url: str, name: str) -> None:
    """Let a disabled POS client's API key work again."""
    ctx = open_services(db_url)
    try:
        operators.set_pos_client_enabled(ctx, cli_actor(), name, True)
    finally:
        ctx.dispose()
    console.print(f"POS client {name} enabled")


@admin.command("seal-totp-secrets")
@db_option
@clear_errors
def seal_totp_secrets(db_url: str) -> None:
    """Seal every operator's TOTP secret still stored in clear (set up before migration
    0005); the server also does it when each is first used."""
    ctx = open_services(db_url, need_keys=True)
    try:
        count = second_factor.seal_clear_secrets(ctx)
    finally:
        ctx.dispose()
    console.print(f"{count} TOTP secret(s) sealed")
