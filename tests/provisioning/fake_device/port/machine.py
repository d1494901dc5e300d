# The fake handheld's hardware, as MicroPython's `machine` module (ESP32 port) shows it.
# Runs inside real MicroPython (the WebAssembly port, which has no `machine`), so the
# firmware's drivers and selftest.py run unchanged against these parts:
#   OLED on I2C at 0x3C, ESC/POS printer on UART 1, SIM800 modem on UART 2, 4x4 keypad
#   with pull-ups on its columns, battery on an ADC pin, a watchdog that counts feeds.
# The bench (the Python test) sets faults in /.bench/hardware.json before boot:
#   {"oled": true, "paper": true, "sim": true, "rssi": 18, "registered": true,
#    "stuck_key": null | "5", "battery_mv": 7800}
import json

PWRON_RESET = 1
HARD_RESET = 2
WDT_RESET = 3
DEEPSLEEP_RESET = 4
SOFT_RESET = 5

_ENODEV = 19
_PRINTER_UART = 1
_MODEM_UART = 2
_OLED = 0x3C
_ROWS = (4, 13, 14, 15)  # board.KEYPAD_ROW_PINS: the bench's wiring, as on the PCB
_COLS = (34, 35, 39, 32)
_LAYOUT = "123A456B789C*0#D"
_DIVIDER = 4.0

try:
    with open("/.bench/hardware.json") as _f:
        BENCH = json.loads(_f.read())
except OSError:
    BENCH = {}


def _bench(key, default):
    return BENCH.get(key, default)


class HardReset(BaseException):
    """machine.reset(): the bridge reboots the fake board when this leaves the REPL."""


def reset():
    raise HardReset()


def soft_reset():
    raise SystemExit()


def reset_cause():
    return PWRON_RESET


def unique_id():
    return b"\x24\x0a\xc4\x00\x00\x42"


def freq(hz=None):
    return 160000000 if hz is None else None


def idle():
    pass


_pins = {}


class Pin:
    IN = 1
    OUT = 3
    OPEN_DRAIN = 7
    PULL_UP = 1
    PULL_DOWN = 2

    def __new__(cls, pin_id, *args, **kwargs):
        if pin_id not in _pins:
            obj = object.__new__(cls)
            obj.id = pin_id
            obj._level = 1
            _pins[pin_id] = obj
        return _pins[pin_id]

    def __init__(self, pin_id, mode=None, pull=None, value=None):
        if value is not None:
            self._level = 1 if value else 0

    def init(self, mode=None, pull=None, value=None):
        if value is not None:
            self._level = 1 if value else 0

    def value(self, level=None):
        if level is not None:
            self._level = 1 if level else 0
            return None
        if self.id in _COLS:
            return self._column_level()
        return self._level

    def __call__(self, level=None):
        return self.value(level)

    def on(self):
        self._level = 1

    def off(self):
        self._level = 0

    def _column_level(self):
        stuck = _bench("stuck_key", None)
        if not stuck:
            return 1  # the external pull-up
        index = _LAYOUT.index(stuck)
        row, col = index // len(_COLS), index % len(_COLS)
        if _COLS[col] == self.id and Pin(_ROWS[row])._level == 0:
            return 0
        return 1


class I2C:
    def __init__(self, bus_id, scl=None, sda=None, freq=400000):
        self.id = bus_id
        self.frames = 0

    def _present(self, addr):
        return addr == _OLED and _bench("oled", True)

    def scan(self):
        return [_OLED] if _bench("oled", True) else []

    def writeto(self, addr, buf, stop=True):
        if not self._present(addr):
            raise OSError(_ENODEV)
        return 1

    def writevto(self, addr, vector, stop=True):
        if not self._present(addr):
            raise OSError(_ENODEV)
        self.frames += 1
        return len(vector)


class _Printer:
    # Answers DLE EOT 4 with a status byte; everything else goes on the paper.
    def __init__(self):
        self.tail = b""
        self.printed = 0

    def receive(self, data, reply):
        data = self.tail + bytes(data)
        self.tail = b""
        at = data.find(b"\x10\x04\x04")
        while at >= 0:
            status = 0x12
            if not _bench("paper", True):
                status |= 0x60
            reply(bytes([status]))
            data = data[:at] + data[at + 3 :]
            at = data.find(b"\x10\x04\x04")
        keep = 2 if data.endswith(b"\x10\x04") else 1 if data.endswith(b"\x10") else 0
        if keep:
            self.tail = data[-keep:]
            data = data[:-keep]
        self.printed += len(data)


class _Modem:
    # A SIM800 that is on: echo until ATE0, the answers selftest.py asks for.
    def __init__(self):
        self.echo = True
        self.line = b""

    def receive(self, data, reply):
        for byte in bytes(data):
            if byte == 0x0D:
                self._command(self.line, reply)
                self.line = b""
            elif byte != 0x0A:
                self.line += bytes([byte])

    def _command(self, cmd, reply):
        if self.echo:
            reply(cmd + b"\r")
        text = cmd.decode()
        if text in ("AT", "ATE0"):
            if text == "ATE0":
                self.echo = False
            reply(b"\r\nOK\r\n")
        elif text == "AT+CPIN?":
            if _bench("sim", True):
                reply(b"\r\n+CPIN: READY\r\n\r\nOK\r\n")
            else:
                reply(b"\r\n+CME ERROR: 10\r\n")
        elif text == "AT+CSQ":
            reply(b"\r\n+CSQ: " + str(_bench("rssi", 18)).encode() + b",0\r\n\r\nOK\r\n")
        elif text == "AT+CREG?":
            state = b"1" if _bench("registered", True) else b"0"
            reply(b"\r\n+CREG: 0," + state + b"\r\n\r\nOK\r\n")
        elif text == "AT+GSN":
            reply(b"\r\n867530012345678\r\n\r\nOK\r\n")
        else:
            reply(b"\r\nERROR\r\n")


_uarts = {}


class UART:
    def __new__(cls, uart_id, *args, **kwargs):
        if uart_id not in _uarts:
            obj = object.__new__(cls)
            obj.id = uart_id
            obj.rx = bytearray()
            obj.model = (
                _Printer()
                if uart_id == _PRINTER_UART
                else _Modem()
                if uart_id == _MODEM_UART
                else None
            )
            _uarts[uart_id] = obj
        return _uarts[uart_id]

    def __init__(self, uart_id, baudrate=115200, **kwargs):
        self.baudrate = baudrate

    def init(self, *args, **kwargs):
        pass

    def _reply(self, data):
        self.rx.extend(data)

    def write(self, buf):
        if isinstance(buf, str):
            buf = buf.encode()
        if self.model is not None:
            self.model.receive(buf, self._reply)
        return len(buf)

    def any(self):
        return len(self.rx)

    def read(self, nbytes=None):
        if not self.rx:
            return None
        n = len(self.rx) if nbytes is None else min(nbytes, len(self.rx))
        data = bytes(self.rx[:n])
        self.rx = self.rx[n:]
        return data

    def readinto(self, buf, nbytes=None):
        n = len(buf) if nbytes is None else nbytes
        data = self.read(n)
        if data is None:
            return None
        buf[: len(data)] = data
        return len(data)

    def readline(self):
        if not self.rx:
            return None
        end = self.rx.find(b"\n")
        return self.read(len(self.rx) if end < 0 else end + 1)


class ADC:
    ATTN_0DB = 0
    ATTN_2_5DB = 1
    ATTN_6DB = 2
    ATTN_11DB = 3

    def __init__(self, pin, atten=None):
        self.pin = pin

    def read_uv(self):
        return int(_bench("battery_mv", 7800) * 1000 / _DIVIDER)

    def read_u16(self):
        return self.read_uv() * 65535 // 3300000


class PWM:
    def __init__(self, pin, freq=1000, duty_u16=0):
        self._freq = freq
        self._duty = duty_u16

    def freq(self, value=None):
        if value is None:
            return self._freq
        self._freq = value

    def duty_u16(self, value=None):
        if value is None:
            return self._duty
        self._duty = value

    def deinit(self):
        pass


class WDT:
    feeds = 0
    timeout = None

    def __init__(self, id=0, timeout=5000):
        WDT.timeout = timeout

    def feed(self):
        WDT.feeds += 1
