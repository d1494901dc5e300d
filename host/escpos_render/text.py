"""A slip as plain text: 32 columns between borders, each line's styles named on its right.

    |          Kijiji Power          | bold 2h
    |--------------------------------|
    ~~~~~~~~~~~~~~~~ cut ~~~~~~~~~~~~~~~~

Double-width characters take two columns ("P A Y"); blank fed paper shows as empty rows.
Commands the parser did not know are listed at the end.
"""

from host.escpos_render.parser import CHAR_H, DEFAULT_SPACING, PAPER_DOTS, Line, Slip

COLUMNS = PAPER_DOTS // 12


def _styles(line: Line) -> str:
    names = []
    for char in line.chars:
        style = char.style
        for name, on in (
            ("bold", style.bold),
            ("underline", style.underline),
            ("reverse", style.reverse),
            (f"{style.width}w", style.width > 1),
            (f"{style.height}h", style.height > 1),
        ):
            if on and name not in names:
                names.append(name)
    return " ".join(names)


def _layout(line: Line) -> str:
    cells = "".join(c.char + " " * (c.style.width - 1) for c in line.chars)
    cells = cells.rstrip() if line.align != "left" else cells
    gap = COLUMNS - len(cells)
    if line.align == "center":
        cells = " " * (gap // 2) + cells
    elif line.align == "right":
        cells = " " * gap + cells
    return cells.ljust(COLUMNS)


def render_text(slip: Slip) -> str:
    """The text preview of a parsed slip (see the module docstring)."""
    rows = ["+" + "-" * COLUMNS + "+"]
    for line in slip.lines:
        if line.kind == "cut":
            rows.append("~" * 16 + " cut " + "~" * (COLUMNS - 19))
        elif line.kind == "feed":
            rows.extend(["|" + " " * COLUMNS + "|"] * max(1, round(line.dots / DEFAULT_SPACING)))
        else:
            tags = _styles(line)
            rows.append("|" + _layout(line) + "|" + (" " + tags if tags else ""))
            extra = line.dots // CHAR_H - 1  # a double-height line takes two rows of paper
            rows.extend(["|" + " " * COLUMNS + "|"] * max(0, extra))
    if not slip.lines or slip.lines[-1].kind != "cut":
        rows.append("+" + "-" * COLUMNS + "+")
    for unknown in slip.unknown:
        rows.append(f"! {unknown}")
    return "\n".join(rows) + "\n"
