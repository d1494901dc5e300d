"""Render ESC/POS bytes as the paper would look: a text preview and a PNG (58 mm, 384 dots).

    slip = parse(data)            # never raises; slip.unknown lists what was not understood
    print(render_text(slip))
    render_png(slip, "slip.png")

Used by the device simulator (each printed slip), the tests (golden receipts) and the docs.
"""

from host.escpos_render.image import render_image, render_png
from host.escpos_render.parser import Slip, parse, split_slips
from host.escpos_render.text import render_text

__all__ = ["Slip", "parse", "render_image", "render_png", "render_text", "split_slips"]
