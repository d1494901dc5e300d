"""Running the API in real server processes (uvicorn) for multi-process tests and benches."""

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

import httpx

from tests.server.postgres_server import free_port


@contextmanager
def api_processes(
    db_url: str, master_key: bytes, *, count: int = 2, workers: int = 1
) -> Iterator[list[str]]:
    """Start `count` independent uvicorn servers on one database; their base URLs."""
    env = {**os.environ, "GRIDVEND_DB": db_url, "GRIDVEND_MASTER_KEY": master_key.hex()}
    env.pop("GRIDVEND_MASTER_KEY_FILE", None)
    # Server output goes to a file, not a pipe: a pipe nobody reads would fill up and stall
    # the server in the middle of a benchmark.
    with tempfile.TemporaryFile() as log:
        processes: list[subprocess.Popen[bytes]] = []
        urls: list[str] = []
        try:
            for _ in range(count):
                port = free_port()
                command = [
                    sys.executable, "-m", "uvicorn", "--factory",
                    "server.api.app:app_from_environment", "--host", "127.0.0.1",
                    "--port", str(port), "--workers", str(workers), "--log-level", "warning",
                    "--no-access-log",
                ]  # fmt: skip
                processes.append(
                    subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
                )
                urls.append(f"http://127.0.0.1:{port}")
            for process, url in zip(processes, urls, strict=True):
                _wait_until_up(process, url, log)
            yield urls
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def _wait_until_up(process: subprocess.Popen[bytes], url: str, log: IO[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"server process exited: {log.read().decode()[-2000:]}")
        try:
            if httpx.get(f"{url}/api/v1/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server at {url} did not come up")
