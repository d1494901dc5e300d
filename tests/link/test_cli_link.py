"""`gridvend broker config` and `gridvend link ...`: the files Mosquitto needs, secrets,
offline allowances, the message log and the reserve check; `link serve` runs the bridge."""

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from gridvend.cli import cli
from server.bootstrap import open_context
from server.link.device_secrets import broker_password
from server.services import agents
from tests.link.mosquitto import Mosquitto
from tests.server import world


@pytest.fixture
def run(db_url, monkeypatch, tmp_path, admin):
    key = secrets.token_bytes(32)
    monkeypatch.setenv("GRIDVEND_DB", db_url)
    monkeypatch.setenv("GRIDVEND_MASTER_KEY", key.hex())
    monkeypatch.chdir(tmp_path)
    ctx = open_context(db_url, master_key=key)
    world.build(ctx, admin)
    agents.add_device(ctx, admin, "AG1", "GV0001")
    ctx.dispose()
    runner = CliRunner()

    def invoke(*args: str):
        result = runner.invoke(cli, list(args), catch_exceptions=False)
        return result

    return invoke


def test_secret_allowance_reserve_check_and_log(run):
    issued = run("link", "secret", "GV0001", "--json")
    assert issued.exit_code == 0, issued.output
    data = json.loads(issued.output)
    assert data["broker_password"] == broker_password(bytes.fromhex(data["secret"]))
    assert (data["generation"], data["seq_floor"]) == (1, 0)
    allowance = run("link", "allowance", "GV0001", "25.00")
    assert allowance.exit_code == 0 and "reserved 25.00" in allowance.output
    shown = run("link", "reserve", "GV0001")
    assert "GV0001" in shown.output and "25.00" in shown.output
    assert run("link", "check").exit_code == 0
    assert run("ledger", "check").exit_code == 0
    assert run("link", "log").exit_code == 0
    wrong = run("link", "allowance", "NOPE", "1")
    assert wrong.exit_code == 1 and "device NOPE is not registered" in wrong.output
    enabled = run("link", "release", "GV0001")
    assert enabled.exit_code == 1 and "is enabled" in enabled.output
    assert run("link", "disable", "GV0001").exit_code == 0
    released = run("link", "release", "GV0001")
    assert released.exit_code == 0 and "reserve released" in released.output
    assert run("link", "check").exit_code == 0
    assert run("ledger", "check").exit_code == 0


def test_broker_config_lets_the_device_in_and_a_disabled_one_out(run, tmp_path):
    secret = bytes.fromhex(json.loads(run("link", "secret", "GV0001", "--json").output)["secret"])
    result = run("broker", "config", "--out", "broker", "--device-port", "1999")
    assert result.exit_code == 0, result.output
    passwd = (tmp_path / "broker" / "passwd").read_text()
    assert passwd.startswith("GV0001:$7$101$") and "gridvend-server:$7$" in passwd
    assert "pattern write gridvend/%u/up" in (tmp_path / "broker" / "acl").read_text()
    conf = (tmp_path / "broker" / "mosquitto.conf").read_text()
    assert "listener 1999 0.0.0.0" in conf and "use_username_as_clientid true" in conf
    assert os.stat(tmp_path / "broker" / "server.password").st_mode & 0o077 == 0
    assert run("link", "disable", "GV0001").exit_code == 0
    run("broker", "config", "--out", "broker")
    assert "GV0001" not in (tmp_path / "broker" / "passwd").read_text()
    assert secret


def test_link_serve_runs_the_bridge_until_stopped(run, db_url, tmp_path):
    with Mosquitto({}) as broker:
        (tmp_path / "pw").write_text("server-test-password\n")
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "gridvend"), "link", "serve", "--db", db_url,
             "--broker-port", str(broker.server_port), "--password-file", str(tmp_path / "pw")],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=os.environ.copy(),
        )  # fmt: skip
        lines = []
        deadline = time.monotonic() + 60  # a loaded machine starts the CLI slowly
        assert process.stdout is not None
        while time.monotonic() < deadline and process.poll() is None:
            lines.append(process.stdout.readline().decode())
            if "connected to" in lines[-1]:
                break
        process.send_signal(signal.SIGTERM)
        output = "".join(lines) + process.communicate(timeout=20)[0].decode()
    assert process.returncode == 0, output
    assert "MQTT bridge to 127.0.0.1" in output and "connected to" in output
