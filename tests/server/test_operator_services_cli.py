"""The operator services from the command line: roles, disabling operators and API keys,
one vendor's sales, sealing clear TOTP secrets (both databases)."""

import secrets

import pytest
from click.testing import CliRunner

from gridvend.cli import cli
from tests.server import world

PASSWORD = "a long password"


@pytest.fixture
def run(db_url, monkeypatch, tmp_path):
    monkeypatch.setenv("GRIDVEND_DB", db_url)
    monkeypatch.setenv("GRIDVEND_MASTER_KEY", secrets.token_hex(32))
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(cli, list(args), catch_exceptions=False)

    return invoke


def test_roles_and_status_of_operators_and_api_keys(run):
    for args in (
        ("admin", "create-operator", "boss", "--role", "admin", "--password", PASSWORD),
        ("admin", "create-operator", "sam", "--role", "cashier", "--password", PASSWORD),
        ("admin", "set-role", "sam", "--role", "supervisor"),
        ("admin", "disable-operator", "sam", "--reason", "on leave"),
    ):
        result = run(*args)
        assert result.exit_code == 0, (args, result.output)
    listed = run("admin", "operators").output
    assert "supervisor" in listed and "no" in listed
    last = run("admin", "set-role", "boss", "--role", "auditor")
    assert last.exit_code == 1 and "only active administrator" in last.output
    assert run("admin", "enable-operator", "sam").exit_code == 0
    missing = run("admin", "disable-api-key", "nope")
    assert missing.exit_code == 1 and "POS client nope does not exist" in missing.output
    assert run("admin", "seal-totp-secrets").output.strip() == "0 TOTP secret(s) sealed"


def test_one_vendors_sales_by_day(run, tmp_path):
    (tmp_path / "vk.hex").write_text("ab" * 8 + "\n")
    for args in (
        ("supply-group", "add", "--sgc", "123456"),
        ("keys", "import", "--sgc", "123456", "--krn", "1", "--file", "vk.hex"),
        ("tariff", "add", "flat", "--blocks", "0.25"),
        ("meter", "add", world.pan(1), "--sgc", "123456", "--tariff", "flat"),
        ("agent", "add", "AG1", "--name", "Vendor"),
        ("agent", "add", "AG2", "--name", "Other"),
        ("agent", "topup", "AG1", "100"),
        ("agent", "topup", "AG2", "100"),
        ("vend", world.pan(1), "10", "--agent", "AG1", "--request-id", "c1"),
        ("vend", world.pan(1), "4", "--agent", "AG2", "--request-id", "c2"),
    ):
        result = run(*args)
        assert result.exit_code == 0, (args, result.output)
    report = run("report", "sales", "--by", "day", "--agent", "AG2", "--csv", "-").output
    assert report.splitlines()[-1].startswith("total,1,0,4.00")
    assert run("report", "sales", "--agent", "NOPE").exit_code == 1
