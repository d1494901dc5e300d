"""The slip pictures in docs/: a token slip from the firmware's own layout and encoder.

    python -m host.escpos_render.docs_example      # rewrites docs/receipt-example*.png

The firmware modules run on CPython with the MicroPython fakes; the sale below is a
made-up but complete one (a key change first, then the credit token), so the picture
shows every part of a slip. tests/device/test_escpos_render.py checks the files are current.
"""

import sys
from pathlib import Path

from host.device_sim.fakes.install import install
from host.escpos_render import parse, render_image

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
EXAMPLES = {"en": DOCS / "receipt-example.png", "fr": DOCS / "receipt-example-fr.png"}

SALE = {
    "meter": "600727000000000009",
    "amount": 50000,
    "time": 789660300,  # 2025-01-08 14:05 in the device's 2000 epoch
    "vendor": "V007",
    "vendor_name": "Amina Otieno",
    "answer": {
        "receipt": "R000777",
        "customer": "J. Banda",
        "tokens": ["12345678901234567890"],
        "key_change": ["73849201746352819283", "56473829101928374655"],
        "kwh_tenths": 172,
        "tax": 6896,
        "fixed": 1000,
        "debt": 250,
    },
}


def slip_bytes(language: str) -> bytes:
    """ESC/POS bytes of the example token slip in language, as the handheld prints it."""
    install()
    import i18n
    from drivers.escpos import encode_slip
    from receipts.slip import token_slip

    from host.device_sim.fakes import time as device_time

    ctx = {
        "utility": "Kijiji Power",
        "device": "HH0042",
        "vendor": "Amina Otieno",
        "sale_id": "HH0042-000123",
        "currency": "KES",
        "digits": 2,
        "localtime": device_time.localtime,
    }
    i18n.set_language(language)
    try:
        return encode_slip(token_slip(SALE, ctx), "cp858")
    finally:
        i18n.set_language("en")


def write_examples() -> list[Path]:
    """Render and save every example; returns the paths written."""
    for language, path in EXAMPLES.items():
        render_image(parse(slip_bytes(language))).save(path, format="PNG", optimize=True)
    return list(EXAMPLES.values())


if __name__ == "__main__":
    for written in write_examples():
        print(written.relative_to(ROOT))
    sys.exit(0)
