"""Language tables: complete, consistent, and switchable at run time.

Runs under CPython and under real MicroPython (tests/micropython).
"""

import i18n
from casekit import raises


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


TABLES = {"en": _entries(i18n.EN), "fr": _entries(i18n.FR), "sw": _entries(i18n.SW)}


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
    assert TABLES["en"]["amt_limits"] == "Min {0}\nMax {1}"
    assert TABLES["en"]["s_pendnote"].endswith(
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
            if key.startswith("s_"):
                continue
            for ch in text:
                assert 32 <= ord(ch) < 127 or ch == "\n", (code, key, text)


def test_one_line_texts_fit_the_screen():
    for code in TABLES:
        table = TABLES[code]
        for key, text in table.items():
            if key.startswith("s_"):
                continue
            if key.startswith("f_") or key.startswith("t_"):
                assert len(text) <= 16, (code, key, text)
            if key.startswith("m_"):
                assert len(text) <= 16, (code, key, text)
            if key.startswith("lang_"):
                assert len(text) <= 14, (code, key, text)
        assert len(table["t_pending"]) <= 12, code  # " 999" follows it


def test_menu_entries_start_with_the_key_that_opens_them():
    from vend import flow

    entries = flow._MENU_TEXTS  # in menu order: key "1" opens the first entry
    assert sorted(entries) == sorted(key for key in TABLES["en"] if key.startswith("m_"))
    for code in TABLES:
        for i, key in enumerate(entries):
            assert TABLES[code][key].startswith(str(i + 1) + " "), (code, key)


def test_slip_texts_are_printable_on_the_slip():
    for code in TABLES:
        for key, text in TABLES[code].items():
            if key.startswith("s_"):
                for ch in text:
                    assert ord(ch) < 256, (code, key, ch)  # the printer's Latin code page


def test_switching_language_changes_lookups():
    try:
        i18n.set_language("fr")
        assert i18n.language() == "fr"
        assert i18n.t("m_sale") == "1 Vente"
        i18n.set_language("sw")
        assert i18n.language() == "sw"
        assert i18n.t("m_sale") == "1 Uza"
    finally:
        i18n.set_language("en")
    assert i18n.t("m_sale") == "1 Sale"


def test_arguments_fill_placeholders_and_missing_keys_show_plainly():
    assert i18n.t("amt_low", "KES 50.00") == "Below minimum KES 50.00."
    assert i18n.t("s_key_n", 1, 2) == "Key change token 1 of 2"
    assert i18n.t("no_such_key") == "?no_such_key"


def test_unknown_language_is_refused():
    with raises(ValueError, "unknown language"):
        i18n.set_language("de")
    assert i18n.language() == "en"


def test_keys_are_short_enough_to_be_interned():
    # Longer keys would each cost a string object on the device's heap (i18n/__init__.py).
    # Keys built at run time ("paper_" + a printer state) are not literals: exempt.
    for key in TABLES["en"]:
        if not key.startswith("paper_"):
            assert len(key) <= 10, key
