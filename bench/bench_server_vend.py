"""End-to-end vend throughput and latency over HTTP, many concurrent clients, on SQLite and
on PostgreSQL (its own throwaway server).

Each vend is a real sale through real server processes (uvicorn): POS API key check, meter
row lock, pricing, TID, token made by the security module, float debit, sale, tokens and
ledger postings committed. Clients and servers share this machine's cores.
Sales are spread over GRIDVEND_BENCH_VENDORS vendors (each with its own float and POS key) and
200 meters, as in the field; with one vendor every sale queues on that vendor's float row.
Knobs: GRIDVEND_BENCH_VENDS (per database), GRIDVEND_BENCH_CLIENTS, GRIDVEND_BENCH_VENDORS,
GRIDVEND_BENCH_SQLITE_WORKERS, GRIDVEND_BENCH_PG_WORKERS (server processes).
"""

import asyncio
import json
import os
import secrets
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from server.bootstrap import open_context
from server.domain.roles import Role
from server.services import agents, meters, operators
from server.services.context import Actor
from tests.server import world
from tests.server.conftest import _initialise
from tests.server.postgres_server import PostgresServer, find_bindir
from tests.server.served import api_processes

VENDS = int(os.environ.get("GRIDVEND_BENCH_VENDS", "3000"))
CLIENTS = int(os.environ.get("GRIDVEND_BENCH_CLIENTS", "64"))
# One server process per core on either database. SQLite has one writer at a time, but its
# writers queue on a lock file (server/storage/database.py) rather than polling SQLite's own
# lock, so the processes share out everything but the write itself.
SQLITE_WORKERS = int(os.environ.get("GRIDVEND_BENCH_SQLITE_WORKERS", str(os.cpu_count() or 2)))
PG_WORKERS = int(os.environ.get("GRIDVEND_BENCH_PG_WORKERS", str(os.cpu_count() or 2)))
METERS = 200
VENDORS = int(os.environ.get("GRIDVEND_BENCH_VENDORS", "20"))
WARMUP = 200
ADMIN = Actor(kind="cli", name="bench", role=Role.ADMIN)


def prepare(url: str, master_key: bytes) -> tuple[list[str], list[str]]:
    """Schema, a supply group with the test key, METERS meters, VENDORS vendors with big
    floats, each with a POS client; the API keys and the meter numbers."""
    _initialise(url)
    ctx = open_context(url, master_key=master_key)
    try:
        world.build(ctx, ADMIN, float_minor=10**12)
        numbers = [world.pan(n) for n in range(1, METERS + 1)]
        for number in numbers[2:]:
            meters.add_meter(ctx, ADMIN, number=number, sgc=world.SGC, tariff="flat")
        keys = [operators.create_pos_client(ctx, ADMIN, name="bench-1", agent_code="AG1")]
        for n in range(2, VENDORS + 1):
            agents.add_agent(ctx, ADMIN, code=f"AG{n}", name=f"Vendor {n}")
            agents.topup(ctx, ADMIN, f"AG{n}", 10**12)
            keys.append(
                operators.create_pos_client(ctx, ADMIN, name=f"bench-{n}", agent_code=f"AG{n}")
            )
    finally:
        ctx.dispose()
    return keys, numbers


async def _client(host: str, port: int, jobs: list[bytes], latencies: list[float]) -> int:
    """One keep-alive HTTP/1.1 connection sending vends one after another; its failures.

    A minimal client on purpose: a full-featured one (httpx) spends more CPU per request
    than the server does, and on a shared 2-core machine would measure itself.
    """
    reader, writer = await asyncio.open_connection(host, port)
    failures = 0
    while jobs:
        request = jobs.pop()
        start = time.perf_counter()
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        await reader.readexactly(length)
        latencies.append(time.perf_counter() - start)
        if not head.startswith(b"HTTP/1.1 201"):
            failures += 1
    writer.close()
    return failures


def _vend_request(key: str, request_id: str, meter: str) -> bytes:
    body = json.dumps({"request_id": request_id, "meter": meter, "amount": "10.00"}).encode()
    return (
        b"POST /api/v1/vends HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
        + f"X-API-Key: {key}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
        + body
    )


async def drive(
    url: str, keys: list[str], numbers: list[str], count: int, tag: str
) -> tuple[float, list[float], int]:
    """Send `count` vends over CLIENTS concurrent connections; wall time, latencies, failures."""
    host, port = url.removeprefix("http://").split(":")
    jobs = [
        _vend_request(keys[n % len(keys)], f"{tag}-{n}", numbers[n % len(numbers)])
        for n in range(count)
    ]
    jobs.reverse()
    latencies: list[float] = []
    began = time.perf_counter()
    failures = await asyncio.gather(
        *(_client(host, int(port), jobs, latencies) for _ in range(CLIENTS))
    )
    return time.perf_counter() - began, latencies, sum(failures)


def run_backend(name: str, url: str, workers: int) -> None:
    master_key = secrets.token_bytes(32)
    keys, numbers = prepare(url, master_key)
    with api_processes(url, master_key, count=1, workers=workers) as urls:
        asyncio.run(drive(urls[0], keys, numbers, WARMUP, "warm"))
        wall, latencies, failures = asyncio.run(drive(urls[0], keys, numbers, VENDS, "run"))
    latencies.sort()
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
    print(
        f"   {name:<10} {VENDS / wall:7.0f} vends/s   p50 {p50:6.1f} ms   p99 {p99:6.1f} ms   "
        f"({VENDS} vends, {CLIENTS} clients, {VENDORS} vendors, {workers} server processes, "
        f"{failures} failed)",
        flush=True,
    )


def main() -> None:
    """Print vends/s, p50 and p99 latency over HTTP on SQLite and on PostgreSQL."""
    print(f"   vend over HTTP, {os.cpu_count()} cores shared by clients and servers", flush=True)
    folder = Path(tempfile.mkdtemp(prefix="gridvend-bench-"))
    try:
        run_backend("SQLite", f"sqlite:///{folder / 'bench.db'}", SQLITE_WORKERS)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    bindir = find_bindir()
    if bindir is None:
        print("   PostgreSQL: skipped (no initdb/pg_ctl found; install postgresql)")
        return
    server = PostgresServer(bindir)
    server.start()
    try:
        server.execute("CREATE DATABASE bench")
        run_backend("PostgreSQL", server.url("bench"), PG_WORKERS)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
