"""Regenerate the generated tables in hardware/README.md from pins.toml and bom.csv.

python hardware/readme_tables.py           # rewrite the blocks in README.md
python hardware/readme_tables.py --check   # exit 1 if README.md is out of date
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bom
import pinmap

README = pinmap.HARDWARE_DIR / "README.md"
BEGIN = "<!-- readme_tables.py: begin {name} -->"
END = "<!-- readme_tables.py: end {name} -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def connection_table(pins: pinmap.PinMap, parts: dict[str, bom.BomLine]) -> str:
    """One row per GPIO, grouped by the part it reaches, in pins.toml order."""
    rows = [
        "| GPIO | signal | board.py | dir | through | to | pin | pull | asserted |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for signal in pins.signals:
        through = ", ".join(f"{ref} ({parts[ref].part.split(',')[0]})" for ref in signal.via)
        rows.append(
            "| "
            + " | ".join(
                _cell(cell)
                for cell in (
                    str(signal.gpio),
                    signal.name,
                    f"`{signal.board}`",
                    signal.dir,
                    through or "direct",
                    f"{signal.part} {parts[signal.part].part.split(',')[0]}",
                    signal.part_pin,
                    signal.pull,
                    signal.active or "",
                )
            )
            + " |"
        )
    return "\n".join(rows) + "\n"


def pin_reasons(pins: pinmap.PinMap) -> str:
    """Why each pin, with the strapping argument where the pin is a strapping pin."""
    lines = []
    for signal in sorted(pins.signals, key=lambda s: s.gpio):
        lines.append(f"- **GPIO{signal.gpio} {signal.name}**: {signal.why}")
        if signal.strapping:
            lines.append(f"  *Strapping pin:* {signal.strapping}")
    return "\n".join(lines) + "\n"


def cost_table(lines: list[bom.BomLine]) -> str:
    """Rough cost per subsystem and in total, at single-unit prices."""
    rows = ["| subsystem | rough cost, USD |", "|---|---|"]
    totals = bom.cost_by_subsystem(lines)
    rows += [f"| {name} | {cost:.2f} |" for name, cost in totals.items()]
    rows.append(f"| **total** | **{sum(totals.values()):.2f}** |")
    return "\n".join(rows) + "\n"


def blocks() -> dict[str, str]:
    pins = pinmap.load()
    lines = bom.load()
    parts = bom.by_ref(lines)
    return {
        "connections": connection_table(pins, parts),
        "pin reasons": pin_reasons(pins),
        "cost": cost_table(lines),
    }


def replace_blocks(document: str, generated: dict[str, str]) -> str:
    """Swap each named block between its markers for its generated text."""
    for name, text in generated.items():
        begin, end = BEGIN.format(name=name), END.format(name=name)
        start, stop = document.find(begin), document.find(end)
        if start < 0 or stop < start:
            raise ValueError(f"README.md: markers for {name!r} not found")
        document = document[: start + len(begin)] + "\n" + text + document[stop:]
    return document


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if README.md is stale")
    args = parser.parse_args(argv)
    current = README.read_text(encoding="utf-8")
    updated = replace_blocks(current, blocks())
    if args.check:
        if updated != current:
            print("hardware/README.md is out of date: run python hardware/readme_tables.py")
            return 1
        return 0
    README.write_text(updated, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
