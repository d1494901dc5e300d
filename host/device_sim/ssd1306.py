"""A model of the SSD1306 OLED controller on the fake I2C bus: it decodes what the driver
sends, so the simulator shows what the panel would, not what the driver meant.

Handles control bytes 0x80 (one command follows), 0x00 (commands to the end) and 0x40
(data to the end); horizontal/vertical/page addressing with column and page windows;
display on/off, invert, entire-on, contrast, segment remap and COM scan direction (a
driver that forgets the remap shows mirrored text here too).
"""

_ARGS = {
    0x20: 1,
    0x21: 2,
    0x22: 2,
    0x81: 1,
    0x8D: 1,
    0xA8: 1,
    0xD3: 1,
    0xD5: 1,
    0xD9: 1,
    0xDA: 1,
    0xDB: 1,
}


class SSD1306:
    """128x64 (or 128x32) panel state, fed through i2c_write()."""

    def __init__(self, width: int = 128, height: int = 64) -> None:
        self.width = width
        self.height = height
        self.pages = height // 8
        self.ram = bytearray(self.pages * width)
        self.on = False
        self.inverted = False
        self.entire_on = False
        self.contrast = 0x7F
        self.charge_pump = False
        self.segment_remap = False
        self.com_reverse = False
        self.mode = 2  # page addressing after reset
        self.col_window = (0, width - 1)
        self.page_window = (0, self.pages - 1)
        self.col = 0
        self.page = 0
        self.frames = 0  # data transactions received
        self._pending: list[int] = []

    # ---- the I2C side ----

    def i2c_write(self, data: bytes) -> None:
        i = 0
        while i < len(data):
            control = data[i]
            i += 1
            if control & 0x40:  # data
                self._data(data[i:])
                self.frames += 1
                return
            if control & 0x80:  # Co=1: exactly one command byte, then another control byte
                if i < len(data):
                    self._command_byte(data[i])
                i += 1
            else:  # Co=0: command bytes to the end
                for byte in data[i:]:
                    self._command_byte(byte)
                return

    def _command_byte(self, byte: int) -> None:
        self._pending.append(byte)
        op = self._pending[0]
        if len(self._pending) - 1 < _ARGS.get(op, 0):
            return
        args, self._pending = self._pending[1:], []
        if op in (0xAE, 0xAF):
            self.on = op == 0xAF
        elif op in (0xA6, 0xA7):
            self.inverted = op == 0xA7
        elif op in (0xA4, 0xA5):
            self.entire_on = op == 0xA5
        elif op in (0xA0, 0xA1):
            self.segment_remap = op == 0xA1
        elif op in (0xC0, 0xC8):
            self.com_reverse = op == 0xC8
        elif op == 0x81:
            self.contrast = args[0]
        elif op == 0x8D:
            self.charge_pump = bool(args[0] & 0x04)
        elif op == 0x20:
            self.mode = args[0] & 0x03
        elif op == 0x21:
            self.col_window = (args[0] & 0x7F, args[1] & 0x7F)
            self.col = self.col_window[0]
        elif op == 0x22:
            self.page_window = (args[0] & 0x07, args[1] & 0x07)
            self.page = self.page_window[0]
        elif 0xB0 <= op <= 0xB7:
            self.page = op & 0x07
        elif op <= 0x0F:
            self.col = (self.col & 0xF0) | op
        elif op <= 0x1F:
            self.col = (self.col & 0x0F) | ((op & 0x0F) << 4)

    def _data(self, data: bytes) -> None:
        c0, c1 = self.col_window
        p0, p1 = self.page_window
        for byte in data:
            if self.page < self.pages and self.col < self.width:
                self.ram[self.page * self.width + self.col] = byte
            if self.mode == 0:  # horizontal
                self.col += 1
                if self.col > c1:
                    self.col = c0
                    self.page = p0 if self.page >= p1 else self.page + 1
            elif self.mode == 1:  # vertical
                self.page += 1
                if self.page > p1:
                    self.page = p0
                    self.col = c0 if self.col >= c1 else self.col + 1
            else:  # page mode: the column runs on, the page stays
                self.col = min(self.col + 1, self.width - 1)

    # ---- what the panel shows ----

    def pixel(self, x: int, y: int) -> bool:
        """Whether the dot at screen position (x, y) is lit (x right, y down)."""
        if not self.on or not self.charge_pump:
            return False
        if self.entire_on:
            return True
        col = x if self.segment_remap else self.width - 1 - x
        row = y if self.com_reverse else self.height - 1 - y
        lit = bool(self.ram[(row // 8) * self.width + col] >> (row % 8) & 1)
        return lit != self.inverted

    def rows(self) -> list[str]:
        """The screen as strings of "#" (lit) and "." (dark), top row first."""
        return [
            "".join("#" if self.pixel(x, y) else "." for x in range(self.width))
            for y in range(self.height)
        ]
