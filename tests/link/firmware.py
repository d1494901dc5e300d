"""The handheld's firmware on CPython, for link tests: the MicroPython fakes, and
micropython-lib's umqtt.simple fetched from the package registry the way the device image
gets it (host/provisioning/packages.py: pinned version and SHA-256, cached per user)."""

import sys
from pathlib import Path

import pytest

from host.device_sim.fakes.install import install, reset_fakes
from host.provisioning.cache_dir import default_cache_dir, write_atomically

install()


def umqtt_on_path() -> Path:
    """Put umqtt/simple.py (from the pinned registry package) on sys.path; its folder.

    Skips the test, saying why, when the package is neither cached nor fetchable."""
    from host.provisioning.errors import ProvisioningError
    from host.provisioning.packages import pinned, registry_sources

    _, packages = pinned()
    umqtt = next(p for p in packages if p.name == "micropython-umqtt.simple")
    root = default_cache_dir() / "umqtt-for-tests" / umqtt.sha256[:16]
    target = root / "umqtt" / "simple.py"
    if not target.exists():
        try:
            files = registry_sources()
        except ProvisioningError as exc:
            pytest.skip(f"micropython-lib's umqtt is not available: {exc}")
        write_atomically(target, files["lib/umqtt/simple.py"])
        write_atomically(root / "umqtt" / "__init__.py", b"")
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    return root


def fresh_board() -> None:
    """New fake pins, buses, Wi-Fi, clock and network (between tests)."""
    reset_fakes()
