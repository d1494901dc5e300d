"""Messages per second through the MQTT bridge: real Mosquitto, real server processes.

DEVICES handhelds (paho clients here, each with its own broker login and secret) publish
MESSAGES signed uplinks each as fast as the broker takes them; the figure is uplinks
answered per second, from the first publish to the last answer received. Two kinds:
- "time": verify, replay check, answer signed and logged (the link's own cost);
- "sale": the same plus a vend (sale, token, ledger, float) on SQLite.
With one server process, then two splitting the traffic (shared subscription). SQLite has
one writer at a time, so a second process adds little there; PostgreSQL is where more
processes pay (bench_server_vend.py measures the vend itself on both).

Knobs: GRIDVEND_BENCH_LINK_DEVICES (10), GRIDVEND_BENCH_LINK_MESSAGES (100 per device).
"""

import os
import queue
import secrets
import shutil
import tempfile
import time
from pathlib import Path

DEVICES = int(os.environ.get("GRIDVEND_BENCH_LINK_DEVICES", "10"))
MESSAGES = int(os.environ.get("GRIDVEND_BENCH_LINK_MESSAGES", "100"))


def main() -> None:
    from server.domain.roles import Role
    from server.services.context import Actor
    from tests.link.e2e import LinkWorld
    from tests.server.conftest import _initialise

    work = Path(tempfile.mkdtemp(prefix="gridvend-bench-bridge-"))
    try:
        db = f"sqlite:///{work / 'gridvend.db'}"
        _initialise(db)
        admin = Actor(kind="cli", name="bench", role=Role.ADMIN)
        names = [f"BR{n:03d}" for n in range(DEVICES)]
        world = LinkWorld.build(db, secrets.token_bytes(32), admin, names, float_minor=10**12)
        try:
            first = 1
            for servers in (1, 2):
                processes = [world.start_server(f"bench-{n}") for n in range(servers)]
                for kind in ("time", "sale"):
                    rate = run(world, names, kind, first)
                    first += MESSAGES
                    print(
                        f"   {kind:>4} uplinks through the bridge, {servers} server "
                        f"process(es), {DEVICES} devices: {rate:.0f} messages/s"
                    )
                for process in processes:
                    world.stop_server(process)
            problems = world.books_problems()
            print(f"   books after the run: {problems or 'balanced'}")
        finally:
            world.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(world, names: list[str], kind: str, first: int) -> float:
    """Publish MESSAGES uplinks per device; answered uplinks per second."""
    import paho.mqtt.client as mqtt

    from server.link import topics
    from server.link.device_secrets import broker_password
    from tests.link.kit import Handheld

    answers: queue.Queue[bytes] = queue.Queue()
    clients = []
    for name in names:
        secret = world.handhelds[name].secret
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=name)
        client.username_pw_set(name, broker_password(secret))
        client.on_message = lambda _c, _u, m: answers.put(m.payload)
        client.connect("127.0.0.1", world.broker.device_port)
        client.subscribe(topics.down(name), qos=1)
        client.loop_start()
        device = Handheld(name, secret, seq=first * 10)  # above any number used before
        wires = []
        for n in range(first, first + MESSAGES):
            body = device.sale(n, world.meters[n % 2], 100) if kind == "sale" else {}
            wires.append(device.wire(kind, body))
        clients.append((client, name, wires))
    time.sleep(0.5)  # subscriptions in place
    started = time.perf_counter()
    for i in range(MESSAGES):
        for client, name, wires in clients:
            client.publish(topics.up(name), wires[i], qos=1)
    expected = MESSAGES * len(names)
    for _ in range(expected):
        answers.get(timeout=120)
    elapsed = time.perf_counter() - started
    for client, _, _ in clients:
        client.disconnect()
        client.loop_stop()
    return expected / elapsed


if __name__ == "__main__":
    main()
