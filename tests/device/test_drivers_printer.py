"""Printer driver against the fake UART and a model of the ESC/POS printer."""

import asyncio
import time as host_time
from itertools import pairwise

import machine
import pytest
from drivers import printer as printer_module
from drivers.escpos import encode_slip
from drivers.printer import STATUS_QUERY, NoPrinter, PaperOut, Printer
from receipts import CENTER, CUT

from host.device_sim.thermal_printer import ThermalPrinter

SLIP = encode_slip([(CENTER, f"line {i}") for i in range(12)] + [(CUT, "")])


@pytest.fixture
def uart():
    return machine.UART(1, 115200, tx=machine.Pin(18), rx=machine.Pin(5))


def fast_printer(uart, **kwargs):
    options = {"baud": 115200, "chunk": 16, "line_ms": 2, "status_timeout_ms": 60}
    options.update(kwargs)
    return Printer(uart, **options)


def test_status_ok_sends_dle_eot_4_and_reads_one_byte(uart):
    ThermalPrinter(uart)
    assert asyncio.run(fast_printer(uart).status()) == "ok"
    assert uart.take_written() == b"\x10\x04\x04" == STATUS_QUERY


def test_status_paper_out_and_paper_low(uart):
    model = ThermalPrinter(uart)
    model.paper_near_end = True
    printer = fast_printer(uart)
    assert asyncio.run(printer.status()) == "ok"
    assert printer.paper_low
    model.paper = False
    assert asyncio.run(printer.status()) == "paper_out"


def test_status_no_printer_after_the_timeout(uart):
    started = host_time.monotonic()
    assert asyncio.run(fast_printer(uart, status_timeout_ms=80).status()) == "no_printer"
    assert host_time.monotonic() - started >= 0.08


def test_a_stale_reply_is_not_taken_for_the_answer(uart):
    ThermalPrinter(uart)
    uart.feed(b"\x72")  # an old "paper out" answer still in the buffer
    assert asyncio.run(fast_printer(uart).status()) == "ok"


def test_noise_bytes_are_skipped_until_a_valid_status_byte(uart):
    def reply(_data):
        uart.feed(b"\xff\x00\x12")

    uart.attach(reply)
    assert asyncio.run(fast_printer(uart).status()) == "ok"


def test_print_slip_checks_paper_sends_everything_in_chunks_then_checks_again(uart):
    model = ThermalPrinter(uart)
    chunks = []
    inner = uart._peer
    uart.attach(lambda data: (chunks.append(data), inner(data)))
    asyncio.run(fast_printer(uart, chunk=16).print_slip(SLIP))
    assert uart.take_written() == STATUS_QUERY + SLIP + STATUS_QUERY
    assert model.printed == SLIP
    body = chunks[1:-1]
    assert all(len(c) <= 16 for c in body) and b"".join(body) == SLIP
    assert len(body) == -(-len(SLIP) // 16)
    assert model.take_slips() == [SLIP]


def test_print_slip_without_paper_sends_nothing_but_the_query(uart):
    model = ThermalPrinter(uart)
    model.paper = False
    with pytest.raises(PaperOut):
        asyncio.run(fast_printer(uart).print_slip(SLIP))
    assert uart.take_written() == STATUS_QUERY


def test_print_slip_without_printer_raises_no_printer(uart):
    with pytest.raises(NoPrinter):
        asyncio.run(fast_printer(uart).print_slip(SLIP))
    assert uart.take_written() == STATUS_QUERY


def test_paper_ending_mid_slip_is_reported_and_a_reprint_comes_out_whole(uart):
    model = ThermalPrinter(uart)
    model.load_paper(length=40)
    printer = fast_printer(uart)
    with pytest.raises(PaperOut):
        asyncio.run(printer.print_slip(SLIP))
    assert len(model.printed) == 40
    model.load_paper()
    asyncio.run(printer.print_slip(SLIP))
    slips = model.take_slips()
    assert len(slips) == 2 and len(slips[0]) == 40  # the torn one, then the reprint
    assert slips[1] == SLIP  # it starts with ESC @: a clean slip


def test_chunks_are_paced_for_the_wire_and_the_other_tasks_keep_running(uart):
    ThermalPrinter(uart)
    stamps = []
    inner = uart._peer
    uart.attach(lambda data: (stamps.append(host_time.monotonic()), inner(data)))
    ticks = []

    async def other_task():
        while True:
            ticks.append(host_time.monotonic())
            await asyncio.sleep(0.001)

    async def main():
        task = asyncio.create_task(other_task())
        await fast_printer(uart, baud=9600, chunk=32, line_ms=0).print_slip(SLIP)
        task.cancel()

    asyncio.run(main())
    body = stamps[1:-1]
    wire_s = 32 * 10 / 9600  # 32 bytes of 10 bits at 9600 baud
    gaps = [b - a for a, b in pairwise(body)]
    assert min(gaps) >= wire_s * 0.95
    between = [t for t in ticks if body[0] < t < body[-1]]
    assert len(between) >= len(body)  # the loop ran between chunks


def test_pacing_waits_for_printed_lines_when_they_are_slower_than_the_wire(uart, monkeypatch):
    ThermalPrinter(uart)  # answers the status requests at once: the only sleeps are pauses
    pauses = []

    class RecordingAsyncio:
        Lock = printer_module.asyncio.Lock

        @staticmethod
        async def sleep_ms(ms):
            pauses.append(ms)

    monkeypatch.setattr(printer_module, "asyncio", RecordingAsyncio)
    printer = Printer(uart, baud=115200, chunk=64, line_ms=40)
    asyncio.run(printer.print_slip(b"abc\n" * 4))
    asyncio.run(printer.print_slip(b"x" * 64))
    assert pauses == [160, 6]  # 4 lines of 40 ms; 64 bytes at 115200 baud: 5.6 ms
