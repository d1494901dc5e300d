"""Fixtures for the hardware folder's data files and the firmware's board definition."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]
HARDWARE = REPO / "hardware"
BOARD_FILE = REPO / "device" / "board.py"

# The hardware scripts are plain files, not a package; they import each other by name.
if str(HARDWARE) not in sys.path:
    sys.path.insert(0, str(HARDWARE))


def load_board() -> ModuleType:
    """Import device/board.py under a private name, as CPython sees it."""
    spec = importlib.util.spec_from_file_location("gridvend_hardware_test_board", BOARD_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def board() -> ModuleType:
    return load_board()


@pytest.fixture(scope="session")
def pins():
    import pinmap

    return pinmap.load()


@pytest.fixture(scope="session")
def bom_lines():
    import bom

    return bom.load()


@pytest.fixture(scope="session")
def power_model():
    import power_budget

    return power_budget.load()
