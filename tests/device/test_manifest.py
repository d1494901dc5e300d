"""device/manifest.py freezes every device file (a file left out would be missing on the
ESP32), and only device files."""

import ast
from pathlib import Path

DEVICE = Path(__file__).resolve().parents[2] / "device"


def _frozen():
    """The files the manifest's module() and package() calls take in, relative to device/."""
    tree = ast.parse((DEVICE / "manifest.py").read_text())
    frozen = set()
    for loop in (node for node in tree.body if isinstance(node, ast.For)):
        call = loop.body[0].value
        for name in (element.value for element in loop.iter.elts):
            if call.func.id == "module":
                frozen.add(name)
            else:
                assert call.func.id == "package", call.func.id
                frozen |= {p.relative_to(DEVICE).as_posix() for p in (DEVICE / name).rglob("*.py")}
    return frozen


def test_the_manifest_freezes_every_device_file_but_itself():
    on_disk = {
        p.relative_to(DEVICE).as_posix()
        for p in DEVICE.rglob("*.py")
        if "__pycache__" not in p.parts
    }
    assert _frozen() == on_disk - {"manifest.py"}
