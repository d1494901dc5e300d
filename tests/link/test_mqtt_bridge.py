"""The MQTT bridge on a real Mosquitto: answers come back on the device's own topic, two
server processes split the uplinks (each handled once), and a broker restart is ridden out."""

import queue
import time

import paho.mqtt.client as mqtt
import pytest

from server.link import topics
from server.link.device_secrets import DeviceSecrets, broker_password
from server.link.envelope import Envelope
from server.link.mqtt_bridge import BrokerAddress, MqttBridge
from server.link.processor import LinkProcessor
from server.services import ledger_check
from server.storage.schema import Sale
from tests.link.kit import Handheld, add_handheld, build_world
from tests.link.mosquitto import SERVER_PASSWORD, Mosquitto


class PahoHandheld:
    """A device's MQTT session, played by paho (the firmware's own is tested elsewhere)."""

    def __init__(self, broker: Mosquitto, hh: Handheld) -> None:
        self.hh = hh
        self.inbox: queue.Queue[bytes] = queue.Queue()
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=hh.name, clean_session=False
        )
        self.client.username_pw_set(hh.name, broker_password(hh.secret))
        self.client.on_message = lambda _c, _u, m: self.inbox.put(m.payload)
        self.client.on_connect = lambda c, *_: c.subscribe(topics.down(hh.name), qos=1)
        self.client.connect("127.0.0.1", broker.device_port)
        self.client.loop_start()
        time.sleep(0.3)

    def send(self, kind: str, body: dict) -> None:
        self.client.publish(topics.up(self.hh.name), self.hh.wire(kind, body), qos=1)

    def receive(self, count: int, timeout: float = 10) -> list[Envelope]:
        from server.link import canonical

        out = []
        deadline = time.monotonic() + timeout
        while len(out) < count and time.monotonic() < deadline:
            try:
                raw = canonical.decode(self.inbox.get(timeout=0.1))
            except queue.Empty:
                continue
            envelope = Envelope(raw["d"], raw["n"], raw["t"], raw["y"], raw["b"], raw["m"])
            assert envelope.verify(self.hh.secret)
            out.append(envelope)
        return out

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def setup(ctx, admin, master_key):
    world = build_world(ctx, admin, float_minor=1_000_000)
    secrets = DeviceSecrets(master_key)
    hands = [add_handheld(ctx, admin, secrets, f"GV{i:04d}") for i in range(4)]
    broker = Mosquitto({h.name: broker_password(h.secret) for h in hands})
    broker.start()
    bridges: list[MqttBridge] = []

    def bridge(name: str) -> MqttBridge:
        made = MqttBridge(
            LinkProcessor(ctx, DeviceSecrets(master_key)),
            BrokerAddress("127.0.0.1", broker.server_port, "gridvend-server", SERVER_PASSWORD),
            client_id=name,
        )
        made.start()
        assert made.wait_connected(10)
        bridges.append(made)
        return made

    yield world, hands, broker, bridge
    for made in bridges:
        made.stop()
    broker.close()


def sale_count(ctx) -> int:
    return ctx.transaction(lambda uow: uow.session.query(Sale).count(), read_only=True)


def test_a_sale_is_answered_on_the_devices_own_topic(ctx, admin, setup):
    world, hands, broker, bridge = setup
    bridge("server-1")
    device = PahoHandheld(broker, hands[0])
    device.send("sale", hands[0].sale(1, world.meter, 1000))
    (answer,) = device.receive(1)
    assert answer.kind == "result" and "answer" in answer.body["results"][0]
    device.close()


def test_two_server_processes_split_the_uplinks_and_each_is_handled_once(ctx, admin, setup):
    world, hands, broker, bridge = setup
    one, two = bridge("server-1"), bridge("server-2")
    devices = [PahoHandheld(broker, h) for h in hands]
    for n in range(1, 11):
        for device in devices:
            device.send("sale", device.hh.sale(n, world.meter, 100))
    for device in devices:
        assert len(device.receive(10)) == 10
    assert one.handled + two.handled == 40
    assert one.handled > 0 and two.handled > 0  # the shared subscription spread them
    assert sale_count(ctx) == 40
    assert ledger_check.check(ctx, admin).ok
    for device in devices:
        device.close()


def test_the_bridge_rides_out_a_broker_restart(ctx, admin, setup):
    world, hands, broker, bridge = setup
    server = bridge("server-1")
    broker.restart()
    assert server.wait_connected(40)
    device = PahoHandheld(broker, hands[0])
    device.send("sale", hands[0].sale(1, world.meter, 1000))
    assert device.receive(1)[0].kind == "result"
    device.close()
