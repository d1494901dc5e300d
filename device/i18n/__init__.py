"""Every string the vendor or customer sees, one table per language.

Tables are modules (en.py, fr.py, sw.py), each one string TEXT of "key=text" lines:
one string stays in flash with the code, where a dict of 130 entries would take about
5 KB of heap. Only the language in use is loaded; switching unloads the old table.
Texts with {0}, {1} ... take arguments: t("amt_low", "KES 50.00").

Keys are at most 10 characters: MicroPython interns a string literal that short as a
name (a few bytes of the heap), while each longer literal is a string object on the
heap in every module that uses it (about 20 bytes each when the firmware runs from
ROMFS). So keys are short and follow a pattern: t_ screen titles, f_ footers (the keys
to press), m_ menu entries, s_ slip texts (the printer's code page; the others are
ASCII for the OLED), i_ status screen lines; the rest are named for what they say.
tests/device/test_i18n.py holds every key to the limit.
"""

import sys

LANGUAGES = ("en", "fr", "sw")
DEFAULT = "en"

_state = {"code": None, "text": None}


def set_language(code):
    """Switch every later screen and slip to this language ("en", "fr" or "sw")."""
    if code not in LANGUAGES:
        raise ValueError("unknown language " + repr(code) + "; use one of en, fr, sw")
    old = _state["code"]
    if old == code:
        return
    module = __import__("i18n." + code, None, None, ("TEXT",))
    _state["code"] = code
    _state["text"] = module.TEXT
    if old is not None:
        name = "i18n." + old
        if name in sys.modules:
            del sys.modules[name]


def language():
    """Code of the language in use."""
    if _state["code"] is None:
        set_language(DEFAULT)
    return _state["code"]


def lookup(text, key):
    """The raw text for key in a table string, or None (continuation lines joined).

    Searches without building a needle string: this runs for every text on every
    screen, and the heap is small.
    """
    size = len(key)
    pos = text.find(key)
    while pos > 0 and not (text.startswith("\n", pos - 1) and text.startswith("=", pos + size)):
        pos = text.find(key, pos + 1)
    if pos <= 0:
        return None
    start = pos + size + 1
    end = text.find("\n", start)
    while text.startswith("  ", end + 1):
        end = text.find("\n", end + 1)
    found = text[start:end]
    if "\n" in found:
        found = found.replace("\n  ", " ")
    if "\\n" in found:
        found = found.replace("\\n", "\n")
    return found


def t(key, *args):
    """The text for key in the current language, with {0}, {1} ... filled from args.

    A key missing from the table shows as "?key" rather than crashing the device;
    tests check that every table has every key.
    """
    if _state["text"] is None:
        set_language(DEFAULT)
    found = lookup(_state["text"], key)
    if found is None:
        return "?" + key
    if args:
        return found.format(*args)
    return found
