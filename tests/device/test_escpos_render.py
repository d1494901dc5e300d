"""ESC/POS renderer (host/escpos_render): reads the golden receipt, survives junk, draws PNGs."""

import io
from contextlib import redirect_stdout

from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageChops

from host.escpos_render import docs_example, parse, render_image, render_text, split_slips
from host.escpos_render.__main__ import main as render_main
from host.escpos_render.parser import CHAR_H, DEFAULT_SPACING, PAPER_DOTS
from tests.device.escpos_golden import RECEIPT_HEX, read_hex

GOLDEN = read_hex(RECEIPT_HEX)


def test_golden_receipt_reads_back_as_its_lines_and_styles():
    slip = parse(GOLDEN)
    assert slip.unknown == []
    texts = [(line.kind, line.text) for line in slip.lines]
    assert texts[:3] == [("text", "Kijiji Power"), ("text", "Reçu de paiement"), ("text", "-" * 32)]
    assert ("text", "PAYÉ") in texts and ("text", "Merci - à bientôt") in texts
    assert [kind for kind, _ in texts[-3:]] == ["feed", "feed", "cut"]
    token = next(line for line in slip.lines if line.text.startswith("1234"))
    assert token.align == "center" and token.dots == 2 * CHAR_H
    assert all(c.style.bold and c.style.height == 2 and c.style.width == 1 for c in token.chars)
    paye = next(line for line in slip.lines if line.text == "PAYÉ")
    assert paye.columns == 8


def test_text_preview_lays_out_32_columns_and_names_styles():
    text = render_text(parse(GOLDEN))
    assert "|          Kijiji Power          | bold 2h\n" in text
    assert "|Montant payé          KES 500.00| bold\n" in text
    assert "|            P A Y É             | bold 2w 2h\n" in text
    assert "cut" in text.splitlines()[-1]


def test_unknown_and_broken_commands_are_reported_not_raised():
    data = b"\x1b@\x1bZ\x01ok\n\x1bt\x63x\n\x07\x1d!"
    slip = parse(data)
    found = [(u.offset, u.reason) for u in slip.unknown]
    assert found == [
        (2, "unknown command"),  # ESC Z is skipped as two bytes...
        (4, "control character"),  # ...so its argument shows up on its own
        (8, "code table 99 not known here"),
        (13, "control character"),
        (14, "command cut short"),
    ]
    assert "! byte 2: 1b 5a (unknown command)" in render_text(slip)


def test_text_without_a_final_lf_is_reported_as_never_printed():
    slip = parse(b"\x1b@hello")
    assert slip.lines == []
    assert "never printed" in slip.unknown[0].reason


def test_an_overlong_line_wraps_as_the_printer_does():
    slip = parse(b"x" * 40 + b"\n")
    assert [len(line.text) for line in slip.lines] == [32, 8]


def test_print_modes_alignment_and_reverse():
    slip = parse(b"\x1b!\x38W\n\x1b!\x00\x1ba\x02R\n\x1dB\x01I\n\x1b-\x01U\n\x1b3\x40L\n")
    wide, right, inverse, underline, spaced = slip.lines
    assert (wide.chars[0].style.bold, wide.chars[0].style.width, wide.chars[0].style.height) == (
        True,
        2,
        2,
    )
    assert right.align == "right" and not right.chars[0].style.bold
    assert inverse.chars[0].style.reverse
    assert underline.chars[0].style.underline
    assert spaced.dots == 0x40


def test_split_slips_ends_each_slip_after_its_cut():
    one = b"\x1b@a\n\x1dV\x01"
    two = b"\x1b@b\n\x1dVB\x05"
    assert split_slips(one + two + b"\x1b@c") == [one, two, b"\x1b@c"]


def ink_width(image: Image.Image) -> int:
    box = ImageChops.invert(image.convert("L")).getbbox()
    return box[2] - box[0]


def test_png_is_paper_width_and_honours_double_width():
    normal = render_image(parse(b"WWWW\n"))
    double = render_image(parse(b"\x1d!\x10WWWW\n"))
    assert normal.width == double.width == PAPER_DOTS + 32
    assert ink_width(double) >= 2 * ink_width(normal) - 4
    tall = render_image(parse(b"\x1d!\x01W\n"))
    assert tall.height == normal.height + 2 * CHAR_H - DEFAULT_SPACING


def test_png_grows_with_the_slip():
    short = render_image(parse(b"a\n"))
    long = render_image(parse(b"a\n" * 10))
    assert long.height - short.height == 9 * DEFAULT_SPACING


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=60))
def test_any_bytes_parse_and_render_without_raising(data):
    slip = parse(data)
    render_text(slip)
    render_image(slip)


def test_the_docs_pictures_are_current():
    for language, path in docs_example.EXAMPLES.items():
        fresh = render_image(parse(docs_example.slip_bytes(language)))
        committed = Image.open(path).convert("1")
        same = fresh.size == committed.size and fresh.tobytes() == committed.tobytes()
        assert same, f"{path.name} is out of date: run python -m host.escpos_render.docs_example"


def test_command_line_prints_the_preview_of_a_hex_file(tmp_path):
    out = io.StringIO()
    with redirect_stdout(out):
        assert render_main([str(RECEIPT_HEX), "--png", str(tmp_path / "r.png")]) == 0
    assert "Kijiji Power" in out.getvalue()
    assert Image.open(tmp_path / "r.png").width == PAPER_DOTS + 32
