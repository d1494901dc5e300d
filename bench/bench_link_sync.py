"""The link, end to end: one online vend's latency over MQTT, and the time to sync 1,000
sales queued offline over a slow link.

Real Mosquitto (its own, on free ports), a real server process (the MQTT bridge,
tests/link/link_server.py) on SQLite, and a handheld running the firmware's link manager,
sale service and journal on CPython (tests/link/handhelds.py). The slow link is a TCP proxy
adding GRPS-like delay between the handheld and the broker.

    latency   server side: LinkProcessor.handle for one sale (verify, vend, answer signed);
              round trip: the handheld sells until the answer is journaled on it
    sync      N sales queued offline, then the link returns: until every one is answered
              on the handheld (and until every one is acknowledged back)

Knobs: GRIDVEND_BENCH_SYNC_SALES (1000), GRIDVEND_BENCH_DELAY_MS (200, added each way),
GRIDVEND_BENCH_VENDS_RT (30 round trips).
"""

import asyncio
import os
import secrets
import shutil
import statistics
import tempfile
import time
from pathlib import Path

SALES = int(os.environ.get("GRIDVEND_BENCH_SYNC_SALES", "1000"))
DELAY_MS = int(os.environ.get("GRIDVEND_BENCH_DELAY_MS", "200"))
ROUND_TRIPS = int(os.environ.get("GRIDVEND_BENCH_VENDS_RT", "30"))
AMOUNT = 100


def main() -> None:
    from host.device_sim.fakes.install import install, reset_fakes

    install()
    reset_fakes()
    from server.domain.roles import Role
    from server.services.context import Actor
    from tests.link.e2e import LinkWorld
    from tests.server.conftest import _initialise

    work = Path(tempfile.mkdtemp(prefix="gridvend-bench-link-"))
    try:
        db = f"sqlite:///{work / 'gridvend.db'}"
        _initialise(db)
        admin = Actor(kind="cli", name="bench", role=Role.ADMIN)
        world = LinkWorld.build(db, secrets.token_bytes(32), admin, ["BENCH0", "BENCH1", "BENCH2"],
                                allowance=SALES * AMOUNT, float_minor=10**10)  # fmt: skip
        try:
            server_side(world)
            world.start_server("bench-server")
            round_trip(world, work)
            sync(world, work)
            problems = world.books_problems()
            print(f"   books after the run: {problems or 'balanced'}")
        finally:
            world.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def server_side(world) -> None:
    """LinkProcessor.handle for one sale, in this process, on the same database."""
    from server.link.device_secrets import DeviceSecrets
    from server.link.processor import LinkProcessor
    from tests.link.kit import Handheld

    processor = LinkProcessor(world.ctx, DeviceSecrets(world.master_key))
    device = Handheld("BENCH0", world.handhelds["BENCH0"].secret)
    times = []
    for n in range(1, 61):
        wire = device.wire("sale", device.sale(n, world.meters[n % 2], AMOUNT))
        started = time.perf_counter()
        handled = processor.handle(wire)
        times.append(time.perf_counter() - started)
        assert handled.error is None
    times = times[10:]  # warm caches first
    print(
        f"   one online vend, server side (verify, vend, sign answer; SQLite): "
        f"median {statistics.median(times) * 1000:.1f} ms, "
        f"p90 {statistics.quantiles(times, n=10)[-1] * 1000:.1f} ms"
    )


def round_trip(world, work: Path) -> None:
    from tests.link.handhelds import SimHandheld, wait_for

    async def run() -> list[float]:
        hh = SimHandheld("BENCH1", world.handhelds["BENCH1"].secret, str(work / "rt"),
                         mqtt=world.mqtt_settings("BENCH1"))  # fmt: skip
        hh.start()
        await wait_for(hh.link.online, 10, "the link")
        await asyncio.sleep(0.5)
        times = []
        for n in range(ROUND_TRIPS):
            before = len(hh.printed)
            started = time.perf_counter()
            hh.sell(world.meters[n % 2], AMOUNT)
            await wait_for(lambda b=before: len(hh.printed) > b, 10, "the answer", step=0.001)
            times.append(time.perf_counter() - started)
        await hh.stop()
        return times

    times = asyncio.run(run())
    print(
        f"   one online vend over MQTT, round trip (handheld sells -> answer journaled, local "
        f"broker, no added delay): median {statistics.median(times) * 1000:.1f} ms, "
        f"max {max(times) * 1000:.1f} ms ({len(times)} vends)"
    )


def sync(world, work: Path) -> None:
    from link import manager

    from host.device_sim.fakes.socket import network
    from tests.link.handhelds import SimHandheld, wait_for
    from tests.link.netem import DelayProxy

    proxy = DelayProxy(("127.0.0.1", world.broker.device_port), DELAY_MS / 1000).start()
    settings = {**world.mqtt_settings("BENCH2"), "port": proxy.port}

    async def run() -> tuple[float, float, dict]:
        hh = SimHandheld("BENCH2", world.handhelds["BENCH2"].secret, str(work / "sync"),
                         mqtt=settings)  # fmt: skip
        hh.start()
        await wait_for(lambda: hh.link.offline_room() >= SALES * AMOUNT, 30, "the allowance")
        await hh.stop()
        network.down = True
        for n in range(SALES):
            assert hh.sell(world.meters[n % 2], AMOUNT) is not None
        network.down = False
        sent_before = dict(hh.link.sent_kinds)
        started = time.perf_counter()
        hh.start()
        await wait_for(lambda: not hh.unanswered(), 600, "the sync", step=0.01)
        answered = time.perf_counter() - started
        await wait_for(lambda: not hh.unfinished(), 600, "the acknowledgements", step=0.01)
        finished = time.perf_counter() - started
        kinds = {k: v - sent_before.get(k, 0) for k, v in hh.link.sent_kinds.items()}
        await hh.stop()
        return answered, finished, kinds

    try:
        answered, finished, kinds = asyncio.run(run())
    finally:
        proxy.close()
    print(
        f"   sync of {SALES} queued sales, {DELAY_MS} ms added each way (RTT +{2 * DELAY_MS} ms), "
        f"batches of {manager.BATCH}, {manager._WINDOW} in flight: all answered in "
        f"{answered:.1f} s ({SALES / answered:.0f} sales/s), all acknowledged in {finished:.1f} s; "
        f"uplinks {sum(kinds.values())} ({', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))})"
    )


if __name__ == "__main__":
    main()
