"""End to end over MQTT: a real Mosquitto, real server processes (the MQTT bridge) on the
database, and simulated handhelds running the firmware's sale service, journal and link.
Every sale paid for ends as exactly one token, printed on the handheld, whatever the
network, the broker or the server does in between; and the books balance."""

import asyncio
import random

import pytest

from host.device_sim.fakes.socket import network
from server.storage.schema import Sale
from tests.link.e2e import LinkWorld
from tests.link.handhelds import SimHandheld, quick_timeouts, wait_for


@pytest.fixture
def linkworld(db_url, master_key, admin):
    made = LinkWorld.build(db_url, master_key, admin, ["GV0001", "GV0002"], allowance=20_000)
    yield made
    made.close()


def handheld(linkworld, tmp_path, name="GV0001", **kwargs):
    return SimHandheld(
        name,
        linkworld.handhelds[name].secret,
        str(tmp_path / name),
        mqtt=linkworld.mqtt_settings(name),
        **kwargs,
    )


def assert_exactly_once(linkworld, hands, sold):
    """Each sale taken is one sale on the server, with the very tokens the handheld printed;
    the float went down by exactly what was sold; the books balance."""
    total = 0
    for hh in hands:
        server = linkworld.server_tokens(hh.name)
        assert hh.tokens == server, f"{hh.name}: printed tokens differ from the server's"
        assert not hh.unanswered(), f"{hh.name}: sales still waiting for an answer"
        total += sum(hh.journal.sale(s)["amount"] for s in hh.journal.held_sales())
    assert sum(len(linkworld.server_tokens(hh.name)) for hh in hands) == sold
    assert linkworld.books_problems() == []
    return total


def test_online_sales_each_end_as_one_printed_token(linkworld, tmp_path, monkeypatch):
    quick_timeouts(monkeypatch)
    linkworld.start_server()

    async def scenario():
        hh = handheld(linkworld, tmp_path)
        hh.start()
        await wait_for(hh.link.online, 10, "the link to come up")
        for amount in (1000, 2000, 500):
            assert hh.sell(linkworld.meters[0], amount) is not None
        await wait_for(lambda: not hh.unfinished(), 20, "sales answered, printed, acknowledged")
        await hh.stop()
        return hh

    hh = asyncio.run(scenario())
    assert len(hh.printed) == 3
    assert_exactly_once(linkworld, [hh], 3)
    assert linkworld.float_now() == linkworld.initial_float - 3500 - 2 * 20_000


def test_queued_sales_sync_in_order_through_broker_restarts_and_link_drops(
    linkworld, tmp_path, monkeypatch
):
    """Offline sales queue; the link comes back; while they sync the broker restarts (once
    cleanly, once killed) and the link drops: each sale still ends as exactly one token."""
    quick_timeouts(monkeypatch)
    linkworld.start_server()

    async def scenario():
        hh = handheld(linkworld, tmp_path, batch=5)
        hh.start()
        await wait_for(
            lambda: hh.link.offline_room() == 20_000, 10, "the allowance from the server"
        )
        await hh.stop()
        network.down = True  # out of signal: sales are taken offline
        sold = [hh.sell(linkworld.meters[n % 2], 250) for n in range(60)]
        assert all(sold) and hh.sell(linkworld.meters[0], 10_000) is None  # beyond allowance
        network.down = False
        hh.start()
        await wait_for(lambda: len(hh.printed) >= 10, 20, "the sync to start")
        linkworld.broker.restart()
        await wait_for(lambda: len(hh.printed) >= 25, 30, "the sync to go on")
        linkworld.broker.restart(hard=True)
        await wait_for(lambda: len(hh.printed) >= 40, 30, "the sync to go on again")
        network.cut()
        await asyncio.sleep(1.0)
        network.down = False
        await wait_for(lambda: not hh.unfinished(), 60, "every queued sale synced and acknowledged")
        await hh.stop()
        return hh

    hh = asyncio.run(scenario())
    assert_exactly_once(linkworld, [hh], 60)


def test_queued_sales_are_sent_in_batches_and_issued_in_the_order_taken(
    linkworld, tmp_path, monkeypatch
):
    quick_timeouts(monkeypatch)
    linkworld.start_server()

    async def scenario():
        hh = handheld(linkworld, tmp_path, batch=7)
        hh.start()
        await wait_for(lambda: hh.link.offline_room() > 0, 10, "the allowance")
        await hh.stop()
        network.down = True
        for n in range(40):
            hh.sell(linkworld.meters[n % 2], 100)
        network.down = False
        sent_before = hh.link.sent
        hh.start()
        await wait_for(lambda: not hh.unfinished(), 30, "the queue synced")
        await hh.stop()
        return hh, hh.link.sent - sent_before

    hh, messages = asyncio.run(scenario())
    assert hh.printed == list(range(1, 41))  # answered, and printed, in the order taken
    assert (
        messages < 15
    ), hh.link.sent_kinds  # hello, 6 batches of up to 7, a few acks: not 40 round trips
    issued = linkworld.ctx.transaction(
        lambda uow: [s.request_id for s in uow.session.query(Sale).order_by(Sale.id)],
        read_only=True,
    )
    assert issued == sorted(issued) == [f"GV0001-{n:06d}" for n in range(1, 41)]
    assert_exactly_once(linkworld, [hh], 40)


def test_lost_and_repeated_messages_change_nothing(linkworld, tmp_path, monkeypatch):
    quick_timeouts(monkeypatch)
    linkworld.start_server("lossy", "--drop-answers", "0.3", "--duplicate-answers", "0.3",
                           "--drop-uplinks", "0.2", "--seed", "7")  # fmt: skip

    async def scenario():
        hh = handheld(linkworld, tmp_path, batch=4)
        real = hh.link._send

        async def twice(session, kind, body):  # every uplink sent twice, as a flaky modem might
            await real(session, kind, body)
            await real(session, kind, body)

        hh.link._send = twice
        hh.start()
        await wait_for(hh.link.online, 10, "the link to come up")
        for n in range(20):
            hh.sell(linkworld.meters[n % 2], 300)
        await wait_for(lambda: not hh.unfinished(), 90, "every sale through a lossy link")
        await hh.stop()
        return hh

    hh = asyncio.run(scenario())
    assert_exactly_once(linkworld, [hh], 20)


@pytest.mark.parametrize("die_after", [1, 3])
def test_a_server_killed_in_the_middle_of_a_vend(linkworld, tmp_path, monkeypatch, die_after):
    """The server process dies right after committing a sale, before answering; another
    process takes over: the handheld's resent sale gets the committed sale's token."""
    quick_timeouts(monkeypatch)
    doomed = linkworld.start_server("doomed", "--die-after-sold", str(die_after))

    async def scenario():
        hh = handheld(linkworld, tmp_path, batch=4)
        hh.start()
        await wait_for(hh.link.online, 10, "the link to come up")
        for n in range(8):
            hh.sell(linkworld.meters[n % 2], 400)
        await wait_for(lambda: doomed.poll() is not None, 20, "the server to die")
        linkworld.start_server("successor")
        await wait_for(lambda: not hh.unfinished(), 60, "every sale answered after the crash")
        await hh.stop()
        return hh

    hh = asyncio.run(scenario())
    assert doomed.returncode == 3
    assert_exactly_once(linkworld, [hh], 8)


def test_two_handhelds_and_two_server_processes(linkworld, tmp_path, monkeypatch):
    quick_timeouts(monkeypatch)
    linkworld.start_server("server-1")
    linkworld.start_server("server-2")

    async def scenario():
        hands = [handheld(linkworld, tmp_path, name) for name in ("GV0001", "GV0002")]
        for hh in hands:
            hh.start()
        await wait_for(lambda: all(h.link.online() for h in hands), 10, "links up")
        rng = random.Random(3)
        for _ in range(15):
            for hh in hands:
                hh.sell(linkworld.meters[rng.randrange(2)], rng.choice([100, 200, 300]))
            await asyncio.sleep(0.02)
        await wait_for(lambda: not any(h.unfinished() for h in hands), 40, "all sales done")
        for hh in hands:
            await hh.stop()
        return hands

    hands = asyncio.run(scenario())
    assert_exactly_once(linkworld, hands, 30)
