"""Draw wiring.svg from pins.toml (signals), power.toml (rails) and bom.csv (part names).

    python hardware/draw_wiring.py           # rewrite hardware/wiring.svg
    python hardware/draw_wiring.py --check   # exit 1 if wiring.svg is out of date

Plain SVG text, no dependencies; the output is deterministic so a test can compare it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from xml.sax.saxutils import escape

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bom
import pinmap
import power_budget

SVG_FILE = pinmap.HARDWARE_DIR / "wiring.svg"

WIDTH = 1120
ROW = 24
TOP = 78
ESP_LEFT, ESP_RIGHT = 20, 250
PART_LEFT, PART_RIGHT = 700, 1100
VIA_CENTRE = 540
CHAIN_BOX_W, CHAIN_BOX_H, CHAIN_GAP = 150, 34, 26

SUBSYSTEM_COLOURS = {
    "core": "#555555",
    "usb": "#7a5c00",
    "power": "#c0392b",
    "modem": "#7d3c98",
    "printer": "#d35400",
    "display": "#1e8449",
    "keypad": "#2e5fa8",
    "feedback": "#117a65",
    "mechanical": "#555555",
}


def _text(x: float, y: float, content: str, size: int = 12, **attrs: str) -> str:
    extra = "".join(f' {key.replace("_", "-")}="{value}"' for key, value in attrs.items())
    return f'<text x="{x:g}" y="{y:g}" font-size="{size}"{extra}>{escape(content)}</text>'


def _pin_classes(gpio: int) -> str:
    tags = []
    if gpio in pinmap.STRAPPING_GPIOS:
        tags.append("strap")
    if gpio in pinmap.INPUT_ONLY_GPIOS:
        tags.append("in-only")
    if gpio in pinmap.ADC1_GPIOS:
        tags.append("ADC1")
    if gpio in pinmap.CONSOLE_GPIOS:
        tags.append("UART0")
    return " ".join(tags)


def _value(line: bom.BomLine) -> str:
    """What to print beside a reference: the part number, or the value of a generic part."""
    if line.part_number.startswith("generic"):
        return line.part.split(",")[0]
    return line.part_number


def _signal_section(pins: pinmap.PinMap, parts: dict[str, bom.BomLine]) -> tuple[list[str], int]:
    """ESP32 on the left, one horizontal line per signal, the parts on the right."""
    order: list[str] = []
    for signal in pins.signals:
        if signal.part not in order:
            order.append(signal.part)
    rows: list[tuple[str, object]] = []
    for part in order:
        rows.append(("part", part))
        rows.extend(("signal", s) for s in pins.signals if s.part == part)
    bottom = TOP + ROW * len(rows)
    out = [
        f'<rect x="{ESP_LEFT}" y="{TOP - 30}" width="{ESP_RIGHT - ESP_LEFT}" '
        f'height="{bottom - TOP + 40}" rx="6" fill="#f4f6f8" stroke="#333" stroke-width="1.5"/>',
        _text(
            ESP_LEFT + 10,
            TOP - 12,
            f"{pins.module['part']} {pins.module['name']}",
            13,
            font_weight="bold",
        ),
    ]
    part_top = 0
    for index, (kind, item) in enumerate(rows):
        y = TOP + ROW * index + ROW / 2
        if kind == "part":
            line = parts[item]
            colour = SUBSYSTEM_COLOURS.get(line.subsystem, "#333")
            span = 1
            while index + span < len(rows) and rows[index + span][0] == "signal":
                span += 1
            part_top = TOP + ROW * index + 2
            out.append(
                f'<rect x="{PART_LEFT}" y="{part_top}" width="{PART_RIGHT - PART_LEFT}" '
                f'height="{ROW * span - 4}" rx="5" fill="#ffffff" stroke="{colour}" '
                'stroke-width="1.5"/>'
            )
            out.append(
                _text(
                    PART_LEFT + 10,
                    y + 4,
                    f"{item}  {line.part}",
                    12,
                    font_weight="bold",
                    fill=colour,
                )
            )
            continue
        signal = item
        colour = SUBSYSTEM_COLOURS.get(parts[signal.part].subsystem, "#333")
        out.append(
            _text(
                ESP_RIGHT - 8,
                y + 4,
                f"GPIO{signal.gpio}",
                12,
                text_anchor="end",
                font_weight="bold",
            )
        )
        tags = _pin_classes(signal.gpio)
        if tags:
            out.append(_text(ESP_LEFT + 10, y + 4, tags, 10, fill="#888"))
        dash = ' stroke-dasharray="6 3"' if signal.dir == "analog" else ""
        out.append(
            f'<line x1="{ESP_RIGHT}" y1="{y:g}" x2="{PART_LEFT}" y2="{y:g}" stroke="{colour}" '
            f'stroke-width="1.6"{dash}/>'
        )
        arrow_x = PART_LEFT - 4 if signal.dir == "out" else ESP_RIGHT + 4
        if signal.dir in ("out", "in"):
            tip = 1 if signal.dir == "out" else -1
            out.append(
                f'<path d="M{arrow_x - 7 * tip:g},{y - 4:g} L{arrow_x:g},{y:g} '
                f'L{arrow_x - 7 * tip:g},{y + 4:g}" fill="none" stroke="{colour}" '
                'stroke-width="1.6"/>'
            )
        out.append(_text(ESP_RIGHT + 14, y - 4, signal.name, 11, fill="#222"))
        if signal.via:
            label = " + ".join(f"{ref} {_value(parts[ref])}" for ref in signal.via)
            width = 7 * len(label) + 12
            out.append(
                f'<rect x="{VIA_CENTRE - width / 2:g}" y="{y - 9:g}" width="{width}" height="18" '
                f'rx="3" fill="#ffffff" stroke="{colour}"/>'
            )
            out.append(_text(VIA_CENTRE, y + 4, label, 11, text_anchor="middle"))
        out.append(_text(PART_LEFT + 22, y + 4, signal.part_pin, 11, fill="#333"))
    return out, bottom + 20


def _chain(x: float, y: float, refs: list[str], parts: dict[str, bom.BomLine]) -> list[str]:
    """Boxes joined by arrows, left to right, for one power path."""
    out = []
    for position, ref in enumerate(refs):
        left = x + position * (CHAIN_BOX_W + CHAIN_GAP)
        line = parts[ref]
        colour = SUBSYSTEM_COLOURS.get(line.subsystem, "#333")
        out.append(
            f'<rect x="{left:g}" y="{y:g}" width="{CHAIN_BOX_W}" height="{CHAIN_BOX_H}" rx="4" '
            f'fill="#ffffff" stroke="{colour}" stroke-width="1.4"/>'
        )
        out.append(_text(left + 6, y + 14, ref, 11, font_weight="bold", fill=colour))
        value = _value(line)
        if len(value) > 26:
            value = value[:26].rsplit(" ", 1)[0]
        out.append(_text(left + 6, y + 28, value, 10, fill="#333"))
        if position:
            start = left - CHAIN_GAP
            middle = y + CHAIN_BOX_H / 2
            out.append(
                f'<line x1="{start:g}" y1="{middle:g}" x2="{left - 2:g}" y2="{middle:g}" '
                'stroke="#c0392b" stroke-width="1.6"/>'
            )
            out.append(
                f'<path d="M{left - 8:g},{middle - 4:g} L{left - 2:g},{middle:g} '
                f'L{left - 8:g},{middle + 4:g}" fill="none" stroke="#c0392b" stroke-width="1.6"/>'
            )
    return out


def _power_section(top: float, model: dict, parts: dict[str, bom.BomLine]) -> tuple[list[str], int]:
    """The power tree: the pack path, then one row per rail it feeds."""
    battery = model["battery"]
    out = [_text(ESP_LEFT, top + 16, "Power tree (from power.toml)", 14, font_weight="bold")]
    y = top + 34
    for name, rail in model["rail"].items():
        if rail["kind"] == "battery":
            volts = (
                f"{power_budget.pack_volts(battery, 'cell_cutoff_v'):.1f}-"
                f"{power_budget.pack_volts(battery, 'cell_full_v'):.1f} V"
            )
        elif rail["kind"] == "buck":
            volts = f"{rail['volts']:.1f} V"
        elif rail["kind"] == "switch":
            volts = "= VBAT, switched"
        else:
            volts = "5 V"
        source = f"from {model['rail'][rail['source']]['label']}" if "source" in rail else ""
        out.append(_text(ESP_LEFT, y + 14, f"{rail['label']} ({name})", 12, font_weight="bold"))
        out.append(_text(ESP_LEFT, y + 28, f"{volts} {source}".strip(), 10, fill="#555"))
        chain = list(rail["via"])
        out += _chain(ESP_LEFT + 170, y, chain, parts)
        feeds_x = ESP_LEFT + 170 + len(chain) * (CHAIN_BOX_W + CHAIN_GAP)
        out.append(_text(feeds_x, y + 14, "feeds " + ", ".join(rail["feeds"]), 11, fill="#333"))
        if rail.get("bulk"):
            bulk = ", ".join(f"{ref} {_value(parts[ref])}" for ref in rail["bulk"])
            out.append(_text(feeds_x, y + 28, f"bulk at the load: {bulk}", 10, fill="#555"))
        y += CHAIN_BOX_H + 14
    return out, int(y + 10)


def render(
    pins: pinmap.PinMap | None = None,
    model: dict | None = None,
    lines: list[bom.BomLine] | None = None,
) -> str:
    """The complete SVG document as text."""
    pins = pins or pinmap.load()
    model = model or power_budget.load()
    parts = bom.by_ref(lines or bom.load())
    body, bottom = _signal_section(pins, parts)
    power, bottom = _power_section(bottom, model, parts)
    body += power
    legend = (
        "Arrow: direction seen from the ESP32. Dashed: analog. Boxes on a line: parts the signal "
        "passes through. Generated by draw_wiring.py from pins.toml, power.toml and bom.csv; "
        "do not edit."
    )
    used = {signal.gpio for signal in pins.signals}
    free = sorted(pinmap.MODULE_GPIOS - used - pinmap.FLASH_GPIOS)
    unused = (
        "Left unconnected: " + ", ".join(f"GPIO{gpio}" for gpio in free) + ". "
        "GPIO6-11 belong to the module's flash."
    )
    body.append(_text(ESP_LEFT, bottom + 6, unused, 10, fill="#666"))
    body.append(_text(ESP_LEFT, bottom + 22, legend, 10, fill="#666"))
    height = bottom + 36
    head = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="DejaVu Sans, Arial, sans-serif">',
        f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>',
        _text(ESP_LEFT, 26, "gridvend handheld r1: signal wiring", 18, font_weight="bold"),
    ]
    return "\n".join(head + body + ["</svg>"]) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if wiring.svg is stale")
    args = parser.parse_args(argv)
    svg = render()
    if args.check:
        if SVG_FILE.read_text(encoding="utf-8") != svg:
            print("wiring.svg is out of date: run python hardware/draw_wiring.py")
            return 1
        return 0
    SVG_FILE.write_text(svg, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
