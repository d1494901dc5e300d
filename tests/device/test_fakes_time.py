"""The time fake keeps MicroPython's semantics: by its rules, and next to real MicroPython."""

import json
import random

import pytest

from host.device_sim.fakes import time as fake_time
from tests.device.test_under_micropython import run_micropython

PERIOD = 1 << 30
EPOCH_1970_TO_2000 = 946684800


def test_the_period_is_2_to_the_30_as_on_the_esp32():
    assert fake_time.TICKS_PERIOD == PERIOD
    assert fake_time.ticks_add(fake_time.TICKS_MAX, 1) == 0
    assert fake_time.ticks_add(0, -1) == PERIOD - 1


def test_ticks_diff_is_signed_and_wraps():
    assert fake_time.ticks_diff(5, 3) == 2
    assert fake_time.ticks_diff(3, 5) == -2
    assert fake_time.ticks_diff(2, PERIOD - 3) == 5  # across the wrap, forward
    assert fake_time.ticks_diff(PERIOD - 3, 2) == -5
    assert fake_time.ticks_diff(PERIOD // 2, 0) == -(PERIOD // 2)  # half a period: negative
    assert fake_time.ticks_diff(PERIOD // 2 - 1, 0) == PERIOD // 2 - 1


def test_ticks_add_refuses_a_delta_ticks_diff_could_not_undo():
    with pytest.raises(OverflowError):
        fake_time.ticks_add(0, PERIOD // 2)
    with pytest.raises(OverflowError):
        fake_time.ticks_add(0, -(PERIOD // 2))
    assert fake_time.ticks_add(0, PERIOD // 2 - 1) == PERIOD // 2 - 1


def test_ticks_arguments_must_be_ints():
    with pytest.raises(TypeError):
        fake_time.ticks_diff(1.5, 0)


def test_ticks_ms_starts_where_asked_and_wraps_with_the_frozen_clock():
    fake_time.clock.reset(ticks_start_ms=PERIOD - 5)
    fake_time.clock.freeze()
    before = fake_time.ticks_ms()
    fake_time.clock.advance(ms=10)
    after = fake_time.ticks_ms()
    assert after < before and fake_time.ticks_diff(after, before) == 10


def test_sleep_on_a_frozen_clock_moves_it_instead_of_waiting():
    fake_time.clock.freeze()
    start = fake_time.ticks_ms()
    fake_time.sleep_ms(60_000)
    fake_time.sleep_ms(-5)  # negative: nothing, as on the device
    assert fake_time.ticks_diff(fake_time.ticks_ms(), start) == 60_000


def test_the_epoch_is_2000_and_the_rtc_starts_there_at_boot():
    assert fake_time.localtime(0) == (2000, 1, 1, 0, 0, 0, 5, 1)  # a Saturday
    assert fake_time.gmtime is fake_time.localtime
    fake_time.clock.freeze()
    assert fake_time.time() == 0
    assert isinstance(fake_time.time(), int)


def test_mktime_takes_8_or_9_items_and_rolls_fields_over():
    assert fake_time.mktime((2000, 1, 1, 0, 0, 0, 0, 0)) == 0
    assert fake_time.mktime((2024, 13, 1, 0, 0, 0, 0, 0, 0)) == fake_time.mktime(
        (2025, 1, 1, 0, 0, 0, 0, 0)
    )
    assert fake_time.mktime((2025, 1, 31, 24, 0, 0, 0, 0)) == fake_time.mktime(
        (2025, 2, 1, 0, 0, 0, 0, 0)
    )
    with pytest.raises(TypeError):
        fake_time.mktime((2025, 1, 1))


def test_the_rtc_can_be_set():
    fake_time.clock.freeze()
    fake_time.clock.set_rtc(fake_time.mktime((2025, 1, 8, 14, 5, 0, 0, 0)))
    fake_time.clock.advance(ms=61_000)
    assert fake_time.localtime()[:6] == (2025, 1, 8, 14, 6, 1)


def test_same_answers_as_real_micropython():
    """ticks arithmetic and calendar functions, compared with MicroPython's own."""
    rng = random.Random(4)
    edges = [0, 1, 2, PERIOD - 1, PERIOD - 2, PERIOD // 2, PERIOD // 2 - 1, PERIOD // 2 + 1]
    pairs = [(a, b) for a in edges for b in edges]
    pairs += [(rng.randrange(PERIOD), rng.randrange(PERIOD)) for _ in range(200)]
    deltas = [0, 1, -1, PERIOD // 2 - 1, -(PERIOD // 2 - 1), PERIOD // 2, -(PERIOD // 2), 12345]
    seconds = [0, 86399, 86400, 31622400, 789652800, 2**31 - 1] + [
        rng.randrange(2**31) for _ in range(50)
    ]
    tuples = [
        (2024, 13, 1, 0, 0, 0, 0, 0),
        (2025, 2, 30, 25, 61, 61, 0, 0),
        (2099, 12, 31, 23, 59, 59, 0, 0),
    ]
    program = (
        "import time, json\n"
        f"pairs = {pairs!r}\ndeltas = {deltas!r}\nseconds = {seconds!r}\ntuples = {tuples!r}\n"
        "def add(t, d):\n"
        "    try:\n"
        "        return time.ticks_add(t, d)\n"
        "    except OverflowError:\n"
        "        return 'overflow'\n"
        "out = {\n"
        "  'period': time.ticks_add(0, -1) + 1,\n"
        "  'diff': [time.ticks_diff(a, b) for a, b in pairs],\n"
        "  'add': [add(a, d) for a, _ in pairs[:20] for d in deltas],\n"
        f"  'localtime': [list(time.localtime(s + {EPOCH_1970_TO_2000})) for s in seconds],\n"
        f"  'mktime': [time.mktime(t) - {EPOCH_1970_TO_2000} for t in tuples],\n"
        "}\n"
        "print('JSON', json.dumps(out))\n"
    )
    proc = run_micropython("--exec", program)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    real = json.loads(
        next(line for line in proc.stdout.splitlines() if line.startswith("JSON "))[5:]
    )

    def add(t, d):
        try:
            return fake_time.ticks_add(t, d)
        except OverflowError:
            return "overflow"

    assert real["period"] == PERIOD  # the WebAssembly port wraps where the ESP32 does
    assert [fake_time.ticks_diff(a, b) for a, b in pairs] == real["diff"]
    assert [add(a, d) for a, _ in pairs[:20] for d in deltas] == real["add"]
    assert [list(fake_time.localtime(s)) for s in seconds] == real["localtime"]
    assert [fake_time.mktime(t) for t in tuples] == real["mktime"]
