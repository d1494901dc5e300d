"""Battery gauge and buzzer against the fake ADC, PWM and Pin."""

import asyncio
from itertools import pairwise

import machine
import pytest
from drivers.battery import CURVE, Battery
from drivers.buzzer import Buzzer


class NoisyAdc:
    """read_uv() cycles through readings, as a noisy ADC pin would give."""

    def __init__(self, readings):
        self.readings = readings
        self.calls = 0

    def read_uv(self):
        value = self.readings[self.calls % len(self.readings)]
        self.calls += 1
        return value


def test_millivolts_scale_by_the_divider_through_the_fake_adc():
    pin = machine.Pin(36)
    pin.analog_uv = 2_000_000  # 2.0 V at the pin
    battery = Battery(machine.ADC(pin, atten=machine.ADC.ATTN_11DB), 4.0, cells=2)
    assert battery.millivolts() == 8000


def test_millivolts_average_out_noise():
    adc = NoisyAdc([1_900_000, 2_100_000])
    battery = Battery(adc, 4.0, samples=16)
    assert battery.millivolts() == 8000
    assert adc.calls == 16


def test_percent_follows_the_curve_per_cell():
    battery = Battery(NoisyAdc([0]), 1.0, cells=2)
    assert battery.percent(8400) == 100
    assert battery.percent(9000) == 100
    assert battery.percent(6600) == 0
    assert battery.percent(6000) == 0
    assert battery.percent(2 * 3820) == 50
    assert battery.percent(2 * 3800) == 45  # halfway between 3780 (40 %) and 3820 (50 %)


def test_curve_rises_everywhere():
    assert len(CURVE) % 2 == 0  # (millivolts, percent) pairs
    points = list(zip(CURVE[::2], CURVE[1::2], strict=True))
    assert points[0] == (3300, 0) and points[-1] == (4200, 100)
    for (mv_a, pct_a), (mv_b, pct_b) in pairwise(points):
        assert mv_b > mv_a and pct_b > pct_a


def test_passive_buzzer_sounds_at_half_duty_then_stops():
    pwm = machine.PWM(machine.Pin(2), freq=1000, duty_u16=0)
    buzzer = Buzzer(pwm, freq=2700)
    asyncio.run(buzzer.beep(30))
    on, off = pwm.log[-2], pwm.log[-1]
    assert (on[1], on[2]) == (2700, 32768)
    assert off[2] == 0
    assert 25 <= off[0] - on[0] <= 1000  # ticks_ms between on and off (a loaded CI is slow)


def test_error_is_three_lower_beeps_and_ends_silent():
    pwm = machine.PWM(machine.Pin(2))
    asyncio.run(Buzzer(pwm, freq=2700).error())
    tones = [(freq, duty) for _t, freq, duty in pwm.log if duty]
    assert tones == [(1350, 32768)] * 3
    assert pwm.duty_u16() == 0


def test_active_buzzer_on_a_pin_respects_its_active_level():
    pin = machine.Pin(2, machine.Pin.OUT)
    buzzer = Buzzer(pin, active=0)
    assert pin.value() == 1  # off
    asyncio.run(buzzer.ok())
    assert [level for _t, level in pin.history][-2:] == [0, 1]


def test_a_cancelled_beep_leaves_the_buzzer_off():
    pwm = machine.PWM(machine.Pin(2))
    buzzer = Buzzer(pwm)

    async def main():
        task = asyncio.create_task(buzzer.beep(5000))
        await asyncio.sleep(0.02)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert pwm.duty_u16() == 0
