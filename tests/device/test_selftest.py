"""The board self-test on the simulated handheld: each step passes, and fails for its reason."""

import asyncio
import re
from pathlib import Path

import pytest
import selftest

from host.device_sim.hardware import Handheld

BRINGUP = Path(__file__).resolve().parents[2] / "hardware" / "bringup.md"


@pytest.fixture(autouse=True)
def quick_frames(monkeypatch):
    monkeypatch.setattr(selftest, "FRAME_MS", 0)
    monkeypatch.setattr(selftest, "KEY_TIMEOUT_MS", 3000)


def board_for(handheld, **extra):
    board = handheld.drivers()
    board["journal_check"] = lambda: (True, "record written, read back, removed; 1.2 MB free")
    board["device_id"] = "HH0042"
    board.update(extra)
    return board


def by_name(results):
    return {name: (ok, detail) for name, ok, detail in results}


def test_steps_are_the_ones_bringup_md_lists_in_its_order():
    section = BRINGUP.read_text(encoding="utf-8").split("## 10. Firmware self-test", 1)[1]
    listed = re.findall(r"^\| `([a-z_]+)` \|", section.split("\n## ", 1)[0], re.MULTILINE)
    assert list(selftest.STEPS) == listed


def test_a_healthy_board_passes_every_step():
    handheld = Handheld()
    results = selftest.run(board_for(handheld))
    assert [name for name, _ok, _detail in results] == list(selftest.STEPS)
    assert all(ok for _name, ok, _detail in results), selftest.report(results)
    detail = by_name(results)["modem_at"][1]
    assert detail == "IMEI 867530012345678, SIM ready, signal 18, registered"
    assert any("#" in row for row in handheld.oled.rows())


def test_each_fault_fails_its_own_step_and_the_others_still_run():
    handheld = Handheld()
    handheld.keys.press("5")
    handheld.printer.paper = False
    handheld.modem.sim_inserted = False
    results = by_name(
        selftest.run(board_for(handheld, journal_check=lambda: (False, "CRC mismatch")))
    )
    assert results["display"][0]
    assert results["keypad_scan"] == (False, "reads pressed with no one touching it: 5")
    assert results["printer_status"] == (False, "paper_out")
    assert results["modem_at"][0] is False and "SIM missing or locked" in results["modem_at"][1]
    assert results["journal"] == (False, "CRC mismatch")


def test_weak_signal_or_no_registration_fails_the_modem_step():
    handheld = Handheld()
    handheld.modem.rssi = 7
    assert by_name(selftest.run(board_for(handheld)))["modem_at"][0] is False
    handheld.modem.rssi = 20
    handheld.modem.registration = 0
    assert by_name(selftest.run(board_for(handheld)))["modem_at"][0] is False


def test_a_missing_part_or_a_crashing_check_is_reported_not_raised():
    handheld = Handheld()
    board = board_for(handheld)
    del board["modem"]

    def broken():
        raise OSError(5, "EIO")

    board["journal_check"] = broken
    results = by_name(selftest.run(board))
    assert results["modem_at"] == (False, "modem not provided")
    assert results["journal"] == (False, "OSError: [Errno 5] EIO")


def test_an_async_journal_check_is_awaited():
    async def check():
        await asyncio.sleep(0)
        return True, "ok async"

    results = by_name(selftest.run(board_for(Handheld(), journal_check=check)))
    assert results["journal"] == (True, "ok async")


def test_a_display_that_does_not_answer_fails_the_display_step():
    handheld = Handheld()
    board = board_for(handheld)
    del handheld.i2c.devices[0x3C]  # unplugged after boot
    assert by_name(selftest.run(board))["display"] == (False, "no answer on I2C at 0x3c")


def test_print_test_prints_a_slip_and_watches_the_battery():
    handheld = Handheld(battery_mv=7800)
    results = by_name(selftest.run(board_for(handheld, print_test=True, battery_low_mv=6800)))
    ok, detail = results["printer_status"]
    assert ok and "battery lowest 7800 mV" in detail
    slips = handheld.printer.take_slips()
    assert len(slips) == 1 and b"HH0042" in slips[0]
    handheld.set_battery_mv(6500)
    results = by_name(selftest.run(board_for(handheld, print_test=True, battery_low_mv=6800)))
    assert results["printer_status"][0] is False


def operator(handheld, keys):
    """A task pressing keys one after another, as the person doing the bring-up would."""

    async def press_all():
        await asyncio.sleep(0.05)
        for key in keys:
            handheld.keys.press(key)
            await asyncio.sleep(0.15)
            handheld.keys.release(key)
            await asyncio.sleep(0.1)

    return press_all


def run_interactive(handheld, keys):
    board = board_for(handheld)

    async def main():
        presser = asyncio.create_task(operator(handheld, keys)())
        results = await selftest.run_async(board, interactive=True)
        presser.cancel()
        return by_name(results)

    return asyncio.run(main())


def test_interactive_keypad_test_passes_when_every_key_comes_in_order():
    handheld = Handheld()
    results = run_interactive(handheld, "#" + "123A456B789C*0#D")
    assert results["display"] == (True, "frames confirmed by the operator")
    assert results["keypad_scan"] == (True, "all 16 keys in order")


def test_interactive_keypad_test_names_the_key_out_of_order():
    handheld = Handheld()
    results = run_interactive(handheld, "#" + "124")
    assert results["keypad_scan"] == (False, "expected 3, got 4")


def test_report_has_one_pass_or_fail_line_per_step():
    text = selftest.report([("display", True, "ok"), ("journal", False, "CRC mismatch")])
    assert text == "PASS display: ok\nFAIL journal: CRC mismatch"


def test_main_builds_the_board_from_board_py_and_prints_the_report(capsys):
    Handheld()
    assert selftest.main(journal_check=lambda: (True, "fine")) is True
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == [f"PASS {name}" for name in selftest.STEPS]


def test_a_part_that_cannot_be_built_says_why():
    handheld = Handheld()
    del handheld.i2c.devices[0x3C]
    board = selftest.build_board()
    assert "display" not in board
    board["journal_check"] = lambda: (True, "fine")
    ok, detail = by_name(selftest.run(board))["display"]
    assert not ok and detail == "display could not be set up: OSError: [Errno 19] ENODEV"
