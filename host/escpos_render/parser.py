"""Read an ESC/POS byte stream the way a 58 mm thermal printer does: lines, styles, cuts.

The printer model: 384 dots a line (Font A, 12x24 dots a character, so 32 columns), line
spacing 30 dots, character size 1-8x in each direction, text that overflows the line wraps
onto the next one. Commands this parser does not know are recorded in `Slip.unknown`
(with their byte offset) and skipped, never raised: the renderer serves to show what a
stream does, including a broken one.
"""

from dataclasses import dataclass, field

PAPER_DOTS = 384
CHAR_W = 12
CHAR_H = 24
DEFAULT_SPACING = 30
TAB_COLUMNS = 8

ESC, GS, DLE, FS = 0x1B, 0x1D, 0x10, 0x1C
LF, CR, HT = 0x0A, 0x0D, 0x09

CODE_TABLES = {
    0: "cp437",
    2: "cp850",
    3: "cp860",
    4: "cp863",
    5: "cp865",
    16: "cp1252",
    17: "cp866",
    18: "cp852",
    19: "cp858",
}
ALIGN = {0: "left", 48: "left", 1: "center", 49: "center", 2: "right", 50: "right"}


@dataclass
class Style:
    """The print mode a character was printed in."""

    bold: bool = False
    underline: bool = False
    reverse: bool = False
    width: int = 1
    height: int = 1


@dataclass
class Char:
    char: str
    style: Style


@dataclass
class Line:
    """One thing on the paper: a printed line ("text"), blank paper ("feed") or a cut."""

    kind: str
    chars: list[Char] = field(default_factory=list)
    align: str = "left"
    dots: int = 0  # paper advance in dots

    @property
    def text(self) -> str:
        return "".join(c.char for c in self.chars)

    @property
    def columns(self) -> int:
        return sum(c.style.width for c in self.chars)


@dataclass
class Unknown:
    offset: int
    data: bytes
    reason: str

    def __str__(self) -> str:
        return f"byte {self.offset}: {self.data.hex(' ')} ({self.reason})"


@dataclass
class Slip:
    """Everything a byte stream put on paper, plus what the renderer could not interpret."""

    lines: list[Line] = field(default_factory=list)
    unknown: list[Unknown] = field(default_factory=list)
    queries: list[bytes] = field(default_factory=list)  # status requests (DLE EOT n ...)
    cut_ends: list[int] = field(default_factory=list)  # byte offset just after each cut


class _Printer:
    def __init__(self) -> None:
        self.slip = Slip()
        self.reset()
        self.buffer: list[Char] = []

    def reset(self) -> None:
        self.style = Style()
        self.align = "left"
        self.spacing = DEFAULT_SPACING
        self.codepage = "cp437"
        self.buffer = []

    def put(self, char: str) -> None:
        style = Style(**vars(self.style))
        used = sum(c.style.width for c in self.buffer) * CHAR_W
        if used + style.width * CHAR_W > PAPER_DOTS:
            self.print_line()  # the printer wraps an overlong line
        self.buffer.append(Char(char, style))

    def print_line(self) -> None:
        """Print the buffer (even empty: a blank line) and advance the paper."""
        height = max([c.style.height for c in self.buffer] or [self.style.height])
        dots = max(self.spacing, CHAR_H * height)
        self.slip.lines.append(Line("text", self.buffer, self.align, dots))
        self.buffer = []

    def feed(self, dots: int) -> None:
        if self.buffer:
            self.print_line()
        if dots:
            self.slip.lines.append(Line("feed", dots=dots))

    def cut(self) -> None:
        if self.buffer:
            self.print_line()
        self.slip.lines.append(Line("cut"))


def _arg(data: bytes, i: int, count: int) -> bytes | None:
    return data[i : i + count] if i + count <= len(data) else None


def parse(data: bytes) -> Slip:
    """Interpret an ESC/POS stream; never raises on bad input (see Slip.unknown)."""
    p = _Printer()
    i = 0
    n = len(data)
    while i < n:
        b = data[i]
        start = i
        if b == LF:
            p.print_line()
            i += 1
        elif b == CR:
            i += 1  # carriage return without auto line feed: nothing to do
        elif b == HT:
            columns = sum(c.style.width for c in p.buffer)
            for _ in range(TAB_COLUMNS - columns % TAB_COLUMNS):
                p.put(" ")
            i += 1
        elif b in (ESC, GS, DLE, FS):
            i = _command(p, data, i)
        elif b < 0x20 or b == 0x7F:
            p.slip.unknown.append(Unknown(start, data[i : i + 1], "control character"))
            i += 1
        else:
            p.put(bytes([b]).decode(p.codepage, errors="replace"))
            i += 1
    if p.buffer:  # bytes after the last LF stay in the printer's buffer, unprinted
        p.slip.unknown.append(Unknown(n, b"", f"{len(p.buffer)} characters never printed (no LF)"))
    return p.slip


def _command(p: _Printer, data: bytes, i: int) -> int:
    """Apply the command at data[i]; returns the offset after it."""
    lead = data[i]
    op = data[i + 1] if i + 1 < len(data) else None
    key = (lead, op)
    one = _arg(data, i + 2, 1)
    n = one[0] if one else None

    def truncated() -> int:
        p.slip.unknown.append(Unknown(i, data[i:], "command cut short"))
        return len(data)

    if key == (ESC, 0x40):  # ESC @
        p.reset()
        return i + 2
    if key == (ESC, 0x32):  # ESC 2: default line spacing
        p.spacing = DEFAULT_SPACING
        return i + 2
    if lead == ESC and op in (0x21, 0x2D, 0x33, 0x45, 0x47, 0x4A, 0x61, 0x64, 0x74, 0x76, 0x52):
        if n is None:
            return truncated()
        if op == 0x21:  # ESC ! n: print mode
            p.style.bold = bool(n & 0x08)
            p.style.height = 2 if n & 0x10 else 1
            p.style.width = 2 if n & 0x20 else 1
            p.style.underline = bool(n & 0x80)
        elif op == 0x2D:  # ESC - n: underline
            p.style.underline = n in (1, 2, 49, 50)
        elif op == 0x33:  # ESC 3 n: line spacing in dots
            p.spacing = n
        elif op in (0x45, 0x47):  # ESC E n / ESC G n: emphasized / double-strike
            p.style.bold = bool(n & 1)
        elif op == 0x4A:  # ESC J n: print and feed n dots
            p.feed(n)  # prints the buffer first, if any
        elif op == 0x61:  # ESC a n: justification
            if n in ALIGN:
                p.align = ALIGN[n]
            else:
                p.slip.unknown.append(Unknown(i, data[i : i + 3], "bad alignment"))
        elif op == 0x64:  # ESC d n: print and feed n lines
            if p.buffer:
                p.print_line()
            p.feed(n * p.spacing)
        elif op == 0x74:  # ESC t n: character code table
            if n in CODE_TABLES:
                p.codepage = CODE_TABLES[n]
            else:
                p.slip.unknown.append(Unknown(i, data[i : i + 3], f"code table {n} not known here"))
        elif op == 0x76:  # ESC v n: paper sensor status (some firmwares)
            p.slip.queries.append(data[i : i + 3])
        elif op == 0x52:  # ESC R n: international character set (USA only here)
            if n != 0:
                p.slip.unknown.append(Unknown(i, data[i : i + 3], "international set ignored"))
        return i + 3
    if key == (ESC, 0x37):  # ESC 7 n1 n2 n3: heating settings, no effect on the image
        return i + 5 if _arg(data, i + 2, 3) else truncated()
    if lead == GS and op in (0x21, 0x42):
        if n is None:
            return truncated()
        if op == 0x21:  # GS ! n: character size
            p.style.width = (n >> 4) + 1
            p.style.height = (n & 0x0F) + 1
        else:  # GS B n: reverse
            p.style.reverse = bool(n & 1)
        return i + 3
    if key == (GS, 0x56):  # GS V m [n]: cut
        if n is None:
            return truncated()
        if n in (65, 66):
            extra = _arg(data, i + 3, 1)
            if extra is None:
                return truncated()
            p.feed(extra[0])
            p.cut()
            p.slip.cut_ends.append(i + 4)
            return i + 4
        if n in (0, 1, 48, 49):
            p.cut()
            p.slip.cut_ends.append(i + 3)
        else:
            p.slip.unknown.append(Unknown(i, data[i : i + 3], "bad cut mode"))
        return i + 3
    if key == (DLE, 0x04):  # DLE EOT n: real-time status request
        if n is None:
            return truncated()
        p.slip.queries.append(data[i : i + 3])
        return i + 3
    p.slip.unknown.append(Unknown(i, data[i : i + 2], "unknown command"))
    return i + 2


def split_slips(data: bytes) -> list[bytes]:
    """Cut a stream into slips, each ending just after its cut; a tail without a cut last."""
    slips = []
    start = 0
    for end in parse(data).cut_ends:
        slips.append(data[start:end])
        start = end
    if start < len(data):
        slips.append(data[start:])
    return slips
