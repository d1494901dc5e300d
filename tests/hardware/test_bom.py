"""bom.csv parses, and every part the pin map and the power model name has a BOM line."""

from __future__ import annotations

import bom
import pytest

from tests.hardware.conftest import HARDWARE


def test_bom_has_the_required_columns():
    header = (HARDWARE / "bom.csv").read_text(encoding="utf-8").splitlines()[0]
    assert tuple(header.split(",")) == bom.COLUMNS


def test_every_line_is_complete(bom_lines):
    assert bom_lines
    for line in bom_lines:
        where = " ".join(line.refs)
        assert line.part and line.part_number and line.manufacturer, where
        assert line.why, f"{where}: say why this part was chosen"
        assert line.qty > 0 and line.unit_cost_usd >= 0, where


def test_designators_are_unique(bom_lines):
    bom.by_ref(bom_lines)  # raises on a designator listed twice


def test_every_pin_map_part_has_a_bom_line(pins, bom_lines):
    missing = pins.parts() - set(bom.by_ref(bom_lines))
    assert not missing, f"pins.toml names parts with no bom.csv line: {sorted(missing)}"


def test_the_module_in_the_pin_map_is_the_one_in_the_bom(pins, bom_lines):
    line = bom.by_ref(bom_lines)[pins.module["part"]]
    assert line.part_number == pins.module["name"]


def test_every_power_model_part_has_a_bom_line(power_model, bom_lines):
    refs = set(bom.by_ref(bom_lines))
    named = {load["part"] for load in power_model["load"]}
    for rail in power_model["rail"].values():
        named.update(rail["via"], rail["feeds"], rail.get("bulk", []))
    assert not named - refs, f"power.toml names parts with no bom.csv line: {named - refs}"


@pytest.mark.parametrize(
    "subsystem", ["core", "usb", "power", "modem", "printer", "display", "keypad", "feedback"]
)
def test_each_subsystem_is_in_the_bom(bom_lines, subsystem):
    assert any(line.subsystem == subsystem for line in bom_lines)


def test_malformed_lines_are_rejected_by_name(tmp_path):
    bad = tmp_path / "bom.csv"
    bad.write_text(",".join(bom.COLUMNS) + "\nR1 R2,3,resistor,x,y,0.01,core,why,\n")
    with pytest.raises(ValueError, match=r"line 2 \(R1 R2\)"):
        bom.load(bad)


def test_cost_by_subsystem_sums_quantity_times_unit_cost(tmp_path):
    data = tmp_path / "bom.csv"
    data.write_text(
        ",".join(bom.COLUMNS)
        + "\nR1 R2,4,resistor,x,y,0.25,core,why,\nU1,1,chip,x,y,3.00,core,why,\n"
        + "BT1,2,cell,x,y,4.50,power,why,\n"
    )
    assert bom.cost_by_subsystem(bom.load(data)) == {"core": 4.0, "power": 9.0}
