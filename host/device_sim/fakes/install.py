"""Make device code run on CPython: the fakes where it imports them, device/ on sys.path.

install() does three things, and leaves the rest of the process alone:
1. device/ goes on sys.path, so device modules import each other by top-level name as on
   the ESP32 (its filesystem root is device/): `from drivers.printer import Printer`.
2. machine, network, micropython and framebuf, which CPython lacks, go into sys.modules.
3. time, asyncio, gc and sys exist in CPython with other meanings, so they are NOT
   replaced globally. Instead every module loaded from device/ gets its own `__import__`
   (through its `__builtins__`) that hands it the fake for those four names. Device code
   writes plain `import time` and gets MicroPython's time (wrapping ticks, 2000 epoch);
   pytest, Rich and everything else still get CPython's.

See host/device_sim/README.md for why this and not a clock module.
"""

import binascii
import builtins
import importlib.abc
import importlib.machinery
import struct
import sys
from pathlib import Path

from host.device_sim.fakes import asyncio as fake_asyncio
from host.device_sim.fakes import framebuf, machine, micropython, network
from host.device_sim.fakes import gc as fake_gc
from host.device_sim.fakes import socket as fake_socket
from host.device_sim.fakes import ssl as fake_ssl
from host.device_sim.fakes import sys as fake_sys
from host.device_sim.fakes import time as fake_time

ROOT = Path(__file__).resolve().parents[3]
DEVICE_DIR = ROOT / "device"

# Modules CPython does not have: safe to put in sys.modules for everyone.
GLOBAL_FAKES = {
    "machine": machine,
    "network": network,
    "micropython": micropython,
    "framebuf": framebuf,
    # MicroPython's old u-names, which micropython-lib's umqtt.simple imports.
    "usocket": fake_socket,
    "ustruct": struct,
    "ubinascii": binascii,
}
# Modules CPython has with different behaviour: only device modules see these fakes.
DEVICE_FAKES = {
    "time": fake_time,
    "asyncio": fake_asyncio,
    "gc": fake_gc,
    "sys": fake_sys,
    "socket": fake_socket,
    "ssl": fake_ssl,  # TLS over the fake sockets (the link's MQTT and HTTPS)
}


def _device_import(name, globals=None, locals=None, fromlist=(), level=0):
    if level == 0 and name in DEVICE_FAKES:
        return DEVICE_FAKES[name]
    return builtins.__import__(name, globals, locals, fromlist, level)


DEVICE_BUILTINS = dict(vars(builtins))
DEVICE_BUILTINS["__import__"] = _device_import


class _DeviceLoader(importlib.machinery.SourceFileLoader):
    """Loads a device/ source file with the device's view of builtins."""

    def exec_module(self, module):
        module.__dict__["__builtins__"] = DEVICE_BUILTINS
        super().exec_module(module)


class DeviceFinder(importlib.abc.MetaPathFinder):
    """Claims .py modules that live under device/, and only those."""

    def find_spec(self, fullname, path, target=None):
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
            return None
        if not Path(spec.origin).resolve().is_relative_to(DEVICE_DIR):
            return None
        spec.loader = _DeviceLoader(spec.name, spec.origin)
        return spec


def _finder_installed() -> bool:
    return any(isinstance(f, DeviceFinder) for f in sys.meta_path)


def install() -> None:
    """Install the fakes (idempotent). Call before importing any device module."""
    if str(DEVICE_DIR) not in sys.path:
        sys.path.insert(0, str(DEVICE_DIR))
    for name, module in GLOBAL_FAKES.items():
        sys.modules.setdefault(name, module)
    if not _finder_installed():
        sys.meta_path.insert(0, DeviceFinder())


def uninstall() -> None:
    """Undo install(): remove the finder and the global fakes (device modules stay loaded)."""
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, DeviceFinder)]
    for name, module in GLOBAL_FAKES.items():
        if sys.modules.get(name) is module:
            del sys.modules[name]


def is_device_module(module) -> bool:
    """Whether module was loaded through install()'s finder (and so sees the fakes)."""
    return getattr(module, "__builtins__", None) is DEVICE_BUILTINS


def reset_fakes() -> None:
    """A fresh board: new pins, buses, Wi-Fi and a clock rebooted at 0 (between tests)."""
    machine.reset_board()
    network.reset_network()
    fake_time.clock.reset()
    fake_socket.network.reset()
