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

    from host.cli import device, flash, image, provision

    cli.add_command(device.device)
    cli.add_command(image.image)
    cli.add_command(flash.flash)
    cli.add_command(provision.provision)

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

    from server.cli.print_receipt import print_receipt

    cli.add_command(print_receipt)

    from server.cli import broker, link

    cli.add_command(broker.broker)
    cli.add_command(link.link)


_register_groups()


def main() -> None:
    cli()
