"""install() gives device modules MicroPython's modules and leaves CPython's alone."""

import asyncio
import sys
import time

import drivers.printer
import keypad

from host.device_sim.fakes import asyncio as fake_asyncio
from host.device_sim.fakes import install as installer
from host.device_sim.fakes import time as fake_time


def test_device_modules_get_the_fakes_of_time_and_asyncio():
    assert keypad.time is fake_time
    assert drivers.printer.asyncio is fake_asyncio
    assert installer.is_device_module(keypad)


def test_everything_else_keeps_cpythons_modules():
    assert sys.modules["time"] is time and not hasattr(time, "ticks_ms")
    assert sys.modules["asyncio"] is asyncio and not hasattr(asyncio, "sleep_ms")
    assert not installer.is_device_module(installer)


def test_modules_cpython_lacks_are_importable_by_anyone():
    import framebuf
    import machine
    import micropython
    import network

    assert machine.Pin and network.WLAN and micropython.const and framebuf.FrameBuffer


def test_only_files_under_device_are_claimed(tmp_path, monkeypatch):
    (tmp_path / "outsider.py").write_text("import time\nSEEN = time\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import outsider

    assert outsider.SEEN is time
    del sys.modules["outsider"]


def test_install_is_idempotent():
    installer.install()
    installer.install()
    finders = [f for f in sys.meta_path if isinstance(f, installer.DeviceFinder)]
    assert len(finders) == 1
