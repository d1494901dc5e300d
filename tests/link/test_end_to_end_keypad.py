"""A whole vend on the real firmware (device/main.py in the simulator: keypad matrix,
OLED, thermal printer models), from key presses to the printed slip, with the token made
by the real server and carried by the real link, over MQTT and over HTTP."""

import asyncio
import json
from urllib.parse import urlsplit

import pytest

from host.device_sim.sim import DEFAULT_PIN, Simulator, default_config
from server.link.device_secrets import broker_password
from tests.link import firmware
from tests.link.e2e import LinkWorld


@pytest.fixture
def linkworld(db_url, master_key, admin):
    made = LinkWorld.build(db_url, master_key, admin, ["GV0001"], allowance=5_000)
    yield made
    made.close()


def provision(root, linkworld, server: dict, mqtt: bool) -> None:
    """config.json and link.json as host/provisioning writes them."""
    root.mkdir(parents=True, exist_ok=True)
    secret = linkworld.handhelds["GV0001"].secret
    config = {**default_config(), "device_id": "GV0001", "server": server}
    link = {
        "device_id": "GV0001",
        "secret": secret.hex(),
        "mqtt": {"user": "GV0001", "password": broker_password(secret)} if mqtt else None,
        "wifi": None,
        "apn": None,
    }
    (root / "config.json").write_text(json.dumps(config))
    (root / "link.json").write_text(json.dumps(link))


def vend_on_the_keypad(root, linkworld) -> tuple[Simulator, str]:
    firmware.umqtt_on_path()
    sim = Simulator(root, wrap_after_ms=5000)
    assert sim.boot() is not None, "the firmware went to safe mode"
    keys = DEFAULT_PIN + "#" + "1" + linkworld.meters[0] + "#" + "100" + "#" + "#"
    saved = asyncio.run(sim.run(keys, timeout_s=90))
    assert sim.crash is None, sim.crash
    assert len(saved) == 1, "one slip"
    return sim, saved[0].with_suffix(".txt").read_text()


def assert_slip_has_the_servers_token(linkworld, text: str) -> None:
    (tokens,) = linkworld.server_tokens("GV0001").values()
    (token,) = tokens
    assert " ".join(token[i : i + 4] for i in range(0, 20, 4)) in text, text


def test_over_mqtt(linkworld, tmp_path):
    linkworld.start_server()
    root = tmp_path / "root"
    provision(root, linkworld, {"host": "127.0.0.1", "port": linkworld.broker.device_port,
                                "topic_prefix": "gridvend"}, mqtt=True)  # fmt: skip
    sim, text = vend_on_the_keypad(root, linkworld)
    assert_slip_has_the_servers_token(linkworld, text)
    assert sim.firmware.flow.state == 8  # DONE
    assert linkworld.books_problems() == []


def test_over_http(linkworld, tmp_path, monkeypatch):
    from link import manager

    monkeypatch.setattr(manager, "POLL_WAIT_S", 2)  # the server stops sooner after the test
    with linkworld.http_server() as url:
        root = tmp_path / "root"
        provision(root, linkworld, {"url": url}, mqtt=False)
        sim, text = vend_on_the_keypad(root, linkworld)
    assert_slip_has_the_servers_token(linkworld, text)
    assert urlsplit(url).scheme == "http"
