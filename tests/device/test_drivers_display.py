"""SSD1306 driver against the fake I2C bus and a model of the controller."""

import errno

import machine
import pytest
from drivers.display import Display

from host.device_sim.fakes import framebuf
from host.device_sim.ssd1306 import SSD1306

ADDR = 0x3C
INIT_COMMANDS = [
    0xAE,  # display off
    0x20, 0x00,  # horizontal addressing
    0x40,  # start line 0
    0xA1,  # segment remap
    0xA8, 0x3F,  # multiplex 64
    0xC8,  # COM scan descending
    0xD3, 0x00,  # no display offset
    0xDA, 0x12,  # COM pins: alternative, for 64 rows
    0xD5, 0x80,  # clock divide
    0xD9, 0xF1,  # precharge for the internal charge pump
    0xDB, 0x30,  # VCOMH deselect level
    0x81, 0xFF,  # contrast
    0xA4,  # follow RAM
    0xA6,  # not inverted
    0x8D, 0x14,  # charge pump on
]  # fmt: skip
FLUSH_COMMANDS = [0x21, 0x00, 0x7F, 0x22, 0x00, 0x07]


@pytest.fixture
def bus():
    i2c = machine.I2C(0, scl=machine.Pin(22), sda=machine.Pin(21))
    i2c.attach(ADDR, SSD1306())
    return i2c


def commands(writes):
    """Command bytes of single-command writes (0x80, cmd); data writes are skipped."""
    out = []
    for _addr, data in writes:
        assert data[0] in (0x80, 0x40), data[:4].hex()
        if data[0] == 0x80:
            assert len(data) == 2
            out.append(data[1])
    return out


def glyph_cell(text: str) -> list[str]:
    """The 8x8 cell the fake framebuf draws for one character (the driver's expected ink)."""
    buf = bytearray(8)
    framebuf.FrameBuffer(buf, 8, 8, framebuf.MONO_VLSB).text(text, 0, 0, 1)
    return ["".join("#" if buf[x] >> y & 1 else "." for x in range(8)) for y in range(8)]


def screen_cell(panel: SSD1306, column: int, line: int) -> list[str]:
    rows = panel.rows()
    return [row[column * 8 : column * 8 + 8] for row in rows[line * 8 : line * 8 + 8]]


def test_init_sends_the_command_sequence_then_a_blank_frame_then_display_on(bus):
    Display(bus, ADDR)
    writes = list(bus.writes)
    assert commands(writes) == INIT_COMMANDS + FLUSH_COMMANDS + [0xAF]
    data = [d for _a, d in writes if d[0] == 0x40]
    assert data == [b"\x40" + bytes(1024)]


def test_show_puts_each_line_in_its_8_pixel_row_of_cells(bus):
    display = Display(bus, ADDR)
    display.show(["A", "", "xy"])
    panel = bus.devices[ADDR]
    assert screen_cell(panel, 0, 0) == glyph_cell("A")
    assert screen_cell(panel, 0, 2) == glyph_cell("x")
    assert screen_cell(panel, 1, 2) == glyph_cell("y")
    lit = sum(row.count("#") for row in panel.rows())
    ink = sum(row.count("#") for ch in "Axy" for row in glyph_cell(ch))
    assert lit == ink > 0


def test_show_sends_one_data_transaction_of_the_whole_frame(bus):
    display = Display(bus, ADDR)
    bus.writes.clear()
    display.show(["hello"])
    assert commands(bus.writes) == FLUSH_COMMANDS
    data = [d for _a, d in bus.writes if d[0] == 0x40]
    assert len(data) == 1 and len(data[0]) == 1025
    assert bytes(data[0][1:]) == bytes(display.buffer)


def test_lines_beyond_16_characters_and_beyond_8_lines_are_not_drawn(bus):
    display = Display(bus, ADDR)
    display.show(["0123456789abcdefZ"] + ["x"] * 8 + ["9th line"])
    panel = bus.devices[ADDR]
    assert screen_cell(panel, 15, 0) == glyph_cell("f")
    shown = panel.rows()
    display.show(["0123456789abcdef"] + ["x"] * 7)
    assert panel.rows() == shown


def test_accented_letters_show_without_accents_not_as_boxes(bus):
    display = Display(bus, ADDR)
    display.show(["Reçu payé"])
    accented = bus.devices[ADDR].rows()
    display.show(["Recu paye"])
    assert bus.devices[ADDR].rows() == accented


def test_contrast_and_power(bus):
    display = Display(bus, ADDR)
    display.show(["on"])
    panel = bus.devices[ADDR]
    bus.writes.clear()
    display.contrast(0x20)
    assert commands(bus.writes) == [0x81, 0x20]
    assert panel.contrast == 0x20
    display.power(False)
    assert not any("#" in row for row in panel.rows())
    display.power(True)
    assert any("#" in row for row in panel.rows())


def test_clear_blanks_the_panel(bus):
    display = Display(bus, ADDR)
    display.show(["something"])
    display.clear()
    assert not any("#" in row for row in bus.devices[ADDR].rows())


def test_a_missing_display_raises_enodev_like_the_esp32():
    empty = machine.I2C(0)
    with pytest.raises(OSError) as info:
        Display(empty, ADDR)
    assert info.value.errno == errno.ENODEV


def test_32_row_panel_uses_sequential_com_pins():
    i2c = machine.I2C(1)
    i2c.attach(ADDR, SSD1306(128, 32))
    Display(i2c, ADDR, 128, 32)
    sent = commands(i2c.writes)
    assert sent[5:7] == [0xA8, 31]
    assert sent[10:12] == [0xDA, 0x02]
