"""Keypad scan on fake Pins wired through a model of the membrane matrix."""

import asyncio

import machine
import pytest
from keypad import Keypad

from host.device_sim.fakes import time as fake_time
from host.device_sim.keypad_matrix import KeyMatrix

ROWS = (4, 13, 14, 15)
COLS = (34, 35, 39, 32)


def build(**kwargs):
    rows = [machine.Pin(n, machine.Pin.OPEN_DRAIN, value=1) for n in ROWS]
    cols = [machine.Pin(n, machine.Pin.IN) for n in COLS]  # pulled up on the board
    matrix = KeyMatrix(rows, cols)
    options = {"debounce_ms": 30, "long_ms": 800, "settle_us": 0}
    options.update(kwargs)
    return matrix, Keypad(rows, cols, **options)


class Scanner:
    """Drives keypad.scan() at 10 ms steps of device time, from any start tick."""

    def __init__(self, keypad, start=0):
        self.keypad = keypad
        self.now = start

    def run(self, ms):
        for _ in range(ms // 10):
            self.keypad.scan(self.now)
            self.now = fake_time.ticks_add(self.now, 10)

    def events(self):
        out = []
        while (event := self.keypad.get_nowait()) is not None:
            out.append(event)
        return out


def test_a_short_press_is_reported_on_release():
    matrix, keypad = build()
    scan = Scanner(keypad)
    matrix.press("5")
    scan.run(200)
    assert scan.events() == []
    assert keypad.pressed() == "5"
    matrix.release("5")
    scan.run(100)
    assert scan.events() == [("5", False)]


def test_every_key_of_the_layout_maps_to_its_position():
    matrix, keypad = build()
    scan = Scanner(keypad)
    for key in "123A456B789C*0#D":
        matrix.press(key)
        scan.run(100)
        matrix.release(key)
        scan.run(100)
        assert scan.events() == [(key, False)], key


def test_contact_bounce_gives_one_event_and_a_glitch_gives_none():
    matrix, keypad = build()
    scan = Scanner(keypad)
    for _ in range(4):  # bouncing for 80 ms on the way down
        matrix.press("7")
        scan.run(10)
        matrix.release("7")
        scan.run(10)
    matrix.press("7")
    scan.run(150)
    matrix.release("7")
    scan.run(100)
    assert scan.events() == [("7", False)]
    matrix.press("8")
    scan.run(20)  # shorter than the debounce time
    matrix.release("8")
    scan.run(100)
    assert scan.events() == []


def test_a_long_press_is_reported_once_while_held_and_not_on_release():
    matrix, keypad = build()
    scan = Scanner(keypad)
    matrix.press("*")
    scan.run(700)
    assert scan.events() == []
    scan.run(200)
    assert scan.events() == [("*", True)]
    scan.run(2000)
    matrix.release("*")
    scan.run(100)
    assert scan.events() == []


def test_two_keys_held_together_are_both_reported():
    matrix, keypad = build()
    scan = Scanner(keypad)
    matrix.press("1")
    scan.run(100)
    matrix.press("6")  # another row and column: no ghost possible
    scan.run(100)
    matrix.release("1")
    scan.run(100)
    matrix.release("6")
    scan.run(100)
    assert scan.events() == [("1", False), ("6", False)]
    assert matrix.shorts == 0


def test_two_keys_on_one_column_do_not_short_the_rows():
    matrix, keypad = build()
    scan = Scanner(keypad)
    matrix.press("2", "5")  # column 1, rows 0 and 1
    scan.run(100)
    assert keypad.pressed() == "25"
    assert matrix.shorts == 0


def test_the_matrix_model_does_catch_rows_driven_push_pull():
    # The check above can fail: with push-pull rows the same keys short two outputs.
    rows = [machine.Pin(n, machine.Pin.OUT, value=1) for n in ROWS]
    cols = [machine.Pin(n, machine.Pin.IN) for n in COLS]
    matrix = KeyMatrix(rows, cols)
    keypad = Keypad(rows, cols, settle_us=0)
    matrix.press("2", "5")
    keypad.read_raw()
    assert matrix.shorts > 0


def test_a_ghost_from_three_keys_in_a_rectangle_is_never_reported():
    matrix, keypad = build()
    scan = Scanner(keypad)
    matrix.press("1", "2")
    scan.run(100)
    matrix.press("4")  # 1, 2, 4 pressed: 5 reads as pressed too
    assert keypad.read_raw() & (1 << 5)  # the ghost is really there on the wires
    scan.run(2000)
    matrix.release()
    scan.run(100)
    events = scan.events()
    assert ("5", False) not in events and ("5", True) not in events
    assert ("4", False) not in events  # its press was ambiguous: better lost than wrong
    assert set(events) == {("1", True), ("2", True)}


def test_timing_is_right_across_the_tick_counter_wrap():
    matrix, keypad = build()
    start = fake_time.TICKS_MAX - 400  # the counter wraps 400 ms in
    scan = Scanner(keypad, start)
    scan.run(100)
    matrix.press("0")
    scan.run(500)  # held across the wrap: 500 ms, not a long press yet
    assert scan.events() == []
    assert scan.now < start  # the counter did wrap
    scan.run(400)
    assert scan.events() == [("0", True)]
    matrix.release("0")
    matrix.press("9")
    scan.run(100)
    matrix.release("9")
    scan.run(100)
    assert scan.events() == [("9", False)]


def test_the_ring_keeps_eight_events_and_counts_what_it_drops():
    matrix, keypad = build()
    scan = Scanner(keypad)
    for key in "123456789":
        matrix.press(key)
        scan.run(60)
        matrix.release(key)
        scan.run(60)
    assert keypad.dropped == 1
    assert [key for key, _ in scan.events()] == list("12345678")


def test_events_are_preallocated_tuples():
    matrix, keypad = build()
    scan = Scanner(keypad)
    seen = []
    for _ in range(2):
        matrix.press("B")
        scan.run(60)
        matrix.release("B")
        scan.run(60)
        seen.extend(scan.events())
    assert seen[0] == ("B", False) and seen[0] is seen[1]


def test_layout_must_match_the_pins():
    rows = [machine.Pin(n) for n in ROWS]
    with pytest.raises(ValueError, match="12 keys for 4x4"):
        Keypad(rows, [machine.Pin(n) for n in COLS], layout="123456789*0#")


def test_the_scan_task_delivers_events_to_an_awaiting_consumer():
    matrix, keypad = build(period_ms=5)

    async def main():
        task = asyncio.create_task(keypad.run())
        waiter = asyncio.create_task(keypad.get())
        matrix.press("#")
        await asyncio.sleep(0.1)
        matrix.release("#")
        event = await asyncio.wait_for(waiter, 1)
        task.cancel()
        return event

    assert asyncio.run(main()) == ("#", False)
