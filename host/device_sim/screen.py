"""The OLED in a terminal: the panel model's pixels as block characters, and as text.

Half blocks keep every pixel (128 columns x 32 rows); quadrant blocks halve the width
(64 x 32) for narrow terminals at the cost of sharpness. read_text() reads the pixels back
into characters (the fake framebuf's font, on the 8x8 grid the display driver uses), so
the screen can also be shown, searched and tested as text.
"""

from host.device_sim.fakes import framebuf

HALF = " ▀▄█"  # index: top pixel | bottom pixel << 1
QUADRANT = (
    " ▘▝▀▖▌▞▛▗▚▐▜▄▙▟█"  # index: top-left | top-right << 1 | bottom-left << 2 | bottom-right << 3
)


def half_blocks(rows: list[str]) -> list[str]:
    """Two pixel rows ("#"/".") per text row, one pixel per column."""
    out = []
    for y in range(0, len(rows), 2):
        top, bottom = rows[y], rows[y + 1] if y + 1 < len(rows) else "." * len(rows[y])
        out.append(
            "".join(HALF[(t == "#") | (b == "#") << 1] for t, b in zip(top, bottom, strict=True))
        )
    return out


def quadrant_blocks(rows: list[str]) -> list[str]:
    """Two pixel rows and two pixel columns per character."""
    out = []
    for y in range(0, len(rows), 2):
        top = rows[y]
        bottom = rows[y + 1] if y + 1 < len(rows) else "." * len(top)
        line = []
        for x in range(0, len(top), 2):
            index = (
                (top[x] == "#")
                | (x + 1 < len(top) and top[x + 1] == "#") << 1
                | (bottom[x] == "#") << 2
                | (x + 1 < len(bottom) and bottom[x + 1] == "#") << 3
            )
            line.append(QUADRANT[index])
        out.append("".join(line))
    return out


def framed(lines: list[str], title: str = "") -> list[str]:
    """lines inside a box, with an optional title in the top border."""
    width = max((len(line) for line in lines), default=0)
    top = "┌" + (" " + title + " " if title else "").ljust(width, "─")[:width] + "┐"
    return [top, *("│" + line.ljust(width) + "│" for line in lines), "└" + "─" * width + "┘"]


_CELLS = {
    columns: chr(code) for code, columns in reversed(list(enumerate(framebuf._FONT))) if code >= 32
}


def read_text(rows: list[str]) -> list[str]:
    """The characters on the panel, one string per 8-pixel text line ("?" for other ink)."""
    lines = []
    for top in range(0, len(rows) - 7, 8):
        chars = []
        for left in range(0, len(rows[top]) - 7, 8):
            columns = tuple(
                sum(1 << dy for dy in range(8) if rows[top + dy][left + dx] == "#")
                for dx in range(8)
            )
            chars.append(_CELLS.get(columns, "?"))
        lines.append("".join(chars).rstrip())
    return lines
