"""Board self-test: the steps of hardware/bringup.md section 10, in its order.

    results = selftest.run(board)            # [(name, ok, detail), ...]
    print(selftest.report(results))          # PASS/FAIL lines
    selftest.main()                          # over mpremote: builds the board from board.py

board is a dict of the objects main.py builds: "display", "printer", "keypad",
"modem" and "journal_check" (a function, sync or async, returning (ok, detail): the
journal's own check, injected so this file does not depend on the journal). Optional:
"battery", "device_id", "battery_low_mv", "print_test" (print a test slip). A missing
object fails its step with "not provided"; an exception fails it with its message, and
the other steps still run.

interactive=True adds what needs an operator: confirming the display frames with a key,
and pressing all 16 keys in layout order. Those steps scan the keypad themselves, so run
them while the firmware's own keypad task is not running (provisioning, the REPL).
"""

import asyncio
import time

STEPS = ("display", "printer_status", "keypad_scan", "modem_at", "journal")
KEY_TIMEOUT_MS = 15000
FRAME_MS = 500  # how long each test frame stays up for the operator to see


def run(board, interactive=False):
    """Run every step; returns [(name, ok, detail)] in STEPS order."""
    return asyncio.run(run_async(board, interactive))


async def run_async(board, interactive=False):
    """run() for callers already inside the event loop."""
    results = []
    for name in STEPS:
        try:
            ok, detail = await _step(name, board, interactive)
        except Exception as exc:  # one broken part must not hide the others' results
            ok = False
            detail = str(exc)
            if type(exc) is not LookupError:  # LookupError itself: a part is missing
                detail = type(exc).__name__ + ": " + detail
        results.append((name, ok, detail))
    return results


def main(interactive=False, journal_check=None, print_test=False):
    """Build the parts from board.py, run every step, print the report; True if all pass."""
    board = build_board()
    board["journal_check"] = journal_check
    board["print_test"] = print_test
    results = run(board, interactive)
    print(report(results))
    for _name, ok, _detail in results:  # noqa: SIM110 - a generator costs the heap
        if not ok:
            return False
    return True


def build_board():
    """The parts named in board.py, built as main.py builds them, rails switched on.

    A part that cannot be built (the OLED does not answer, say) is left out and its
    error kept under "errors", so its step reports why.
    """
    import board
    import machine
    from drivers.battery import Battery
    from drivers.display import Display
    from drivers.modem import Modem
    from drivers.printer import Printer
    from keypad import Keypad

    pin = machine.Pin
    pin(board.PRINTER_POWER_EN, pin.OUT, value=board.PRINTER_POWER_EN_ACTIVE)
    pin(board.MODEM_POWER_EN, pin.OUT, value=board.MODEM_POWER_EN_ACTIVE)
    parts = {"device_id": board.BOARD_NAME, "battery_low_mv": board.BATTERY_LOW_MV, "errors": {}}
    for name in ["display", "printer", "keypad", "modem", "battery"]:
        try:
            if name == "display":
                i2c = machine.I2C(
                    board.I2C_ID,
                    scl=pin(board.I2C_SCL),
                    sda=pin(board.I2C_SDA),
                    freq=board.I2C_FREQ,
                )
                part = Display(i2c, board.OLED_ADDR, board.OLED_WIDTH, board.OLED_HEIGHT)
            elif name == "printer":
                uart = machine.UART(
                    board.PRINTER_UART_ID,
                    board.PRINTER_BAUD,
                    tx=board.PRINTER_TX,
                    rx=board.PRINTER_RX,
                )
                part = Printer(uart, board.PRINTER_BAUD)
            elif name == "keypad":
                rows = []
                for n in board.KEYPAD_ROW_PINS:
                    rows.append(pin(n, pin.OPEN_DRAIN, value=1))
                cols = []
                for n in board.KEYPAD_COL_PINS:
                    cols.append(pin(n, pin.IN))
                part = Keypad(rows, cols, board.KEYPAD_LAYOUT)
            elif name == "modem":
                uart = machine.UART(
                    board.MODEM_UART_ID, board.MODEM_BAUD, tx=board.MODEM_TX, rx=board.MODEM_RX,
                    rxbuf=1024,
                )  # fmt: skip
                part = Modem(
                    uart,
                    pin(board.MODEM_PWRKEY, pin.OUT),
                    pin(board.MODEM_RESET, pin.OUT),
                    board.MODEM_PWRKEY_ACTIVE,
                    board.MODEM_PWRKEY_PULSE_MS,
                    board.MODEM_RESET_ACTIVE,
                    board.MODEM_RESET_PULSE_MS,
                )
            else:
                adc = machine.ADC(pin(board.BATTERY_ADC_PIN), atten=machine.ADC.ATTN_11DB)
                part = Battery(adc, board.BATTERY_DIVIDER, board.BATTERY_CELLS)
            parts[name] = part
        except (OSError, ValueError) as exc:
            parts["errors"][name] = type(exc).__name__ + ": " + str(exc)
    return parts


def report(results):
    """One "PASS name: detail" or "FAIL name: detail" line per step."""
    lines = []
    for name, ok, detail in results:
        lines.append(("PASS " if ok else "FAIL ") + name + ": " + detail)
    return "\n".join(lines)


async def _step(name, board, interactive):
    """One step: (ok, detail). A part the board lacks raises LookupError saying why."""
    key = "journal_check" if name == "journal" else name.split("_")[0]
    part = board.get(key)
    if part is None:
        error = board.get("errors", {}).get(key)
        raise LookupError(key + (" could not be set up: " + error if error else " not provided"))
    if name == "display":
        display = part
        if display.addr not in display.i2c.scan():
            return False, "no answer on I2C at " + hex(display.addr)
        frame = display.frame
        frame.fill(0)
        frame.rect(0, 0, display.width, display.height, 1)
        display.refresh()
        await asyncio.sleep_ms(FRAME_MS)
        for colour in (1, 0):
            frame.fill(colour)
            display.refresh()
            await asyncio.sleep_ms(FRAME_MS)
        display.show(["SELF TEST", board.get("device_id", ""), "", "Frames OK?", "# yes  * no"])
        if not interactive:
            return True, "border, all-on, all-off drawn (not confirmed)"
        key = await _next_key(board.get("keypad"))
        if key == "#":
            return True, "frames confirmed by the operator"
        return False, "operator saw a bad frame" if key else "no confirmation key"
    if name == "printer_status":
        printer = part
        state = await printer.status()
        if state != "ok":
            return False, state
        detail = "paper present" + (", paper low" if printer.paper_low else "")
        if not board.get("print_test"):
            return True, detail
        from drivers.escpos import encode_slip
        from receipts import CENTER, CUT, FEED

        slip = encode_slip(
            [
                (CENTER, "gridvend self-test"),
                (CENTER, board.get("device_id", "")),
                (FEED, ""),
                (CUT, ""),
            ]
        )
        battery = board.get("battery")
        lowest = [None]

        async def watch_battery():
            while True:
                mv = battery.millivolts()
                if lowest[0] is None or mv < lowest[0]:
                    lowest[0] = mv
                await asyncio.sleep_ms(50)

        watcher = asyncio.create_task(watch_battery()) if battery else None
        try:
            await printer.print_slip(slip)
        finally:
            if watcher:
                watcher.cancel()
        if lowest[0] is not None:
            detail += ", battery lowest " + str(lowest[0]) + " mV while printing"
            if lowest[0] < board.get("battery_low_mv", 0):
                return False, detail
        return True, detail + ", test slip printed"
    if name == "keypad_scan":
        keypad = part
        bits = keypad.read_raw()
        stuck = ""
        for k in range(len(keypad.layout)):
            if bits & (1 << k):
                stuck += keypad.layout[k]
        if stuck:
            return False, "reads pressed with no one touching it: " + stuck
        if not interactive:
            return True, "no key stuck"
        display = board.get("display")
        for expected in keypad.layout:
            if display:
                display.show(["KEYPAD TEST", "", "Press " + expected])
            key = await _next_key(keypad, True)
            if key is None:
                seconds = str(KEY_TIMEOUT_MS // 1000)
                return False, "no key within " + seconds + " s, expected " + expected
            if key != expected:
                return False, "expected " + expected + ", got " + key
        return True, "all " + str(len(keypad.layout)) + " keys in order"
    if name == "modem_at":
        modem = part
        await modem.power_on()
        sim = await modem.sim_ready()
        rssi = await modem.signal_quality()
        registered = await modem.registered()
        imei = await modem.imei()
        detail = "IMEI " + imei + ", SIM " + ("ready" if sim else "missing or locked")
        detail += (
            ", signal " + str(rssi) + ", " + ("registered" if registered else "not registered")
        )
        return sim and 10 <= rssi <= 31 and registered, detail
    result = part()  # the journal's check
    if hasattr(result, "send"):  # a coroutine: the check does I/O asynchronously
        result = await result
    ok, detail = result
    return bool(ok), detail


async def _next_key(keypad, single=False):
    """Scan until one key is released (or held long); None after KEY_TIMEOUT_MS.

    With single, a second key down at the same time fails the test (a ghost or a short).
    """
    if keypad is None:
        return None
    while keypad.get_nowait() is not None:
        pass  # old events are not answers
    deadline = time.ticks_add(time.ticks_ms(), KEY_TIMEOUT_MS)
    while time.ticks_diff(deadline, time.ticks_ms()) > 0:
        keypad.scan(time.ticks_ms())
        if single and len(keypad.pressed()) > 1:
            return "two keys at once (" + keypad.pressed() + ")"
        event = keypad.get_nowait()
        if event is not None:
            return event[0]
        await asyncio.sleep_ms(keypad.period_ms)
    return None
