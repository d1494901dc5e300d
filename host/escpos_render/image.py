"""A slip as a picture of the paper: 384 dots wide (58 mm at 8 dots/mm), black on white.

Characters are gridvend's 5x8 bitmap font scaled to the printer's 12x24 Font A cell;
double width/height scale the cell; bold adds a dot to the right of every dot, as the
printer's emphasized mode does; a cut is a dashed line.
"""

from PIL import Image

from host import bitmap_font
from host.escpos_render.parser import CHAR_H, CHAR_W, PAPER_DOTS, Char, Line, Slip

MARGIN = 16  # paper outside the printable width
SCALE_X = 2  # font dots to printer dots
SCALE_Y = 3


def _draw_char(pixels, x0: int, y0: int, char: Char) -> None:
    style = char.style
    sx, sy = SCALE_X * style.width, SCALE_Y * style.height
    rows = bitmap_font.glyph(char.char)
    cell_w, cell_h = CHAR_W * style.width, CHAR_H * style.height
    on = set()
    for gy in range(bitmap_font.HEIGHT):
        for gx in range(bitmap_font.WIDTH):
            if bitmap_font.lit(rows, gx, gy):
                for dy in range(sy):
                    for dx in range(sx):
                        on.add((style.width + gx * sx + dx, gy * sy + dy))
    if style.bold:
        on |= {(x + 1, y) for x, y in on if x + 1 < cell_w}
    if style.underline:
        on |= {(x, cell_h - 1 - t) for x in range(cell_w) for t in range(2)}
    for x in range(cell_w):
        for y in range(cell_h):
            if ((x, y) in on) != style.reverse:
                pixels[x0 + x, y0 + y] = 0


def _draw_line(pixels, y: int, line: Line) -> None:
    width = line.columns * CHAR_W
    x = {"center": (PAPER_DOTS - width) // 2, "right": PAPER_DOTS - width}.get(line.align, 0)
    height = max([c.style.height for c in line.chars] or [1]) * CHAR_H
    for char in line.chars:
        top = y + height - char.style.height * CHAR_H  # characters stand on one baseline
        _draw_char(pixels, MARGIN + max(x, 0), top, char)
        x += char.style.width * CHAR_W


def render_image(slip: Slip) -> Image.Image:
    """A 1-bit image of the paper the slip came out on."""
    height = MARGIN * 2 + sum(line.dots if line.kind != "cut" else CHAR_H for line in slip.lines)
    image = Image.new("1", (PAPER_DOTS + 2 * MARGIN, max(height, 2 * MARGIN)), 1)
    pixels = image.load()
    y = MARGIN
    for line in slip.lines:
        if line.kind == "text":
            _draw_line(pixels, y, line)
            y += line.dots
        elif line.kind == "feed":
            y += line.dots
        else:
            middle = y + CHAR_H // 2
            for x in range(0, image.width, 8):
                for dx in range(4):
                    pixels[x + dx, middle] = 0
            y += CHAR_H
    return image


def render_png(slip: Slip, path) -> None:
    """Write the slip's picture to path as PNG."""
    render_image(slip).save(path, format="PNG", optimize=True)
