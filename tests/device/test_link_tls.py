"""The link over TLS on the device side, for real: the firmware's Session (device/link/
manager.py) with the ssl.SSLContext its settings build (device/link/__init__.py) against
a real Mosquitto TLS listener and an HTTPS server, with a throwaway CA. The right CA
connects and carries messages both ways; another CA, or a certificate for another name,
is refused with OSError("tls: ...") and the link manager shows "tls" on the status screen.

On CPython the device's `ssl` is host/device_sim/fakes/ssl.py: CPython's own TLS over the
fake sockets, with the same API as MicroPython's (mbedTLS).
"""

import asyncio
import json
import time
from pathlib import Path

import link
import pytest
from link.bearer import Bearer
from link.envelope import seal
from link.manager import LinkManager, Session
from link.state import LinkState

from host.device_sim.fakes.socket import network
from tests.device.tls_kit import HttpsLink, TlsMosquitto, find_mosquitto, make_certs
from tests.link import firmware

SECRET = bytes(range(32))


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return make_certs(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="module")
def other_certs(tmp_path_factory):
    return make_certs(tmp_path_factory.mktemp("other-ca"))


@pytest.fixture(scope="module")
def broker(certs):
    binary = find_mosquitto()
    if binary is None:
        pytest.skip("mosquitto is not installed (make setup)")
    made = TlsMosquitto(certs, binary)
    yield made
    made.close()


@pytest.fixture
def https(certs):
    made = HttpsLink(certs)
    yield made
    made.close()


def settings_with_ca(tmp_path: Path, ca_der: Path, server: dict) -> dict:
    """The firmware's own settings loader on a provisioned root: config "server" with
    "tls", link.json, the CA file at /ca.der."""
    root = tmp_path / "root"
    root.mkdir(exist_ok=True)
    (root / "ca.der").write_bytes(ca_der.read_bytes())
    login = {"user": "GV0001", "password": "pw"}
    (root / "link.json").write_text(
        json.dumps({"device_id": "GV0001", "secret": SECRET.hex(), "mqtt": login})
    )
    cfg = {"device_id": "GV0001", "server": {"tls": True, **server}}
    return link.load(str(root), cfg)


def mqtt_session(tmp_path, ca_der, port, host="localhost"):
    firmware.umqtt_on_path()
    settings = settings_with_ca(tmp_path, ca_der, {"host": host, "port": port})["mqtt"]
    return Session("GV0001", settings, ("127.0.0.1", port), keepalive_s=30)


def test_mqtt_over_tls_with_the_right_ca_carries_messages_both_ways(tmp_path, certs, broker):
    session = mqtt_session(tmp_path, certs.ca_der, broker.port)
    watcher = mqtt_session(tmp_path, certs.ca_der, broker.port)
    watcher.device = "WATCH"  # another client over TLS (its own client id)
    session.open()
    watcher.open()
    try:
        # The device publishes on gridvend/GV0001/up (QoS 1: the broker's PUBACK comes
        # back through TLS); the other client sends it a downlink through the broker.
        session.publish(b"up over tls", 1)
        watcher.client.publish(b"gridvend/GV0001/down", b"down over tls")
        deadline = time.monotonic() + 10
        got, acked = [], []
        while time.monotonic() < deadline and not (got and 1 in acked):
            messages, pubacks = session.receive()
            got += messages
            acked += pubacks
            time.sleep(0.02)
        assert got == [b"down over tls"]  # read through TLS
        assert 1 in acked  # the broker acknowledged the uplink sent through TLS
        assert session.received > 0
    finally:
        session.close()
        watcher.close()


@pytest.mark.parametrize("wrong", ["another CA", "another name"])
def test_mqtt_over_tls_refuses_a_server_it_cannot_trust(
    tmp_path, other_certs, certs, broker, wrong
):
    if wrong == "another CA":
        session = mqtt_session(tmp_path, other_certs.ca_der, broker.port)
    else:  # the right CA, but the certificate is for localhost, not this name
        session = mqtt_session(tmp_path, certs.ca_der, broker.port, host="broker.example.org")
    with pytest.raises(OSError, match="^tls: "):
        session.open()
    assert session.client is None and session.io is None  # nothing left open


def test_the_link_manager_shows_tls_on_the_status_screen_and_stays_offline(
    tmp_path, other_certs, broker, monkeypatch
):
    from link import manager

    firmware.umqtt_on_path()
    monkeypatch.setattr(manager, "BACKOFF_MIN_MS", 100)
    monkeypatch.setattr(manager, "BACKOFF_MAX_MS", 200)
    loaded = settings_with_ca(tmp_path, other_certs.ca_der,
                              {"host": "localhost", "port": broker.port})  # fmt: skip
    from journal.fs_os import OsFs
    from journal.journal import Journal

    journal = Journal(OsFs(), str(tmp_path / "journal"))
    journal.replay()
    state = LinkState(OsFs(), str(tmp_path / "link_state.json")).load()
    manager_ = LinkManager("GV0001", SECRET, journal, state, Bearer(), mqtt=loaded["mqtt"])

    async def run():
        task = asyncio.create_task(manager_.run())
        deadline = time.monotonic() + 10
        while manager_.problem != "tls" and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        online = manager_.online()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return online

    assert asyncio.run(run()) is False
    assert manager_.problem == "tls"  # "Link: tls" on the status screen


def http_session(tmp_path, ca_der, port, host="localhost"):
    url = f"https://{host}:{port}/base"
    settings = settings_with_ca(tmp_path, ca_der, {"url": url})["http"]
    assert settings["path"] == "/base/api/v1/link" and settings["port"] == port
    return Session("GV0001", settings, ("127.0.0.1", port))


def test_https_with_the_right_ca_posts_and_reads_the_answer(tmp_path, certs, https):
    session = http_session(tmp_path, certs.ca_der, https.port)
    wire = seal(SECRET, "GV0001", 7, 1_763_700_000, "hello", {"fw": "0.1.0"})
    messages = asyncio.run(session.post(wire))
    assert messages == [json.loads(wire)]
    assert https.posts == [("/base/api/v1/link", wire)]


@pytest.mark.parametrize("wrong", ["another CA", "another name"])
def test_https_refuses_a_server_it_cannot_trust(tmp_path, certs, other_certs, https, wrong):
    if wrong == "another CA":
        session = http_session(tmp_path, other_certs.ca_der, https.port)
    else:
        session = http_session(tmp_path, certs.ca_der, https.port, host="vend.example.org")
    with pytest.raises(OSError, match="^tls: "):
        asyncio.run(session.post(b"{}"))
    assert https.posts == []
    assert network.connects >= 1  # it did reach the server: the refusal is the TLS one
