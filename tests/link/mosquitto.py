"""A Mosquitto broker of the test's own: free ports, files in a temp dir, stopped afterwards.

It runs on exactly the files `gridvend broker config` writes (server/link/broker_files.py):
the PBKDF2 password file, the per-device ACL and the two-listener configuration. Tests
never use a broker already running on the machine (one may be on 1883).
"""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from server.link import broker_files
from tests.server.postgres_server import free_port

SERVER_PASSWORD = "server-test-password"


def find_mosquitto() -> str | None:
    """The broker binary: $GRIDVEND_MOSQUITTO, PATH, or Debian's /usr/sbin."""
    for candidate in (
        os.environ.get("GRIDVEND_MOSQUITTO"),
        shutil.which("mosquitto"),
        "/usr/sbin/mosquitto",
    ):
        if candidate and Path(candidate).exists():
            return candidate
    return None


class Mosquitto:
    """start() / stop() / restart() a broker for {device id: password} plus the server user."""

    def __init__(
        self,
        devices: dict[str, str],
        binary: str | None = None,
        *,
        tls_dir: Path | None = None,
        server_tls: bool = False,
    ) -> None:
        """With `tls_dir` (the files `gridvend broker certs` writes) the handhelds' listener
        speaks TLS only, and with `server_tls` the server processes' one too."""
        found = binary or find_mosquitto()
        if found is None:
            raise RuntimeError(
                "mosquitto not found: install it (make setup) or set GRIDVEND_MOSQUITTO"
            )
        self.binary = found
        self.root = Path(tempfile.mkdtemp(prefix="gridvend-mqtt-"))
        self.device_port = free_port()
        self.server_port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.tls_dir = tls_dir
        self.server_tls = server_tls
        self.write_files(devices)

    def write_files(self, devices: dict[str, str]) -> None:
        """(Re)write passwd, acl and mosquitto.conf; a running broker rereads them on reload()."""
        users = {**devices, broker_files.SERVER_USER: SERVER_PASSWORD}
        (self.root / "passwd").write_text(broker_files.password_file(users))
        (self.root / "acl").write_text(broker_files.acl_file())
        (self.root / "data").mkdir(exist_ok=True)
        conf = broker_files.mosquitto_conf(
            self.root / "passwd",
            self.root / "acl",
            self.root / "data",
            broker_files.Listeners(
                self.device_port,
                "127.0.0.1",
                self.server_port,
                tls=broker_files.TlsFiles.in_dir(self.tls_dir) if self.tls_dir else None,
                server_tls=self.server_tls,
            ),
        )
        if os.geteuid() == 0:  # the broker would switch to the 'mosquitto' user otherwise
            conf += "user root\n"
        (self.root / "mosquitto.conf").write_text(conf + f"log_dest file {self.root}/log\n")

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "-c", str(self.root / "mosquitto.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"mosquitto exited: {self.log()[-2000:]}")
            if _accepts(self.device_port) and _accepts(self.server_port):
                return
            time.sleep(0.05)
        raise RuntimeError("mosquitto did not start listening")

    def stop(self, *, hard: bool = False) -> None:
        """Stop the broker: SIGTERM (it saves its sessions) or, hard, SIGKILL (it does not)."""
        if self.process is None:
            return
        self.process.send_signal(signal.SIGKILL if hard else signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def restart(self, *, hard: bool = False, down_s: float = 0.0) -> None:
        self.stop(hard=hard)
        time.sleep(down_s)
        self.start()

    def reload(self) -> None:
        """SIGHUP: reread the password file and ACL."""
        assert self.process is not None
        self.process.send_signal(signal.SIGHUP)
        time.sleep(0.3)

    def log(self) -> str:
        path = self.root / "log"
        return path.read_text(errors="replace") if path.exists() else ""

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> "Mosquitto":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _accepts(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        try:
            sock.connect(("127.0.0.1", port))
            return True
        except OSError:
            return False
