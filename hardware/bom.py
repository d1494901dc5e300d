"""Load the bill of materials (bom.csv) and summarise its cost."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

BOM_FILE = Path(__file__).resolve().parent / "bom.csv"
COLUMNS = (
    "ref",
    "qty",
    "part",
    "part_number",
    "manufacturer",
    "unit_cost_usd",
    "subsystem",
    "why",
    "alternative",
)


@dataclass(frozen=True)
class BomLine:
    """One line of bom.csv; refs are the designators it covers."""

    refs: tuple[str, ...]
    qty: int
    part: str
    part_number: str
    manufacturer: str
    unit_cost_usd: float
    subsystem: str
    why: str
    alternative: str

    @property
    def cost_usd(self) -> float:
        return self.qty * self.unit_cost_usd


def load(path: Path = BOM_FILE) -> list[BomLine]:
    """Read bom.csv, naming the line and column of anything malformed."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            raise ValueError(f"bom.csv columns are {reader.fieldnames}, expected {list(COLUMNS)}")
        lines = []
        for number, row in enumerate(reader, start=2):
            where = f"bom.csv line {number} ({row.get('ref')})"
            if None in row or None in row.values():
                raise ValueError(f"{where}: wrong number of fields")
            try:
                qty = int(row["qty"])
                cost = float(row["unit_cost_usd"])
            except ValueError as error:
                raise ValueError(
                    f"{where}: qty and unit_cost_usd must be numbers ({error})"
                ) from None
            refs = tuple(row["ref"].split())
            if not refs or qty <= 0 or qty % len(refs) or cost < 0:
                raise ValueError(
                    f"{where}: needs refs, a positive qty that is a multiple of the number of "
                    "refs, and a cost of 0 or more"
                )
            lines.append(
                BomLine(
                    refs=refs,
                    qty=qty,
                    part=row["part"],
                    part_number=row["part_number"],
                    manufacturer=row["manufacturer"],
                    unit_cost_usd=cost,
                    subsystem=row["subsystem"],
                    why=row["why"],
                    alternative=row["alternative"],
                )
            )
    return lines


def by_ref(lines: list[BomLine]) -> dict[str, BomLine]:
    """Map every designator to its line; a designator on two lines is an error."""
    table: dict[str, BomLine] = {}
    for line in lines:
        for ref in line.refs:
            if ref in table:
                raise ValueError(f"bom.csv: {ref} appears on two lines")
            table[ref] = line
    return table


def cost_by_subsystem(lines: list[BomLine]) -> dict[str, float]:
    """Rough cost per subsystem, in first-appearance order."""
    totals: dict[str, float] = {}
    for line in lines:
        totals[line.subsystem] = totals.get(line.subsystem, 0.0) + line.cost_usd
    return totals
