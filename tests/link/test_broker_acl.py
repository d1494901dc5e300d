"""The broker files `gridvend broker config` writes, on a real Mosquitto: each handheld can
publish only its own uplink topic and read only its own downlink topic; wrong passwords
are refused; one device cannot take over another's session."""

import contextlib
import queue
import time

import paho.mqtt.client as mqtt
import pytest

from server.link import broker_files, topics
from server.link.device_secrets import broker_password
from tests.link.mosquitto import SERVER_PASSWORD, Mosquitto

SECRET_A = bytes(range(32))
SECRET_B = bytes(range(1, 33))


@pytest.fixture(scope="module")
def broker():
    with Mosquitto({"GVA": broker_password(SECRET_A), "GVB": broker_password(SECRET_B)}) as b:
        yield b


class Client:
    """A paho client that records what arrives and whether it is connected."""

    def __init__(self, port: int, user: str, password: str, client_id: str) -> None:
        self.inbox: queue.Queue[tuple[str, bytes]] = queue.Queue()
        self.result: queue.Queue[object] = queue.Queue()
        self.dropped = False
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id)
        self.client.username_pw_set(user, password)
        self.client.on_connect = lambda *a: self.result.put(a[3])
        self.client.on_message = lambda _c, _u, m: self.inbox.put((m.topic, m.payload))
        self.client.on_disconnect = lambda *a: setattr(self, "dropped", True)
        self.client.connect("127.0.0.1", port, keepalive=10)
        self.client.loop_start()
        self.code = self.result.get(timeout=5)

    def subscribe(self, topic: str) -> None:
        self.client.subscribe(topic, qos=1)
        time.sleep(0.2)

    def publish(self, topic: str, payload: bytes) -> None:
        self.client.publish(topic, payload, qos=1).wait_for_publish(5)

    def received(self, wait: float = 0.6) -> list[tuple[str, bytes]]:
        out = []
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            with contextlib.suppress(queue.Empty):
                out.append(self.inbox.get(timeout=0.05))
        return out

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def clients(broker):
    made: list[Client] = []

    def make(user: str, password: str, *, client_id: str | None = None, server: bool = False):
        port = broker.server_port if server else broker.device_port
        client = Client(port, user, password, client_id or f"{user}-test")
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


def test_a_device_reaches_the_server_only_on_its_own_uplink_topic(clients):
    server = clients(broker_files.SERVER_USER, SERVER_PASSWORD, server=True)
    server.subscribe(topics.server_subscription())
    device_a = clients("GVA", broker_password(SECRET_A))
    assert not device_a.code.is_failure
    device_a.publish(topics.up("GVA"), b"mine")
    device_a.publish(topics.up("GVB"), b"pretending to be B")
    device_a.publish("gridvend/GVB/down", b"writing to B's downlink")
    got = server.received()
    assert got == [("gridvend/GVA/up", b"mine")]


def test_a_device_reads_only_its_own_downlink_topic(clients):
    server = clients(broker_files.SERVER_USER, SERVER_PASSWORD, server=True)
    device_a = clients("GVA", broker_password(SECRET_A))
    device_b = clients("GVB", broker_password(SECRET_B))
    device_a.subscribe(topics.down("GVB"))
    device_a.subscribe("gridvend/+/down")
    device_a.subscribe("#")
    device_a.subscribe(topics.server_subscription())  # not even as a "server"
    device_b.subscribe(topics.down("GVB"))
    server.publish(topics.down("GVB"), b"token for B")
    assert device_b.received() == [("gridvend/GVB/down", b"token for B")]
    assert device_a.received(0.3) == []
    server.publish(topics.down("GVA"), b"token for A")
    assert ("gridvend/GVA/down", b"token for A") in device_a.received()


def test_another_devices_uplinks_are_not_readable(clients):
    device_a = clients("GVA", broker_password(SECRET_A))
    device_b = clients("GVB", broker_password(SECRET_B))
    device_a.subscribe("gridvend/+/up")
    device_b.publish(topics.up("GVB"), b"B's sale")
    assert device_a.received() == []


@pytest.mark.parametrize(
    ("user", "password"),
    [
        ("GVA", broker_password(SECRET_B)),  # B's password
        ("GVA", "guess"),
        ("GVC", broker_password(SECRET_A)),  # not in the password file
        ("", ""),
    ],
)
def test_wrong_credentials_are_refused(clients, user, password):
    client = clients(user, password)
    assert client.code.is_failure


def test_a_device_cannot_take_over_another_devices_session(clients):
    device_b = clients("GVB", broker_password(SECRET_B), client_id="GVB")
    # A logs in as itself but asks for B's client id: the broker uses A's user name instead.
    device_a = clients("GVA", broker_password(SECRET_A), client_id="GVB")
    assert not device_a.code.is_failure
    time.sleep(0.3)
    assert not device_b.dropped


def test_the_password_file_is_mosquitto_passwd_format():
    line = broker_files.password_file({"GVA": "pw"}).strip()
    user, hashed = line.split(":", 1)
    _, algorithm, iterations, salt, digest = hashed.split("$")
    assert (user, algorithm, iterations) == ("GVA", "7", "101")
    fixed = broker_files.password_hash("pw", salt=b"\0" * 12)
    assert fixed == broker_files.password_hash("pw", salt=b"\0" * 12)
    assert fixed != broker_files.password_hash("pw2", salt=b"\0" * 12)
