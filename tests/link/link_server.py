"""A server process for end-to-end tests: the real MQTT bridge and processor, in a process
of its own (so a test can kill it), with faults a test asks for on the command line.

    python -m tests.link.link_server --db URL --port P --client-id ID [faults]

--die-after-sold N   exit at once (os._exit, no cleanup) after the Nth sale is committed,
                     before its answer is sent: a server killed in the middle of a vend
--drop-answers P     lose each downlink with probability P (the answer never arrives)
--duplicate-answers P  deliver each downlink twice with probability P
--drop-uplinks P     acknowledge an uplink to the broker without acting on it (lost)
The master key comes from GRIDVEND_MASTER_KEY, as for `gridvend link serve`.
Prints "READY" once subscribed.
"""

import argparse
import os
import random
import signal
import sys
import threading

from server.bootstrap import open_context
from server.link.broker_files import SERVER_USER
from server.link.device_secrets import DeviceSecrets
from server.link.mqtt_bridge import BrokerAddress, MqttBridge
from server.link.processor import LinkProcessor
from tests.link.mosquitto import SERVER_PASSWORD


class FaultyBridge(MqttBridge):
    """The real bridge, losing or repeating messages as told."""

    def __init__(self, *args, drop: float, duplicate: float, drop_up: float, seed: int, **kw):
        super().__init__(*args, **kw)
        self.random = random.Random(seed)
        self.drop, self.duplicate, self.drop_up = drop, duplicate, drop_up

    def deliver(self, device, wire):
        if self.random.random() < self.drop:
            return
        super().deliver(device, wire)
        if self.random.random() < self.duplicate:
            super().deliver(device, wire)

    def _handle(self, message):
        if self.random.random() < self.drop_up:
            self._client.ack(message.mid, message.qos)
            return
        super()._handle(message)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--die-after-sold", type=int, default=0)
    parser.add_argument("--drop-answers", type=float, default=0.0)
    parser.add_argument("--duplicate-answers", type=float, default=0.0)
    parser.add_argument("--drop-uplinks", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    ctx = open_context(args.db, need_keys=True)
    sold = [0]
    lock = threading.Lock()

    def fault(step: str) -> None:
        if step == "sold" and args.die_after_sold:
            with lock:
                sold[0] += 1
                if sold[0] >= args.die_after_sold:
                    os._exit(3)  # killed: no answer sent, no broker acknowledgement

    processor = LinkProcessor(ctx, DeviceSecrets.from_environment(), fault=fault)
    bridge = FaultyBridge(
        processor,
        BrokerAddress("127.0.0.1", args.port, SERVER_USER, SERVER_PASSWORD, keepalive_s=5),
        client_id=args.client_id,
        workers=args.workers,
        drop=args.drop_answers,
        duplicate=args.duplicate_answers,
        drop_up=args.drop_uplinks,
        seed=args.seed,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    bridge.start()
    if not bridge.wait_connected(30):
        print("NO BROKER", flush=True)
        sys.exit(2)
    print("READY", flush=True)
    stop.wait()
    bridge.stop()
    ctx.dispose()


if __name__ == "__main__":
    main()
