"""SSD1306 128x64 OLED over I2C: 8 lines of 16 characters in the 8x8 framebuf font.

The driver is handed its I2C bus (anything with writeto/writevto) and keeps two
preallocated buffers: the 1 KB frame and a 2-byte command buffer, so redrawing a screen
allocates nothing but the text itself. The frame goes out in one I2C transaction.
"""

import framebuf
from micropython import const

from drivers import fold

# SSD1306 commands (datasheet section 9)
_SET_CONTRAST = const(0x81)
_ENTIRE_ON_RESUME = const(0xA4)  # show RAM, not all pixels on
_NORMAL_DISPLAY = const(0xA6)
_DISPLAY_OFF = const(0xAE)
_DISPLAY_ON = const(0xAF)
_MEMORY_MODE = const(0x20)
_COLUMN_ADDR = const(0x21)
_PAGE_ADDR = const(0x22)
_START_LINE = const(0x40)
_SEGMENT_REMAP = const(0xA1)  # column 127 -> SEG0: with _COM_SCAN_DEC, upright on modules
_MUX_RATIO = const(0xA8)
_COM_SCAN_DEC = const(0xC8)
_DISPLAY_OFFSET = const(0xD3)
_COM_PINS = const(0xDA)
_CLOCK_DIV = const(0xD5)
_PRECHARGE = const(0xD9)
_VCOM_DESELECT = const(0xDB)
_CHARGE_PUMP = const(0x8D)

_CONTROL_COMMAND = const(0x80)  # Co=1, D/C#=0: one command byte follows

_LINE_CHARS = const(16)
_LINES = const(8)


class Display:
    """The OLED: show(lines), clear(), contrast(v), power(on)."""

    def __init__(self, i2c, addr=0x3C, width=128, height=64):
        self.i2c = i2c
        self.addr = addr
        self.width = width
        self.height = height
        self.pages = height // 8
        self.buffer = bytearray(self.pages * width)
        self.frame = framebuf.FrameBuffer(self.buffer, width, height, framebuf.MONO_VLSB)
        self._cmd = bytearray(2)
        self._cmd[0] = _CONTROL_COMMAND
        # Co=0, D/C#=1 (display data until the end of the transaction), then the frame:
        # one transaction, no copy.
        self._frame_vector = (b"\x40", self.buffer)
        for byte in (
            _DISPLAY_OFF,
            _MEMORY_MODE,
            0x00,  # horizontal addressing: the frame streams in one go
            _START_LINE | 0,
            _SEGMENT_REMAP,
            _MUX_RATIO,
            self.height - 1,
            _COM_SCAN_DEC,
            _DISPLAY_OFFSET,
            0x00,
            _COM_PINS,
            0x12 if self.height == 64 else 0x02,  # alternative COM pins on 64-row panels
            _CLOCK_DIV,
            0x80,
            _PRECHARGE,
            0xF1,  # internal charge pump: phase 1 short, phase 2 long
            _VCOM_DESELECT,
            0x30,
            _SET_CONTRAST,
            0xFF,
            _ENTIRE_ON_RESUME,
            _NORMAL_DISPLAY,
            _CHARGE_PUMP,
            0x14,  # charge pump on: the panel has no external VCC
        ):
            self._command(byte)
        self.clear()
        self._command(_DISPLAY_ON)

    def _command(self, byte):
        self._cmd[1] = byte
        self.i2c.writeto(self.addr, self._cmd)

    def show(self, lines):
        """Draw up to 8 lines of up to 16 characters (more is cut off) and send the frame.

        The font is ASCII only, so accented letters are shown without their accents.
        """
        self.frame.fill(0)
        y = 0
        for line in lines[:_LINES]:
            self.frame.text(fold(line[:_LINE_CHARS]), 0, y, 1)
            y += 8
        self.refresh()

    def clear(self):
        """Blank the screen."""
        self.frame.fill(0)
        self.refresh()

    def contrast(self, value):
        """Brightness 0-255."""
        self._command(_SET_CONTRAST)
        self._command(value & 0xFF)

    def power(self, on):
        """Panel on or off (off keeps the picture in the chip's RAM)."""
        self._command(_DISPLAY_ON if on else _DISPLAY_OFF)

    def refresh(self):
        """Send the frame buffer (self.frame) to the panel as it is now."""
        self._command(_COLUMN_ADDR)
        self._command(0)
        self._command(self.width - 1)
        self._command(_PAGE_ADDR)
        self._command(0)
        self._command(self.pages - 1)
        self.i2c.writevto(self.addr, self._frame_vector)
