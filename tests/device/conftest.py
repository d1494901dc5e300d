"""Device tests run the firmware on CPython with the MicroPython fakes installed.

See host/device_sim/README.md: device modules get MicroPython's time/asyncio/gc/sys,
everything else keeps CPython's. Each test starts on a fresh fake board.
"""

import pytest

from host.device_sim.fakes.install import install, reset_fakes

install()


@pytest.fixture(autouse=True)
def fresh_fake_board():
    """New pins, buses, Wi-Fi and a rebooted clock for every test."""
    reset_fakes()
    yield
