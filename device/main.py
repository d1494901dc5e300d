"""Boot the handheld: config, board, journal, watchdog, tasks.

When the device cannot sell (no config, a broken field, flash it cannot read, or
repeated crashes) it goes to safe mode instead: the screen says what is wrong, no
watchdog is started and main.py returns, so the REPL stays open over USB for the
technician and the device never loops through crashes.

The link to the server (link/manager.py) runs as one more task, over Wi-Fi or the GPRS
modem as link.json says. A device whose config.json names no server (the simulator, a
demo) is answered by the local stand-in (link/standin.py), whose tokens no meter accepts;
one that names a server but cannot read its link settings goes to safe mode.
"""

import asyncio
import gc
import sys
import time

import board
import i18n
import machine
from config import ConfigError, apply_server_config, load
from drivers.display import Display
from drivers.escpos import encode_slip
from drivers.printer import NoPrinter, PaperOut, Printer
from journal.fs_os import OsFs
from journal.journal import DEFAULT_DIR, Journal
from keypad import Keypad
from link import open_link
from link.standin import StandInServer
from vend import page
from vend.flow import VendFlow
from vend.sales import Sales

VERSION = "0.1.0"
TICK_MS = 200  # flow timeouts, link polling, watchdog feeding
WATCHDOG_MS = 8000  # a stalled event loop resets the device after this long
STATUS_EVERY_MS = 15000  # battery and paper checks
CRASH_LIMIT = 3  # crashes in a row before safe mode instead of another restart
STABLE_MS = 600000  # running this long clears the crash count


def safe_mode(display, problem):
    """Show why the device will not sell; returns None so main.py ends at the REPL."""
    lines = page(i18n.t("t_safe"), [i18n.t("safe_body"), problem, i18n.t("safe_hint")])
    print(lines[0] + ": " + problem)  # also on the USB console, for the technician
    if display is not None:
        display.show(lines)
    return None


class ConsoleDisplay:
    """Stands in for a missing or broken OLED: screens go to the USB console."""

    def show(self, lines):
        print("| " + "\n| ".join(lines))


class PrinterPort:
    """What the flow prints through: submit() only queues; run() is the printer task.

    Encoding waits for the task, so laying out a slip and encoding it happen in
    separate events, with the heap collected in between.
    """

    def __init__(self, printer, codepage):
        self.printer = printer
        self.codepage = codepage
        self.flow = None
        self._slip = None
        self._ready = asyncio.Event()

    def submit(self, slip):
        self._slip = slip
        self._ready.set()

    async def run(self):
        while True:
            await self._ready.wait()
            self._ready.clear()
            data = encode_slip(self._slip, self.codepage)
            self._slip = None
            gc.collect()
            try:
                await self.printer.print_slip(data)
                result = "ok"
            except PaperOut:
                result = "paper_out"
            except (NoPrinter, OSError):
                result = "no_printer"
            data = None
            self.flow.on_print_done(result)


class Handheld:
    """Everything built at boot, and the tasks that run it."""

    def __init__(self, root, cfg, display, journal, clock, link=None):
        self.root = root
        self.cfg = cfg
        self.display = display
        self.journal = journal
        self.clock = clock
        self.link = link if link is not None else StandInServer()
        self.sales = Sales(journal, self.link, cfg["device_id"], clock)
        uart = machine.UART(
            board.PRINTER_UART_ID,
            baudrate=board.PRINTER_BAUD,
            tx=board.PRINTER_TX,
            rx=board.PRINTER_RX,
        )
        machine.Pin(board.PRINTER_POWER_EN, machine.Pin.OUT, value=board.PRINTER_POWER_EN_ACTIVE)
        self.printer = Printer(uart, baud=board.PRINTER_BAUD)
        self.port = PrinterPort(self.printer, cfg["printer_codepage"])
        self.keypad = Keypad(
            [machine.Pin(p, machine.Pin.OPEN_DRAIN, value=1) for p in board.KEYPAD_ROW_PINS],
            [machine.Pin(p, machine.Pin.IN) for p in board.KEYPAD_COL_PINS],
            board.KEYPAD_LAYOUT,
        )
        self._status = {"signal": None, "battery": None, "paper": None}
        self.battery = _battery()
        cfg["firmware"] = VERSION
        self.flow = VendFlow(
            display,
            self.port,
            self.sales,
            cfg,
            clock,
            status=self.status,
            on_language=self.save_language,
        )
        self.port.flow = self.flow
        self.link.firmware = VERSION
        self.link.status = self.status
        self.link.on_config = self.apply_server_config

    def apply_server_config(self, body):
        """Settings the server sent (limits, vendors), if config.py accepts them."""
        apply_server_config(self.cfg, body)

    def status(self):
        """Signal, battery and paper as last measured (the status screen)."""
        return self._status

    def save_language(self, code):
        """Keep the vendor's language across reboots (config.json is never rewritten)."""
        tmp = self.root + "/language.tmp"
        with open(tmp, "w") as f:
            f.write(code)
        OsFs().rename(tmp, self.root + "/language")

    async def run(self):
        """Start every task and keep the watchdog fed; returns only by an exception."""
        wdt = machine.WDT(timeout=WATCHDOG_MS)
        self.tasks = [
            asyncio.create_task(self.keypad.run()),
            asyncio.create_task(self.port.run()),
            asyncio.create_task(self._keys()),
            asyncio.create_task(self._measure()),
        ]
        if isinstance(self.link, StandInServer):
            self.sales.resend_unanswered()
        else:
            # The link sends the journal's unanswered sales itself, in batches, as the
            # network allows: nothing to hand it here.
            self.tasks.append(asyncio.create_task(self.link.run()))
        self.sales.unacknowledged_done()
        self.flow.start()
        started = time.ticks_ms()
        while True:
            self.link.poll()
            self.flow.tick()
            if self._healthy():  # a stuck or dead task: no feed, and the device restarts
                wdt.feed()
            gc.collect()
            if started is not None and time.ticks_diff(time.ticks_ms(), started) > STABLE_MS:
                _clear_crashes(self.root)
                started = None
            await asyncio.sleep_ms(TICK_MS)

    def _healthy(self):
        for task in self.tasks:
            if task.done():
                return False
        return self.link.healthy()

    async def _keys(self):
        while True:
            key, is_long = await self.keypad.get()
            self.flow.on_key(key, is_long)
            gc.collect()  # each event starts with only live memory on the heap

    async def _measure(self):
        while True:
            if self.battery is not None:
                self._status["battery"] = self.battery.percent()
            if self.link.bearer is not None:
                self._status["signal"] = self.link.bearer.signal()
            self._status["paper"] = await self.printer.status()
            await asyncio.sleep_ms(STATUS_EVERY_MS)


def _battery():
    try:
        from drivers.battery import Battery

        adc = machine.ADC(machine.Pin(board.BATTERY_ADC_PIN), atten=machine.ADC.ATTN_11DB)
        return Battery(adc, board.BATTERY_DIVIDER, board.BATTERY_CELLS)
    except (OSError, ValueError):
        return None  # no battery reading beats no sales


def open_display():
    """The OLED, or the console when the OLED does not answer."""
    try:
        i2c = machine.I2C(
            board.I2C_ID,
            scl=machine.Pin(board.I2C_SCL),
            sda=machine.Pin(board.I2C_SDA),
            freq=board.I2C_FREQ,
        )
        return Display(i2c, board.OLED_ADDR, board.OLED_WIDTH, board.OLED_HEIGHT)
    except OSError:
        return ConsoleDisplay()


def _read(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return ""


def _crashes(root):
    text = _read(root + "/crashes")
    return int(text) if text.isdigit() else 0


def _clear_crashes(root):
    try:  # noqa: SIM105 - MicroPython has no contextlib
        OsFs().remove(root + "/crashes")
    except OSError:
        pass  # nothing to clear


def _record_crash(root, exc):
    with open(root + "/last_error.txt", "w") as f:
        sys.print_exception(exc, f)
    with open(root + "/crashes", "w") as f:
        f.write(str(_crashes(root) + 1))


def boot(root="", display=None):
    """Build the handheld from config and flash; None (after safe mode) when it cannot sell.

    root is the filesystem root ("" on the device); display, when given, replaces the
    OLED (the simulator's).
    """
    display = display or open_display()
    i18n.set_language("en")
    if _crashes(root) >= CRASH_LIMIT:
        return safe_mode(display, i18n.t("safe_crash", _crashes(root)))
    try:
        cfg = load(root + "/config.json")
    except ConfigError as exc:
        return safe_mode(display, str(exc))
    saved = _read(root + "/language")
    i18n.set_language(saved if saved in i18n.LANGUAGES else cfg["language"])
    journal = Journal(OsFs(), root + DEFAULT_DIR)
    try:
        journal.replay(cfg["seq_floor"])  # sales numbered above what the server has seen
    except OSError as exc:
        return safe_mode(display, i18n.t("safe_jrnl", exc))
    try:
        link = open_link(root, cfg, journal)  # None: no server configured (demo, simulator)
    except ValueError as exc:  # link.json missing or wrong: selling would lose sales
        return safe_mode(display, str(exc))
    return Handheld(root, cfg, display, journal, time, link)


def main(root=""):
    """Boot and run until power-off; a crash is recorded and the device restarts."""
    handheld = boot(root)
    if handheld is None:
        return
    try:
        asyncio.run(handheld.run())
    except Exception as exc:
        _record_crash(root, exc)
        machine.reset()


if __name__ == "__main__":
    main()
