"""power_budget.py's arithmetic on known inputs, and the real design against its own limits."""

from __future__ import annotations

import math
import tomllib

import power_budget
import pytest

KNOWN = """
[battery]
cells_series = 2
cell_capacity_mah = 1000
cell_nominal_v = 3.5
cell_full_v = 4.0
cell_cutoff_v = 3.0
usable_fraction = 0.5
path_resistance_mohm = 100

[day]
shift_hours = 10
sales = 20
sales_sweep = [20, 40]

[rail.vbat]
label = "VBAT"
kind = "battery"
via = []
feeds = []

[rail.logic]
label = "logic"
kind = "buck"
source = "vbat"
via = []
volts = 3.5
efficiency = 0.5
min_input_v = 4.0
feeds = []

[rail.sw]
label = "switched"
kind = "switch"
source = "vbat"
via = []
efficiency = 0.8
min_input_v = 4.0
feeds = []

[[load]]
name = "A"
part = "U1"
rail = "logic"
ma = 100.0
peak_ma = 300.0
duty = 0.5

[[load]]
name = "A2"
part = "U1"
rail = "logic"
ma = 1.0
peak_ma = 200.0
duty = 0.5

[[load]]
name = "B"
part = "U2"
rail = "sw"
ma = 50.0
peak_ma = 1000.0
seconds_per_sale = 36.0

[[load]]
name = "C"
part = "U3"
rail = "vbat"
ma = 10.0
peak_ma = 10.0
seconds_per_hour = 360.0

[modem_burst]
rail = "logic"
step_a = 2.0
burst_us = 500
regulator_response_us = 50
bulk_uf = 1000
bulk_esr_mohm = 10
trace_mohm = 10
modem_min_v = 3.0
"""


@pytest.fixture
def known():
    return tomllib.loads(KNOWN)


def test_day_budget_on_known_inputs(known):
    # Pack 7.0 V nominal. A: 100 mA x 3.5 V / (0.5 x 7.0 V) = 100 mA for 5 h = 500 mAh.
    # A2: 1 mA -> 1 mA for 5 h = 5 mAh. B: 50 mA / 0.8 = 62.5 mA for 20 x 36 s = 0.2 h
    # = 12.5 mAh. C: 10 mA for 360 s/h x 10 h = 1 h = 10 mAh. Total 527.5 mAh.
    budget = power_budget.day_budget(known)
    by_name = {line.name: line for line in budget.lines}
    assert by_name["A"].battery_mah == pytest.approx(500.0)
    assert by_name["A2"].battery_mah == pytest.approx(5.0)
    assert by_name["B"].hours == pytest.approx(0.2)
    assert by_name["B"].battery_mah == pytest.approx(12.5)
    assert by_name["C"].hours == pytest.approx(1.0)
    assert by_name["C"].battery_mah == pytest.approx(10.0)
    assert budget.total_mah == pytest.approx(527.5)
    assert budget.total_wh == pytest.approx(527.5 * 7.0 / 1000)
    assert budget.average_ma == pytest.approx(52.75)
    assert budget.usable_mah == pytest.approx(500.0)  # series cells: 1000 mAh x 0.5
    assert budget.days_per_charge == pytest.approx(500.0 / 527.5)


def test_more_sales_only_grow_the_per_sale_lines(known):
    assert power_budget.day_budget(known, sales=40).total_mah == pytest.approx(540.0)


def test_peak_on_known_inputs(known):
    # Worst peak per part: U1 300 mA on the buck (not 300 + 200), U2 1 A switched, U3 10 mA.
    # Constant power behind the buck: 0.3 A x 3.5 V / 0.5 = 2.1 W.
    # Fixed current: 1.0 / 0.8 + 0.01 = 1.26 A. Pack 6.0 V at cut-off, 0.1 ohm.
    peak = power_budget.peak_check(known)
    assert peak.regulated_w == pytest.approx(2.1)
    assert peak.resistive_a == pytest.approx(1.26)
    assert peak.cutoff_v == pytest.approx(6.0)
    v = peak.sagged_v
    assert v == pytest.approx(5.8381, abs=1e-4)
    assert v == pytest.approx(6.0 - 0.1 * (1.26 + 2.1 / v))  # the circuit equation holds
    assert peak.peak_a == pytest.approx(1.26 + 2.1 / v)
    assert peak.headroom_v["logic"] == pytest.approx(v - 4.0)
    assert peak.headroom_v["sw"] == pytest.approx(v * 0.8 - 4.0)


def test_a_pack_that_cannot_deliver_the_peak_is_reported(known):
    known["battery"]["path_resistance_mohm"] = 5000
    with pytest.raises(ValueError, match="cannot deliver"):
        power_budget.peak_check(known)


def test_burst_on_known_inputs(known):
    # 2 A x 20 mOhm = 40 mV; 2 A x 50 us / 1000 uF = 100 mV; 2 A x 500 us / 1000 uF = 1 V.
    burst = power_budget.burst_check(known)
    assert burst.sag_v == pytest.approx(0.14)
    assert burst.min_v == pytest.approx(3.36)
    assert burst.margin_v == pytest.approx(0.36)
    assert burst.capacitor_only_sag_v == pytest.approx(1.04)


def test_a_load_must_say_how_often_it_runs(known):
    load = dict(known["load"][0])
    del load["duty"]
    with pytest.raises(ValueError, match="exactly one of"):
        power_budget.hours_per_day(load, 10, 20)
    load.update(duty=0.5, seconds_per_sale=3)
    with pytest.raises(ValueError, match="exactly one of"):
        power_budget.hours_per_day(load, 10, 20)


def test_every_load_is_on_a_known_rail(power_model):
    for load in power_model["load"]:
        assert load["rail"] in power_model["rail"], load["name"]
        assert load["rail"] != "vusb", f"{load['name']}: USB power is not battery drain"


def test_the_design_survives_its_worst_coincident_peak(power_model):
    peak = power_budget.peak_check(power_model)
    for rail, margin in peak.headroom_v.items():
        assert margin > 0, f"{rail}: {margin:.2f} V short at the worst peak"


def test_the_modem_rail_stays_above_the_modem_minimum_in_a_burst(power_model):
    assert power_budget.burst_check(power_model).margin_v > 0


def test_the_pack_lasts_a_full_shift_at_the_busiest_day_in_the_sweep(power_model):
    busiest = max(power_model["day"]["sales_sweep"])
    assert power_budget.day_budget(power_model, busiest).days_per_charge >= 1.0


def test_the_cutoff_matches_the_firmware_threshold(power_model, board):
    pack_cutoff_mv = power_budget.pack_volts(power_model["battery"], "cell_cutoff_v") * 1000
    assert math.isclose(pack_cutoff_mv, board.BATTERY_EMPTY_MV)
    pack_full_mv = power_budget.pack_volts(power_model["battery"], "cell_full_v") * 1000
    assert math.isclose(pack_full_mv, board.BATTERY_FULL_MV)
    assert power_model["battery"]["cells_series"] == board.BATTERY_CELLS


def test_text_output_names_the_headline(power_model):
    text = power_budget.render(power_model, sales=100)
    assert "shifts of 100 sales per charge" in text
