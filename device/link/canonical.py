"""The canonical JSON the link signs: the same bytes as the server's server/link/canonical.py.

Objects with keys sorted, no whitespace, strings escaped to ASCII as CPython's json module
does with ensure_ascii (\\uXXXX in lower case, surrogate pairs above U+FFFF). Values:
dict, list, str, int, True, False, None. MicroPython's json.dumps cannot be used: its
dicts keep no order and it leaves non-ASCII text unescaped.
"""

_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
}


def encode(value):
    """The canonical text of value (str; .encode() it for the MAC)."""
    out = []
    _put(value, out)
    return "".join(out)


def pieces(value):
    """The canonical text of value as a list of pieces."""
    out = []
    _put(value, out)
    return out


def write(value, out):
    """Feed the canonical text of value, piece by piece, to out.append(str): a MAC can
    take it without the whole text ever being held (the heap is small)."""
    _put(value, out)


def _put(value, out):
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, str):
        _text(value, out)
    elif isinstance(value, (list, tuple)):  # noqa: UP038 - MicroPython has no X | Y here
        out.append("[")
        first = True
        for item in value:
            if not first:
                out.append(",")
            first = False
            _put(item, out)
        out.append("]")
    elif isinstance(value, dict):
        out.append("{")
        first = True
        for key in sorted(value):
            if not first:
                out.append(",")
            first = False
            _text(key, out)
            out.append(":")
            _put(value[key], out)
        out.append("}")
    else:
        raise ValueError("cannot sign a " + type(value).__name__)


def _text(text, out):
    plain = True
    for ch in text:
        if ch < " " or ch > "~" or ch == '"' or ch == "\\":
            plain = False
            break
    if plain:  # ids, digits, names in ASCII: the usual case, no per-character work
        out.append('"')
        out.append(text)
        out.append('"')
        return
    out.append('"')
    for ch in text:
        code = ord(ch)
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif 0x20 <= code < 0x7F:  # printable ASCII; DEL is escaped too, as CPython does
            out.append(ch)
        elif code < 0x10000:
            out.append("\\u%04x" % code)  # noqa: UP031 - MicroPython
        else:
            code -= 0x10000
            out.append("\\u%04x\\u%04x" % (0xD800 + (code >> 10), 0xDC00 + (code & 0x3FF)))  # noqa: UP031
    out.append('"')
