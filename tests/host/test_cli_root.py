"""The `gridvend` root command: every command is there, and each loads only what it needs."""

import subprocess
import sys

from click.testing import CliRunner

from gridvend.cli import COMMANDS, cli


def test_every_command_loads_under_its_own_name():
    ctx = cli.make_context("gridvend", [], resilient_parsing=True)
    for name in COMMANDS:
        command = cli.get_command(ctx, name)
        assert command is not None and command.name == name
    assert cli.list_commands(ctx)[: len(COMMANDS)] == list(COMMANDS)


def test_help_lists_every_command():
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0, result.output
    for name in COMMANDS:
        assert f"  {name} " in result.output or f"  {name}\n" in result.output


def test_an_unknown_command_is_one_clear_error():
    result = CliRunner().invoke(cli, ["vendd"])
    assert result.exit_code == 2
    assert "No such command 'vendd'" in result.output


def test_the_simulator_and_the_token_tool_start_without_the_server():
    probe = (
        "import sys\n"
        "from gridvend.cli import cli\n"
        "for name in ('sim', 'sts', 'meter-sim'):\n"
        "    cli.get_command(cli.make_context('gridvend', [], resilient_parsing=True), name)\n"
        "heavy = sorted(m for m in ('fastapi', 'sqlalchemy', 'server.api', 'server.web')"
        " if m in sys.modules)\n"
        "print(','.join(heavy))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == "", f"loaded for sim/sts/meter-sim: {done.stdout}"
