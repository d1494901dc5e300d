"""The framebuf fake draws like MicroPython's: same buffers for shapes, same text rules."""

from host.device_sim.fakes import framebuf
from tests.device.test_under_micropython import run_micropython

W, H = 32, 24
SHAPES = [
    ("fill", (1,)),
    ("fill", (0,)),
    ("pixel", (3, 4, 1)),
    ("pixel", (40, 4, 1)),  # outside: ignored
    ("hline", (-5, 7, 20, 1)),
    ("vline", (30, -3, 40, 1)),
    ("rect", (2, 2, 10, 9, 1)),
    ("fill_rect", (12, 10, 30, 30, 1)),
    ("fill_rect", (14, 12, 4, 4, 0)),
    ("line", (0, 23, 31, 0, 1)),
    ("line", (5, 1, 9, 20, 1)),
    ("line", (20, 5, 3, 8, 1)),
    ("scroll", (3, -2)),
    ("rect", (1, 15, 6, 6, 1, True)),
]


def draw_fake(ops) -> bytes:
    buf = bytearray(W * H // 8)
    fb = framebuf.FrameBuffer(buf, W, H, framebuf.MONO_VLSB)
    for name, args in ops:
        getattr(fb, name)(*args)
    return bytes(buf)


def draw_real(batch) -> list[bytes]:
    """Run each list of operations on a fresh frame under MicroPython: the frames' bytes."""
    program = (
        "import framebuf, binascii\n"
        f"for ops in {batch!r}:\n"
        f"    buf = bytearray({W * H // 8})\n"
        f"    fb = framebuf.FrameBuffer(buf, {W}, {H}, framebuf.MONO_VLSB)\n"
        "    for name, args in ops:\n"
        "        getattr(fb, name)(*args)\n"
        "    print('BUF', binascii.hexlify(buf).decode())\n"
    )
    proc = run_micropython("--exec", program)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return [bytes.fromhex(x[4:]) for x in proc.stdout.splitlines() if x.startswith("BUF ")]


def test_shapes_give_the_same_bytes_as_micropython():
    prefixes = [SHAPES[:upto] for upto in range(1, len(SHAPES) + 1)]
    real = draw_real(prefixes)
    for ops, expected in zip(prefixes, real, strict=True):
        assert draw_fake(ops) == expected, f"after {ops[-1]}"


def text(s, x=0, y=0, c=1):
    return ("text", (s, x, y, c))


# Facts about text() that hold whatever the font looks like: each pair draws the same.
TEXT_RULES = {
    "an accented letter is two boxes (one per UTF-8 byte)": ([text("é")], [text("\x7f\x7f")]),
    "a control character is a box": ([text("\x01")], [text("\x7f")]),
    "a NUL byte ends the text": ([text("a\x00b")], [text("a")]),
    "cells are 8 dots wide": ([text("ab")], [text("a"), text("b", 8)]),
    "text left of the frame is clipped": ([text("ab", -8)], [text("b")]),
    "a space draws nothing": ([text("  ", 3, 3)], []),
    "text leaves the background alone": ([("fill", (1,)), text("  ", 0, 0, 1)], [("fill", (1,))]),
}


def test_text_follows_the_same_rules_as_micropython():
    batch = [ops for pair in TEXT_RULES.values() for ops in pair]
    real = draw_real(batch)
    for i, (rule, (a, b)) in enumerate(TEXT_RULES.items()):
        assert real[2 * i] == real[2 * i + 1], f"MicroPython breaks the rule: {rule}"
        assert draw_fake(a) == draw_fake(b), f"the fake breaks the rule: {rule}"


def test_pixel_reads_none_outside_the_frame():
    fb = framebuf.FrameBuffer(bytearray(8), 8, 8, framebuf.MONO_VLSB)
    fb.pixel(1, 1, 1)
    assert fb.pixel(1, 1) == 1 and fb.pixel(0, 0) == 0
    assert fb.pixel(8, 0) is None and fb.pixel(-1, 0) is None
