"""A handheld on the test bench: the vend flow wired to recording fakes.

Works under CPython and MicroPython (no pytest, no typing), so the flow's test cases run
in both. The clock keeps MicroPython's tick semantics (30-bit wrap, signed difference)
and the ESP32's 2000 epoch.
"""

import config
import vend as screen  # screen building is in the vend package module
from casekit import fresh_dir
from journal.fs_os import OsFs
from journal.journal import Journal
from link.standin import StandInServer
from vend.flow import VendFlow
from vend.pin import pin_hash
from vend.sales import Sales

TICKS_PERIOD = 1 << 30
GOOD_METER = "600727000000000009"
OTHER_METER = "600727000000000017"
LEGACY_METER = "000012345678901237"
PIN = "4321"
SALT = "00112233445566778899aabbccddeeff"


class FakeClock:
    """MicroPython's time API, moved by hand: ticks wrap at 2**30, seconds from 2000."""

    def __init__(self, seconds=789652800, ticks=TICKS_PERIOD - 5000):
        self.seconds = seconds  # 2025-01-08 12:00:00 in the 2000 epoch
        self.ticks = ticks  # starts just before the wrap, so wrap bugs show

    def ticks_ms(self):
        return self.ticks

    def ticks_diff(self, a, b):
        half = TICKS_PERIOD // 2
        return ((a - b + half) & (TICKS_PERIOD - 1)) - half

    def time(self):
        return self.seconds

    def localtime(self, seconds=None):
        if seconds is None:
            seconds = self.seconds
        days, rest = divmod(seconds, 86400)
        year, month, day = civil_from_days(days + 10957)  # 2000-01-01 is day 10957
        return (year, month, day, rest // 3600, rest // 60 % 60, rest % 60, 0, 0)

    def advance(self, ms):
        self.ticks = (self.ticks + ms) & (TICKS_PERIOD - 1)
        self.seconds += ms // 1000


def civil_from_days(days):
    """(year, month, day) for days since 1970-01-01 (proleptic Gregorian)."""
    days += 719468
    era = days // 146097
    doe = days - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    return (yoe + era * 400 + (1 if month <= 2 else 0), month, day)


class RecordingDisplay:
    """Keeps every screen shown; checks each fits the 8x16 OLED with nothing cut off."""

    def __init__(self):
        self.screens = []
        self._overflow = screen.overflow[0]

    def show(self, lines):
        assert len(lines) <= 8, lines
        for line in lines:
            assert len(line) <= 16, line
        assert screen.overflow[0] == self._overflow, "text cut off: " + repr(lines)
        self.screens.append(lines)

    @property
    def last(self):
        return self.screens[-1]

    def text(self):
        """The last screen as one string, lines joined by spaces (messages wrap)."""
        return " ".join(self.screens[-1])


class RecordingPrinter:
    """Keeps every slip submitted; the test says when printing finishes."""

    def __init__(self):
        self.slips = []

    def submit(self, slip):
        self.slips.append(slip)


def raw_config(**changes):
    """config.json's content: one vendor, PIN 4321, KES with 2 minor digits, 50-20000 KES."""
    raw = {
        "device_id": "HH0042",
        "utility": "Kijiji Power",
        "currency": "KES",
        "minor_digits": 2,
        "amount_min": 5000,
        "amount_max": 2000000,
        "vendors": [
            {
                "id": "V007",
                "name": "Amina Otieno",
                "salt": SALT,
                "pin_hash": pin_hash(SALT, PIN, 10),
                "rounds": 10,
            }
        ],
    }
    for key in changes:
        raw[key] = changes[key]
    return raw


def make_config(**changes):
    """The checked config the flow gets (raw_config, validated, firmware version added)."""
    cfg = config.validate(raw_config(**changes))
    cfg["firmware"] = "0.1.0"
    return cfg


class Bench:
    """The flow with its journal on a fresh directory, a stand-in server and fakes."""

    def __init__(self, online=True, directory=None, status=None, fs=None, **config_changes):
        self.directory = directory or fresh_dir()
        self.config = make_config(**config_changes)
        self.clock = FakeClock()
        self.display = RecordingDisplay()
        self.printer = RecordingPrinter()
        self.link = StandInServer(online=online, refuse=(OTHER_METER,), key_change=(LEGACY_METER,))
        self.journal = Journal(fs or OsFs(), self.directory + "/journal")
        self.journal.replay()
        self.sales = Sales(self.journal, self.link, self.config["device_id"], self.clock)
        self.languages_saved = []
        self.flow = VendFlow(
            self.display,
            self.printer,
            self.sales,
            self.config,
            self.clock,
            status=status,
            on_language=self.languages_saved.append,
        )
        self.flow.start()

    def keys(self, text):
        """Press keys in order ("L" before a key makes it a long press)."""
        long = False
        for key in text:
            if key == "L":
                long = True
                continue
            self.flow.on_key(key, long)
            long = False

    def login(self):
        self.keys(PIN + "#")

    def sell(self, meter=GOOD_METER, units="500"):
        """From the menu: type a sale up to and including confirm."""
        self.keys("1" + meter + "#" + units + "##")

    def poll(self):
        """The link delivers what the server sent, then the main loop's next tick runs."""
        self.link.poll()
        self.flow.tick()

    def finish_print(self, result="ok"):
        self.flow.on_print_done(result)
