"""The simulator: OLED to terminal blocks, keyboard to keypad, slips to files, a whole vend."""

import asyncio

import pytest
from PIL import Image

from host.device_sim import keymap, screen
from host.device_sim.fakes import framebuf
from host.device_sim.sim import DEFAULT_PIN, Simulator
from host.device_sim.slips import SlipSaver
from host.device_sim.thermal_printer import ThermalPrinter


def test_half_blocks_keep_every_pixel():
    rows = ["#.#.", "##..", "....", ".#.#"]
    assert screen.half_blocks(rows) == ["█▄▀ ", " ▄ ▄"]


def test_quadrant_blocks_halve_the_width():
    rows = ["#..#", ".##.", "####", "...."]
    assert screen.quadrant_blocks(rows) == ["▚▞", "▀▀"]


def test_every_ascii_glyph_is_distinct_so_the_screen_reads_back_as_text():
    cells = [framebuf._FONT[code] for code in range(32, 128)]
    assert len(set(cells)) == len(cells)


def test_read_text_reads_what_the_display_driver_drew():
    import machine
    from drivers.display import Display

    from host.device_sim.ssd1306 import SSD1306

    panel = SSD1306()
    machine.I2C(0).attach(0x3C, panel)
    Display(machine.I2C(0)).show(["Meter number", "6007 2700 0000", "", "#OK *Del"])
    assert screen.read_text(panel.rows())[:4] == ["Meter number", "6007 2700 0000", "", "#OK *Del"]


def test_framed_puts_a_titled_box_around_lines():
    assert screen.framed(["ab", "c"], "T") == ["┌ T┐", "│ab│", "│c │", "└──┘"]


def test_keys_map_to_the_keypad_and_commands():
    reader = keymap.KeyReader()
    assert reader.feed("5") == ("key", "5", False)
    assert reader.feed("b") == ("key", "B", False)
    assert reader.feed("\r") == ("key", "#", False)
    assert reader.feed("\x7f") == ("key", "*", False)
    assert reader.feed("l") is None and reader.feed("*") == ("key", "*", True)
    assert reader.feed("7") == ("key", "7", False)  # the long prefix lasts one key
    assert reader.feed("p") == ("command", "paper")
    assert reader.feed("q") == ("command", "quit")
    assert reader.feed("z") is None


def test_scripts_parse_long_presses_and_refuse_unknown_keys():
    assert keymap.parse_script("12 ~*#") == [("1", False), ("2", False), ("*", True), ("#", False)]
    with pytest.raises(ValueError, match="'x' is not a keypad key"):
        keymap.parse_script("12x")


def test_slip_saver_writes_bin_text_and_png_and_keeps_numbering(tmp_path):
    printer = ThermalPrinter()
    printer(b"\x1b@hello\n\x1dV\x01")
    (tmp_path / "slip-007.png").write_bytes(b"")  # from an earlier session
    saver = SlipSaver(printer, tmp_path)
    [png] = saver.collect()
    assert png.name == "slip-008.png"
    assert png.with_suffix(".bin").read_bytes() == b"\x1b@hello\n\x1dV\x01"
    assert "hello" in png.with_suffix(".txt").read_text()
    assert Image.open(png).width == 416
    assert saver.collect() == []


@pytest.mark.slow
def test_a_whole_vend_from_typed_keys_to_a_saved_slip(tmp_path):
    """The real firmware (device/main.py) on the fakes, across a tick counter wrap."""
    sim = Simulator(tmp_path / "root", wrap_after_ms=3000)
    assert sim.boot() is not None
    keys = DEFAULT_PIN + "#" + "1" + "600727000000000009" + "#" + "500" + "#" + "#"
    saved = asyncio.run(sim.run(keys, timeout_s=90))
    assert len(saved) == 1
    text = saved[0].with_suffix(".txt").read_text()
    assert "6007 2700 0000 0000 09" in text and "KES 500.00" in text
    assert sim.crash is None
    assert sim.firmware.flow.state == 8  # DONE: "Slip printed"
    lines = sim.screen_lines()
    assert lines[0].startswith("┌ OLED 128x64 (on)") and "1 saved" in lines[-2]
    assert screen.read_text(sim.hardware.oled.rows())[:2] == ["Done", "Slip printed."]
