"""Heap the handheld's link costs, under real MicroPython (the WebAssembly port, in Node).

The link's modules are part of the 48 KB figure of bench_device_memory.py (every device
module is imported there); this bench shows their share, and what the link's biggest
messages take on top, which that figure leaves out (the scripted vend runs on the
stand-in server). Measured with the firmware's modules in a ROMFS image, as there: what
importing the link's modules adds after what the rest of the firmware imports, and the
heap in use right after a batch of BATCH sales is sealed into an envelope and after a
result for BATCH sales is opened and checked (the biggest messages the handheld
handles), with the garbage collector run every 2 KB allocated, so the figure is what the
call keeps plus at most 2 KB of garbage, not everything it ever allocated.
umqtt.simple, the sockets and TLS are not in this figure (the WebAssembly port has no
network): on the ESP32, mbedTLS's buffers for a session come on top.
"""

import tempfile
from pathlib import Path

BATCH = 10
# The link package itself holds the settings loader; manager.py holds the sessions.
LINK_MODULES = [
    "link", "link.hmac_sha256", "link.canonical", "link.envelope", "link.state",
    "link.allowance", "link.bearer", "link.manager",
]  # fmt: skip
SCRIPT = """
import gc, json, asyncio, time, struct, hashlib
from journal import records
gc.collect()
base = gc.mem_alloc()
for name in MODULES:
    __import__(name)
gc.collect()
imported = gc.mem_alloc()
from link.envelope import open_downlink, seal
secret = bytes(range(32))
sales = []
for n in range(BATCH):
    sales.append({"id": "GV0001-%06d" % n, "meter": "600727000000000009", "amount": 50000,
                  "time": 1763700000, "vendor": "V001", "off": 1})
gc.threshold(2048)  # collect often: what is left after a call is what it kept, plus < 2 KB
gc.collect()
start = gc.mem_alloc()
wire = seal(secret, "GV0001", 7, 1763700000, "batch", {"sales": sales})
sealed = gc.mem_alloc() - start
sales = None
wire = None
gc.collect()
start = gc.mem_alloc()
env, signed = open_downlink(DOWN, secret, "GV0001")
opened = gc.mem_alloc() - start
print("BASE", base, "IMPORTED", imported, "SEAL", sealed, "OPEN", opened, "SIGNED", signed)
"""


def main() -> None:
    from bench.bench_device_memory import _device_args, _run_micropython
    from server.link.envelope import Envelope

    answer = {
        "receipt": "00012345", "customer": "Amina Okafor", "tokens": ["12345678901234567890"],
        "key_change": [], "kwh_tenths": 1234, "tax": 1600, "fixed": 0, "debt": 0,
    }  # fmt: skip
    results = [
        {"id": f"GV0001-{n:06d}", "amount": 50000, "off": 1, "answer": answer} for n in range(BATCH)
    ]
    down = Envelope("GV0001", 9, 1763700000, "result", {"results": results, "off": [1, 0]})
    down = down.sign(bytes(range(32))).to_wire()
    with tempfile.TemporaryDirectory(prefix="gridvend-bench-") as tmp:
        setup = f"MODULES = {LINK_MODULES!r}\nBATCH = {BATCH}\nDOWN = {down!r}"
        out = _run_micropython([*_device_args("romfs", Path(tmp)), "--exec", setup,
                                "--exec", SCRIPT])  # fmt: skip
    line = next(line for line in out.splitlines() if line.startswith("BASE"))
    parts = line.split()
    figures = {parts[i]: parts[i + 1] for i in range(0, len(parts), 2)}
    imported = int(figures["IMPORTED"]) - int(figures["BASE"])
    print(
        f"   link modules imported (ROMFS, after what the firmware imports anyway): "
        f"{imported:,} B of heap"
    )
    print(
        f"   sealing a batch of {BATCH} sales: {int(figures['SEAL']):,} B; opening a result "
        f"for {BATCH} sales ({len(down):,} B on the wire): {int(figures['OPEN']):,} B "
        f"(held after the call; verified: {figures['SIGNED']})"
    )


if __name__ == "__main__":
    main()
