"""Provisioning end to end: register on a real server (API in-process), build the image,
"flash" it onto fake handhelds (real MicroPython on ptys; the esptool step is replaced by
writing the image's files onto the board, since no chip is here), verify with the real
mpremote. A batch CSV goes through in turn, with a report; failures keep the record."""

import csv
import secrets
import shutil
from contextlib import ExitStack
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from host.provisioning.device_config import ImageSettings
from host.provisioning.device_record import load_record
from host.provisioning.errors import ProvisioningError
from host.provisioning.image import read_image
from host.provisioning.provision import (
    Bench,
    DeviceOrder,
    ports_matching,
    read_orders,
    write_report,
)
from host.provisioning.registration import ApiRegistrar
from server.api.app import create_app
from server.bootstrap import open_context
from server.domain.roles import Role
from server.services import operators
from server.services.context import Actor
from tests.provisioning.conftest import fake_firmware
from tests.provisioning.fake_device import FakeHandheld, node_missing
from tests.server import world
from tests.server.conftest import sqlite_template  # noqa: F401 - a fixture, found by name

PASSWORD = "correct horse battery"
SETTINGS = ImageSettings(broker_url="mqtt://broker.example.org", vendor_pin="2468")


@pytest.fixture
def registrar(sqlite_template, tmp_path, monkeypatch):  # noqa: F811 - the fixture above
    key = secrets.token_bytes(32)
    monkeypatch.setenv("GRIDVEND_MASTER_KEY", key.hex())
    path = tmp_path / "gridvend.db"
    shutil.copyfile(sqlite_template, path)
    ctx = open_context(f"sqlite:///{path}", master_key=key)
    admin = Actor(kind="cli", name="test-admin", role=Role.ADMIN)
    world.build(ctx, admin)
    operators.create_operator(ctx, admin, username="tech1", password=PASSWORD, role=Role.ADMIN)
    with TestClient(create_app(ctx)) as client:
        yield ApiRegistrar.log_in("http://testserver", "tech1", PASSWORD, client=client)
    ctx.dispose()


@pytest.fixture
def firmware_file(tmp_path) -> Path:
    path = tmp_path / "ESP32_GENERIC.bin"
    path.write_bytes(fake_firmware("esp32"))
    return path


@pytest.fixture
def boards():
    """Three blank fake handhelds; flash_onto() is the bench's flasher for them."""
    problem = node_missing()
    if problem:
        pytest.fail(problem, pytrace=False)
    with ExitStack() as stack:
        found = [stack.enter_context(FakeHandheld({})) for _ in range(3)]
        yield {board.port: board for board in found}


def flasher_for(boards, flashed: list):
    def flash_onto(plan, port, baud, on_progress=None, connect_attempts=None):
        image = plan.image.read_bytes()
        assert plan.image.stat().st_mode & 0o777 == 0o600  # it holds the secret
        boards[port].reflash(read_image(image))
        flashed.append((port, plan.vfs.offset, len(image)))
        if on_progress:
            on_progress(len(image), len(image))

    return flash_onto


def make_bench(registrar, firmware_file, boards, flashed, tmp_path, **kwargs) -> Bench:
    return Bench(
        registrar,
        firmware_file,
        "esp32",
        "4MB",
        store=tmp_path / "devices",
        flasher=flasher_for(boards, flashed),
        **kwargs,
    )


def test_one_handheld_is_registered_flashed_and_verified(
    registrar, firmware_file, boards, tmp_path
):
    flashed = []
    bench = make_bench(registrar, firmware_file, boards, flashed, tmp_path)
    port = next(iter(boards))
    stages = []
    result = bench.provision(port, DeviceOrder("AG1", "HH-0001", settings=SETTINGS), stages.append)
    assert result.ok, result.message
    assert stages == ["register", "image", "flash", "verify"]
    assert flashed == [(port, 0x200000, 0x200000)]
    assert result.device_id == "HH-0001" and result.stage == "done"
    assert {c.name for c in result.checks} >= {"device id", "firmware", "config", "journal"}
    assert all(c.ok for c in result.checks)
    assert result.vendor_pin is None  # given, not generated
    assert not (tmp_path / "devices" / "HH-0001.json").exists()  # the secret is on the device only


def test_a_batch_goes_round_the_ports_and_reports_each_device(
    registrar, firmware_file, boards, tmp_path
):
    rows = "agent,name,language,vendor_pin\nAG1,HH-0001,fr,\nAG1,HH-0002,,1357\nNOBODY,HH-0003,,\n"
    (tmp_path / "devices.csv").write_text(rows)
    orders = read_orders(tmp_path / "devices.csv", SETTINGS)
    flashed = []
    bench = make_bench(registrar, firmware_file, boards, flashed, tmp_path)
    ports = list(boards)
    results = bench.provision_batch(orders, ports[:2], between_rounds=lambda n: None)
    assert [r.ok for r in results] == [True, True, False]
    assert [r.port for r in results] == [ports[0], ports[1], ports[0]]
    assert [r.row for r in results] == [2, 3, 4]
    assert results[2].stage == "register" and "vendor NOBODY does not exist" in results[2].message
    assert results[0].vendor_pin is None and results[1].vendor_pin is None
    report = tmp_path / "report.csv"
    write_report(report, results)
    assert report.stat().st_mode & 0o777 == 0o600
    lines = list(csv.DictReader(report.open()))
    assert [line["result"] for line in lines] == ["ok", "ok", "failed"]
    assert lines[0]["device_id"] == "HH-0001" and lines[0]["firmware_sha256"]
    assert len(flashed) == 2


def test_a_failure_after_registering_keeps_the_record_for_a_retry(
    registrar, firmware_file, boards, tmp_path
):
    port = next(iter(boards))
    faulty = {port: boards[port]}
    boards[port].hardware = {"paper": False}  # the printer step fails after flashing
    flashed = []
    bench = make_bench(registrar, firmware_file, faulty, flashed, tmp_path)
    result = bench.provision(port, DeviceOrder("AG1", "HH-0007", settings=SETTINGS))
    assert not result.ok and result.stage == "verify"
    assert "printer_status: paper_out" in result.message
    assert "--device HH-0007" in result.message
    record = load_record(tmp_path / "devices", "HH-0007")
    boards[port].hardware = {}
    again = bench.provision(port, DeviceOrder(device="HH-0007", settings=SETTINGS))
    assert again.ok, again.message
    assert again.device_id == record.device_id
    # With the server at hand, re-provisioning issued a new secret, kept in the store.
    reissued = load_record(tmp_path / "devices", "HH-0007")
    assert (record.generation, reissued.generation) == (1, 2)
    assert reissued.secret_hex != record.secret_hex and reissued.seq_floor == 0


def test_without_the_server_a_stored_record_is_flashed_as_it_is(
    registrar, firmware_file, boards, tmp_path
):
    from host.provisioning.device_record import save_record

    record = registrar.register("AG1", "HH-0008")
    save_record(tmp_path / "devices", record)
    port = next(iter(boards))
    flashed = []
    bench = make_bench(None, firmware_file, boards, flashed, tmp_path)
    result = bench.provision(port, DeviceOrder(device="HH-0008", settings=SETTINGS))
    assert result.ok, result.message
    assert load_record(tmp_path / "devices", "HH-0008") == record


def test_a_missing_port_costs_no_registration(registrar, firmware_file, tmp_path):
    bench = Bench(registrar, firmware_file, "esp32", "4MB", store=tmp_path / "devices")
    result = bench.provision("/dev/ttyUSB-gridvend-absent", DeviceOrder("AG1", "HH-0009"))
    assert not result.ok and result.stage == "check"
    assert "does not exist" in result.message
    retry = registrar.register("AG1", "HH-0009")  # the name is still free
    assert retry.device_id == "HH-0009"


def test_a_firmware_without_a_partition_table_is_refused_before_anything(tmp_path):
    firmware = tmp_path / "app-only.bin"
    firmware.write_bytes(b"\xe9" + bytes(100_000))
    with pytest.raises(ProvisioningError) as err:
        Bench(None, firmware, "esp32", "4MB")
    assert err.value.kind == "bad_firmware"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("name\nHH-1\n", "at least 'agent'"),
        ("agent,colour\nAG1,red\n", "unknown column 'colour'"),
        ("agent,name\n,HH-1\n", "line 2: no agent"),
        ("agent\n\n", "lists no devices"),
    ],
)
def test_a_bad_batch_file_is_refused_naming_the_problem(tmp_path, text, says):
    (tmp_path / "devices.csv").write_text(text)
    with pytest.raises(ProvisioningError) as err:
        read_orders(tmp_path / "devices.csv", SETTINGS)
    assert err.value.kind == "bad_batch" and says in str(err.value)


def test_ports_are_taken_in_natural_order(tmp_path):
    for name in ("ttyUSB10", "ttyUSB2", "ttyUSB1", "ttyACM0"):
        (tmp_path / name).touch()
    assert [Path(p).name for p in ports_matching(str(tmp_path / "ttyUSB*"))] == [
        "ttyUSB1",
        "ttyUSB2",
        "ttyUSB10",
    ]
