"""Turn a new handheld into a registered, working device: register it on the server, build
its filesystem image, flash MicroPython and the image over USB, verify it through the REPL.

    registration.py     the device on the server (API or database): id, secret, broker login
    device_record.py    what registration returns, and the laptop's store of records
    packages.py         micropython-lib packages (umqtt) from the registry, pinned, cached
    mpy_cache.py        modules compiled by mpy-cross, cached by source hash
    firmware_rules.py   the firmware's own config checker and PIN hash, used here
    device_config.py    config.json and link.json for one device
    contents.py         every file the image holds (three layouts), with its manifest
    partitions.py       where firmware and filesystem sit in flash, per chip and flash size
    image.py            the littlefs2 image, exactly the size of the vfs partition
    flash.py            esptool: check the board, write in one pass, or merge into one file
    esptool_runner.py   esptool in a child process, reporting progress as numbers
    verify.py           mpremote: read the device back and run its self-test
    probe_on_device.py  the MicroPython code verify runs on the handheld
    provision.py        all of it, for one device or a batch from a CSV file
    console.py          what the commands share on screen: errors, tables, progress
    cache_dir.py        the per-user cache directory
    errors.py           ProvisioningError: one sentence a technician can act on

docs/provisioning.md says how a technician uses it and how it is tested.
"""
