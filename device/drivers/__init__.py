"""One module per chip: display (SSD1306), printer (ESC/POS UART), modem, battery, buzzer.

Drivers are handed their bus or pin objects and never construct them; escpos.py and
this module are the printer's pure byte-building half.

This module, the character map: text to printer bytes, accented letters to the
printer's code page, or to plain ASCII. French and the other Latin-script languages need
é è à ç ê ô...; the printer shows them only from its code page table (chosen with ESC t),
and the OLED font has none at all. One line of LETTERS with, for each code page, the
byte of each letter (0: the page lacks it) and its ASCII fallback keeps this small on
the device. Control characters never reach the printer: a customer name with an ESC in
it must not send a command.
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
# PC858 is PC850 with the euro sign (0xd5) where PC850 has a dotless i (written out, not
# derived from _CP850 at import: a literal stays in flash).
_CP858 = (
    b"\x82\x8a\x88\x89\x85\x83\x84\x86\x87\x8c\x8b\x8d\xa1\x93\x94\x95\xa2\x97\x96\x81"
    b"\xa3\x98\xa4\x91\x90\xd4\xd2\xd3\xb7\xb6\x8e\x8f\x80\xd7\xd8\xde\xd6\xe2\x99\xe3"
    b"\xe0\xeb\xea\x9a\xe9\xa5\x92\xf8\xae\xaf\x9c\xd5\xe1\x00\x00\x00\x00\x00\x00\x00\x00"
)


def codepage(name):
    """(ESC t number or None, letter bytes or None) for a code page name; ValueError if unknown.

    cp437 is table 0, cp850 table 2, cp858 table 19; "ascii" sends no ESC t at all.
    """
    if name == "cp437":
        return 0, _CP437
    if name == "cp850":
        return 2, _CP850
    if name == "cp858":
        return 19, _CP858
    if name == "ascii":
        return None, None
    raise ValueError("code page " + repr(name))  # cp437, cp850, cp858 or ascii


def encode_into(text, table, out, pos, width):
    """Write text, cut to width characters, into the bytearray out at pos, one byte per
    character: ASCII as is, LETTERS via table, the rest as "?". Returns how many bytes.

    With out None nothing is written: the count alone sizes a buffer. Nothing is
    allocated per character (iterating a str yields interned one-character strings for
    ASCII), so a whole slip encodes into one preallocated buffer.
    """
    n = len(text)
    if n > width:
        n = width
    if out is None:
        return n
    i = 0
    for ch in text:
        if i == n:
            break
        code = ord(ch)
        if 32 <= code < 127:
            out[pos + i] = code
        else:
            at = LETTERS.find(ch) if code > 127 else -1
            if at < 0:
                out[pos + i] = 63  # "?": unknown or a control character
            elif table is not None and table[at]:
                out[pos + i] = table[at]
            else:
                out[pos + i] = ord(FALLBACK[at])
        i += 1  # noqa: SIM113 - enumerate would allocate a tuple per character
    return n


def fold(text):
    """text with every character outside printable ASCII replaced by its fallback or "?"."""
    for ch in text:
        if not 32 <= ord(ch) < 127:
            out = bytearray(len(text))
            encode_into(text, None, out, 0, len(out))
            return out.decode()
    return text
