"""Building blocks for 32-column slips: label/value pairs, wrapped text, centring.

Everything here returns (style, text) tuples (see styles.py) and never a line longer
than the printer can hold: long values move to their own line, long text wraps.
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
    for line in wrap(value, width_for(style)):
        out.append((style, line))


def pair(out, label, value, style=0):
    """Append "label ....... value" on one line, or label then value right-aligned below."""
    width = width_for(style)
    room = width - len(label)
    if room > len(value):
        out.append((style, "%s%*s" % (label, room, value)))  # noqa: UP031 - one allocation
        return
    for line in wrap(label, width):
        out.append((style, line))
    for line in wrap(value, width):
        out.append((style, " " * (width - len(line)) + line))


def centered(out, style, value):
    """Append value centred (by the printer) and wrapped to the width of style."""
    text(out, style | CENTER, value)
