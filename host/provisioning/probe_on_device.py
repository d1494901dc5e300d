# Runs ON THE HANDHELD, sent by verify.py through mpremote's raw REPL; never imported on
# the host. MicroPython code: no typing, no nested quotes in f-strings, little heap.
#
# It defines functions in the REPL's globals; verify.py then calls them one at a time:
#   probe_watchdog(ms)         take over the watchdog the firmware may have started
#   probe_readback()           device id, hashes of code and config against manifest.json
#   probe_selftest(interactive)  the firmware's selftest.py steps, watchdog fed meanwhile
# Each prints one line "GRIDVEND <kind> <json>" for verify.py to read.
import binascii
import hashlib
import json
import os

_wdt = None


def _say(kind, data):
    print("GRIDVEND " + kind + " " + json.dumps(data))


def _file_sha256(path):
    digest = hashlib.sha256()
    buf = bytearray(512)
    with open(path, "rb") as f:
        while True:
            n = f.readinto(buf)
            if not n:
                break
            digest.update(memoryview(buf)[:n])
    return binascii.hexlify(digest.digest()).decode()


def _tree_sha256(pairs):
    digest = hashlib.sha256()
    for path, sha in sorted(pairs):
        digest.update((path + " " + sha + "\n").encode())
    return binascii.hexlify(digest.digest()).decode()


def _hash_files(paths, expected):
    pairs = []
    missing = []
    changed = []
    for path in sorted(paths):
        try:
            sha = _file_sha256("/" + path)
        except OSError:
            missing.append(path)
            continue
        if expected is not None and expected.get(path) != sha:
            changed.append(path)
        pairs.append((path, sha))
    return (None if missing else _tree_sha256(pairs)), missing, changed


def _is_dir(path):
    try:
        return os.stat(path)[0] & 0x4000 != 0
    except OSError:
        return False


def _extra_modules(known):
    # .py/.mpy files the manifest does not list, in the folders it uses: a stray .py
    # next to a .mpy of the same name is what MicroPython imports first.
    folders = [""]
    for path in known:
        folder = path.rsplit("/", 1)[0] if "/" in path else ""
        if folder not in folders:
            folders.append(folder)
    extra = []
    for folder in folders:
        where = "/" + folder
        try:
            names = os.listdir(where)
        except OSError:
            continue
        for name in names:
            path = folder + "/" + name if folder else name
            module = name.endswith(".py") or name.endswith(".mpy")
            if module and path not in known and not _is_dir("/" + path):
                extra.append(path)
    return sorted(extra)


def probe_watchdog(timeout_ms):
    # A board that booted its firmware has a watchdog running (main.py starts one, and
    # an ESP32 watchdog cannot be stopped); asking for one again re-arms it with this
    # timeout, and the self-test below feeds it.
    global _wdt
    try:
        import machine

        _wdt = machine.WDT(timeout=timeout_ms)
        _wdt.feed()
        _say("watchdog", {"ok": True})
    except Exception as exc:
        _say("watchdog", {"ok": False, "detail": repr(exc)})


def probe_readback():
    out = {"device_id": None, "problems": []}
    try:
        with open("/config.json") as f:
            out["device_id"] = json.loads(f.read()).get("device_id")
    except (OSError, ValueError) as exc:
        out["problems"].append("config.json: " + repr(exc))
    try:
        with open("/manifest.json") as f:
            manifest = json.loads(f.read())
    except (OSError, ValueError) as exc:
        out["problems"].append("manifest.json: " + repr(exc))
        _say("readback", out)
        return
    files = manifest.get("files", {})
    sha, missing, changed = _hash_files(list(files), files)
    out["firmware_version"] = manifest.get("firmware_version")
    out["layout"] = manifest.get("layout", "files")
    out["manifest_firmware_sha256"] = manifest.get("firmware_sha256")
    out["manifest_config_sha256"] = manifest.get("config_sha256")
    out["firmware_sha256"] = sha
    out["file_count"] = len(files)
    out["missing"] = missing
    out["changed"] = changed
    out["extra"] = _extra_modules(files)
    sha, missing, _changed = _hash_files(manifest.get("config_files", []), None)
    out["config_sha256"] = sha
    out["config_missing"] = missing
    try:
        stat = os.statvfs("/")
        out["free_bytes"] = stat[0] * stat[3]
    except OSError:
        out["free_bytes"] = None
    _say("readback", out)


def _journal_check():
    # Replays the sale journal the way boot does (read-only when it is sound), then
    # proves the flash takes a write: a test file beside it, read back, removed.
    from journal.fs_os import OsFs
    from journal.journal import Journal

    journal = Journal(OsFs())
    journal.replay()
    path = "/journal-selftest.tmp"
    block = bytes(range(256)) * 4
    with open(path, "wb") as f:
        f.write(block)
    with open(path, "rb") as f:
        same = f.read() == block
    os.remove(path)
    stat = os.statvfs("/")
    free = stat[0] * stat[3]
    if not same:
        return False, "test record read back different: flash fault"
    return True, f"replayed, test record written, read back, removed; {free // 1024} KB free"


async def _fed(work):
    import asyncio

    async def feed():
        while True:
            if _wdt is not None:
                _wdt.feed()
            await asyncio.sleep_ms(1000)

    feeder = asyncio.create_task(feed())
    try:
        return await work
    finally:
        feeder.cancel()


def probe_selftest(interactive, device_id):
    import asyncio

    import selftest

    board = selftest.build_board()
    board["device_id"] = device_id or board.get("device_id", "")
    board["journal_check"] = _journal_check
    results = asyncio.run(_fed(selftest.run_async(board, interactive)))
    _say("selftest", [[name, bool(ok), detail] for name, ok, detail in results])
