"""The server's CLI commands: Rich output, one-line errors with a non-zero exit."""

import secrets

import pytest
from click.testing import CliRunner

from gridvend.cli import cli
from tests.server import world


@pytest.fixture
def run(db_url, monkeypatch, tmp_path):
    monkeypatch.setenv("GRIDVEND_DB", db_url)
    monkeypatch.setenv("GRIDVEND_MASTER_KEY", secrets.token_hex(32))
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(cli, list(args), input=input, catch_exceptions=False)

    return invoke


def setup_world(run, tmp_path):
    (tmp_path / "vk.hex").write_text("ab" * 8 + "\n")
    for args in (
        ("supply-group", "add", "--sgc", "123456"),
        ("keys", "import", "--sgc", "123456", "--krn", "1", "--file", "vk.hex"),
        ("tariff", "add", "flat", "--blocks", "0.25"),
        ("customer", "add", "C1", "--name", "Amina"),
        ("meter", "add", world.pan(1), "--sgc", "123456", "--tariff", "flat", "--customer", "C1"),
        ("agent", "add", "AG1", "--name", "Vendor"),
        ("agent", "topup", "AG1", "100"),
    ):
        result = run(*args)
        assert result.exit_code == 0, (args, result.output)


def test_a_vend_from_the_cli_prints_the_receipt(run, tmp_path):
    setup_world(run, tmp_path)
    result = run("vend", world.pan(1), "10", "--agent", "AG1", "--request-id", "c1")
    assert result.exit_code == 0, result.output
    assert "40.0 kWh" in result.output and "token 1" in result.output
    assert run("ledger", "check").exit_code == 0
    assert "intact" in run("audit", "verify").output
    report = run("report", "sales", "--by", "agent", "--csv", "-")
    assert report.output.splitlines()[1].startswith("AG1,1,0,10.00")


def test_errors_are_one_line_and_exit_non_zero(run, tmp_path):
    setup_world(run, tmp_path)
    typo = world.pan(1)[:-1] + str((int(world.pan(1)[-1]) + 1) % 10)
    result = run("vend", typo, "10", "--agent", "AG1")
    assert result.exit_code == 1
    assert result.output.strip().startswith("Error: meter")
    assert "check digit should be" in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
    broke = run("vend", world.pan(1), "1000", "--agent", "AG1")
    assert broke.exit_code == 1 and "insufficient_float" in broke.output


def test_meter_import_reports_bad_rows_and_imports_nothing(run, tmp_path):
    setup_world(run, tmp_path)
    (tmp_path / "m.csv").write_text(
        f"meter,sgc,tariff\n{world.pan(5)},123456,flat\n12,123456,flat\n"
    )
    result = run("meter", "import", "m.csv")
    assert result.exit_code == 1 and "nothing imported" in result.output and "line" in result.output
    result = run("meter", "import", "m.csv", "--skip-bad")
    assert "1 of 2 meters imported" in result.output


def test_the_key_never_shows_and_is_asked_for_hidden(run, tmp_path):
    setup_world(run, tmp_path)
    result = run("keys", "import", "--sgc", "123456", "--krn", "2", input="0123456789abcdef\n")
    assert result.exit_code == 0, result.output
    assert "0123456789abcdef" not in result.output
    assert "1, 2" in run("supply-group", "list").output


def test_db_upgrade_is_safe_to_repeat(run):
    result = run("db", "upgrade")
    assert result.exit_code == 0 and "already at revision" in result.output
