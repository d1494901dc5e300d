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

from drivers import charmap
from receipts.styles import (
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

INIT = b"\x1b\x40"  # ESC @
FEED_LINES = 3  # a FEED line: a few blank lines
CUT_FEED_LINES = 4  # move the last line past the cutter (or tear bar) before cutting
PARTIAL_CUT = b"\x1d\x56\x01"  # GS V 1: keeps a hinge, so the slip does not fall


def _feed(n):
    return b"\x1b\x64" + bytes((n,))  # ESC d n


def encode_slip(lines, codepage="cp437"):
    """ESC/POS bytes for slip lines [(style, text), ...] on the given code page.

    Text longer than the line (32 characters, 16 in double width) is cut, since the
    printer would wrap it into the next line. Characters the code page lacks print as
    their ASCII fallback ("e" for "é" on "ascii"), unknown ones as "?".
    """
    table_number, table = charmap.codepage(codepage)
    out = bytearray(INIT)
    if table_number is not None:
        out += b"\x1b\x74" + bytes((table_number,))  # ESC t n
    align = 0  # the printer's state after ESC @
    bold = 0
    size = 0
    for style, text in lines:
        if style & CUT:
            out += _feed(CUT_FEED_LINES)
            out += PARTIAL_CUT
            continue
        if style & FEED:
            out += _feed(FEED_LINES)
            continue
        want = 1 if style & CENTER else 0
        if want != align:
            align = want
            out += b"\x1b\x61" + bytes((align,))  # ESC a n
        want = 1 if style & BOLD else 0
        if want != bold:
            bold = want
            out += b"\x1b\x45" + bytes((bold,))  # ESC E n
        want = (0x10 if style & DOUBLE_WIDTH else 0) | (0x01 if style & DOUBLE_HEIGHT else 0)
        if want != size:
            size = want
            out += b"\x1d\x21" + bytes((size,))  # GS ! n
        width = WIDE_LINE_WIDTH if style & DOUBLE_WIDTH else LINE_WIDTH
        if style & RULE:
            out += b"-" * width
        else:
            out += charmap.encode(text[:width], table)
        out += b"\n"
    return bytes(out)
