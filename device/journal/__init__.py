"""The sale journal: every sale is written here before it is sent or printed.

Modules: this one (record framing, below), records (what each record means), journal
(the Journal class and the acknowledgement file), fs_os (the filesystem object on the
device). The journal never calls os or open itself: it is handed an fs object, so tests
can run it on a littlefs image that loses power.

Record framing: [length u16][kind u8][body][crc32 u32], little-endian. length counts
kind + body; the CRC covers length, kind and body. A reader stops at the first record
that is short or whose CRC does not match: that is a torn write, and nothing after it in
the same segment is trusted.
"""

import struct

MAX_BODY = 768
HEAD = 3
TAIL = 4
MAX_RECORD = HEAD + MAX_BODY + TAIL

# CRC-32 (the zlib one), four bits at a time, kept as two 16-bit halves: a 32-bit value
# does not fit MicroPython's small ints, and every operation on a big one allocates.
# binascii.crc32 is not used: on some ports binascii is a Python module costing 7 KB.
# The 16 table entries of the reflected polynomial 0xEDB88320, split into halves.
_HIGH = (
    0x0000, 0x1DB7, 0x3B6E, 0x26D9, 0x76DC, 0x6B6B, 0x4DB2, 0x5005,
    0xEDB8, 0xF00F, 0xD6D6, 0xCB61, 0x9B64, 0x86D3, 0xA00A, 0xBDBD,
)  # fmt: skip
_LOW = (
    0x0000, 0x1064, 0x20C8, 0x30AC, 0x4190, 0x51F4, 0x6158, 0x713C,
    0x8320, 0x9344, 0xA3E8, 0xB38C, 0xC2B0, 0xD2D4, 0xE278, 0xF21C,
)  # fmt: skip


def checksum(data, crc=(0, 0)):
    """CRC-32 of data as (high 16 bits, low 16 bits), continuing from a previous result."""
    hi = crc[0] ^ 0xFFFF
    lo = crc[1] ^ 0xFFFF
    th = _HIGH
    tl = _LOW
    for byte in data:
        lo ^= byte
        i = lo & 15
        lo = ((lo >> 4) | ((hi & 15) << 12)) ^ tl[i]
        hi = (hi >> 4) ^ th[i]
        i = lo & 15
        lo = ((lo >> 4) | ((hi & 15) << 12)) ^ tl[i]
        hi = (hi >> 4) ^ th[i]
    return (hi ^ 0xFFFF, lo ^ 0xFFFF)


def encode(kind, body):
    """One framed record of the given kind (0-255) around body (bytes)."""
    if len(body) > MAX_BODY:
        raise ValueError(f"journal record too long: {len(body)} bytes (max {MAX_BODY})")
    head = struct.pack("<HB", len(body) + 1, kind)
    hi, lo = checksum(body, checksum(head))
    return head + body + struct.pack("<HH", lo, hi)


class RecordReader:
    """Reads framed records from an open file, one at a time, into a reused buffer
    (bytearray(MAX_RECORD): any record fits; allocate once, reuse).

    next() returns (kind, body) where body is a memoryview into the buffer: valid only
    until the next call (copy it with bytes() to keep it). Reading allocates no buffers
    per record, so scanning a whole segment costs the heap next to nothing.
    verify=False skips the CRC, for segments replay has already checked (they are only
    ever appended to, so what was good at boot stays good).
    After next() returns None, `torn` says whether the file ended in a broken record
    (True) or cleanly on a record boundary (False); `offset` is where the good part ends.
    start() points the reader at another file, so one reader (and its buffer) serves
    every read its owner makes.
    """

    def __init__(self, f, buf, verify=True):
        self._buf = buf
        self._mv = memoryview(buf)
        self._head = self._mv[:HEAD]  # one view for every record's header
        self.start(f, verify)

    def start(self, f, verify=True):
        """Read from the start of f (an open file, or None to let go of the last one)."""
        self._f = f
        self._verify = verify
        self.offset = 0
        self.torn = False

    def next(self):
        """The next (kind, body) pair, or None at the end or at the first torn record."""
        mv = self._mv
        buf = self._buf
        got = self._f.readinto(self._head)
        if not got:
            return None
        if got < HEAD:
            self.torn = True
            return None
        length = buf[0] | buf[1] << 8  # "<HB" by hand: struct would make a tuple
        kind = buf[2]
        if length < 1 or length > MAX_BODY + 1:
            self.torn = True
            return None
        end = HEAD + length - 1
        want = length - 1 + TAIL
        if (self._f.readinto(mv[HEAD : end + TAIL]) or 0) < want:
            self.torn = True
            return None
        if self._verify:
            lo = buf[end] | buf[end + 1] << 8
            hi = buf[end + 2] | buf[end + 3] << 8
            if (hi, lo) != checksum(mv[:end]):
                self.torn = True
                return None
        self.offset += end + TAIL
        return kind, mv[HEAD:end]
