"""ESC/POS encoding rules beyond the golden receipt: widths, code pages, hostile text."""

import drivers as charmap  # the character map is the drivers package module
import pytest
from drivers.escpos import encode_slip
from receipts import BOLD, CENTER, CUT, DOUBLE_WIDTH, FEED, RULE

INIT_437 = b"\x1b\x40\x1b\x74\x00"


def test_an_empty_slip_is_just_init_and_code_page():
    assert encode_slip([]) == INIT_437
    assert encode_slip([], "cp850") == b"\x1b\x40\x1b\x74\x02"
    assert encode_slip([], "cp858") == b"\x1b\x40\x1b\x74\x13"


def test_ascii_code_page_sends_no_table_and_folds_accents():
    assert encode_slip([(0, "Reçu payé à")], "ascii") == b"\x1b\x40Recu paye a\n"


def test_unknown_code_page_is_named_in_the_error():
    with pytest.raises(ValueError, match="'cp1251'"):
        encode_slip([(0, "x")], "cp1251")


def test_text_is_cut_at_32_columns_and_16_in_double_width():
    data = encode_slip([(0, "x" * 40), (DOUBLE_WIDTH, "y" * 20)])
    assert b"x" * 32 + b"\n" in data and b"x" * 33 not in data
    assert b"\x1d\x21\x10" + b"y" * 16 + b"\n" in data and b"y" * 17 not in data


def test_rule_fills_the_line_in_either_width():
    assert encode_slip([(RULE, "ignored")]) == INIT_437 + b"-" * 32 + b"\n"
    assert encode_slip([(RULE | DOUBLE_WIDTH, "")]).endswith(b"\x1d\x21\x10" + b"-" * 16 + b"\n")


def test_mode_commands_are_sent_only_when_a_line_changes_them():
    data = encode_slip([(BOLD | CENTER, "a"), (BOLD | CENTER, "b"), (0, "c")])
    assert data == INIT_437 + b"\x1b\x61\x01\x1b\x45\x01a\nb\n\x1b\x61\x00\x1b\x45\x00c\n"


def test_a_label_value_line_prints_the_value_flush_right():
    assert encode_slip([(0, "Tax", "KES 68.96")]) == encode_slip([(0, f"{'Tax':<23}KES 68.96")])
    wide = encode_slip([(DOUBLE_WIDTH | BOLD, "Ref", "HH42-7")])
    assert wide.endswith(b"Ref       HH42-7\n")  # 16 columns in double width


def test_a_label_value_line_too_long_is_cut_never_wrapped():
    data = encode_slip([(0, "L" * 30, "V" * 10)])
    assert data == INIT_437 + b"L" * 21 + b" " + b"V" * 10 + b"\n"
    data = encode_slip([(0, "Label", "V" * 40)])
    assert data == INIT_437 + b"V" * 31 + b"\n"


def test_feed_and_cut():
    assert (
        encode_slip([(FEED, ""), (CUT, "")]) == INIT_437 + b"\x1b\x64\x03\x1b\x64\x04\x1d\x56\x01"
    )


def test_control_characters_in_text_cannot_send_commands():
    # A customer name from the server with an ESC/GS in it must print, not cut or reset.
    data = encode_slip([(0, "Ali\x1d\x56\x01\x1b@\nX")])
    assert data == INIT_437 + b"Ali?V??@?X\n"


def test_characters_outside_every_table_print_as_question_marks():
    assert encode_slip([(0, "Ω☺")], "cp858").endswith(b"??\n")


def test_euro_exists_only_in_cp858():
    assert encode_slip([(0, "€")], "cp858").endswith(b"\xd5\n")
    assert encode_slip([(0, "€")], "cp850").endswith(b"E\n")


@pytest.mark.parametrize("name", ["cp437", "cp850", "cp858"])
def test_every_letter_byte_is_what_the_code_page_defines(name):
    _number, table = charmap.codepage(name)
    for index, letter in enumerate(charmap.LETTERS):
        byte = table[index]
        if byte:
            assert letter.encode(name) == bytes([byte]), f"{letter!r} in {name}"
        elif letter != "\u00a0":  # no-break space prints as a plain space on purpose
            with pytest.raises(UnicodeEncodeError):
                letter.encode(name)


def test_every_fallback_is_plain_printable_ascii():
    assert len(charmap.FALLBACK) == len(charmap.LETTERS)
    assert all(32 <= ord(c) < 127 for c in charmap.FALLBACK)


def test_fold_gives_ascii_for_the_oled():
    assert charmap.fold("Écran: 5 €, déjà") == "Ecran: 5 E, deja"
    assert charmap.fold("plain") == "plain"
