"""The filesystem image: littlefs2 of exactly the vfs partition, holding exactly the firmware
(compiled), umqtt from the registry, main.py as source, and the device's config."""

import json
import re
import time

import pytest
from littlefs import LittleFS

from host.provisioning import image as image_module
from host.provisioning import mpy_cache
from host.provisioning.contents import (
    MANIFEST,
    build_firmware,
    device_sources,
    file_hash,
    image_files,
    romfs_image,
    tree_hash,
)
from host.provisioning.device_config import ImageSettings, build_device_files
from host.provisioning.errors import ProvisioningError
from host.provisioning.image import build_image, check_image_for, read_image
from host.provisioning.partitions import BLOCK_SIZE, VfsPartition, stock_vfs

FLASH_SIZES = ["4MB", "8MB", "16MB"]


@pytest.fixture
def files(firmware, record):
    config = build_device_files(record, ImageSettings(vendor_pin="2468")).as_files()
    return image_files(firmware, config)


def mount_as_micropython(image: bytes) -> LittleFS:
    """littlefs-python with MicroPython's VfsLfs2 geometry; block count from the superblock."""
    fs = LittleFS(
        block_size=4096, block_count=0, read_size=32, prog_size=32, lookahead_size=32, mount=False
    )
    fs.context.buffer = bytearray(image)
    fs.mount()
    return fs


@pytest.mark.parametrize("flash", FLASH_SIZES)
def test_the_image_mounts_and_holds_exactly_the_expected_files_byte_for_byte(files, flash):
    vfs = stock_vfs(flash)
    image = build_image(files, vfs)
    assert len(image) == vfs.size
    fs = mount_as_micropython(image)
    assert fs.block_count == vfs.size // BLOCK_SIZE
    found = {}
    for top, _dirs, names in fs.walk("/"):
        for name in names:
            path = f"{top.rstrip('/')}/{name}".lstrip("/")
            with fs.open(path, "rb") as f:
                found[path] = f.read()
    assert found == files  # same names, same bytes, nothing more, nothing less
    assert read_image(image) == files


def test_every_device_module_is_compiled_and_main_and_boot_stay_source(files, firmware):
    sources = device_sources()
    run_by_name = {"main.py", "boot.py"} & set(sources)  # MicroPython runs these as .py
    assert "main.py" in run_by_name
    for name in run_by_name:
        assert files[name] == sources[name]
    for name in set(sources) - run_by_name:
        compiled = name.removesuffix(".py") + ".mpy"
        assert compiled in files, compiled
        assert files[compiled][:2] == b"M\x06"  # .mpy format 6, as MicroPython 1.22+ reads
        assert name not in files  # no source copy that MicroPython would import instead
    assert {p for p in files if p.endswith(".py")} == run_by_name


def test_umqtt_from_the_registry_is_in_lib_compiled(files, registry_packages):
    assert set(registry_packages) == {"lib/umqtt/simple.py", "lib/umqtt/robust.py"}
    assert b"class MQTTClient" in registry_packages["lib/umqtt/simple.py"]
    assert b"class MQTTClient(simple.MQTTClient)" in registry_packages["lib/umqtt/robust.py"]
    assert files["lib/umqtt/simple.mpy"][:1] == b"M"
    assert files["lib/umqtt/robust.mpy"][:1] == b"M"


def test_the_manifest_lists_every_code_file_with_its_hash(files, firmware):
    manifest = json.loads(files[MANIFEST])
    code = {p: d for p, d in files.items() if p not in ("config.json", "link.json", MANIFEST)}
    assert manifest["files"] == {p: file_hash(d) for p, d in code.items()}
    assert manifest["firmware_sha256"] == tree_hash(code) == firmware.sha256
    assert manifest["config_sha256"] == tree_hash(
        {"config.json": files["config.json"], "link.json": files["link.json"]}
    )
    assert re.fullmatch(r"\d+\.\d+\.\d+", manifest["firmware_version"])
    assert "mpy v6" in manifest["mpy_cross"]


def test_the_same_inputs_give_the_same_image(files):
    vfs = stock_vfs("4MB")
    assert build_image(files, vfs) == build_image(files, vfs)


@pytest.mark.parametrize("size", [0, 4096 * 100 + 1, -4096])
def test_an_image_that_is_not_whole_blocks_is_never_built(files, size):
    with pytest.raises(ProvisioningError) as err:
        build_image(files, VfsPartition(0x200000, size, "test"))
    assert err.value.kind == "wrong_size"


def test_an_image_of_the_wrong_size_for_the_partition_is_refused(files):
    image = build_image(files, stock_vfs("4MB"))
    with pytest.raises(ProvisioningError) as err:
        check_image_for(image, stock_vfs("8MB"))
    assert err.value.kind == "wrong_size"
    assert "2097152 bytes" in str(err.value) and "6291456 bytes" in str(err.value)
    check_image_for(image, stock_vfs("4MB"))  # the right one passes


def test_an_image_padded_to_the_right_size_but_formatted_smaller_is_refused(files):
    small = build_image(files, VfsPartition(0x200000, 0x100000, "test"))
    padded = small + b"\xff" * (0x200000 - len(small))
    with pytest.raises(ProvisioningError) as err:
        check_image_for(padded, stock_vfs("4MB"))
    assert err.value.kind == "not_an_image"
    assert "256" in str(err.value)  # what its superblock says


def test_files_that_do_not_fit_are_refused_with_what_to_do(files):
    big = {**files, "data/blob.bin": bytes(range(256)) * 4096 * 3}  # 3 MB
    with pytest.raises(ProvisioningError) as err:
        build_image(big, stock_vfs("4MB"))
    assert err.value.kind == "image_too_large"
    assert "--flash-size" in str(err.value)


def test_something_that_is_not_an_image_is_refused_not_formatted():
    with pytest.raises(ProvisioningError) as err:
        read_image(b"\x00" * 4096 * 4)
    assert err.value.kind == "not_an_image"


def test_a_second_build_compiles_nothing_and_takes_well_under_a_second(
    cache_dir, registry_packages, monkeypatch, record
):
    build_firmware("xtensawin", cache_dir=cache_dir, packages=registry_packages)

    def no_compiler(*args):
        raise AssertionError("mpy-cross ran although every module was cached")

    monkeypatch.setattr(mpy_cache, "_run_mpy_cross", no_compiler)
    start = time.perf_counter()
    firmware = build_firmware("xtensawin", cache_dir=cache_dir, packages=registry_packages)
    config = build_device_files(record, ImageSettings(vendor_pin="1357")).as_files()
    image_module.build_image(image_files(firmware, config), stock_vfs("16MB"))
    assert time.perf_counter() - start < 0.5


def test_a_changed_source_is_compiled_again(cache_dir, monkeypatch):
    calls = []
    real = mpy_cache._run_mpy_cross

    def counting(source, name, arch):
        calls.append(name)
        return real(source, name, arch)

    monkeypatch.setattr(mpy_cache, "_run_mpy_cross", counting)
    mpy_cache.compile_module(b"X = 1\n", "a.py", "xtensawin", cache_dir)
    mpy_cache.compile_module(b"X = 1\n", "a.py", "xtensawin", cache_dir)
    mpy_cache.compile_module(b"X = 2\n", "a.py", "xtensawin", cache_dir)
    mpy_cache.compile_module(b"X = 2\n", "b.py", "xtensawin", cache_dir)
    assert calls == ["a.py", "a.py", "b.py"]


def test_a_module_that_does_not_compile_is_named(cache_dir):
    with pytest.raises(ProvisioningError) as err:
        mpy_cache.compile_module(b"def broken(:\n", "drivers/bad.py", "xtensawin", cache_dir)
    assert err.value.kind == "does_not_compile"
    assert "drivers/bad.py" in str(err.value)


def test_the_romfs_layout_keeps_the_code_in_a_romfs_image_and_stubs_on_littlefs(firmware, record):
    config = build_device_files(record, ImageSettings(vendor_pin="2468")).as_files()
    files = image_files(firmware, config, layout="romfs")
    boot = device_sources().get("boot.py")
    expected = {"main.py", "config.json", "link.json", MANIFEST} | ({"boot.py"} if boot else set())
    assert set(files) == expected
    assert files["main.py"] == b"import main\n\nmain.main()\n"
    if boot:
        assert files["boot.py"] == boot
    manifest = json.loads(files[MANIFEST])
    assert manifest["layout"] == "romfs"
    rom_paths = {p for p in manifest["files"] if p.startswith("rom/")}
    assert "rom/main.mpy" in rom_paths and "rom/lib/umqtt/simple.mpy" in rom_paths
    assert "rom/boot.mpy" not in rom_paths  # boot.py only ever runs from the filesystem
    rom = romfs_image(firmware)
    assert rom.startswith(b"\xd2\xcd\x31")  # ROMFS's header
    for path in rom_paths:
        assert firmware.compiled[path.removeprefix("rom/")] in rom


def test_the_frozen_layout_holds_only_the_devices_own_files(firmware, record):
    config = build_device_files(record, ImageSettings(vendor_pin="2468")).as_files()
    files = image_files(firmware, config, layout="frozen")
    assert set(files) == {"config.json", "link.json", MANIFEST}
    assert json.loads(files[MANIFEST])["files"] == {}


def test_the_build_manifest_of_micropython_is_not_firmware(firmware):
    assert "manifest.mpy" not in firmware.compiled
    assert not any(p.startswith("manifest") for p in firmware.files)


def test_an_unknown_layout_is_refused(firmware):
    with pytest.raises(ProvisioningError) as err:
        image_files(firmware, {}, layout="flat")
    assert err.value.kind == "bad_layout"
