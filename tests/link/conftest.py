"""Link tests: the server's database fixtures (SQLite and PostgreSQL, a fresh database per
test), and the MicroPython fakes for the handheld's firmware (installed before any device
module is imported; a fresh fake board and network for every test)."""

import pytest

import tests.device  # noqa: F401 - device/ and tests/device (vendkit) on sys.path
from host.device_sim.fakes.install import install, reset_fakes
from tests.server.conftest import (  # noqa: F401 - fixtures, found by pytest by name
    admin,
    clock,
    ctx,
    db_url,
    master_key,
    postgres,
    sqlite_template,
)

install()


@pytest.fixture(autouse=True)
def fresh_fake_board():
    """New pins, buses, Wi-Fi, clock and network faults for every test."""
    reset_fakes()
    yield
    reset_fakes()
