"""The meter simulator: a prepaid meter as STS describes it, for tests and for playing meter.

``MeterSim`` is the model (no I/O); ``load_meter``/``save_meter`` keep one in a JSON file.
"""

from host.meter_sim.errors import MeterSimError
from host.meter_sim.meter import ELECTRICITY, GAS, METER_TYPES, WATER, MeterSim
from host.meter_sim.results import Result, ResultName
from host.meter_sim.state_file import from_state, load_meter, save_meter, to_state

__all__ = [
    "ELECTRICITY",
    "GAS",
    "METER_TYPES",
    "WATER",
    "MeterSim",
    "MeterSimError",
    "Result",
    "ResultName",
    "from_state",
    "load_meter",
    "save_meter",
    "to_state",
]
