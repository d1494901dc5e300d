"""A fake handheld on a pseudo-terminal, for verify tests: real MicroPython behind the REPL.

    with FakeHandheld(files, hardware={"paper": False}) as board:
        verify(board.port)          # board.port is /dev/pts/N, a serial port to mpremote

bridge.mjs runs the WebAssembly build of MicroPython (the npm package the device tests
pin in tests/micropython) under Node, speaks the ESP32 port's REPL protocol on the pty
master, and mounts `files` (what a littlefs image holds) as the device's filesystem.
port/ is the fake board's hardware as MicroPython's `machine` module.

Needs Node and the npm package; missing either fails the test with what to install
(node_missing() says which), it never silently passes.
"""

import json
import os
import shutil
import subprocess
import tempfile
import time
import tty
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
PACKAGE = (
    ROOT
    / "tests"
    / "micropython"
    / "node_modules"
    / "@micropython"
    / "micropython-webassembly-pyscript"
)
HEAP = 110 * 1024  # about what MicroPython leaves free on an ESP32 without PSRAM


def node_missing() -> str | None:
    """Why the fake handheld cannot run here, or None when it can."""
    if shutil.which("node") is None:
        return "node is not installed: the fake handheld runs MicroPython (WebAssembly) in Node 18+"
    if not (PACKAGE / "micropython.mjs").is_file():
        return "MicroPython npm package missing: run `npm ci` in tests/micropython (make setup)"
    return None


class FakeHandheld:
    """The bridge process and its pty; a context manager."""

    def __init__(
        self,
        files: dict[str, bytes],
        hardware: dict | None = None,
        heap: int = HEAP,
        log: Path | None = None,
        romfs: bytes | None = None,
    ) -> None:
        self.files = files
        self.romfs = romfs
        self.hardware = hardware or {}
        self.heap = heap
        self.log = log
        self.port = ""
        self._proc: subprocess.Popen | None = None
        self._tmp: tempfile.TemporaryDirectory | None = None
        self._master = self._slave = -1

    def __enter__(self) -> "FakeHandheld":
        problem = node_missing()
        if problem:
            raise RuntimeError(problem)
        self._tmp = tempfile.TemporaryDirectory(prefix="gridvend-fake-handheld-")
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)  # as pyserial leaves it: bytes pass through untouched
        self.port = os.ttyname(self._slave)
        try:
            self._boot()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def reflash(self, files: dict[str, bytes], romfs: bytes | None = None) -> None:
        """What flashing does to a board: new flash contents, then a reset (same port)."""
        self._stop()
        self.files, self.romfs = files, romfs
        self._boot()

    def _boot(self) -> None:
        assert self._tmp is not None
        work = Path(self._tmp.name)
        for old in ("flash", "bench", "code.romfs"):
            target = work / old
            if target.is_dir():
                shutil.rmtree(target)
            else:
                target.unlink(missing_ok=True)
        root = work / "flash"
        for path, data in self.files.items():
            target = root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        root.mkdir(exist_ok=True)
        port_dir = work / "bench"
        shutil.copytree(HERE / "port", port_dir)
        (port_dir / "hardware.json").write_text(json.dumps(self.hardware))
        extra = ["--log", str(self.log)] if self.log else []
        if self.romfs is not None:
            rom = work / "code.romfs"
            rom.write_bytes(self.romfs)
            extra += ["--romfs", str(rom)]
        self._proc = subprocess.Popen(
            [
                "node",
                str(HERE / "bridge.mjs"),
                "--fd",
                str(self._master),
                "--package",
                str(PACKAGE),
                "--root",
                str(root),
                "--port",
                str(port_dir),
                "--heap",
                str(self.heap),
                *extra,
            ],
            pass_fds=(self._master,),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self._proc.stdout is not None
        ready = self._proc.stdout.readline()
        if ready.strip() != "READY":
            raise RuntimeError(f"the fake handheld did not start: {ready!r} {self.stderr()}")
        self._drain_banner()

    def _drain_banner(self) -> None:
        # The board greets whoever opens the port first; real boards did that long ago.
        deadline = time.monotonic() + 0.2
        os.set_blocking(self._slave, False)
        try:
            while time.monotonic() < deadline:
                try:
                    os.read(self._slave, 4096)
                except BlockingIOError:
                    time.sleep(0.02)
        finally:
            os.set_blocking(self._slave, True)

    def events(self, until: str | None = None, timeout_s: float = 5.0) -> list[str]:
        """The protocol events logged so far (needs log=...); with until, first waits for
        that event (the board acts on a command after acknowledging it)."""
        assert self.log is not None, "FakeHandheld(log=...) records events"
        deadline = time.monotonic() + timeout_s
        while True:
            found = self.log.read_text().split() if self.log.exists() else []
            if until is None or until in found or time.monotonic() > deadline:
                return found
            time.sleep(0.05)

    def stderr(self) -> str:
        """What the bridge reported (after exit)."""
        if self._proc is None or self._proc.stderr is None:
            return ""
        return self._proc.stderr.read() if self._proc.poll() is not None else ""

    def _stop(self) -> None:
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc = None

    def __exit__(self, *exc) -> None:
        self._stop()
        for fd in (self._master, self._slave):
            if fd >= 0:
                os.close(fd)
        self._master = self._slave = -1
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
