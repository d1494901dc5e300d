"""The one command-line tool, `gridvend`: each part of the product adds its group here."""

import click

from gridvend import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="gridvend")
def cli() -> None:
    """gridvend: prepaid electricity vending for places where the vendor walks."""


def _register_groups() -> None:
    from host.cli.meter_sim import meter_sim
    from server.cli.sts import sts

    cli.add_command(sts)
    cli.add_command(meter_sim)

    from host.cli.sim import sim

    cli.add_command(sim)

    from server.cli import (
        admin,
        agent,
        customer,
        db,
        keys,
        meter,
        report,
        serve,
        supply_group,
        tariff,
        vend,
    )

    server_commands = (
        serve.serve,
        db.db,
        admin.admin,
        keys.keys,
        supply_group.supply_group,
        tariff.tariff,
        meter.meter,
        customer.customer,
        agent.agent,
        vend.vend_command,
        vend.reprint,
        report.report,
        report.ledger,
        report.audit,
    )
    for command in server_commands:
        cli.add_command(command)


_register_groups()


def main() -> None:
    cli()
