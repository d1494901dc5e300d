"""Building blocks for 32-column slips: label/value pairs, wrapped text, centring.

Everything here returns (style, text) or (style, label, value) tuples (see styles.py)
and never a line longer than the printer can hold: long values move to their own
line, long text wraps.
"""

from receipts.styles import CENTER, DOUBLE_WIDTH, LINE_WIDTH, WIDE_LINE_WIDTH


def width_for(style):
    """Characters that fit on one line in this style."""
    return WIDE_LINE_WIDTH if style & DOUBLE_WIDTH else LINE_WIDTH


def wrap(text, width):
    """Split text into lines of at most width characters, at spaces when possible."""
    if len(text) <= width and "\n" not in text:
        return [text]  # most texts: no splitting, no garbage
    lines = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            while len(word) > width:
                if line:
                    lines.append(line)
                    line = ""
                lines.append(word[:width])
                word = word[width:]
            if not line:
                line = word
            elif len(line) + 1 + len(word) <= width:
                line = line + " " + word
            else:
                lines.append(line)
                line = word
        lines.append(line)
    return lines


def text(out, style, value):
    """Append value, wrapped to the width of style, as lines of that style."""
    width = width_for(style)
    if len(value) <= width and "\n" not in value:
        out.append((style, value))  # most texts: one line, and no list to wrap it in
        return
    for line in wrap(value, width):
        out.append((style, line))


def pair(out, label, value, style=0):
    """Append "label ....... value" on one line, or label then value right-aligned below.

    On one line it is (style, label, value): the printer layer pads it, so no padded
    copy of the line is made (a slip has a dozen of these, laid out on a small heap).
    """
    width = width_for(style)
    if width - len(label) > len(value):
        out.append((style, label, value))
        return
    for line in wrap(label, width):
        out.append((style, line))
    for line in wrap(value, width):
        out.append((style, " " * (width - len(line)) + line))


def centered(out, style, value):
    """Append value centred (by the printer) and wrapped to the width of style."""
    text(out, style | CENTER, value)
