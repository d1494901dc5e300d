"""Compute the handheld's power budget from power.toml and print it.

python hardware/power_budget.py              # text tables for the configured day
python hardware/power_budget.py --sales 150  # battery life for a day of 150 sales
python hardware/power_budget.py --markdown   # the block embedded in power.md
python hardware/power_budget.py --write      # refresh that block in power.md
"""

from __future__ import annotations

import argparse
import math
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

HARDWARE_DIR = Path(__file__).resolve().parent
POWER_FILE = HARDWARE_DIR / "power.toml"
POWER_DOC = HARDWARE_DIR / "power.md"
BEGIN_MARK = "<!-- power_budget.py: begin generated block -->"
END_MARK = "<!-- power_budget.py: end generated block -->"
USAGE_KEYS = ("duty", "seconds_per_hour", "seconds_per_sale")


def load(path: Path = POWER_FILE) -> dict:
    """Read power.toml."""
    with path.open("rb") as handle:
        return tomllib.load(handle)


# Battery -----------------------------------------------------------------------------------


def pack_volts(battery: dict, per_cell_key: str) -> float:
    """Pack voltage from a per-cell figure ("cell_nominal_v", "cell_full_v", "cell_cutoff_v")."""
    return battery["cells_series"] * battery[per_cell_key]


def usable_mah(battery: dict) -> float:
    """Charge the firmware may use between full and cut-off (series cells share one mAh)."""
    return battery["cell_capacity_mah"] * battery["usable_fraction"]


def usable_wh(battery: dict) -> float:
    return usable_mah(battery) * pack_volts(battery, "cell_nominal_v") / 1000.0


# Loads -------------------------------------------------------------------------------------


def hours_per_day(load: dict, shift_hours: float, sales: int) -> float:
    """Hours a load spends in its state during one shift of `sales` sales."""
    present = [key for key in USAGE_KEYS if key in load]
    if len(present) != 1:
        raise ValueError(
            f"power.toml load {load['name']!r}: give exactly one of {', '.join(USAGE_KEYS)}"
        )
    if "duty" in load:
        return load["duty"] * shift_hours
    if "seconds_per_hour" in load:
        return load["seconds_per_hour"] * shift_hours / 3600.0
    return load["seconds_per_sale"] * sales / 3600.0


def battery_ma(load_ma: float, rail: dict, pack_v: float) -> float:
    """Current drawn from the pack at `pack_v` by `load_ma` flowing on `rail`."""
    kind = rail["kind"]
    if kind == "battery":
        return load_ma
    if kind == "switch":
        return load_ma / rail["efficiency"]
    if kind == "buck":
        return load_ma * rail["volts"] / (rail["efficiency"] * pack_v)
    raise ValueError(f"power.toml rail {rail.get('label')!r}: kind {kind!r} draws no battery")


@dataclass(frozen=True)
class BudgetLine:
    name: str
    rail: str
    load_ma: float
    peak_ma: float
    hours: float
    battery_mah: float


@dataclass(frozen=True)
class DayBudget:
    sales: int
    shift_hours: float
    lines: tuple[BudgetLine, ...]
    total_mah: float
    total_wh: float
    usable_mah: float
    days_per_charge: float

    @property
    def average_ma(self) -> float:
        """Mean pack current over the shift."""
        return self.total_mah / self.shift_hours


def day_budget(model: dict, sales: int | None = None) -> DayBudget:
    """Charge drawn from the pack in one shift of `sales` sales (default: power.toml's)."""
    battery = model["battery"]
    day = model["day"]
    sales = day["sales"] if sales is None else sales
    nominal_v = pack_volts(battery, "cell_nominal_v")
    lines = []
    for load in model["load"]:
        rail = model["rail"][load["rail"]]
        hours = hours_per_day(load, day["shift_hours"], sales)
        mah = battery_ma(load["ma"], rail, nominal_v) * hours
        lines.append(
            BudgetLine(load["name"], load["rail"], load["ma"], load["peak_ma"], hours, mah)
        )
    total_mah = sum(line.battery_mah for line in lines)
    return DayBudget(
        sales=sales,
        shift_hours=day["shift_hours"],
        lines=tuple(lines),
        total_mah=total_mah,
        total_wh=total_mah * nominal_v / 1000.0,
        usable_mah=usable_mah(battery),
        days_per_charge=usable_mah(battery) / total_mah,
    )


# Peaks -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PeakCheck:
    """Every part at its worst at once, with the pack at its cut-off voltage."""

    resistive_a: float  # peaks that draw current whatever the pack voltage (switch, battery)
    regulated_w: float  # peaks behind bucks, which draw constant power
    cutoff_v: float
    sagged_v: float  # pack terminal voltage at the coincident peak
    peak_a: float  # pack current at that voltage
    headroom_v: dict[str, float]  # rail -> voltage delivered to it minus its minimum input


def peak_check(model: dict) -> PeakCheck:
    """Worst coincident peak: each part's largest peak, all at once, at cut-off.

    Bucks draw constant power, so their current rises as the pack sags; solving
    V = Vcut - R * (I_fixed + P / V) for V gives the terminal voltage.
    """
    battery = model["battery"]
    rails = model["rail"]
    worst_by_part: dict[str, dict] = {}
    for load in model["load"]:
        best = worst_by_part.get(load["part"])
        if best is None or load["peak_ma"] > best["peak_ma"]:
            worst_by_part[load["part"]] = load
    fixed_a = 0.0
    power_w = 0.0
    for load in worst_by_part.values():
        rail = rails[load["rail"]]
        if rail["kind"] == "buck":
            power_w += load["peak_ma"] / 1000.0 * rail["volts"] / rail["efficiency"]
        else:
            fixed_a += battery_ma(load["peak_ma"], rail, 1.0) / 1000.0
    cutoff_v = pack_volts(battery, "cell_cutoff_v")
    resistance = battery["path_resistance_mohm"] / 1000.0
    a = cutoff_v - resistance * fixed_a
    discriminant = a * a - 4.0 * resistance * power_w
    if discriminant < 0:
        raise ValueError("power.toml: the pack cannot deliver the coincident peak at cut-off")
    sagged_v = (a + math.sqrt(discriminant)) / 2.0
    peak_a = (cutoff_v - sagged_v) / resistance if resistance else fixed_a + power_w / sagged_v
    headroom = {}
    for name, rail in rails.items():
        if "min_input_v" in rail:
            # A load switch passes the pack voltage less its own drop.
            delivered = sagged_v * rail["efficiency"] if rail["kind"] == "switch" else sagged_v
            headroom[name] = delivered - rail["min_input_v"]
    return PeakCheck(fixed_a, power_w, cutoff_v, sagged_v, peak_a, headroom)


@dataclass(frozen=True)
class BurstCheck:
    """Modem rail during one transmit burst."""

    rail_v: float
    sag_v: float  # with the regulator catching up after its response time
    min_v: float
    margin_v: float  # min_v minus the modem's minimum supply
    capacitor_only_sag_v: float  # if the bulk capacitors alone had to carry the whole burst


def burst_check(model: dict) -> BurstCheck:
    """Modem supply dip: step x (ESR + trace) plus step x time / capacitance."""
    burst = model["modem_burst"]
    rail_v = model["rail"][burst["rail"]]["volts"]
    step = burst["step_a"]
    resistive = step * (burst["bulk_esr_mohm"] + burst["trace_mohm"]) / 1000.0
    farads = burst["bulk_uf"] * 1e-6
    sag = resistive + step * burst["regulator_response_us"] * 1e-6 / farads
    capacitor_only = resistive + step * burst["burst_us"] * 1e-6 / farads
    return BurstCheck(
        rail_v=rail_v,
        sag_v=sag,
        min_v=rail_v - sag,
        margin_v=rail_v - sag - burst["modem_min_v"],
        capacitor_only_sag_v=capacitor_only,
    )


# Output ------------------------------------------------------------------------------------


def _table(headers: list[str], rows: list[list[str]], markdown: bool) -> str:
    if markdown:
        out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
        out += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join(out)
    widths = [max(len(cell) for cell in column) for column in zip(headers, *rows, strict=True)]

    def line(cells: list[str]) -> str:
        return "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True))

    lines = [line(headers), line(["-" * width for width in widths])] + [line(r) for r in rows]
    return "\n".join(text.rstrip() for text in lines)


def render(model: dict, sales: int | None = None, markdown: bool = False) -> str:
    """The full budget as text or markdown: rails, the day, the sweep, peaks, modem burst."""
    battery = model["battery"]
    day = model["day"]
    rails = model["rail"]
    budget = day_budget(model, sales)
    heading = "### " if markdown else ""
    gap = "\n" if markdown else ""
    out = []

    out.append(f"{heading}Rails" + gap)
    rows = []
    for name, rail in rails.items():
        if rail["kind"] == "battery":
            low = pack_volts(battery, "cell_cutoff_v")
            volts = f"{low:.1f}-{pack_volts(battery, 'cell_full_v'):.1f}"
        elif rail["kind"] == "buck":
            volts = f"{rail['volts']:.1f}"
        elif rail["kind"] == "switch":
            volts = "= VBAT"
        else:
            volts = "5.0"
        rows.append(
            [
                rail["label"],
                name,
                rail["kind"],
                " > ".join(rail["via"]),
                volts,
                f"{rail['efficiency']:.2f}" if "efficiency" in rail else "-",
                f"{rail['min_input_v']:.1f}" if "min_input_v" in rail else "-",
            ]
        )
    out.append(
        _table(["rail", "id", "kind", "via", "volts", "efficiency", "min input V"], rows, markdown)
    )

    out.append("")
    out.append(
        f"{heading}One shift: {budget.shift_hours:g} h, {budget.sales} sales "
        f"(pack at {pack_volts(battery, 'cell_nominal_v'):.1f} V nominal)" + gap
    )
    rows = [
        [
            line.name,
            line.rail,
            f"{line.load_ma:g}",
            f"{line.peak_ma:g}",
            f"{line.hours:.3f}",
            f"{line.battery_mah:.1f}",
            f"{100.0 * line.battery_mah / budget.total_mah:.1f}",
        ]
        for line in budget.lines
    ]
    rows.append(["total", "", "", "", "", f"{budget.total_mah:.1f}", "100.0"])
    out.append(
        _table(["load", "rail", "mA", "peak mA", "h/day", "mAh/day from pack", "%"], rows, markdown)
    )
    out.append("")
    bold = "**" if markdown else ""
    out.append(
        f"Average pack current {budget.average_ma:.1f} mA; {budget.total_wh:.2f} Wh per shift; "
        f"usable charge {budget.usable_mah:.0f} mAh "
        f"({battery['usable_fraction']:.0%} of {battery['cell_capacity_mah']} mAh, "
        f"{usable_wh(battery):.1f} Wh): "
        f"{bold}{budget.days_per_charge:.1f} shifts of {budget.sales} sales per charge{bold}."
    )

    out.append("")
    out.append(f"{heading}Battery life against sales per day" + gap)
    rows = []
    for count in day["sales_sweep"]:
        swept = day_budget(model, count)
        rows.append(
            [
                str(count),
                f"{swept.total_mah:.0f}",
                f"{swept.average_ma:.1f}",
                f"{swept.days_per_charge:.1f}",
            ]
        )
    out.append(_table(["sales/day", "mAh/day", "mean mA", "shifts per charge"], rows, markdown))

    peak = peak_check(model)
    out.append("")
    out.append(f"{heading}Worst coincident peak (every part at its peak, pack at cut-off)" + gap)
    rows = [
        ["pack at cut-off, no load", f"{peak.cutoff_v:.2f} V"],
        ["switched and direct peaks", f"{peak.resistive_a:.2f} A"],
        ["regulated peaks (constant power)", f"{peak.regulated_w:.2f} W"],
        ["pack current at the peak", f"{peak.peak_a:.2f} A"],
        [
            f"pack terminal voltage ({battery['path_resistance_mohm']} mOhm path)",
            f"{peak.sagged_v:.2f} V",
        ],
    ]
    for name, margin in peak.headroom_v.items():
        rows.append([f"headroom over {rails[name]['label']} minimum input", f"{margin:+.2f} V"])
    out.append(_table(["quantity", "value"], rows, markdown))

    burst = burst_check(model)
    out.append("")
    out.append(f"{heading}Modem rail during a transmit burst" + gap)
    rows = [
        ["rail set point", f"{burst.rail_v:.2f} V"],
        ["dip until the buck responds", f"{burst.sag_v * 1000:.0f} mV"],
        ["lowest rail voltage", f"{burst.min_v:.2f} V"],
        ["margin over the modem's minimum", f"{burst.margin_v:+.2f} V"],
        [
            "dip if the capacitors alone carried a whole burst",
            f"{burst.capacitor_only_sag_v:.2f} V",
        ],
    ]
    out.append(_table(["quantity", "value"], rows, markdown))
    return "\n".join(out) + "\n"


def replace_block(document: str, block: str) -> str:
    """Swap the generated block between the markers in `document` for `block`."""
    start = document.find(BEGIN_MARK)
    end = document.find(END_MARK)
    if start < 0 or end < start:
        raise ValueError(f"power.md: markers {BEGIN_MARK!r} ... {END_MARK!r} not found")
    return document[: start + len(BEGIN_MARK)] + "\n" + block + document[end:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sales", type=int, help="sales per day (default: power.toml)")
    parser.add_argument("--markdown", action="store_true", help="markdown tables")
    parser.add_argument("--write", action="store_true", help="refresh the block in power.md")
    args = parser.parse_args(argv)
    model = load()
    if args.write:
        block = render(model, markdown=True)
        POWER_DOC.write_text(replace_block(POWER_DOC.read_text(encoding="utf-8"), block))
        return 0
    sys.stdout.write(render(model, args.sales, markdown=args.markdown))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
