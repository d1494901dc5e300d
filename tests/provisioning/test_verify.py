"""`verify` end to end: the real mpremote, over a real pseudo-terminal, driving a fake handheld
that runs real MicroPython on the files of a real image (tests/provisioning/fake_device).

The fake board logs the protocol it was spoken to, so these tests also show mpremote used
the raw REPL, raw-paste mode and soft reset, and that verify reset the board at the end.
"""

import os
import tty

import pytest
import serial
from mpremote.transport import TransportExecError
from mpremote.transport_serial import SerialTransport

from host.provisioning.contents import device_code, image_files, romfs_image, tree_hash
from host.provisioning.device_config import ImageSettings, build_device_files
from host.provisioning.errors import ProvisioningError
from host.provisioning.firmware_rules import device_module
from host.provisioning.image import build_image, read_image
from host.provisioning.partitions import stock_vfs
from host.provisioning.verify import Expected, verify
from tests.provisioning.fake_device import FakeHandheld, node_missing

READBACK = ["device id", "firmware", "config"]


@pytest.fixture(scope="module")
def flashed(firmware, record):
    """The files of a 4 MB image as the board's flash would hold them after flashing."""
    problem = node_missing()
    if problem:
        pytest.fail(problem, pytrace=False)
    config = build_device_files(record, ImageSettings(vendor_pin="2468")).as_files()
    return read_image(build_image(image_files(firmware, config), stock_vfs("4MB")))


def expected_for(files, firmware, record):
    config = {name: files[name] for name in ("config.json", "link.json")}
    return Expected(record.device_id, firmware.sha256, tree_hash(config))


def by_name(result):
    return {check.name: check for check in result.checks}


def test_a_good_board_passes_every_check_through_the_real_mpremote(
    flashed, firmware, record, tmp_path
):
    log = tmp_path / "protocol.log"
    seen = []
    with FakeHandheld(flashed, log=log) as board:
        result = verify(board.port, expected_for(flashed, firmware, record), on_check=seen.append)
        events = board.events(until="hard-reset")
    steps = list(device_module("selftest.py").STEPS)
    assert [check.name for check in result.checks] == READBACK + steps
    assert result.passed, [c for c in result.checks if not c.ok]
    assert seen == result.checks  # reported as they came
    assert result.device_id == "HH-0001"
    assert result.firmware_sha256 == firmware.sha256
    checks = by_name(result)
    assert checks["modem_at"].detail == "IMEI 867530012345678, SIM ready, signal 18, registered"
    assert checks["firmware"].detail.startswith(f"v{firmware.version} {firmware.sha256[:12]}")
    assert events[:2] == ["raw", "soft-reset"]  # mpremote's entry: raw REPL, soft reset
    assert "raw-paste" in events  # ... and it sent the probe in raw-paste mode
    assert events[-1] == "hard-reset"  # verify handed the board back to its firmware


def test_each_hardware_fault_fails_its_own_step_with_the_firmwares_reason(flashed):
    faults = {"paper": False, "stuck_key": "5", "sim": False}
    with FakeHandheld(flashed, hardware=faults) as board:
        result = verify(board.port)
    checks = by_name(result)
    assert not result.passed
    assert {c.name for c in result.failed} == {"printer_status", "keypad_scan", "modem_at"}
    assert checks["printer_status"].detail == "paper_out"
    assert checks["keypad_scan"].detail == "reads pressed with no one touching it: 5"
    assert "SIM missing or locked" in checks["modem_at"].detail
    assert checks["display"].ok and checks["journal"].ok


def test_a_missing_oled_fails_the_display_step(flashed):
    with FakeHandheld(flashed, hardware={"oled": False}) as board:
        result = verify(board.port, reset=False)
    assert [c.name for c in result.failed] == ["display"]
    assert (
        by_name(result)["display"].detail
        == "display could not be set up: OSError: [Errno 19] ENODEV"
    )


def test_files_changed_on_the_device_fail_the_readback(flashed, firmware, record):
    files = dict(flashed)
    files["config.json"] = files["config.json"].replace(b'"en"', b'"fr"')
    files["drivers/printer.py"] = b"# a stray source file MicroPython would import first\n"
    del files["receipts/slip.mpy"]
    with FakeHandheld(files) as board:
        result = verify(board.port, expected_for(flashed, firmware, record), reset=False)
    checks = by_name(result)
    assert checks["device id"].ok
    assert (
        not checks["config"].ok and "changed since the image was built" in checks["config"].detail
    )
    assert not checks["firmware"].ok
    assert "missing: receipts/slip.mpy" in checks["firmware"].detail
    assert "not in image: drivers/printer.py" in checks["firmware"].detail
    # MicroPython imports the stray .py before the .mpy: the self-test cannot even start.
    assert not checks["self-test"].ok
    assert checks["self-test"].detail.startswith("could not run: ImportError")


def test_a_board_holding_other_firmware_than_expected_fails(flashed, record):
    other = Expected(record.device_id, "ab" * 32, None)
    with FakeHandheld(flashed) as board:
        result = verify(board.port, other, reset=False)
    check = by_name(result)["firmware"]
    assert not check.ok and check.detail.endswith("expected abababababab")


def test_another_devices_id_fails(flashed):
    with FakeHandheld(flashed) as board:
        result = verify(board.port, Expected(device_id="HH-9999"), reset=False)
    assert by_name(result)["device id"].detail == "HH-0001, expected HH-9999"
    assert not result.passed


def test_umqtt_from_the_image_runs_under_micropython(flashed):
    with FakeHandheld(flashed) as board:
        transport = SerialTransport(board.port, baudrate=115200, timeout=5)
        try:
            transport.enter_raw_repl()
            out = transport.exec(
                "from umqtt.robust import MQTTClient\n"
                "c = MQTTClient('HH-0001', 'broker.example.org', user='u', password='p')\n"
                "try:\n    c.connect()\nexcept OSError as e:\n    print('offline', e)\n"
            )
        finally:
            transport.close()
    assert out.strip() == b"offline -202"  # the module loaded, ran, and met no network


def test_a_port_with_no_micropython_behind_it_says_so():
    master, slave = os.openpty()
    tty.setraw(slave)
    try:
        with pytest.raises(ProvisioningError) as err:
            verify(os.ttyname(slave), read_timeout_s=0.5, enter_timeout_s=1)
    finally:
        os.close(master)
        os.close(slave)
    assert err.value.kind == "no_repl"
    assert "does not answer at MicroPython's REPL" in str(err.value)


def test_a_missing_port_says_so():
    with pytest.raises(ProvisioningError) as err:
        verify("/dev/ttyUSB-gridvend-absent")
    assert err.value.kind == "port_missing"


def test_a_port_another_program_holds_is_busy(flashed):
    with FakeHandheld(flashed) as board:
        holder = serial.Serial(board.port, exclusive=True)
        try:
            with pytest.raises(ProvisioningError) as err:
                verify(board.port)
        finally:
            holder.close()
    assert err.value.kind == "port_busy"


def test_a_board_running_its_code_from_romfs_passes_and_is_hashed_through_rom(firmware, record):
    config = build_device_files(record, ImageSettings(vendor_pin="2468")).as_files()
    files = read_image(build_image(image_files(firmware, config, "romfs"), stock_vfs("4MB")))
    code = device_code(firmware, "romfs")
    with FakeHandheld(files, romfs=romfs_image(firmware)) as board:
        result = verify(board.port, Expected(record.device_id, tree_hash(code)), reset=False)
    assert result.passed, result.failed
    assert by_name(result)["firmware"].detail.endswith("files (code in /rom)")
    assert result.firmware_sha256 == tree_hash(code)


def test_the_fake_board_speaks_plain_raw_mode_errors_and_sys_exit_like_the_esp32(flashed, tmp_path):
    log = tmp_path / "protocol.log"
    with FakeHandheld(flashed, log=log) as board:
        transport = SerialTransport(board.port, baudrate=115200, timeout=5)
        try:
            transport.enter_raw_repl()
            transport.use_raw_paste = False  # what mpremote does for boards without it
            assert transport.exec("print(6 * 7)") == b"42\r\n"  # \n goes out as \r\n
            with pytest.raises(TransportExecError) as err:
                transport.exec("import os\n\ndef f():\n    raise OSError(5)\n\nf()")
            assert err.value.error_output == (
                'Traceback (most recent call last):\r\n  File "<stdin>", line 6, in <module>\r\n'
                '  File "<stdin>", line 4, in f\r\nOSError: [Errno 5] EIO\r\n'
            )
            assert transport.exec("import sys\nsys.exit()") == b""
            # sys.exit() ended in a soft reset: a fresh interpreter, the flash kept
            assert transport.exec("print('os' in dir())") == b"False\r\n"
            assert transport.exec("print(open('/config.json').read()[:14])").startswith(
                b'{"amount_max"'
            )
        finally:
            transport.close()
        events = board.events()
    assert "raw-paste" not in events
    assert events.count("soft-reset") == 2  # entering, and after sys.exit()


def test_a_board_without_its_config_fails_that_check_and_still_runs_the_self_test(flashed):
    files = {name: data for name, data in flashed.items() if name != "config.json"}
    with FakeHandheld(files) as board:
        result = verify(board.port, reset=False)
    checks = by_name(result)
    assert not checks["device id"].ok and "config.json" in checks["device id"].detail
    assert not checks["config"].ok and checks["config"].detail == "missing: config.json"
    assert checks["firmware"].ok
    assert all(checks[step].ok for step in device_module("selftest.py").STEPS)
