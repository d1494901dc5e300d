"""Twenty handhelds on one vendor's float, some out of signal all morning, over the real
broker and server: the float is never overdrawn, every offline sale is honoured when it
syncs, online sales are refused once the float is spent, every paid sale is one token."""

import asyncio
import random

import pytest

from tests.link.e2e import LinkWorld
from tests.link.handhelds import SimHandheld, quick_timeouts, wait_for

HANDHELDS = 20
ALLOWANCE = 2_000
ONLINE_BUDGET = 15_000  # what is left in the float for online sales once reserves are made


@pytest.fixture
def linkworld(db_url, master_key, admin):
    names = [f"GV{n:04d}" for n in range(HANDHELDS)]
    made = LinkWorld.build(db_url, master_key, admin, names, allowance=ALLOWANCE,
                           float_minor=HANDHELDS * ALLOWANCE + ONLINE_BUDGET)  # fmt: skip
    yield made
    made.close()


@pytest.mark.slow
def test_twenty_handhelds_some_offline_one_float(linkworld, tmp_path, monkeypatch):
    quick_timeouts(monkeypatch)
    linkworld.start_server("server-1")
    linkworld.start_server("server-2")
    assert linkworld.float_now() == ONLINE_BUDGET  # the rest is reserved for offline sales

    async def scenario():
        hands = [
            SimHandheld(name, h.secret, str(tmp_path / name), mqtt=linkworld.mqtt_settings(name))
            for name, h in linkworld.handhelds.items()
        ]
        away = hands[::3]  # out of signal once they have their allowance
        for hh in hands:
            hh.start()
        await wait_for(lambda: all(h.link.offline_room() == ALLOWANCE for h in hands), 30,
                       "every handheld's allowance")  # fmt: skip
        for hh in away:
            await hh.stop()
        rng = random.Random(5)
        refused_offline = 0
        for _ in range(12):
            for hh in hands:
                if hh.sell(linkworld.meters[rng.randrange(2)], rng.choice([300, 500, 800])) is None:
                    refused_offline += 1  # "offline limit reached": not taken
            await asyncio.sleep(0.05)
        assert refused_offline > 0
        await wait_for(lambda: not any(h.unanswered() for h in hands if h not in away), 60,
                       "the online handhelds' answers")  # fmt: skip
        for hh in away:  # the signal is back
            hh.start()
        await wait_for(lambda: not any(h.unfinished() for h in hands), 90, "everything synced")
        for hh in hands:
            await hh.stop()
        return hands, away

    hands, away = asyncio.run(scenario())
    for hh in away:
        assert hh.refused_seen == [], f"{hh.name}: an offline sale was refused"
        assert len(hh.tokens) == len(hh.journal.held_sales()) > 0
    assert any(hh.refused_seen for hh in hands if hh not in away)  # the float ran out
    assert linkworld.float_now() >= 0
    for hh in hands:
        assert hh.tokens == linkworld.server_tokens(hh.name), hh.name
    assert linkworld.books_problems() == []
