"""MicroPython's `framebuf` on CPython, for MONO_VLSB buffers (the SSD1306's layout).

Kept as on the device (extmod/modframebuf.c): drawing writes straight into the caller's
buffer; pixels outside the frame are clipped; pixel(x, y) reads None outside it; text()
draws only the lit dots of each 8x8 cell (it never clears the background) and walks the
string's UTF-8 bytes, so every byte outside 32-127 becomes glyph 127 (an "é" shows as two
boxes). The font is gridvend's own (host/bitmap_font.py), not MicroPython's: the shapes
differ, the cell grid and the rules above do not.
"""

from host import bitmap_font

MONO_VLSB = 0
MVLSB = MONO_VLSB
RGB565 = 1
GS4_HMSB = 2
MONO_HLSB = 3
MONO_HMSB = 4
GS2_HMSB = 5
GS8 = 6

_CELL = 8


def _cell_columns(code: int) -> tuple[int, ...]:
    """The 8 column bytes (bit 0 = top row) of one character cell, like the device's font."""
    if code < 32 or code > 127:
        code = 127
    rows = bitmap_font.ascii_glyph(chr(code))
    columns = [0] * _CELL
    for x in range(bitmap_font.WIDTH):
        for y in range(bitmap_font.HEIGHT):
            if bitmap_font.lit(rows, x, y):
                columns[x + 1] |= 1 << y  # one blank column before the glyph
    return tuple(columns)


_FONT = [_cell_columns(code) for code in range(128)]


class FrameBuffer:
    """A drawing surface over a caller-owned buffer (MONO_VLSB only in this fake)."""

    def __init__(self, buffer, width: int, height: int, format: int, stride: int | None = None):
        if format != MONO_VLSB:
            raise ValueError("this fake framebuf supports MONO_VLSB only")
        self.buffer = buffer
        self.width = width
        self.height = height
        self.stride = width if stride is None else stride
        need = ((height + 7) // 8) * self.stride
        if len(memoryview(buffer)) < need:
            raise ValueError("buffer too small")
        self._mv = memoryview(buffer).cast("B")

    def _set(self, x: int, y: int, c: int) -> None:
        index = (y >> 3) * self.stride + x
        bit = 1 << (y & 7)
        if c:
            self._mv[index] |= bit
        else:
            self._mv[index] &= ~bit & 0xFF

    def _get(self, x: int, y: int) -> int:
        return (self._mv[(y >> 3) * self.stride + x] >> (y & 7)) & 1

    def fill(self, c: int) -> None:
        """Every pixel to c."""
        value = 0xFF if c else 0x00
        for i in range(((self.height + 7) // 8) * self.stride):
            self._mv[i] = value

    def pixel(self, x: int, y: int, c: int | None = None) -> int | None:
        """Read (no c) or write one pixel; None when reading outside the frame."""
        if 0 <= x < self.width and 0 <= y < self.height:
            if c is None:
                return self._get(x, y)
            self._set(x, y, c)
        return None

    def fill_rect(self, x: int, y: int, w: int, h: int, c: int) -> None:
        """A filled rectangle, clipped to the frame."""
        x0, y0 = max(x, 0), max(y, 0)
        x1, y1 = min(x + w, self.width), min(y + h, self.height)
        for yy in range(y0, y1):
            for xx in range(x0, x1):
                self._set(xx, yy, c)

    def hline(self, x: int, y: int, w: int, c: int) -> None:
        self.fill_rect(x, y, w, 1, c)

    def vline(self, x: int, y: int, h: int, c: int) -> None:
        self.fill_rect(x, y, 1, h, c)

    def rect(self, x: int, y: int, w: int, h: int, c: int, f: bool = False) -> None:
        """A rectangle outline, or filled when f is true."""
        if f:
            self.fill_rect(x, y, w, h, c)
            return
        self.fill_rect(x, y, w, 1, c)
        self.fill_rect(x, y + h - 1, w, 1, c)
        self.fill_rect(x, y, 1, h, c)
        self.fill_rect(x + w - 1, y, 1, h, c)

    def line(self, x1: int, y1: int, x2: int, y2: int, c: int) -> None:
        """A straight line (Bresenham), clipped."""
        dx, dy = abs(x2 - x1), -abs(y2 - y1)
        sx, sy = (1 if x1 < x2 else -1), (1 if y1 < y2 else -1)
        err = dx + dy
        while True:
            self.pixel(x1, y1, c)
            if x1 == x2 and y1 == y2:
                return
            e2 = 2 * err
            if e2 >= dy:
                err += dy
                x1 += sx
            if e2 <= dx:
                err += dx
                y1 += sy

    def scroll(self, xstep: int, ystep: int) -> None:
        """Move the contents by (xstep, ystep); uncovered pixels keep their old values."""
        xs = range(self.width - 1, -1, -1) if xstep > 0 else range(self.width)
        ys = range(self.height - 1, -1, -1) if ystep > 0 else range(self.height)
        for y in ys:
            for x in xs:
                sx, sy = x - xstep, y - ystep
                if 0 <= sx < self.width and 0 <= sy < self.height:
                    self._set(x, y, self._get(sx, sy))

    def text(self, s: str, x: int, y: int, c: int = 1) -> None:
        """Draw s in 8x8 cells from (x, y): lit dots only, one cell per UTF-8 byte."""
        if isinstance(s, str):
            s = s.encode("utf-8")
        elif not isinstance(s, bytes | bytearray):
            raise TypeError(f"can't convert '{type(s).__name__}' object to str implicitly")
        for code in s:
            if code == 0:
                return  # the device walks a C string: a NUL byte ends it
            columns = _FONT[code] if code < 128 else _FONT[127]
            for dx in range(_CELL):
                bits = columns[dx]
                px = x + dx
                if not 0 <= px < self.width:
                    continue
                for dy in range(_CELL):
                    py = y + dy
                    if bits >> dy & 1 and 0 <= py < self.height:
                        self._set(px, py, c)
            x += _CELL
