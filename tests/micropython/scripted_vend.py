# A scripted vend on the handheld's firmware: key presses in, ESC/POS slip bytes out.
#
# Runs under MicroPython (tests/micropython/run.mjs) and under CPython, with the device
# modules importable as top-level modules. Before the vend it imports every device
# module listed in DEVICE_MODULES (set by the caller, or found by walking DEVICE_DIRS),
# so the memory figure includes all the firmware's code, as on the device. The caller
# also sets JOURNAL_DIR, an empty directory for the sale journal, then calls step()
# until it returns False (under MicroPython, each call a separate top-level run:
# run.mjs --loop "more = step()"), then finish().
#
# finish() prints:
#   BASE <bytes>   gc.mem_alloc() after imports and setup, collected (MicroPython only;
#                  base() also prints the qstr pool line of micropython.qstr_info())
#   PEAK <bytes>   highest gc.mem_alloc() seen during the vend (MicroPython only)
#   SLIP <hex>     the slip bytes the printer would receive
#   STATE <n>      the journal state of the sale at the end (4 = acknowledged)
#
# How the peak is measured: the device's main loop runs gc.collect() after every event
# it handles (device/main.py), so each step here starts with gc.collect() and then only
# live memory is allocated. Within a step nothing is collected (the heap is far from
# full), so gc.mem_alloc() at the end of the step is the highest it reached in the step.
import gc
import os

MEASURE = hasattr(gc, "mem_alloc")


def _find_modules(root, prefix, out):
    for name in sorted(os.listdir(root)):
        path = root + "/" + name
        if name == "__pycache__":
            continue
        if os.stat(path)[0] & 0x4000:
            _find_modules(path, prefix + name + ".", out)
        elif name.endswith(".py") or name.endswith(".mpy"):
            stem = name[: name.rfind(".")]
            if stem == "__init__":
                if prefix:
                    out.append(prefix[:-1])
            elif stem != "main":  # main.py boots the device when run, not imported
                out.append(prefix + stem)


def device_modules():
    names = []
    for root in DEVICE_DIRS:  # noqa: F821 - set by the caller
        _find_modules(root, "", names)
    return names


if "DEVICE_MODULES" not in globals():
    DEVICE_MODULES = device_modules()
for _name in DEVICE_MODULES:
    __import__(_name)

import config  # noqa: E402
import i18n  # noqa: E402
from drivers.escpos import encode_slip  # noqa: E402
from journal.fs_os import OsFs  # noqa: E402
from journal.journal import Journal  # noqa: E402
from link.standin import StandInServer  # noqa: E402
from vend.flow import VendFlow  # noqa: E402
from vend.pin import pin_hash  # noqa: E402
from vend.sales import Sales  # noqa: E402

SALT = "00112233445566778899aabbccddeeff"
KEYS = "4321#" + "1" + "600727000000000009" + "#" + "500" + "#" + "#"


class Clock:
    def __init__(self):
        self.ticks = 0
        self.seconds = 789652800

    def ticks_ms(self):
        return self.ticks

    def ticks_diff(self, a, b):
        return ((a - b + (1 << 29)) & ((1 << 30) - 1)) - (1 << 29)

    def time(self):
        return self.seconds

    def localtime(self, seconds=None):
        return (2025, 1, 8, 12, 0, 0, 2, 8)


class Meter:
    """Samples gc.mem_alloc() wherever the firmware outputs and at the end of each step."""

    def __init__(self):
        self.peak = 0

    def sample(self):
        if MEASURE:
            used = gc.mem_alloc()
            if used > self.peak:
                self.peak = used


class Display:
    def __init__(self, meter):
        self.meter = meter
        self.last = None

    def show(self, lines):
        self.meter.sample()
        self.last = lines


class Printer:
    """Queues slips as the device's printer port does; the printer task encodes later."""

    def __init__(self, meter):
        self.meter = meter
        self.queued = None
        self.data = None

    def submit(self, slip):
        self.meter.sample()
        self.queued = slip

    def run_task(self):
        slip = self.queued
        self.queued = None
        self.data = encode_slip(slip, "cp858")
        self.meter.sample()


def _setup():
    meter = Meter()
    cfg = config.validate(
        {
            "device_id": "HH0042",
            "utility": "Kijiji Power",
            "currency": "KES",
            "amount_min": 5000,
            "amount_max": 2000000,
            "vendors": [
                {
                    "id": "V007",
                    "name": "Amina Otieno",
                    "salt": SALT,
                    "pin_hash": pin_hash(SALT, "4321"),
                }
            ],
        }
    )
    cfg["firmware"] = "0.1.0"
    i18n.set_language(cfg["language"])
    journal = Journal(OsFs(), JOURNAL_DIR)  # noqa: F821 - set by the caller
    journal.replay()
    clock = Clock()
    link = StandInServer()
    sales = Sales(journal, link, cfg["device_id"], clock)
    printer = Printer(meter)
    flow = VendFlow(Display(meter), printer, sales, cfg, clock)
    flow.start()
    return {"meter": meter, "flow": flow, "link": link, "journal": journal, "printer": printer}


BENCH = _setup()
_next = [0]
_base = [0]


def base():
    """Record live memory after setup (call in its own top-level run, see above).

    Also prints MicroPython's qstr pool figures ("qstr pool: ... n_total_bytes=N"): the
    interned names of every imported module, which live on this heap when modules are
    loaded from a filesystem but in flash when they are frozen into the firmware.
    """
    gc.collect()
    _base[0] = gc.mem_alloc() if MEASURE else 0
    BENCH["meter"].peak = 0  # setup is not part of the vend
    if MEASURE:
        import micropython

        micropython.qstr_info()


def step():
    """Do the next event of the vend; False when there are none left."""
    gc.collect()
    BENCH["meter"].sample()
    i = _next[0]
    _next[0] = i + 1
    flow = BENCH["flow"]
    if i < len(KEYS):
        flow.on_key(KEYS[i], False)
    elif i == len(KEYS):
        BENCH["link"].poll()  # the server's answer arrives and is journaled
    elif i == len(KEYS) + 1:
        flow.tick()  # the main loop's next tick: the flow lays out the slip
    elif i == len(KEYS) + 2:
        BENCH["printer"].run_task()  # the printer task turns it into ESC/POS bytes
    elif i == len(KEYS) + 3:
        flow.on_print_done("ok")
    elif i == len(KEYS) + 4:
        BENCH["link"].poll()  # the acknowledgement arrives
    BENCH["meter"].sample()
    return i < len(KEYS) + 4


def finish():
    journal = BENCH["journal"]
    if MEASURE:
        print("BASE", _base[0])
        print("PEAK", BENCH["meter"].peak)
    hexed = "".join("%02x" % b for b in BENCH["printer"].data)  # noqa: UP031 - MicroPython
    print("SLIP", hexed)
    print("STATE", journal.state(journal.last_seq()))
