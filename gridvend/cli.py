"""The one command-line tool, `gridvend`: each part of the product adds its command here.

Commands are imported when used, not all at start: `gridvend sim` or `gridvend sts` on a
technician's laptop should not wait for the whole server (FastAPI, SQLAlchemy, the pages)
to load. `gridvend --help` still lists every command, which imports them all.
"""

import importlib

import click

from gridvend import __version__

# name -> "module:attribute", in the order `--help` lists them.
COMMANDS = {
    "sts": "server.cli.sts:sts",
    "meter-sim": "host.cli.meter_sim:meter_sim",
    "sim": "host.cli.sim:sim",
    "device": "host.cli.device:device",
    "image": "host.cli.image:image",
    "flash": "host.cli.flash:flash",
    "provision": "host.cli.provision:provision",
    "serve": "server.cli.serve:serve",
    "db": "server.cli.db:db",
    "admin": "server.cli.admin:admin",
    "keys": "server.cli.keys:keys",
    "supply-group": "server.cli.supply_group:supply_group",
    "tariff": "server.cli.tariff:tariff",
    "meter": "server.cli.meter:meter",
    "customer": "server.cli.customer:customer",
    "agent": "server.cli.agent:agent",
    "vend": "server.cli.vend:vend_command",
    "reprint": "server.cli.vend:reprint",
    "report": "server.cli.report:report",
    "ledger": "server.cli.report:ledger",
    "audit": "server.cli.report:audit",
    "print-receipt": "server.cli.print_receipt:print_receipt",
    "broker": "server.cli.broker:broker",
    "link": "server.cli.link:link",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use, from COMMANDS."""

    def __init__(self, *args: object, lazy: dict[str, str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*self._lazy, *(n for n in super().list_commands(ctx) if n not in self._lazy)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = self._lazy.get(cmd_name)
        if target is None:
            return super().get_command(ctx, cmd_name)
        if cmd_name not in self.commands:
            module, _, attribute = target.partition(":")
            command = getattr(importlib.import_module(module), attribute)
            if command.name != cmd_name:
                raise RuntimeError(f"{target} is named {command.name!r}, not {cmd_name!r}")
            self.add_command(command)
        return self.commands[cmd_name]


@click.group(
    cls=LazyGroup,
    lazy=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, prog_name="gridvend")
def cli() -> None:
    """gridvend: prepaid electricity vending for places where the vendor walks."""


def main() -> None:
    cli()
