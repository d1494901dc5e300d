"""The offline allowance, server side: money reserved from the float before a handheld may
sell offline, every offline sale honoured from it when it syncs (whatever the float does
meanwhile), surplus given back only when the handheld can no longer use it, and the books
balancing throughout."""

import random
import threading

import pytest

from server.link.device_secrets import DeviceSecrets
from server.services import agents, devices, ledger_check, offline
from tests.link.kit import Handheld, add_handheld, build_world, downlinks, only, processor

ALLOWANCE = 3_000


class OfflineRule:
    """The handheld's side of the rule (device/link/allowance.py does the same): keep the
    newest snapshot (downlink number, ceiling, spent) and the unanswered offline sales, and
    sell offline only while ceiling - spent covers them and the new one."""

    def __init__(self) -> None:
        self.seq = self.ceiling = self.spent = 0
        self.pending: dict[str, int] = {}

    def take(self, handled, secret) -> None:
        for envelope in downlinks(handled, secret):
            if "off" in envelope.body and envelope.seq > self.seq:
                self.seq = envelope.seq
                self.ceiling, self.spent = envelope.body["off"]
            for item in envelope.body.get("results", []):
                self.pending.pop(item["id"], None)

    def room(self) -> int:
        return self.ceiling - self.spent - sum(self.pending.values())

    def report(self) -> list[int]:
        return [self.seq, self.ceiling, self.spent, sum(self.pending.values())]


def float_of(ctx, admin) -> int:
    return int(agents.get_agent(ctx, admin, "AG1").balance * 100)


def books_sound(ctx, admin) -> None:
    report = ledger_check.check(ctx, admin)
    assert report.ok, report.problems
    assert offline.check(ctx, admin) == ()


@pytest.fixture
def secrets(master_key):
    return DeviceSecrets(master_key)


def test_setting_an_allowance_moves_that_much_float_into_the_reserve(ctx, admin, secrets):
    build_world(ctx, admin, float_minor=10_000)
    add_handheld(ctx, admin, secrets, "GV0001", allowance=ALLOWANCE)
    view = offline.reserve_of(ctx, admin, "GV0001")
    assert (view.held, view.ceiling, view.available_offline) == (3_000, 3_000, 3_000)
    assert float_of(ctx, admin) == 7_000
    report = ledger_check.check(ctx, admin)
    assert report.accounts["device:1:reserve"] == 3_000
    books_sound(ctx, admin)


def test_an_allowance_beyond_the_float_reserves_what_is_there(ctx, admin, secrets):
    build_world(ctx, admin, float_minor=1_000, credit_limit=500)
    add_handheld(ctx, admin, secrets, "GV0001", allowance=ALLOWANCE)
    view = offline.reserve_of(ctx, admin, "GV0001")
    assert (view.held, view.ceiling) == (1_500, 1_500)  # float plus credit limit
    assert float_of(ctx, admin) == -500
    books_sound(ctx, admin)


def test_offline_sales_are_honoured_when_the_float_is_empty_by_then(
    ctx, admin, master_key, secrets
):
    world = build_world(ctx, admin, float_minor=5_000)
    hh = add_handheld(ctx, admin, secrets, "GV0001", allowance=ALLOWANCE)
    proc = processor(ctx, master_key)
    rule = OfflineRule()
    rule.take(proc.handle(hh.wire("hello", {})), hh.secret)
    assert rule.room() == 3_000
    queued = []
    for n, amount in enumerate([1_000, 1_200, 800], start=1):  # offline: 3,000 in all
        assert rule.room() >= amount
        queued.append(hh.sale(n, world.meter, amount, offline=True))
        rule.pending[queued[-1]["id"]] = amount
    assert rule.room() == 0  # the handheld refuses a fourth one
    # Meanwhile the vendor sells the rest of the float elsewhere.
    other = add_handheld(ctx, admin, secrets, "GV0002")
    proc.handle(other.wire("sale", other.sale(1, world.meter_b, 2_000)))
    assert float_of(ctx, admin) == 0
    handled = proc.handle(hh.wire("batch", {"sales": queued}))
    items = only(handled, hh.secret).body["results"]
    assert all("answer" in item for item in items)
    rule.take(handled, hh.secret)
    assert float_of(ctx, admin) == 0  # paid from the reserve; nothing left to refill it
    assert offline.reserve_of(ctx, admin, "GV0001").held == 0
    assert rule.room() == 0
    books_sound(ctx, admin)
    agents.topup(ctx, admin, "AG1", 10_000)
    rule.take(proc.handle(hh.wire("config")), hh.secret)
    assert rule.room() == 3_000 and float_of(ctx, admin) == 7_000
    books_sound(ctx, admin)


def test_a_lower_allowance_gives_money_back_only_once_the_handheld_holds_it(
    ctx, admin, master_key, secrets
):
    world = build_world(ctx, admin, float_minor=10_000)
    hh = add_handheld(ctx, admin, secrets, "GV0001", allowance=ALLOWANCE)
    proc = processor(ctx, master_key)
    rule = OfflineRule()
    rule.take(proc.handle(hh.wire("hello", {})), hh.secret)
    rule.pending["GV0001-000001"] = 1_000  # sold offline, not yet synced
    offline.set_allowance(ctx, admin, "GV0001", 500)
    assert float_of(ctx, admin) == 7_000  # nothing back yet: the handheld still holds 3,000
    stale = rule.report()
    lowered = OfflineRule()
    lowered.pending = dict(rule.pending)
    lowered.take(proc.handle(hh.wire("config")), hh.secret)
    assert lowered.ceiling == 500
    proc.handle(hh.wire("ack", {"ids": [], "off": stale}))  # an older snapshot
    assert float_of(ctx, admin) == 7_000
    proc.handle(hh.wire("ack", {"ids": [], "off": lowered.report()}))
    # It may still owe the 1,000 it sold: the reserve keeps that, the rest goes back.
    assert offline.reserve_of(ctx, admin, "GV0001").held == 1_000
    assert float_of(ctx, admin) == 9_000
    handled = proc.handle(hh.wire("sale", hh.sale(1, world.meter, 1_000, offline=True)))
    assert "answer" in only(handled, hh.secret).body["results"][0]
    assert float_of(ctx, admin) == 8_500  # and the reserve refilled to the new 500
    books_sound(ctx, admin)


def test_a_disabled_device_or_suspended_vendor_gets_no_new_offline_room(
    ctx, admin, master_key, secrets
):
    build_world(ctx, admin, float_minor=10_000)
    hh = add_handheld(ctx, admin, secrets, "GV0001", allowance=ALLOWANCE)
    proc = processor(ctx, master_key)
    agents.set_status(ctx, admin, "AG1", "suspended")
    config = only(proc.handle(hh.wire("config")), hh.secret)
    assert config.body["off"] == [0, 0]
    agents.set_status(ctx, admin, "AG1", "active")
    devices.set_enabled(ctx, admin, "GV0001", False)
    devices.set_enabled(ctx, admin, "GV0001", True)
    assert only(proc.handle(hh.wire("config")), hh.secret).body["off"] == [3_000, 0]


@pytest.mark.slow
def test_twenty_handhelds_some_offline_never_overdraw_one_float(ctx, admin, master_key, secrets):
    """20 handhelds on one vendor, each running the offline rule: online sales are refused
    when the float is out, offline ones never; the float never passes its limit."""
    world = build_world(ctx, admin, float_minor=60_000, credit_limit=5_000)
    proc = processor(ctx, master_key)
    hands: list[tuple[Handheld, OfflineRule]] = []
    for i in range(20):
        hh = add_handheld(ctx, admin, secrets, f"GV{i:04d}", allowance=2_000)
        rule = OfflineRule()
        rule.take(proc.handle(hh.wire("hello", {})), hh.secret)
        hands.append((hh, rule))
    offline_sold: list[str] = []
    refused_offline: list[str] = []
    lock = threading.Lock()

    def run(hh: Handheld, rule: OfflineRule, seed: int) -> None:
        rng = random.Random(seed)
        is_offline = seed % 3 == 0  # a third of them are out of signal all morning
        queue = []
        for n in range(1, 16):
            amount = rng.choice([300, 500, 700, 1_000])
            meter = world.meter if n % 2 else world.meter_b
            if is_offline:
                if rule.room() < amount:
                    continue  # "offline limit reached" on its screen
                sale = hh.sale(n, meter, amount, offline=True)
                rule.pending[sale["id"]] = amount
                queue.append(sale)
            else:
                rule.take(proc.handle(hh.wire("sale", hh.sale(n, meter, amount))), hh.secret)
        for start in range(0, len(queue), 4):  # the signal is back: sync in batches
            handled = proc.handle(hh.wire("batch", {"sales": queue[start : start + 4]}))
            for item in only(handled, hh.secret).body["results"]:
                with lock:
                    (offline_sold if "answer" in item else refused_offline).append(item["id"])
            rule.take(handled, hh.secret)

    threads = [
        threading.Thread(target=run, args=(hh, rule, i)) for i, (hh, rule) in enumerate(hands)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert refused_offline == []
    assert offline_sold
    assert float_of(ctx, admin) >= -5_000
    books_sound(ctx, admin)
