# A scripted vend on the handheld's firmware: key presses in, ESC/POS slip bytes out.
#
# Runs under MicroPython (tests/micropython/run.mjs) and under CPython, with the device
# modules importable as top-level modules. Before the vend it imports every module
# named in DEVICE_MODULES (set by the caller: bench/bench_device_memory.py lists every
# device module but main.py), so the memory figure includes all the firmware's code, as
# on the device. The caller also sets JOURNAL_DIR, an empty directory for the sale
# journal, then calls step() until it returns False (under MicroPython, each call a
# separate top-level run: run.mjs --loop "more = step()"), then finish().
#
# Each step() prints, under MicroPython, "STEP <what> <start> <peak>": what it did (a key
# or an event), gc.mem_alloc() after its gc.collect() (live memory) and the highest seen
# during it.
#
# finish() prints:
#   BASE <bytes>   gc.mem_alloc() after imports and setup, collected (MicroPython only;
#                  base() also prints the qstr pool line of micropython.qstr_info())
#   PEAK <bytes>   highest gc.mem_alloc() seen during the vend (MicroPython only)
#   SLIP <hex>     the slip bytes the printer would receive (printed by the step after
#                  which the printer task has sent them, not by finish())
#   STATE <n>      the journal state of the sale at the end (4 = acknowledged)
#
# How the peak is measured: the device's main loop runs gc.collect() after every event
# it handles (device/main.py), so each step here starts with gc.collect() and then only
# live memory is allocated. Within a step nothing is collected (the heap is far from
# full), so gc.mem_alloc() at the end of the step is the highest it reached in the step.
#
# This script is compiled from source, so its own code is on the heap too (about 2 KB,
# see docs/firmware-memory.md); it is kept small for that reason.
import gc

MEASURE = hasattr(gc, "mem_alloc")

for _name in DEVICE_MODULES:  # noqa: F821 - set by the caller
    __import__(_name)
del DEVICE_MODULES, _name  # noqa: F821 - the caller's list of names, not the firmware's

import config  # noqa: E402
import i18n  # noqa: E402
from drivers.escpos import encode_slip  # noqa: E402
from journal.fs_os import OsFs  # noqa: E402
from journal.journal import Journal  # noqa: E402
from link.standin import StandInServer  # noqa: E402
from vend.flow import VendFlow  # noqa: E402
from vend.pin import pin_hash  # noqa: E402
from vend.sales import Sales  # noqa: E402

KEYS = "4321#" + "1" + "600727000000000009" + "#" + "500" + "#" + "#"


class Clock:
    """MicroPython's time API for the flow, standing still at 2025-01-08 12:00."""

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


class Outputs:
    """The display and the printer port, as the flow sees them; each output samples
    gc.mem_alloc() (peak: the highest seen since it was last reset).

    Slips are queued as the device's printer port does; print_task() encodes them
    later, as the printer task does.
    """

    def __init__(self):
        self.peak = 0
        self.queued = None
        self.data = None

    def sample(self):
        if MEASURE:
            used = gc.mem_alloc()
            if used > self.peak:
                self.peak = used

    def show(self, lines):
        self.sample()

    def submit(self, slip):
        self.sample()
        self.queued = slip

    def print_task(self):
        slip = self.queued
        self.queued = None
        self.data = encode_slip(slip, "cp858")
        self.sample()


def _setup():
    salt = "00112233445566778899aabbccddeeff"
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
                    "salt": salt,
                    "pin_hash": pin_hash(salt, "4321"),
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
    out = Outputs()
    flow = VendFlow(out, out, Sales(journal, link, cfg["device_id"], clock), cfg, clock)
    flow.start()
    return flow, link, journal, out


FLOW, LINK, JOURNAL, OUT = _setup()
del _setup  # its code is on the heap (compiled from source) and never runs again
_at = [0, 0]  # [next step, gc.mem_alloc() after setup]
_EVENTS = ("answer", "layout", "encode", "printed", "ack")


def base():
    """Record live memory after setup (call in its own top-level run, see above).

    Also prints MicroPython's qstr pool figures ("qstr pool: ... n_total_bytes=N"): the
    interned names of every imported module, which live on this heap when modules are
    loaded from a filesystem but in flash when they are frozen into the firmware.
    """
    gc.collect()
    _at[1] = gc.mem_alloc() if MEASURE else 0
    OUT.peak = 0  # setup is not part of the vend
    if MEASURE:
        import micropython

        micropython.qstr_info()


def step():
    """Do the next event of the vend; False when there are none left."""
    gc.collect()
    so_far = OUT.peak  # the step's own peak is measured from 0, then merged
    OUT.peak = 0
    OUT.sample()
    start = OUT.peak
    i = _at[0]
    _at[0] = i + 1
    n = len(KEYS)
    if i < n:
        FLOW.on_key(KEYS[i], False)
    elif i == n or i == n + 4:
        LINK.poll()  # the server's answer arrives and is journaled; later, its ack
    elif i == n + 1:
        FLOW.tick()  # the main loop's next tick: the flow lays out the slip
    elif i == n + 2:
        OUT.print_task()  # the printer task turns it into ESC/POS bytes
    else:
        FLOW.on_print_done("ok")
    OUT.sample()
    # Output after the last sample: the next step's gc.collect() frees it.
    if i == n + 2:  # the bytes are out: the printer task lets go of them before the flow
        print("SLIP", "".join("%02x" % b for b in OUT.data))  # noqa: UP031 - MicroPython
        OUT.data = None  # hears the slip printed (device/main.py, PrinterPort.run)
    if MEASURE:
        what = "key:" + KEYS[i] if i < n else _EVENTS[i - n]
        print("STEP", what, start, OUT.peak)
    if so_far > OUT.peak:
        OUT.peak = so_far
    return i < n + 4


def finish():
    if MEASURE:
        print("BASE", _at[1])
        print("PEAK", OUT.peak)
    print("STATE", JOURNAL.state(JOURNAL.last_seq()))
