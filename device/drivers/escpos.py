"""Slip lines to ESC/POS bytes for a 58 mm thermal printer (32 columns of Font A).

Pure: no I/O, so the exact bytes of a receipt can be checked byte by byte (see
tests/device/golden/). A slip is a list of (style, text) with the bits of
receipts/styles.py. Every slip starts with ESC @ (clears whatever a paper-out left in
the printer's buffer, so a reprint starts clean) and ESC t (the code page); after that a
mode command is sent only when a line changes it.

Commands used (ESC/POS): ESC @ init; ESC t n code page; ESC a n alignment (0 left,
1 centre); ESC E n bold; GS ! n character size (bits 0-3 height - 1, bits 4-7 width - 1);
ESC d n print and feed n lines; GS V 1 partial cut; LF print the line.
"""

from micropython import const
from receipts import (
    BOLD,
    CENTER,
    CUT,
    DOUBLE_HEIGHT,
    DOUBLE_WIDTH,
    FEED,
    LINE_WIDTH,
    RULE,
    WIDE_LINE_WIDTH,
)

from drivers import codepage as code_page
from drivers import encode_into

_FEED_LINES = const(3)  # a FEED line: a few blank lines
_CUT_FEED_LINES = const(4)  # move the last line past the cutter (or tear bar) before cutting


def encode_slip(lines, codepage="cp437"):
    """ESC/POS bytes for slip lines [(style, text), ...] on the given code page.

    A (style, label, value) line prints the value flush right after the label. Text
    longer than the line (32 characters, 16 in double width) is cut, since the
    printer would wrap it into the next line. Characters the code page lacks print as
    their ASCII fallback ("e" for "é" on "ascii"), unknown ones as "?".

    The slip is measured first, then written into one buffer of exactly that size:
    growing a buffer line by line would leave every outgrown copy on the heap.
    """
    table_number, table = code_page(codepage)
    out = bytearray(_write(lines, table_number, table, None))
    _write(lines, table_number, table, out)
    return bytes(out)


def _write(lines, table_number, table, out):
    """Write the slip into out, or with out None only count its bytes; returns the count."""
    pos = _command(out, 0, 0x1B, 0x40, -1)  # ESC @
    if table_number is not None:
        pos = _command(out, pos, 0x1B, 0x74, table_number)  # ESC t n
    align = 0  # the printer's state after ESC @
    bold = 0
    size = 0
    for line in lines:
        style = line[0]
        text = line[1]
        if style & CUT:
            pos = _command(out, pos, 0x1B, 0x64, _CUT_FEED_LINES)  # ESC d n
            pos = _command(out, pos, 0x1D, 0x56, 1)  # GS V 1: a partial cut keeps a hinge
            continue
        if style & FEED:
            pos = _command(out, pos, 0x1B, 0x64, _FEED_LINES)
            continue
        want = 1 if style & CENTER else 0
        if want != align:
            align = want
            pos = _command(out, pos, 0x1B, 0x61, align)  # ESC a n
        want = 1 if style & BOLD else 0
        if want != bold:
            bold = want
            pos = _command(out, pos, 0x1B, 0x45, bold)  # ESC E n
        want = (0x10 if style & DOUBLE_WIDTH else 0) | (0x01 if style & DOUBLE_HEIGHT else 0)
        if want != size:
            size = want
            pos = _command(out, pos, 0x1D, 0x21, size)  # GS ! n
        width = WIDE_LINE_WIDTH if style & DOUBLE_WIDTH else LINE_WIDTH
        if style & RULE:
            pos = _fill(out, pos, width, 0x2D)  # "-"
        elif len(line) > 2:  # label, spaces, value flush right: exactly the width
            value = line[2]
            room = width - 1 - len(value)  # for the label, keeping a space before the value
            n = encode_into(text, table, out, pos, room if room > 0 else 0)
            pos = _fill(out, pos + n, width - n - len(value), 0x20)
            pos += encode_into(value, table, out, pos, width - n - 1)
        else:
            pos += encode_into(text, table, out, pos, width)
        pos = _command(out, pos, 0x0A, -1, -1)  # LF: print the line
    return pos


def _fill(out, pos, count, byte):
    """Write count copies of byte at pos (nothing when count < 1); returns the position after."""
    if count < 1:
        return pos
    if out is not None:
        for i in range(pos, pos + count):
            out[i] = byte
    return pos + count


def _command(out, pos, first, second, third):
    """Write a command of one to three bytes (-1: none) at pos; returns the position after."""
    if out is not None:
        out[pos] = first
        if second >= 0:
            out[pos + 1] = second
            if third >= 0:
                out[pos + 2] = third
    return pos + (1 if second < 0 else 2 if third < 0 else 3)
