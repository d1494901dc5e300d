"""Language tables: complete, consistent, and switchable at run time.

Runs under CPython and under real MicroPython (tests/micropython).
"""

import sys

import i18n
from casekit import raises
from i18n import en, fr, sw


def _entries(text):
    """A table string as a dict of key -> text, read the way i18n.t reads it."""
    keys = []
    for line in text.split("\n"):
        if line and not line.startswith("  "):
            assert "=" in line, line
            keys.append(line[: line.index("=")])
    table = {}
    for key in keys:
        assert key not in table, "key twice: " + key
        table[key] = i18n.lookup(text, key)
    return table


TABLES = {"en": _entries(en.TEXT), "fr": _entries(fr.TEXT), "sw": _entries(sw.TEXT)}


def _placeholders(text):
    found = []
    i = text.find("{")
    while i >= 0:
        end = text.find("}", i)
        found.append(text[i : end + 1])
        i = text.find("{", end)
    found.sort()
    return found


def test_every_language_has_exactly_the_english_keys():
    assert len(TABLES["en"]) > 100
    for code in ("fr", "sw"):
        table = TABLES[code]
        missing = [k for k in TABLES["en"] if k not in table]
        extra = [k for k in table if k not in TABLES["en"]]
        assert missing == [] and extra == [], (code, missing, extra)


def test_continued_lines_and_line_breaks_are_read_back():
    assert i18n.lookup("\na=one\n  two\nb=x\\ny\n", "a") == "one two"
    assert i18n.lookup("\na=one\n  two\nb=x\\ny\n", "b") == "x\ny"
    assert i18n.lookup("\nab=1\na=2\n", "a") == "2"
    assert i18n.lookup("\nab=1\n", "a") is None
    assert TABLES["en"]["amount_limits"] == "Min {0}\nMax {1}"
    assert TABLES["en"]["slip_pending_note"].endswith(
        "returns. Keep this slip and show it to collect your token."
    )


def test_placeholders_match_across_languages():
    for key in TABLES["en"]:
        want = _placeholders(TABLES["en"][key])
        for code in ("fr", "sw"):
            assert _placeholders(TABLES[code][key]) == want, (code, key)


def test_screen_texts_are_ascii_for_the_oled_font():
    for code in TABLES:
        for key, text in TABLES[code].items():
            if key.startswith("slip_"):
                continue
            for ch in text:
                assert 32 <= ord(ch) < 127 or ch == "\n", (code, key, text)


def test_one_line_texts_fit_the_screen():
    for code in TABLES:
        table = TABLES[code]
        for key, text in table.items():
            if key.startswith("slip_"):
                continue
            if key.startswith("footer_") or key.endswith("_title"):
                assert len(text) <= 16, (code, key, text)
            if key.startswith("menu_") and key != "menu_title":
                assert len(text) <= 14, (code, key, text)  # "1 " goes before it
            if key.startswith("lang_"):
                assert len(text) <= 14, (code, key, text)
        assert len(table["pending_title"]) <= 12, code  # " 999" follows it


def test_slip_texts_are_printable_on_the_slip():
    for code in TABLES:
        for key, text in TABLES[code].items():
            if key.startswith("slip_"):
                for ch in text:
                    assert ord(ch) < 256, (code, key, ch)  # the printer's Latin code page


def test_switching_language_changes_lookups_and_unloads_the_old_table():
    try:
        i18n.set_language("fr")
        assert i18n.t("menu_sale") == "Vente"
        assert "i18n.fr" in sys.modules
        i18n.set_language("sw")
        assert i18n.language() == "sw"
        assert i18n.t("menu_sale") == "Uza"
        assert "i18n.fr" not in sys.modules
    finally:
        i18n.set_language("en")
    assert i18n.t("menu_sale") == "Sale"


def test_arguments_fill_placeholders_and_missing_keys_show_plainly():
    assert i18n.t("amount_low", "KES 50.00") == "Below minimum KES 50.00."
    assert i18n.t("slip_key_n", 1, 2) == "Key change token 1 of 2"
    assert i18n.t("no_such_key") == "?no_such_key"


def test_unknown_language_is_refused():
    with raises(ValueError, "unknown language"):
        i18n.set_language("de")
    assert i18n.language() == "en"
