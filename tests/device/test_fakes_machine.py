"""The machine, network, asyncio, gc and micropython fakes behave as on the ESP32."""

import asyncio as cpython_asyncio
import errno

import machine
import network
import pytest

from host.device_sim.fakes import asyncio as fake_asyncio
from host.device_sim.fakes import gc as fake_gc
from host.device_sim.fakes import micropython
from host.device_sim.fakes import time as fake_time


def test_one_pin_object_per_gpio_and_no_pins_that_do_not_exist():
    assert machine.Pin(5) is machine.Pin(5, machine.Pin.OUT)
    for gpio in (20, 24, 28, 40):
        with pytest.raises(ValueError, match="invalid pin"):
            machine.Pin(gpio)


def test_gpio_34_to_39_are_inputs_without_internal_pulls():
    with pytest.raises(ValueError, match="only be input"):
        machine.Pin(34, machine.Pin.OUT)
    assert machine.Pin(34, machine.Pin.IN, machine.Pin.PULL_UP).value() == 0  # floats low
    assert machine.Pin(4, machine.Pin.IN, machine.Pin.PULL_UP).value() == 1


def test_open_drain_pulls_low_or_lets_the_wire_decide():
    pin = machine.Pin(4, machine.Pin.OPEN_DRAIN, value=0)
    assert pin.value() == 0 and pin.driven_level() == 0
    pin.value(1)
    assert pin.driven_level() is None
    pin.connect(lambda: 1)
    assert pin.value() == 1


def test_uart_reads_none_when_nothing_arrived_and_loses_bytes_past_rxbuf():
    uart = machine.UART(1, 9600, rxbuf=8)
    assert uart.read() is None and uart.readline() is None
    assert uart.readinto(bytearray(4)) is None
    uart.feed(b"0123456789")
    assert uart.rx_overflows == 1
    assert uart.read() == b"01234567"


def test_uart_write_of_str_sends_utf8_which_is_why_escpos_uses_bytes():
    uart = machine.UART(1)
    assert uart.write(chr(200)) == 2  # "È" is two bytes on the wire, not one
    assert uart.take_written() == b"\xc3\x88"


def test_i2c_nack_is_enodev_and_scan_lists_attached_devices():
    i2c = machine.I2C(0)
    with pytest.raises(OSError) as info:
        i2c.writeto(0x3C, b"\x00")
    assert info.value.errno == errno.ENODEV
    assert i2c.scan() == []


def test_reset_is_not_an_exception_the_firmware_can_swallow():
    with pytest.raises(machine.Reset) as info:
        try:
            machine.reset()
        except Exception:
            pytest.fail("machine.reset() was caught by `except Exception`")
    assert info.value.cause == machine.HARD_RESET


def test_reset_cause_is_settable_for_boot_tests():
    assert machine.reset_cause() == machine.PWRON_RESET
    machine.set_reset_cause(machine.WDT_RESET)
    assert machine.reset_cause() == machine.WDT_RESET


def test_watchdog_reports_how_late_its_feed_is():
    fake_time.clock.freeze()
    wdt = machine.WDT(timeout=1000)
    assert machine.WDT() is wdt  # cannot be stopped or replaced
    fake_time.clock.advance(ms=1500)
    assert wdt.starved_ms() == 500
    wdt.feed()
    assert wdt.starved_ms() == -1000


def test_rtc_datetime_sets_time_in_the_2000_epoch():
    fake_time.clock.freeze()
    machine.RTC().datetime((2025, 1, 8, 2, 14, 5, 0, 0))
    assert fake_time.time() == fake_time.mktime((2025, 1, 8, 14, 5, 0, 0, 0))
    assert machine.RTC().datetime()[:7] == (2025, 1, 8, 2, 14, 5, 0)


def test_adc_clips_to_what_its_attenuation_can_measure():
    pin = machine.Pin(36)
    pin.analog_uv = 2_000_000
    assert machine.ADC(pin, atten=machine.ADC.ATTN_11DB).read_uv() == 2_000_000
    assert machine.ADC(pin).read_uv() == 950_000


def test_wlan_connects_later_not_at_once():
    fake_time.clock.freeze()
    network.access_points["shop"] = ("secret", -60)
    wlan = network.WLAN(network.STA_IF)
    with pytest.raises(OSError):
        wlan.connect("shop", "secret")  # not active yet
    wlan.active(True)
    wlan.connect("shop", "secret")
    assert wlan.status() == network.STAT_CONNECTING and not wlan.isconnected()
    fake_time.clock.advance(ms=network.CONNECT_MS)
    assert wlan.isconnected() and wlan.ifconfig()[0] != "0.0.0.0"
    wlan.connect("shop", "wrong")
    fake_time.clock.advance(ms=network.CONNECT_MS)
    assert wlan.status() == network.STAT_WRONG_PASSWORD


def test_device_asyncio_timeout_is_not_an_oserror():
    async def slow():
        await fake_asyncio.sleep_ms(1000)

    async def main():
        try:
            await fake_asyncio.wait_for_ms(slow(), 10)
        except OSError:
            return "caught as OSError"
        except fake_asyncio.TimeoutError:
            return "timeout"

    assert cpython_asyncio.run(main()) == "timeout"
    assert not hasattr(fake_asyncio, "Queue")  # MicroPython's asyncio has none


def test_gc_and_micropython_stubs():
    assert fake_gc.collect() is None
    assert fake_gc.mem_free() <= fake_gc.HEAP_BYTES
    assert micropython.const(7) == 7
    assert micropython.opt_level() == 0
