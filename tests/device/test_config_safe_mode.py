"""Boot (device/main.py): safe mode instead of a crash loop, and a normal start.

Runs on CPython with the MicroPython fakes (tests/device/conftest.py installs them):
the fake machine module gives pins, buses, a UART with a printer model on it and a
watchdog that records whether it was started.
"""

import asyncio
import json

import machine
import main
from journal import records as R

from host.device_sim.thermal_printer import ThermalPrinter
from tests.device.vendkit import GOOD_METER, PIN, raw_config


class Screen:
    def __init__(self):
        self.screens = []

    def show(self, lines):
        self.screens.append(list(lines))

    def text(self):
        return " ".join(self.screens[-1])


def _write_config(root, **changes):
    (root / "config.json").write_text(json.dumps(raw_config(**changes)))


def test_missing_config_means_safe_mode_with_the_reason_and_no_watchdog(tmp_path):
    screen = Screen()
    assert main.boot(str(tmp_path), screen) is None
    text = screen.text()
    assert "SAFE MODE" in text
    assert "no config file at" in text
    assert machine._board.wdt is None  # nothing will reset the device: the REPL stays up


def test_a_bad_field_is_named_on_the_screen(tmp_path):
    _write_config(tmp_path, amount_min=0)
    screen = Screen()
    assert main.boot(str(tmp_path), screen) is None
    assert "amount_min" in screen.text()
    assert "between 1 and" in screen.text()


def test_broken_json_is_reported(tmp_path):
    (tmp_path / "config.json").write_text("{device_id: HH0042")
    screen = Screen()
    assert main.boot(str(tmp_path), screen) is None
    assert "not valid JSON" in screen.text()


def test_repeated_crashes_stop_in_safe_mode_instead_of_restarting(tmp_path):
    _write_config(tmp_path)
    (tmp_path / "crashes").write_text("3")
    screen = Screen()
    assert main.boot(str(tmp_path), screen) is None
    assert "Crashed 3 times in a row" in screen.text()


def test_a_crash_is_recorded_and_the_device_restarts(tmp_path):
    _write_config(tmp_path)

    class Broken(Exception):
        pass

    async def explode(self):
        raise Broken("bug")

    original = main.Handheld.run
    main.Handheld.run = explode
    try:
        main.main(str(tmp_path))
    except machine.Reset:
        pass
    else:
        raise AssertionError("the device did not restart")
    finally:
        main.Handheld.run = original
    assert (tmp_path / "crashes").read_text() == "1"
    assert "Broken" in (tmp_path / "last_error.txt").read_text()


def test_the_saved_language_wins_over_the_config(tmp_path):
    _write_config(tmp_path)
    (tmp_path / "language").write_text("sw")
    screen = Screen()
    handheld = main.boot(str(tmp_path), screen)
    try:
        handheld.flow.start()
        assert "Ingia" in screen.text()
    finally:
        main.i18n.set_language("en")


def test_a_sale_from_boot_to_printed_slip_with_the_tasks_running(tmp_path):
    _write_config(tmp_path)
    screen = Screen()
    handheld = main.boot(str(tmp_path), screen)
    printer = ThermalPrinter(handheld.printer.uart)

    async def scenario():
        task = asyncio.create_task(handheld.run())
        await asyncio.sleep(0.05)
        assert "Vendor login" in screen.text()
        for key in PIN + "#1" + GOOD_METER + "#500##":
            handheld.flow.on_key(key, False)
        for _ in range(300):  # the slip goes out in paced chunks
            await asyncio.sleep(0.05)
            if handheld.journal.state(1) >= R.PRINTED_STATE:
                break
        task.cancel()

    asyncio.run(scenario())
    assert handheld.journal.state(1) >= R.PRINTED_STATE
    slips = printer.take_slips()
    assert len(slips) == 1
    assert b"6007 2700 0000 0000 09" in slips[0]
    assert machine._board.wdt is not None and machine._board.wdt.feeds > 0
