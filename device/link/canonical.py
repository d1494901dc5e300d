"""The canonical JSON the link signs: the same bytes as the server's server/link/canonical.py.

Objects with keys sorted, no whitespace, strings escaped to ASCII as CPython's json module
does with ensure_ascii (\\uXXXX in lower case, surrogate pairs above U+FFFF). Values:
dict, list, str, int, True, False, None. MicroPython's json.dumps cannot be used: its
dicts keep no order and it leaves non-ASCII text unescaped.
"""


def encode(value):
    """The canonical text of value (str; .encode() it for the MAC)."""
    out = []
    write(value, out.append)
    return "".join(out)


def write(value, put):
    """Feed the canonical text of value, piece by piece, to put(str): a list's append,
    or a hash's update, so a MAC can take it without the whole text ever being held."""
    if value is None:
        put("null")
    elif value is True:
        put("true")
    elif value is False:
        put("false")
    elif isinstance(value, int):
        put(str(value))
    elif isinstance(value, str):
        put('"')
        for ch in value:
            if ch < " " or ch > "~" or ch == '"' or ch == "\\":
                break
        else:  # ids, digits, names in ASCII: the usual case, no per-character work
            put(value)
            put('"')
            return
        for ch in value:
            code = ord(ch)
            i = '"\\\n\r\t\b\f'.find(ch)
            if i >= 0:
                put("\\" + '"\\nrtbf'[i])
            elif 0x20 <= code < 0x7F:  # printable ASCII; DEL is escaped too, as CPython does
                put(ch)
            elif code < 0x10000:
                put("\\u%04x" % code)  # noqa: UP031 - MicroPython
            else:
                code -= 0x10000
                put("\\u%04x\\u%04x" % (0xD800 + (code >> 10), 0xDC00 + (code & 0x3FF)))  # noqa: UP031
        put('"')
    elif isinstance(value, (list, tuple)):  # noqa: UP038 - MicroPython has no X | Y here
        put("[")
        first = True
        for item in value:
            if not first:
                put(",")
            first = False
            write(item, put)
        put("]")
    elif isinstance(value, dict):
        put("{")
        first = True
        for key in sorted(value):
            if not first:
                put(",")
            first = False
            write(key, put)
            put(":")
            write(value[key], put)
        put("}")
    else:
        raise ValueError(type(value).__name__)  # not a JSON value: cannot be signed
