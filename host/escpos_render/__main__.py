"""python -m host.escpos_render SLIP [--png OUT.png]: print the text preview of an ESC/POS file.

SLIP is raw bytes, or a .hex file (hex pairs, "#" comments) like tests/device/golden/.
"""

import argparse
import sys
from pathlib import Path

from host.escpos_render import parse, render_png, render_text


def read_slip(path: Path) -> bytes:
    """Raw bytes, or the bytes a .hex file spells out."""
    if path.suffix != ".hex":
        return path.read_bytes()
    text = "\n".join(
        line.split("#", 1)[0] for line in path.read_text(encoding="utf-8").splitlines()
    )
    return bytes.fromhex(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m host.escpos_render", description=__doc__)
    parser.add_argument("slip", type=Path)
    parser.add_argument("--png", type=Path, help="also write the slip's picture here")
    args = parser.parse_args(argv)
    slip = parse(read_slip(args.slip))
    sys.stdout.write(render_text(slip))
    if args.png:
        render_png(slip, args.png)
    return 0


if __name__ == "__main__":
    sys.exit(main())
