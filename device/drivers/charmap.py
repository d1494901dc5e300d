"""Text to printer bytes: accented letters to the printer's code page, or to plain ASCII.

French and the other Latin-script languages need é è à ç ê ô...; the printer shows them
only from its code page table (chosen with ESC t), and the OLED font has none at all. One
line of LETTERS with, for each code page, the byte of each letter (0: the page lacks it)
and its ASCII fallback keeps this small on the device. Control characters never reach
the printer: a customer name with an ESC in it must not send a command.
"""

# Letters and signs with a known byte; ASCII fallback at the same index in FALLBACK.
LETTERS = "éèêëàâäåçîïìíôöòóùûüúÿñæÉÈÊËÀÂÄÅÇÎÏÌÍÔÖÒÓÙÛÜÚÑÆ°«»£€ß’‘“”–—…\u00a0"
FALLBACK = "eeeeaaaaciiiioooouuuuynaEEEEAAAACIIIIOOOOUUUUNAo<>LEs''\"\"--. "

_CP437 = (
    b"\x82\x8a\x88\x89\x85\x83\x84\x86\x87\x8c\x8b\x8d\xa1\x93\x94\x95\xa2\x97\x96\x81"
    b"\xa3\x98\xa4\x91\x90\x00\x00\x00\x00\x00\x8e\x8f\x80\x00\x00\x00\x00\x00\x99\x00"
    b"\x00\x00\x00\x9a\x00\xa5\x92\xf8\xae\xaf\x9c\x00\xe1\x00\x00\x00\x00\x00\x00\x00\x00"
)
_CP850 = (
    b"\x82\x8a\x88\x89\x85\x83\x84\x86\x87\x8c\x8b\x8d\xa1\x93\x94\x95\xa2\x97\x96\x81"
    b"\xa3\x98\xa4\x91\x90\xd4\xd2\xd3\xb7\xb6\x8e\x8f\x80\xd7\xd8\xde\xd6\xe2\x99\xe3"
    b"\xe0\xeb\xea\x9a\xe9\xa5\x92\xf8\xae\xaf\x9c\x00\xe1\x00\x00\x00\x00\x00\x00\x00\x00"
)
# PC858 is PC850 with the euro sign where PC850 has a dotless i.
_CP858 = _CP850[:51] + b"\xd5" + _CP850[52:]

# name -> (ESC t table number, bytes per LETTERS); None: no ESC t, ASCII only.
CODEPAGES = {
    "cp437": (0, _CP437),
    "cp850": (2, _CP850),
    "cp858": (19, _CP858),
    "ascii": (None, None),
}


def codepage(name):
    """(ESC t number or None, letter bytes or None) for a code page name; ValueError if unknown."""
    try:
        return CODEPAGES[name]
    except KeyError:
        raise ValueError(
            "code page " + repr(name) + ": use one of cp437, cp850, cp858, ascii"
        ) from None


def encode(text, table):
    """text as one byte per character: ASCII as is, LETTERS via table, the rest as "?"."""
    raw = text.encode()
    if len(raw) == len(text):
        # Plain ASCII, the usual slip line: iterating bytes yields small ints, which on
        # MicroPython allocate nothing (a per-character enumerate makes a tuple each time).
        for code in raw:
            if code < 32 or code == 127:
                break
        else:
            return raw
    out = bytearray(len(text))
    i = 0
    for ch in text:
        code = ord(ch)
        if 32 <= code < 127:
            out[i] = code
        else:
            at = LETTERS.find(ch) if code > 127 else -1
            if at < 0:
                out[i] = 63  # "?": unknown or a control character
            elif table is not None and table[at]:
                out[i] = table[at]
            else:
                out[i] = ord(FALLBACK[at])
        i += 1  # noqa: SIM113 - enumerate would allocate a tuple per character
    return bytes(out)


def fold(text):
    """text with every character outside printable ASCII replaced by its fallback or "?"."""
    for ch in text:
        if not 32 <= ord(ch) < 127:
            return encode(text, None).decode()
    return text
