"""The provisioning commands as a technician types them: results on success, and for every
bad input one clear line and a non-zero exit status, never a traceback."""

import csv
import os
import secrets
import shutil
import tty
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner

from gridvend.cli import cli
from host.provisioning.contents import image_files
from host.provisioning.device_config import ImageSettings, build_device_files
from host.provisioning.device_record import load_record, save_record
from host.provisioning.image import build_image, read_image
from host.provisioning.partitions import stock_vfs
from server.bootstrap import open_context
from server.domain.roles import Role
from server.services.context import Actor
from tests.provisioning.conftest import fake_firmware
from tests.provisioning.fake_device import FakeHandheld, node_missing
from tests.server import world
from tests.server.conftest import sqlite_template  # noqa: F401 - a fixture, found by name


def run(*args: str, env: dict | None = None):
    result = CliRunner().invoke(cli, list(args), env=env, catch_exceptions=True)
    assert "Traceback" not in result.output, result.output
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), repr(result.exception)
    return result


def one_error_line(result) -> str:
    lines = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1, result.output
    return lines[0]


@pytest.fixture
def store(tmp_path, record) -> Path:
    save_record(tmp_path / "devices", record)
    return tmp_path / "devices"


@pytest.fixture
def cache(cache_dir) -> str:
    return str(cache_dir)


@pytest.fixture
def server_db(sqlite_template, tmp_path, monkeypatch) -> str:  # noqa: F811 - the fixture above
    key = secrets.token_bytes(32)
    monkeypatch.setenv("GRIDVEND_MASTER_KEY", key.hex())
    path = tmp_path / "gridvend.db"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite:///{path}"
    ctx = open_context(url, master_key=key)
    world.build(ctx, Actor(kind="cli", name="test-admin", role=Role.ADMIN))
    ctx.dispose()
    return url


def test_image_build_writes_a_private_image_and_shows_the_generated_pin(store, cache, tmp_path):
    out = tmp_path / "hh.img"
    result = run(
        "image", "build", "--device", "HH-0001", "--out", str(out), "--flash-size", "8MB",
        "--wifi", "Shop:secret-pass", "--store", str(store), "--cache", cache,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert out.stat().st_size == 0x600000 and out.stat().st_mode & 0o777 == 0o600
    assert "vendor PIN for V001 on HH-0001:" in result.output
    files = read_image(out.read_bytes())
    assert b"Shop" in files["link.json"]
    shown = run("image", "show", str(out))
    assert shown.exit_code == 0 and "config.json" in shown.output and "layout files" in shown.output


def test_image_build_for_romfs_writes_both_images(store, cache, tmp_path):
    result = run(
        "image", "build", "--device", "HH-0001", "--out", str(tmp_path / "hh.img"),
        "--layout", "romfs", "--romfs", str(tmp_path / "code.romfs"),
        "--vendor-pin", "1234", "--store", str(store), "--cache", cache,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (tmp_path / "code.romfs").read_bytes().startswith(b"\xd2\xcd\x31")
    assert "vendor PIN" not in result.output


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--device", "HH-0404"], "device HH-0404 has no registration record"),
        (["--device", "HH-0001", "--layout", "romfs"], "--layout romfs needs --romfs FILE"),
        (["--device", "HH-0001", "--wifi", "nocolon"], "write it as SSID:PASSWORD"),
        (["--device", "HH-0001", "--vendor-pin", "12ab"], "vendor PIN: 4 to 8 digits"),
        (["--device", "HH-0001", "--broker", "tcp://x"], "mqtt://host"),
    ],
)
def test_image_build_refuses_bad_input_in_one_line(store, cache, tmp_path, args, says):
    result = run(
        "image", "build", *args, "--out", str(tmp_path / "x.img"), "--store", str(store),
        "--cache", cache,
    )  # fmt: skip
    assert result.exit_code == 1
    assert says in one_error_line(result)
    assert not (tmp_path / "x.img").exists()


def test_a_flash_size_that_does_not_exist_is_a_usage_error(store, tmp_path):
    result = run(
        "image", "build", "--device", "HH-0001", "--out", str(tmp_path / "x.img"),
        "--flash-size", "3MB", "--store", str(store),
    )  # fmt: skip
    assert result.exit_code == 2 and "'3MB' is not one of" in result.output


def test_image_show_refuses_what_is_not_an_image(tmp_path):
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x00" * 8192)
    result = run("image", "show", str(junk))
    assert result.exit_code == 1 and "not a littlefs image" in one_error_line(result)


def image_file(tmp_path, firmware, record) -> Path:
    config = build_device_files(record, ImageSettings(vendor_pin="2468")).as_files()
    path = tmp_path / "hh.img"
    path.write_bytes(build_image(image_files(firmware, config), stock_vfs("4MB")))
    return path


def test_flash_merge_writes_one_file(tmp_path, firmware, record):
    fw = tmp_path / "fw.bin"
    fw.write_bytes(fake_firmware("esp32s3"))
    image = image_file(tmp_path, firmware, record)
    out = tmp_path / "factory.bin"
    result = run(
        "flash", "--chip", "esp32s3", "--firmware", str(fw), "--image", str(image),
        "--merge", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    merged = out.read_bytes()
    assert merged[: len(fw.read_bytes())] == fw.read_bytes()
    assert merged[0x200000:] == image.read_bytes()
    assert "fw.bin at 0x0, hh.img at 0x200000" in result.output


def test_flash_needs_a_port_or_merge(tmp_path, firmware, record):
    fw = tmp_path / "fw.bin"
    fw.write_bytes(fake_firmware("esp32"))
    result = run(
        "flash", "--firmware", str(fw), "--image", str(image_file(tmp_path, firmware, record))
    )
    assert result.exit_code == 2 and "give --port" in result.output


def test_flash_to_a_missing_port_says_so(tmp_path, firmware, record):
    fw = tmp_path / "fw.bin"
    fw.write_bytes(fake_firmware("esp32"))
    result = run(
        "flash", "--port", "/dev/ttyUSB-gridvend-absent", "--firmware", str(fw),
        "--image", str(image_file(tmp_path, firmware, record)), "--connect-attempts", "1",
    )  # fmt: skip
    assert result.exit_code == 1
    assert "port /dev/ttyUSB-gridvend-absent does not exist" in one_error_line(result)


def test_flash_refuses_an_image_for_another_flash(tmp_path, firmware, record):
    fw = tmp_path / "fw.bin"
    fw.write_bytes(fake_firmware("esp32"))
    result = run(
        "flash", "--port", "/dev/null", "--firmware", str(fw),
        "--image", str(image_file(tmp_path, firmware, record)), "--flash-size", "16MB",
    )  # fmt: skip
    assert result.exit_code == 1 and "--flash-size" in one_error_line(result)


def test_device_verify_prints_a_table_and_its_exit_status_follows_it(tmp_path, firmware, record):
    if node_missing():
        pytest.fail(node_missing(), pytrace=False)
    image = image_file(tmp_path, firmware, record)
    files = read_image(image.read_bytes())
    with FakeHandheld(files) as board:
        good = run("device", "verify", "--port", board.port, "--image", str(image))
    assert good.exit_code == 0, good.output
    assert "HH-0001 on " + board.port in good.output
    assert good.output.count("PASS") >= 8 and "FAIL" not in good.output
    with FakeHandheld(files, hardware={"paper": False}) as board:
        bad = run("device", "verify", "--port", board.port, "--no-reset")
    assert bad.exit_code == 1
    assert "paper_out" in bad.output
    assert "1 of 8 checks failed: printer_status" in one_error_line(bad)


def test_device_register_on_the_server_machine_keeps_the_record(server_db, tmp_path):
    store = tmp_path / "devices"
    args = ["device", "register", "--agent", "AG1", "--name", "HH-0005", "--db", server_db]
    result = run(*args, "--store", str(store), "--broker", "mqtt://broker.example.org")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "HH-0005"
    record = load_record(store, "HH-0005")
    assert record.agent_code == "AG1" and record.broker_url == "mqtt://broker.example.org"
    again = run(*args, "--store", str(store))
    assert again.exit_code == 1 and "already registered" in one_error_line(again)


def test_device_register_must_be_told_where(tmp_path):
    result = run("device", "register", "--agent", "AG1")
    assert result.exit_code == 1 and "--server URL" in one_error_line(result)


def test_a_batch_on_boards_not_in_download_mode_fails_each_clearly_with_a_report(
    server_db, tmp_path, cache
):
    ports_dir = tmp_path / "ports"
    ports_dir.mkdir()
    fds = []
    for number in range(2):  # two silent serial ports: boards that never enter download mode
        master, slave = os.openpty()
        tty.setraw(slave)
        fds += [master, slave]
        (ports_dir / f"ttyUSB{number}").symlink_to(os.ttyname(slave))
    fw = tmp_path / "fw.bin"
    fw.write_bytes(fake_firmware("esp32"))
    (tmp_path / "devices.csv").write_text("agent,name\nAG1,HH-0101\nAG1,HH-0102\n")
    report = tmp_path / "report.csv"
    try:
        result = run(
            "provision", "--batch", str(tmp_path / "devices.csv"),
            "--port-glob", str(ports_dir / "ttyUSB*"), "--firmware", str(fw),
            "--db", server_db, "--broker", "mqtt://broker.example.org",
            "--report", str(report), "--connect-attempts", "1",
            "--store", str(tmp_path / "devices"), "--cache", cache,
        )  # fmt: skip
    finally:
        for fd in fds:
            os.close(fd)
    assert result.exit_code == 1
    assert "2 devices failed" in one_error_line(result)
    rows = list(csv.DictReader(report.open()))
    assert [(r["device_id"], r["result"], r["stage"]) for r in rows] == [
        ("HH-0101", "failed", "flash"),
        ("HH-0102", "failed", "flash"),
    ]
    assert all("did not enter download mode" in r["message"] for r in rows)
    assert [r["port"] for r in rows] == [str(ports_dir / "ttyUSB0"), str(ports_dir / "ttyUSB1")]
    assert load_record(tmp_path / "devices", "HH-0102").device_id == "HH-0102"  # for a retry


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ([], "give --port and --agent"),
        (["--batch", "{csv}"], "--batch needs --port-glob"),
        (["--port", "/dev/null", "--agent", "AG1", "--keep-secret"], "goes with --device"),
    ],
)
def test_provision_says_what_is_missing(tmp_path, args, says):
    fw = tmp_path / "fw.bin"
    fw.write_bytes(fake_firmware("esp32"))
    (tmp_path / "d.csv").write_text("agent\nAG1\n")
    args = [a.replace("{csv}", str(tmp_path / "d.csv")) for a in args]
    result = run("provision", "--firmware", str(fw), *args)
    assert result.exit_code == 2 and says in result.output


@pytest.mark.parametrize(
    "command", [["provision"], ["device", "register"], ["image", "build"], ["flash"]]
)
def test_every_option_is_declared_once(command):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = run(*command, "--help")
    assert result.exit_code == 0
    assert not [w for w in caught if "used more than once" in str(w.message)]
