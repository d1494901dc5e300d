"""Slip layout: pure functions from a sale (or shift totals) to slip lines.

A slip is a list of (style, text) tuples, 32 characters a line at most (16 in double
width), or (style, label, value) for a label and a value on one line: the label on the
left and the value flush right, padded by the printer layer (pair() makes these only
when both fit). The printer layer (drivers/escpos.py) turns a slip into ESC/POS bytes;
nothing here knows about bytes or printers.

This module: the style bits and the building blocks (label/value pairs, wrapped text,
centring), which never make a line longer than the printer can hold: long values move
to their own line, long text wraps. slip.py: the slips themselves.
"""

# Style bits.
CENTER = 1
BOLD = 2
DOUBLE_HEIGHT = 4
DOUBLE_WIDTH = 8
RULE = 16  # text ignored: one full-width separator line
FEED = 32  # text ignored: feed a few blank lines
CUT = 64  # text ignored: cut the paper

# Characters per printed line at normal width on a 58 mm printer, and at double width.
LINE_WIDTH = 32
WIDE_LINE_WIDTH = 16


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
