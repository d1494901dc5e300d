"""End to end over HTTP: the server's API process (uvicorn) and handhelds whose link posts
envelopes and long-polls; a handheld that is told about MQTT but cannot reach the broker
falls back to HTTP by itself."""

import asyncio
from urllib.parse import urlsplit

import pytest

from host.device_sim.fakes.socket import network
from tests.link.e2e import LinkWorld
from tests.link.handhelds import SimHandheld, quick_timeouts, wait_for


@pytest.fixture
def linkworld(db_url, master_key, admin):
    made = LinkWorld.build(db_url, master_key, admin, ["GV0001"], allowance=5_000)
    yield made
    made.close()


def http_settings(url: str) -> dict:
    parts = urlsplit(url)
    return {"host": parts.hostname, "port": parts.port, "path": "/api/v1/link"}


def test_sales_online_and_queued_offline_over_http(linkworld, tmp_path, monkeypatch):
    quick_timeouts(monkeypatch)
    with linkworld.http_server() as url:

        async def scenario():
            hh = SimHandheld("GV0001", linkworld.handhelds["GV0001"].secret,
                             str(tmp_path / "hh"), http=http_settings(url), batch=6)  # fmt: skip
            hh.start()
            await wait_for(lambda: hh.link.offline_room() == 5_000, 20, "config over HTTP")
            assert hh.sell(linkworld.meters[0], 1_000) is not None
            await wait_for(lambda: not hh.unfinished(), 20, "the online sale done over HTTP")
            await hh.stop()
            network.down = True
            for n in range(12):
                assert hh.sell(linkworld.meters[n % 2], 250) is not None
            network.down = False
            hh.start()
            await wait_for(lambda: not hh.unfinished(), 30, "the queue synced over HTTP")
            await hh.stop()
            return hh

        hh = asyncio.run(scenario())
    assert hh.link.sent_kinds.get("batch", 0) >= 2
    assert hh.tokens == linkworld.server_tokens("GV0001")
    assert len(hh.tokens) == 13
    assert linkworld.books_problems() == []


def test_a_long_poll_brings_a_lowered_allowance_without_the_handheld_asking(
    linkworld, tmp_path, monkeypatch
):
    from server.services import offline

    quick_timeouts(monkeypatch)
    with linkworld.http_server() as url:

        async def scenario():
            hh = SimHandheld("GV0001", linkworld.handhelds["GV0001"].secret,
                             str(tmp_path / "hh"), http=http_settings(url))  # fmt: skip
            hh.start()
            await wait_for(lambda: hh.link.offline_room() == 5_000, 20, "config over HTTP")
            offline.set_allowance(linkworld.ctx, linkworld.admin, "GV0001", 1_000)
            # The server pushes a config; the handheld's poll, not a request of its own,
            # must bring it.
            from server.link.device_secrets import DeviceSecrets
            from server.link.processor import LinkProcessor

            processor = LinkProcessor(linkworld.ctx, DeviceSecrets(linkworld.master_key))
            processor.push_config("GV0001")
            await wait_for(lambda: hh.link.offline_room() == 1_000, 15, "the pushed config")
            await wait_for(lambda: linkworld.float_now() == linkworld.initial_float - 1_000,
                           15, "the surplus back in the float")  # fmt: skip
            await hh.stop()

        asyncio.run(scenario())
    assert linkworld.books_problems() == []


def test_a_handheld_falls_back_to_http_when_mqtt_is_blocked(linkworld, tmp_path, monkeypatch):
    quick_timeouts(monkeypatch)
    network.blocked_ports.add(linkworld.broker.device_port)  # a network that drops MQTT
    with linkworld.http_server() as url:

        async def scenario():
            hh = SimHandheld(
                "GV0001",
                linkworld.handhelds["GV0001"].secret,
                str(tmp_path / "hh"),
                mqtt=linkworld.mqtt_settings("GV0001"),
                http=http_settings(url),
            )
            hh.start()
            await wait_for(hh.link.online, 30, "a session, by HTTP once MQTT failed")
            for n in range(3):
                hh.sell(linkworld.meters[n % 2], 500)
            await wait_for(lambda: not hh.unfinished(), 20, "the sales done over HTTP")
            await hh.stop()
            return hh

        hh = asyncio.run(scenario())
    assert hh.link.sent_kinds.get("sale", 0) + hh.link.sent_kinds.get("batch", 0) >= 1
    assert hh.tokens == linkworld.server_tokens("GV0001") and len(hh.tokens) == 3
