"""TLS on the link: `gridvend broker certs` makes a CA and a server certificate; Mosquitto
on `gridvend broker config --tls-dir` takes a client that trusts that CA and refuses one
that trusts another; the server's MQTT bridge works over TLS; `gridvend serve` speaks
HTTPS with the same certificate."""

import os
import queue
import shutil
import ssl
import subprocess
import sys
import time
from pathlib import Path

import httpx
import paho.mqtt.client as mqtt
import pytest
from click.testing import CliRunner

from gridvend.cli import cli
from server.bootstrap import open_context
from server.link import canonical, tls, topics
from server.link.device_secrets import DeviceSecrets, broker_password
from server.link.envelope import Envelope
from server.link.mqtt_bridge import BrokerAddress, MqttBridge
from server.link.processor import LinkProcessor
from server.services import agents
from tests.link.kit import Handheld, add_handheld, build_world
from tests.link.mosquitto import SERVER_PASSWORD, Mosquitto
from tests.server import world
from tests.server.postgres_server import free_port


@pytest.fixture(scope="module")
def certs(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("tls")
    tls.write_certs(folder, ["broker.example.org"])
    return folder


@pytest.fixture(scope="module")
def other_ca(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("other-tls")
    tls.write_certs(folder, ["broker.example.org"])
    return folder / "ca.pem"


def tls_client(name: str, password: str, ca: Path) -> mqtt.Client:
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=name, clean_session=False)
    client.username_pw_set(name, password)
    client.tls_set(ca_certs=str(ca))
    return client


def test_the_certificates_chain_to_the_ca_and_name_every_host(certs):
    ca = tls.load_certificate((certs / "ca.pem").read_bytes())
    server = tls.load_certificate((certs / "server.pem").read_bytes())
    assert server.issuer == ca.subject
    ca.public_key().verify(  # type: ignore[union-attr]
        server.signature,
        server.tbs_certificate_bytes,
        *_padding_and_hash(server),
    )
    names = server.extensions.get_extension_for_class(tls.x509.SubjectAlternativeName).value
    assert {str(n.value) for n in names} == {"broker.example.org", "localhost", "127.0.0.1"}
    assert tls.to_der((certs / "ca.pem").read_bytes()) == (certs / "ca.der").read_bytes()
    for private in ("ca.key", "server.key"):
        assert (certs / private).stat().st_mode & 0o777 == 0o600


def _padding_and_hash(cert):
    from cryptography.hazmat.primitives.asymmetric import padding

    return padding.PKCS1v15(), cert.signature_hash_algorithm


def test_a_server_certificate_signed_by_a_given_ca(certs, tmp_path):
    files = tls.write_certs(
        tmp_path, ["vend.example.org"], ca_cert=certs / "ca.der", ca_key=certs / "ca.key"
    )
    assert files.ca_key is None
    assert (tmp_path / "ca.pem").read_bytes() == (certs / "ca.pem").read_bytes()
    with pytest.raises(tls.TlsError):
        tls.write_certs(tmp_path, ["x"], ca_cert=certs / "ca.pem")


def test_mosquitto_takes_a_client_trusting_the_ca_and_refuses_others(certs, other_ca):
    secret = b"s" * 32
    with Mosquitto({"GV0001": broker_password(secret)}, tls_dir=certs) as broker:
        good = tls_client("GV0001", broker_password(secret), certs / "ca.pem")
        connected = queue.Queue()
        good.on_connect = lambda _c, _u, _f, reason, _p: connected.put(reason)
        good.connect("localhost", broker.device_port)
        good.loop_start()
        try:
            assert not connected.get(timeout=10).is_failure
        finally:
            good.disconnect()
            good.loop_stop()

        wrong = tls_client("GV0001", broker_password(secret), other_ca)
        with pytest.raises(ssl.SSLError):
            wrong.connect("localhost", broker.device_port)

        plain = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="GV0001")
        plain.username_pw_set("GV0001", broker_password(secret))
        refused = queue.Queue()
        plain.on_connect = lambda _c, _u, _f, reason, _p: refused.put(reason)
        try:
            plain.connect("127.0.0.1", broker.device_port)
            plain.loop_start()
            with pytest.raises(queue.Empty):
                refused.get(timeout=3)  # no CONNACK: the listener speaks TLS only
        except OSError:
            pass  # or the broker hung up at once
        finally:
            plain.loop_stop()


def test_the_bridge_serves_handhelds_over_tls(ctx, admin, master_key, certs):
    built = build_world(ctx, admin, float_minor=100_000)
    hh = add_handheld(ctx, admin, DeviceSecrets(master_key), "GV0001")
    with Mosquitto({hh.name: broker_password(hh.secret)}, tls_dir=certs, server_tls=True) as broker:
        bridge = MqttBridge(
            LinkProcessor(ctx, DeviceSecrets(master_key)),
            BrokerAddress(
                "127.0.0.1",
                broker.server_port,
                "gridvend-server",
                SERVER_PASSWORD,
                ca_file=str(certs / "ca.pem"),
            ),
            client_id="server-tls",
        )
        bridge.start()
        try:
            assert bridge.wait_connected(15), broker.log()[-2000:]
            answer = _sell_over_tls(broker, hh, certs / "ca.pem", built.meter)
        finally:
            bridge.stop()
    assert answer.kind == "result"
    assert len(answer.body["results"][0]["answer"]["tokens"]) == 1


def _sell_over_tls(broker: Mosquitto, hh: Handheld, ca: Path, meter: str) -> Envelope:
    inbox: queue.Queue[bytes] = queue.Queue()
    client = tls_client(hh.name, broker_password(hh.secret), ca)
    subscribed = queue.Queue()
    client.on_connect = lambda c, *_: c.subscribe(topics.down(hh.name), qos=1)
    client.on_subscribe = lambda *_: subscribed.put(True)
    client.on_message = lambda _c, _u, m: inbox.put(m.payload)
    client.connect("localhost", broker.device_port)
    client.loop_start()
    try:
        subscribed.get(timeout=10)
        client.publish(topics.up(hh.name), hh.wire("sale", hh.sale(1, meter, 1000)), qos=1)
        raw = canonical.decode(inbox.get(timeout=15))
    finally:
        client.disconnect()
        client.loop_stop()
    envelope = Envelope(raw["d"], raw["n"], raw["t"], raw["y"], raw["b"], raw["m"])
    assert envelope.verify(hh.secret)
    return envelope


def test_broker_certs_and_config_write_a_tls_listener(db_url, admin, tmp_path, monkeypatch):
    key = os.urandom(32)
    monkeypatch.setenv("GRIDVEND_DB", db_url)
    monkeypatch.setenv("GRIDVEND_MASTER_KEY", key.hex())
    ctx = open_context(db_url, master_key=key)
    world.build(ctx, admin)
    agents.add_device(ctx, admin, "AG1", "GV0001")
    ctx.dispose()
    runner = CliRunner()
    out = tmp_path / "tls"
    made = runner.invoke(
        cli, ["broker", "certs", "--out", str(out), "--host", "broker.example.org"]
    )
    assert made.exit_code == 0, made.output
    assert {p.name for p in out.iterdir()} == {
        "ca.pem", "ca.der", "ca.key", "server.pem", "server.key"
    }  # fmt: skip
    conf_dir = tmp_path / "broker"
    written = runner.invoke(
        cli, ["broker", "config", "--out", str(conf_dir), "--tls-dir", str(out)]
    )
    assert written.exit_code == 0, written.output
    conf = (conf_dir / "mosquitto.conf").read_text()
    device, server = conf.split("# Server processes")
    assert "listener 8883 0.0.0.0" in device
    assert f"cafile {(out / 'ca.pem').resolve()}" in device
    assert f"certfile {(out / 'server.pem').resolve()}" in device
    assert f"keyfile {(out / 'server.key').resolve()}" in device
    assert "listener 1884 127.0.0.1" in server and "certfile" not in server
    both = runner.invoke(
        cli,
        ["broker", "config", "--out", str(conf_dir), "--tls-dir", str(out),
         "--plain-device-port", "1883", "--server-tls"],
    )  # fmt: skip
    assert both.exit_code == 0, both.output
    conf = (conf_dir / "mosquitto.conf").read_text()
    assert "listener 1883 0.0.0.0" in conf
    assert "certfile" in conf.split("# Server processes")[1]
    lonely = runner.invoke(cli, ["broker", "config", "--out", str(conf_dir), "--server-tls"])
    assert lonely.exit_code == 2


def test_gridvend_serve_speaks_https(db_url, admin, certs, tmp_path):
    key = os.urandom(32)
    ctx = open_context(db_url, master_key=key)
    world.build(ctx, admin)
    ctx.dispose()
    port = free_port()
    env = {**os.environ, "GRIDVEND_MASTER_KEY": key.hex()}
    env.pop("GRIDVEND_MASTER_KEY_FILE", None)
    gridvend = shutil.which("gridvend", path=str(Path(sys.executable).parent)) or "gridvend"
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [gridvend, "serve", "--db", db_url, "--port", str(port),
             "--tls-cert", str(certs / "server.pem"), "--tls-key", str(certs / "server.key")],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    trust = ssl.create_default_context(cafile=str(certs / "ca.pem"))
    try:
        answer = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            try:
                answer = httpx.get(
                    f"https://localhost:{port}/api/v1/health", verify=trust, timeout=2
                )
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert answer is not None, log.read_text()[-2000:]
        assert answer.status_code == 200 and answer.json()["status"] == "ok"
        with pytest.raises(httpx.TransportError):
            httpx.get(f"http://localhost:{port}/api/v1/health", timeout=2)  # HTTPS only
    finally:
        process.terminate()
        process.wait(timeout=20)
    assert "https://127.0.0.1" in log.read_text()
