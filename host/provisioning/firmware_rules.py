"""The firmware's own rules, used on the host: its config checker and its PIN hash.

A provisioning tool with its own idea of a valid config would, one day, write an image
the handheld refuses at boot. So the image builder runs device/config.py's validate()
and device/vend/pin.py's pin_hash() themselves. Both are plain Python that only imports
json and hashlib; they are loaded by path under private names, so nothing here puts
device/ on sys.path or shadows a host module called "config".
"""

import importlib.util
from functools import cache
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
DEVICE_DIR = ROOT / "device"


@cache
def device_module(relative: str) -> ModuleType:
    """device/<relative> (e.g. "config.py") loaded as a private module."""
    path = DEVICE_DIR / relative
    name = "gridvend_firmware_" + relative.removesuffix(".py").replace("/", "_")
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def validate_config(raw: dict) -> dict:
    """The firmware's validate(): a completed copy, or its ConfigError (has .field)."""
    return device_module("config.py").validate(raw)


def config_error_type() -> type[Exception]:
    """The firmware's ConfigError class."""
    return device_module("config.py").ConfigError


def pin_hash(salt_hex: str, pin: str, rounds: int) -> str:
    """The firmware's vendor PIN hash."""
    return device_module("vend/pin.py").pin_hash(salt_hex, pin, rounds)


def default_pin_rounds() -> int:
    """How many hash rounds the firmware uses by default."""
    return device_module("vend/pin.py").DEFAULT_ROUNDS
