"""The generated wiring diagram and document tables match the data files they come from."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import draw_wiring
import power_budget
import readme_tables

from tests.hardware.conftest import HARDWARE

SELFTEST_STEPS = ["display", "printer_status", "keypad_scan", "modem_at", "journal"]


def test_wiring_svg_is_regenerated_identically():
    committed = (HARDWARE / "wiring.svg").read_text(encoding="utf-8")
    assert committed == draw_wiring.render(), "run: python hardware/draw_wiring.py"


def test_wiring_svg_is_well_formed_and_shows_every_signal(pins):
    svg = draw_wiring.render()
    ET.fromstring(svg.encode())
    for signal in pins.signals:
        assert f">{signal.name}<" in svg
        assert f">GPIO{signal.gpio}<" in svg


def test_wiring_changes_when_the_pin_map_changes(pins):
    moved = pins.signals[0].__class__(**{**pins.signals[0].__dict__, "gpio": 99})
    altered = pins.__class__(pins.module, (moved, *pins.signals[1:]))
    assert ">GPIO99<" in draw_wiring.render(pins=altered)


def test_power_md_block_is_current(power_model):
    document = (HARDWARE / "power.md").read_text(encoding="utf-8")
    expected = power_budget.replace_block(document, power_budget.render(power_model, markdown=True))
    assert document == expected, "run: python hardware/power_budget.py --write"


def test_readme_tables_are_current():
    document = (HARDWARE / "README.md").read_text(encoding="utf-8")
    assert (
        readme_tables.replace_blocks(document, readme_tables.blocks()) == document
    ), "run: python hardware/readme_tables.py"


def test_readme_connection_table_has_one_row_per_signal(pins):
    document = (HARDWARE / "README.md").read_text(encoding="utf-8")
    for signal in pins.signals:
        assert re.search(rf"^\| {signal.gpio} \| {signal.name} \|", document, re.MULTILINE)


def test_bringup_names_the_firmware_selftest_steps_in_order():
    document = (HARDWARE / "bringup.md").read_text(encoding="utf-8")
    section = document.split("## 10. Firmware self-test", 1)[1].split("\n## ", 1)[0]
    steps = re.findall(r"^\| `([a-z_]+)` \|", section, re.MULTILINE)
    assert steps == SELFTEST_STEPS
