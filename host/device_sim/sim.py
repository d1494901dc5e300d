"""`gridvend sim`: the handheld's real firmware (device/main.py) running on this PC.

The firmware runs unchanged on the MicroPython fakes, against models of its chips
(hardware.py): the OLED model's pixels are drawn in the terminal, typed keys close the
keypad matrix's contacts (so the firmware's own scan and debounce see them), and each
slip the printer model finishes is saved as .bin, .txt and .png.

The tick counter starts a minute before it wraps (wrap_after_ms), so every session crosses the wrap;
the RTC starts at this PC's local time.
"""

import asyncio
import calendar
import json
import os
import sys
import time
import traceback
from pathlib import Path

from host.device_sim import keymap, screen
from host.device_sim.fakes import install as fakes
from host.device_sim.fakes import machine
from host.device_sim.fakes import time as fake_time
from host.device_sim.slips import SlipSaver

PRESS_MS = 120  # how long a typed key stays down: well past the firmware's 30 ms debounce
LONG_PRESS_MS = 1100  # past its 800 ms long press
GAP_MS = 60  # after releasing a key
DEFAULT_PIN = "1234"
SALT = "5a17c0ffee5a17c0ffee5a17c0ffee00"


def default_config(pin: str = DEFAULT_PIN) -> dict:
    """config.json for a simulated handheld with one vendor whose PIN is pin."""
    from vend.pin import pin_hash  # a device module: only importable once fakes are in

    return {
        "device_id": "SIM001",
        "utility": "Gridvend Sim Power",
        "currency": "KES",
        "amount_min": 5000,
        "amount_max": 2000000,
        "printer_codepage": "cp858",
        "vendors": [
            {"id": "V001", "name": "Sim Vendor", "salt": SALT, "pin_hash": pin_hash(SALT, pin)}
        ],
    }


class Simulator:
    """One simulated handheld: its filesystem under root, its slips under slips_dir."""

    def __init__(
        self,
        root: Path,
        slips_dir: Path | None = None,
        out=sys.stdout,
        blocks: str = "auto",
        wrap_after_ms: int = 60_000,
    ) -> None:
        self.root = Path(root)
        self.wrap_after_ms = wrap_after_ms  # when the tick counter wraps, from boot
        self.slips_dir = Path(slips_dir) if slips_dir else self.root / "slips"
        self.out = out
        self.blocks = blocks
        self.message = ""
        self.crash: str | None = None
        self._presses: asyncio.Queue | None = None
        self._quit: asyncio.Event | None = None
        self._drawn = None

    # ---- setting up ----

    def boot(self):
        """Fresh fakes and hardware, config.json if missing, then the firmware's boot()."""
        fakes.install()
        fakes.reset_fakes()
        local_now = calendar.timegm(time.localtime()) - fake_time.EPOCH_OFFSET
        fake_time.clock.reset(
            ticks_start_ms=fake_time.TICKS_PERIOD - self.wrap_after_ms,
            ticks_start_us=-self.wrap_after_ms * 1000 % fake_time.TICKS_PERIOD,
            rtc_seconds=local_now,
        )
        from host.device_sim.hardware import Handheld

        self.hardware = Handheld()
        self.saver = SlipSaver(self.hardware.printer, self.slips_dir)
        self.root.mkdir(parents=True, exist_ok=True)
        config = self.root / "config.json"
        if not config.exists():
            config.write_text(json.dumps(default_config(), indent=2), encoding="utf-8")
            self.message = f"new simulated device: vendor PIN {DEFAULT_PIN} (in {config})"
        import main  # the firmware's boot module, loaded with the fakes

        self.firmware = main.boot(str(self.root))
        return self.firmware

    # ---- running ----

    async def run(self, script: str | None = None, timeout_s: float | None = None) -> list[Path]:
        """Run until quit (interactive) or until the script's keys are typed and printing
        has finished; returns the PNGs of the slips printed."""
        self._presses = asyncio.Queue()
        self._quit = asyncio.Event()
        tasks = []
        if self.firmware is not None:
            tasks.append(asyncio.create_task(self._firmware()))
        tasks.append(asyncio.create_task(self._keys()))
        tasks.append(asyncio.create_task(self._watch()))
        if script is None:
            self._read_terminal()
        else:
            tasks.append(asyncio.create_task(self._script(script)))
        try:
            if timeout_s is None:
                await self._quit.wait()
            else:
                await asyncio.wait_for(self._quit.wait(), timeout_s)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if script is None:
                asyncio.get_running_loop().remove_reader(sys.stdin.fileno())
        self.saver.collect()
        return self.saver.saved

    async def _firmware(self):
        try:
            await self.firmware.run()
        except machine.Reset as reset:
            self.crash = f"the firmware reset the board (cause {reset.cause})"
        except Exception:  # shown, and logged in full: the simulator stays up to show it
            log = self.root / "sim-crash.txt"
            log.write_text(traceback.format_exc(), encoding="utf-8")
            self.crash = (
                f"firmware crashed: {traceback.format_exc().splitlines()[-1]} (full: {log})"
            )
        self._draw(force=True)

    async def _keys(self):
        """Presses keys one at a time, as a thumb would."""
        while True:
            key, is_long = await self._presses.get()
            self.hardware.keys.press(key)
            await asyncio.sleep((LONG_PRESS_MS if is_long else PRESS_MS) / 1000)
            self.hardware.keys.release(key)
            await asyncio.sleep(GAP_MS / 1000)
            self._presses.task_done()

    async def _watch(self):
        """Saves slips and redraws the screen when something changed."""
        while True:
            for path in self.saver.collect():
                self.message = f"slip saved: {path}"
            wdt = machine.started_watchdog()
            if wdt is not None and wdt.starved_ms() > 0:
                self.message = f"watchdog would have reset the device ({wdt.starved_ms()} ms late)"
            self._draw()
            await asyncio.sleep(0.05)

    async def _script(self, script: str):
        for key, is_long in keymap.parse_script(script):
            await self._presses.put((key, is_long))
            await self._presses.join()
            await asyncio.sleep(0.05)  # a thumb moving to the next key
        idle = 0
        while idle < 10:  # printing done when nothing new arrives for a second
            before = len(self.hardware.printer.received)
            await asyncio.sleep(0.1)
            idle = idle + 1 if len(self.hardware.printer.received) == before else 0
        self._quit.set()

    def _read_terminal(self):
        reader = keymap.KeyReader()
        fd = sys.stdin.fileno()

        def on_input():
            for char in os.read(fd, 64).decode(errors="ignore"):
                action = reader.feed(char)
                if action is None:
                    continue
                if action[0] == "key":
                    self._presses.put_nowait((action[1], action[2]))
                elif action[1] == "quit":
                    self._quit.set()
                elif action[1] == "paper":
                    self.toggle_paper()
            self._draw(force=True)

        asyncio.get_running_loop().add_reader(fd, on_input)

    def toggle_paper(self):
        printer = self.hardware.printer
        if printer.paper:
            printer.paper = False
            self.message = "paper removed: the next slip will find the printer empty"
        else:
            printer.load_paper()
            self.message = "new paper roll loaded"

    # ---- drawing ----

    def screen_lines(self) -> list[str]:
        """What the terminal shows: the OLED (pixels, and read back as text), help, status."""
        rows = self.hardware.oled.rows()
        width = os.get_terminal_size(self.out.fileno()).columns if self._is_tty() else 200
        use_half = self.blocks == "half" or (self.blocks == "auto" and width >= 150)
        pixels = screen.half_blocks(rows) if use_half else screen.quadrant_blocks(rows)
        oled = self.hardware.oled
        state = "on" if oled.on else "off"
        panel = screen.framed(pixels, f"OLED {oled.width}x{oled.height} ({state})")
        text = screen.framed(screen.read_text(rows) + [""] * 8, "as text")[:10]
        lines = [left + "  " + (text[i] if i < len(text) else "") for i, left in enumerate(panel)]
        printer = self.hardware.printer
        paper = "loaded" if printer.paper else "OUT"
        lines.append(keymap.HELP)
        lines.append(
            f"paper {paper} | slips in {self.slips_dir} ({len(self.saver.saved)} saved)"
            f" | ticks_ms {fake_time.ticks_ms()}"
        )
        lines.append(self.crash or self.message)
        return lines

    def _is_tty(self) -> bool:
        try:
            return os.isatty(self.out.fileno())
        except (AttributeError, ValueError, OSError):
            return False

    def _draw(self, force: bool = False):
        if not self._is_tty():
            return
        lines = self.screen_lines()
        if not force and lines == self._drawn:
            return
        self._drawn = lines
        self.out.write("\x1b[H" + "\n".join(line + "\x1b[K" for line in lines) + "\x1b[J")
        self.out.flush()


def run_interactive(root: Path, slips_dir: Path | None = None, blocks: str = "auto") -> list[Path]:
    """The terminal session: raw keyboard, screen redrawn in place; restores the terminal."""
    import termios
    import tty

    simulator = Simulator(root, slips_dir, blocks=blocks)
    simulator.boot()
    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    sys.stdout.write("\x1b[?25l\x1b[2J")
    try:
        tty.setcbreak(fd, termios.TCSANOW)  # keep keys typed while the firmware booted
        return asyncio.run(simulator.run())
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)
        sys.stdout.write("\x1b[?25h\n")
        sys.stdout.flush()


def run_script(
    root: Path, keys: str, slips_dir: Path | None = None, timeout_s: float = 120
) -> Simulator:
    """Type keys into a simulated handheld without a terminal; the Simulator afterwards."""
    simulator = Simulator(root, slips_dir)
    simulator.boot()
    asyncio.run(simulator.run(keys, timeout_s))
    return simulator
