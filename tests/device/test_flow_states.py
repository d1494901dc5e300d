"""tests/device/flowstates.py names the vend flow's states with the numbers flow.py uses."""

import re
from pathlib import Path

import flowstates
from vend import flow

FLOW_SOURCE = Path(__file__).resolve().parents[2] / "device" / "vend" / "flow.py"


def test_every_state_has_the_number_flow_py_gives_it():
    consts = dict(re.findall(r"^_([A-Z_]+) = const\((\d+)\)", FLOW_SOURCE.read_text(), re.M))
    for number, name in enumerate(flowstates.STATES):
        assert getattr(flowstates, name) == number
        assert consts.get(name) == str(number), f"flow.py: _{name} should be const({number})"


def test_every_state_has_its_screen():
    """VendFlow._screen() draws and handles every state: one branch per state constant."""
    source = FLOW_SOURCE.read_text()
    screens = source[source.index("    def _screen(") : source.index("    def _print_sale(")]
    for name in flowstates.STATES:
        assert re.search(rf"\bstate == _{name}\b", screens), f"_screen() has no branch for {name}"
    assert callable(flow.VendFlow._screen)
