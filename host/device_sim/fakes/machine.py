"""MicroPython's `machine` module (ESP32 port) on CPython, with hooks for tests and the simulator.

Device-facing behaviour kept from the ESP32 port:
- Pin(n) is one object per GPIO: asking twice gives the same object (so a test or the
  simulator can reach the pin the firmware uses). GPIOs 34-39 are input-only and have no
  internal pull resistors; 20, 24 and 28-31 do not exist.
- I2C(id) and UART(id) are one object per bus, re-initialised by the constructor.
- I2C.writeto to an address nobody answers raises OSError(ENODEV), as a NACK does.
- UART.read()/readinto()/readline() return None when nothing has arrived; write() takes
  str too and sends its UTF-8 bytes (which is why ESC/POS must be built as bytes).
- reset() and deepsleep() end the program: they raise Reset (a BaseException, so a
  firmware `except Exception` cannot swallow a reboot).

Test and simulator hooks (not on the device) are named plainly: Pin.connect(),
Pin.analog_uv, I2C.attach(), UART.feed()/UART.attach()/UART.written, WDT.starved_ms(),
set_reset_cause(), started_watchdog(), reset_board().
"""

import errno
from collections import deque
from typing import ClassVar

from host.device_sim.fakes import time as _time

PWRON_RESET = 1
HARD_RESET = 2
WDT_RESET = 3
DEEPSLEEP_RESET = 4
SOFT_RESET = 5

_VALID_GPIOS = frozenset([*range(0, 20), 21, 22, 23, 25, 26, 27, *range(32, 40)])
_INPUT_ONLY = frozenset(range(34, 40))


class Reset(BaseException):
    """The firmware reset the board (machine.reset(), deepsleep(), the watchdog)."""

    def __init__(self, cause: int) -> None:
        super().__init__(cause)
        self.cause = cause


class _Board:
    """Everything that survives between constructor calls: the chip's state."""

    def __init__(self) -> None:
        self.pins: dict[int, Pin] = {}
        self.i2c: dict[int, I2C] = {}
        self.uarts: dict[int, UART] = {}
        self.wdt: WDT | None = None
        self.reset_cause = PWRON_RESET
        self.rtc_memory = b""


_board = _Board()


def reset_board() -> None:
    """Forget every pin, bus and watchdog: a fresh chip (tests call this between cases)."""
    global _board
    _board = _Board()


def started_watchdog() -> "WDT | None":
    """The watchdog, if the firmware started one."""
    return _board.wdt


def set_reset_cause(cause: int) -> None:
    """What reset_cause() reports after the next boot."""
    _board.reset_cause = cause


def reset_cause() -> int:
    return _board.reset_cause


def reset() -> None:
    raise Reset(HARD_RESET)


def soft_reset() -> None:
    raise Reset(SOFT_RESET)


def deepsleep(time_ms: int = 0) -> None:
    raise Reset(DEEPSLEEP_RESET)


def lightsleep(time_ms: int = 0) -> None:
    _time.sleep_ms(time_ms)


def idle() -> None:
    """Wait for an interrupt; here just give the host a moment."""


def freq(hz: int | None = None) -> int | None:
    return 160_000_000 if hz is None else None


def unique_id() -> bytes:
    """The ESP32's base MAC address."""
    return b"\x24\x0a\xc4\x00\x00\x42"


def disable_irq() -> int:
    return 0


def enable_irq(state: int = 0) -> None:
    return None


# ---- Pin ----


class Pin:
    """A GPIO. Inputs read what is connected to them, else their pull, else 0 (floating)."""

    IN = 1
    OUT = 3
    OPEN_DRAIN = 7
    PULL_DOWN = 1
    PULL_UP = 2
    IRQ_RISING = 1
    IRQ_FALLING = 2
    WAKE_LOW = 4
    WAKE_HIGH = 5
    DRIVE_0 = 0
    DRIVE_1 = 1
    DRIVE_2 = 2
    DRIVE_3 = 3

    def __new__(cls, id: int, *args, **kwargs):
        if id not in _VALID_GPIOS:
            raise ValueError("invalid pin")
        pin = _board.pins.get(id)
        if pin is None:
            pin = super().__new__(cls)
            pin.id = id
            pin._mode = None
            pin._pull = None
            pin._out = 0
            pin._source = None
            pin._irq = None
            pin.analog_uv = 0
            pin.history = deque(maxlen=1024)  # (ticks_us, level) of output changes
            _board.pins[id] = pin
        return pin

    def __init__(
        self, id: int, mode: int = -1, pull: int = -1, *, value=None, drive=None, alt=None
    ):
        self.init(mode, pull, value=value, drive=drive, alt=alt)

    def init(self, mode: int = -1, pull: int = -1, *, value=None, drive=None, alt=None) -> None:
        """Reconfigure: mode (IN/OUT/OPEN_DRAIN), pull (PULL_UP/PULL_DOWN/None), start value."""
        if mode in (self.OUT, self.OPEN_DRAIN) and self.id in _INPUT_ONLY:
            raise ValueError("pin can only be input")
        if value is not None:
            self._write(value)
        if mode != -1:
            self._mode = mode
        if pull != -1:
            self._pull = pull

    def __repr__(self) -> str:
        return f"Pin({self.id})"

    def _write(self, value) -> None:
        level = 1 if value else 0
        if level != self._out:
            self.history.append((_time.ticks_us(), level))
        self._out = level

    def _external(self) -> int:
        if self._source is not None:
            level = self._source()
            if level is not None:
                return level
        if self.id not in _INPUT_ONLY:  # 34-39 have no internal pull resistors
            if self._pull == self.PULL_UP:
                return 1
            if self._pull == self.PULL_DOWN:
                return 0
        return 0

    def value(self, x=None):
        """Read the pad (no argument) or set the output level."""
        if x is not None:
            self._write(x)
            return None
        if self._mode == self.OUT:
            return self._out
        if self._mode == self.OPEN_DRAIN and self._out == 0:
            return 0
        return self._external()

    __call__ = value

    def on(self) -> None:
        self._write(1)

    def off(self) -> None:
        self._write(0)

    def mode(self, mode: int | None = None):
        if mode is None:
            return self._mode
        self.init(mode)
        return None

    def pull(self, pull: int | None = None):
        if pull is None:
            return self._pull
        self._pull = pull
        return None

    def irq(self, handler=None, trigger: int = 3, **kwargs):
        """Remember the interrupt handler (fire it with fire_irq())."""
        self._irq = (handler, trigger)
        return self

    # ---- hooks for tests and the simulator ----

    def connect(self, source) -> None:
        """What drives this pin from outside: a callable returning 0, 1 or None (nothing)."""
        self._source = source

    def driven_level(self) -> int | None:
        """The level this pin forces onto its wire: 0/1, or None when high-impedance."""
        if self._mode == self.OUT:
            return self._out
        if self._mode == self.OPEN_DRAIN and self._out == 0:
            return 0
        return None

    def fire_irq(self) -> None:
        if self._irq and self._irq[0]:
            self._irq[0](self)


# ---- I2C ----


class I2C:
    """A hardware I2C bus; devices are attached by address with attach()."""

    def __new__(cls, id: int = 0, *args, **kwargs):
        bus = _board.i2c.get(id)
        if bus is None:
            bus = super().__new__(cls)
            bus.id = id
            bus.devices = {}
            bus.writes = deque(maxlen=4096)  # (addr, bytes) of recent write transactions
            _board.i2c[id] = bus
        return bus

    def __init__(
        self, id: int = 0, *, scl=None, sda=None, freq: int = 400_000, timeout: int = 50_000
    ):
        self.scl, self.sda, self.freq = scl, sda, freq

    def attach(self, addr: int, device) -> None:
        """Put a device on the bus: it needs i2c_write(data: bytes); i2c_read(n) optional."""
        self.devices[addr] = device

    def scan(self) -> list[int]:
        return sorted(self.devices)

    def _device(self, addr: int):
        device = self.devices.get(addr)
        if device is None:
            raise OSError(errno.ENODEV, "ENODEV")
        return device

    def writeto(self, addr: int, buf, stop: bool = True) -> int:
        """One write transaction; returns the number of bytes acknowledged."""
        data = bytes(buf)
        device = self._device(addr)
        self.writes.append((addr, data))
        device.i2c_write(data)
        return len(data)

    def writevto(self, addr: int, vector, stop: bool = True) -> int:
        """One write transaction made of several buffers, sent back to back."""
        return self.writeto(addr, b"".join(bytes(b) for b in vector), stop)

    def readfrom(self, addr: int, nbytes: int, stop: bool = True) -> bytes:
        return bytes(self._device(addr).i2c_read(nbytes))

    def readfrom_into(self, addr: int, buf, stop: bool = True) -> None:
        data = self.readfrom(addr, len(buf), stop)
        buf[: len(data)] = data

    def writeto_mem(self, addr: int, memaddr: int, buf, *, addrsize: int = 8) -> None:
        self.writeto(addr, bytes([memaddr]) + bytes(buf))

    def readfrom_mem(self, addr: int, memaddr: int, nbytes: int, *, addrsize: int = 8) -> bytes:
        self.writeto(addr, bytes([memaddr]), False)
        return self.readfrom(addr, nbytes)


SoftI2C = I2C


# ---- UART ----


class UART:
    """A UART. Bytes written go to `written` and to the attached peer; feed() delivers bytes."""

    def __new__(cls, id: int, *args, **kwargs):
        uart = _board.uarts.get(id)
        if uart is None:
            uart = super().__new__(cls)
            uart.id = id
            uart.written = bytearray()
            uart._rx = bytearray()
            uart.rx_overflows = 0
            uart._peer = None
            uart.baudrate = 115200
            uart.rxbuf = 256
            uart.timeout = 0
            _board.uarts[id] = uart
        return uart

    def __init__(self, id: int, baudrate: int | None = None, **kwargs):
        self.init(baudrate, **kwargs)

    def init(
        self, baudrate: int | None = None, bits: int = 8, parity=None, stop: int = 1, **kwargs
    ) -> None:
        if baudrate is not None:
            self.baudrate = baudrate
        self.bits, self.parity, self.stop = bits, parity, stop
        self.tx_pin, self.rx_pin = kwargs.get("tx"), kwargs.get("rx")
        self.rxbuf = kwargs.get("rxbuf", self.rxbuf)
        self.timeout = kwargs.get("timeout", self.timeout)

    def deinit(self) -> None:
        pass

    # device side

    def write(self, buf) -> int:
        """Send bytes (a str goes out as UTF-8); returns how many were sent."""
        data = buf.encode() if isinstance(buf, str) else bytes(buf)
        self.written += data
        if self._peer is not None:
            self._peer(data)
        return len(data)

    def any(self) -> int:
        return len(self._rx)

    def read(self, nbytes: int | None = None) -> bytes | None:
        if not self._rx:
            return None
        n = len(self._rx) if nbytes is None else min(nbytes, len(self._rx))
        data = bytes(self._rx[:n])
        del self._rx[:n]
        return data

    def readinto(self, buf, nbytes: int | None = None) -> int | None:
        n = len(buf) if nbytes is None else min(nbytes, len(buf))
        data = self.read(n)
        if data is None:
            return None
        buf[: len(data)] = data
        return len(data)

    def readline(self) -> bytes | None:
        if not self._rx:
            return None
        end = self._rx.find(b"\n")
        return self.read(len(self._rx) if end < 0 else end + 1)

    def flush(self) -> None:
        pass

    def txdone(self) -> bool:
        return True

    def sendbreak(self) -> None:
        pass

    # the other end of the wire

    def attach(self, peer) -> None:
        """A callable given every chunk the device writes (a printer or modem model)."""
        self._peer = peer

    def feed(self, data: bytes) -> None:
        """Bytes arriving from the other end; beyond rxbuf they are lost, as on the chip."""
        room = self.rxbuf - len(self._rx)
        if len(data) > room:
            self.rx_overflows += 1
            data = data[: max(room, 0)]
        self._rx += data

    def take_written(self) -> bytes:
        """Everything written since the last call, and forget it."""
        data = bytes(self.written)
        self.written.clear()
        return data


# ---- ADC, PWM ----


class ADC:
    """ADC on a pin; the voltage at the pin is Pin.analog_uv (set by the test or simulator)."""

    ATTN_0DB = 0
    ATTN_2_5DB = 1
    ATTN_6DB = 2
    ATTN_11DB = 3
    WIDTH_9BIT = 9
    WIDTH_10BIT = 10
    WIDTH_11BIT = 11
    WIDTH_12BIT = 12
    _FULL_SCALE_UV: ClassVar[dict[int, int]] = {
        0: 950_000,
        1: 1_250_000,
        2: 1_750_000,
        3: 3_100_000,
    }

    def __init__(self, pin, *, atten: int = ATTN_0DB) -> None:
        self.pin = pin if isinstance(pin, Pin) else Pin(pin)
        self._atten = atten

    def atten(self, atten: int) -> None:
        self._atten = atten

    def width(self, bits: int) -> None:
        pass

    def read_uv(self) -> int:
        """Calibrated microvolts, clipped to what this attenuation can measure."""
        return max(0, min(int(self.pin.analog_uv), self._FULL_SCALE_UV[self._atten]))

    def read_u16(self) -> int:
        return self.read_uv() * 65535 // self._FULL_SCALE_UV[self._atten]

    def read(self) -> int:
        return self.read_u16() >> 4


class PWM:
    """PWM output; every change is logged as (ticks_ms, freq, duty_u16) in `log`."""

    def __init__(self, pin, *, freq: int = 5000, duty_u16: int | None = None, duty_ns=None) -> None:
        self.pin = pin if isinstance(pin, Pin) else Pin(pin)
        self._freq = freq
        self._duty = 0 if duty_u16 is None else duty_u16
        self.log: list[tuple[int, int, int]] = []
        self._record()

    def _record(self) -> None:
        self.log.append((_time.ticks_ms(), self._freq, self._duty))

    def freq(self, value: int | None = None):
        if value is None:
            return self._freq
        self._freq = value
        self._record()
        return None

    def duty_u16(self, value: int | None = None):
        if value is None:
            return self._duty
        self._duty = max(0, min(65535, value))
        self._record()
        return None

    def duty(self, value: int | None = None):
        if value is None:
            return self._duty >> 6
        return self.duty_u16(value << 6)

    def init(self, *, freq: int | None = None, duty_u16: int | None = None) -> None:
        if freq is not None:
            self._freq = freq
        if duty_u16 is not None:
            self._duty = duty_u16
        self._record()

    def deinit(self) -> None:
        self._duty = 0
        self._record()


# ---- WDT, RTC ----


class WDT:
    """The watchdog: once started it cannot be stopped; starved_ms() tells how late a feed is."""

    def __new__(cls, id: int = 0, timeout: int = 5000):
        if _board.wdt is None:
            wdt = super().__new__(cls)
            wdt.timeout = timeout
            wdt.last_feed = _time.ticks_ms()
            wdt.feeds = 0
            _board.wdt = wdt
        return _board.wdt

    def __init__(self, id: int = 0, timeout: int | None = None) -> None:
        if timeout is not None:
            self.timeout = timeout

    def feed(self) -> None:
        self.last_feed = _time.ticks_ms()
        self.feeds += 1

    def starved_ms(self) -> int:
        """How far past its timeout the watchdog is (0 or less: it would not have fired)."""
        return _time.ticks_diff(_time.ticks_ms(), self.last_feed) - self.timeout


class RTC:
    """The real-time clock behind time.time(); datetime tuples as on the ESP32 port."""

    def datetime(self, dt: tuple | None = None):
        """Get or set (year, month, day, weekday, hours, minutes, seconds, microseconds)."""
        if dt is None:
            us = _time.clock.rtc_us()
            tm = _time.localtime(us // 1_000_000)
            return (tm[0], tm[1], tm[2], tm[6], tm[3], tm[4], tm[5], us % 1_000_000)
        year, month, day, _weekday, hours, minutes, seconds = dt[:7]
        subseconds = dt[7] if len(dt) > 7 else 0
        _time.clock.set_rtc(
            _time.mktime((year, month, day, hours, minutes, seconds, 0, 0)), subseconds
        )
        return None

    def init(self, dt: tuple) -> None:
        self.datetime(dt)

    def memory(self, data: bytes | None = None):
        """Bytes kept in RTC memory across deep sleep and soft resets."""
        if data is None:
            return _board.rtc_memory
        _board.rtc_memory = bytes(data)
        return None
