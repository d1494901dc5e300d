"""Screen building: 8 lines of 16 characters (128x64 OLED, 8x8 font)."""

from receipts.layout import wrap

WIDTH = 16
HEIGHT = 8

# Lines page() had to drop since boot: always 0 unless a text is too long for its
# screen. Tests render every screen in every language and check it stays 0.
overflow = [0]


def page(title, body, footer=None):
    """Title line, body lines (str or wrapped), footer on the last line; 8 lines at most.

    Body lines that do not fit are dropped from the end: screens are designed to fit,
    and tests check every screen of the flow in every language. Runs on every key
    press, so a line that fits is used as it is (wrapping makes a list per line).
    """
    lines = [title if len(title) <= WIDTH else wrap(title, WIDTH)[0]]
    for item in body:
        if len(item) <= WIDTH and "\n" not in item:
            lines.append(item)
        else:
            for line in wrap(item, WIDTH):
                lines.append(line)
    room = HEIGHT - (1 if footer else 0)
    if len(lines) > room or len(title) > WIDTH or (footer and len(footer) > WIDTH):
        overflow[0] += 1
    while len(lines) > room:
        lines.pop()
    if footer:
        lines.append(footer if len(footer) <= WIDTH else footer[:WIDTH])
    return lines


def masked(count):
    """A PIN as stars."""
    return "*" * count


def cursor_rows(rows, selected):
    """List rows with a ">" before the selected one."""
    out = []
    for i, row in enumerate(rows):
        if len(row) > WIDTH - 1:
            overflow[0] += 1
        out.append((">" if i == selected else " ") + row[: WIDTH - 1])
    return out
