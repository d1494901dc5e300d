"""Sales over the link, server side: one token per sale id however often it comes, refusals
that stay refusals, batches answered in order, acknowledgements, lookups, time, config."""

import threading

import pytest

from server.link.device_secrets import DeviceSecrets
from server.services import agents, customers, ledger_check
from server.storage.schema import DeviceSaleOutcome, Sale
from tests.link.kit import add_handheld, build_world, downlinks, only, processor
from tests.server.world import pan


@pytest.fixture
def setup(ctx, admin, master_key):
    world = build_world(ctx, admin, float_minor=10_000)
    hh = add_handheld(ctx, admin, DeviceSecrets(master_key), "GV0001")
    return world, hh, processor(ctx, master_key)


def sales(ctx) -> list[Sale]:
    return ctx.transaction(lambda uow: uow.session.query(Sale).all(), read_only=True)


def float_of(ctx, admin) -> int:
    return int(agents.get_agent(ctx, admin, "AG1").balance * 100)


def result_items(handled, secret):
    envelope = only(handled, secret)
    assert envelope.kind == "result"
    return envelope.body["results"]


def test_an_online_sale_gets_its_token_and_the_answer_the_handheld_expects(ctx, admin, setup):
    world, hh, proc = setup
    (item,) = result_items(proc.handle(hh.wire("sale", hh.sale(1, world.meter, 1000))), hh.secret)
    answer = item["answer"]
    assert item["id"] == "GV0001-000001"
    assert set(answer) == {"receipt", "customer", "tokens", "key_change", "kwh_tenths", "tax",
                           "fixed", "debt"}  # fmt: skip
    assert len(answer["tokens"]) == 1 and len(answer["tokens"][0]) == 20
    assert answer["kwh_tenths"] == 400  # 10.00 at 0.25 a kWh
    assert answer["customer"] == "Amina Okafor"
    assert float_of(ctx, admin) == 9_000


def test_a_sale_sent_again_gets_the_same_token_and_is_paid_once(ctx, admin, setup):
    world, hh, proc = setup
    body = hh.sale(1, world.meter, 1000)
    first = result_items(proc.handle(hh.wire("sale", body)), hh.secret)
    for _ in range(3):  # resent in new envelopes (after a reboot, a lost answer...)
        again = result_items(proc.handle(hh.wire("sale", body)), hh.secret)
        assert again == first
    assert len(sales(ctx)) == 1
    assert float_of(ctx, admin) == 9_000
    assert ledger_check.check(ctx, admin).ok


def test_copies_of_a_sale_arriving_at_once_make_one_sale(ctx, admin, setup):
    world, hh, proc = setup
    body = hh.sale(1, world.meter, 1000)
    wires = [hh.wire("sale", body) for _ in range(8)]
    answers = []
    threads = [threading.Thread(target=lambda w=w: answers.append(proc.handle(w))) for w in wires]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    tokens = {result_items(h, hh.secret)[0]["answer"]["tokens"][0] for h in answers}
    assert len(tokens) == 1
    assert len(sales(ctx)) == 1
    assert ledger_check.check(ctx, admin).ok


def test_a_refusal_is_final_even_when_the_reason_goes_away(ctx, admin, setup):
    world, hh, proc = setup
    body = hh.sale(1, world.meter, 50_000)  # the float holds 100.00
    (item,) = result_items(proc.handle(hh.wire("sale", body)), hh.secret)
    assert item == {"id": "GV0001-000001", "amount": 50_000, "off": 0,
                    "code": "insufficient_float", "refused": "vendor float too low"}  # fmt: skip
    agents.topup(ctx, admin, "AG1", 100_000)
    (again,) = result_items(proc.handle(hh.wire("sale", body)), hh.secret)
    assert again == item  # the vendor already handed the cash back: never issue it now
    assert sales(ctx) == []


def test_a_batch_is_answered_in_order_each_sale_on_its_own(ctx, admin, setup):
    world, hh, proc = setup
    batch = {
        "sales": [
            hh.sale(1, world.meter, 1000),
            hh.sale(2, "600727000000000001", 1000),  # no such meter
            hh.sale(3, world.meter_b, 2000),
        ]
    }
    items = result_items(proc.handle(hh.wire("batch", batch)), hh.secret)
    assert [i["id"] for i in items] == ["GV0001-000001", "GV0001-000002", "GV0001-000003"]
    assert ["answer" in i for i in items] == [True, False, True]
    assert items[1]["code"] == "invalid_meter_number"
    assert float_of(ctx, admin) == 7_000


def test_acknowledgements_are_recorded_and_confirmed(ctx, admin, setup):
    world, hh, proc = setup
    proc.handle(hh.wire("sale", hh.sale(1, world.meter, 1000)))
    reply = only(
        proc.handle(hh.wire("ack", {"ids": ["GV0001-000001", "GV0001-000099"]})), hh.secret
    )
    assert reply.kind == "ack" and reply.body == {"ids": ["GV0001-000001", "GV0001-000099"]}
    acked = ctx.transaction(
        lambda uow: [o.acknowledged_at is not None for o in uow.session.query(DeviceSaleOutcome)],
        read_only=True,
    )
    assert acked == [True]


def test_a_lookup_names_the_customer_or_says_why_not(ctx, admin, setup):
    world, hh, proc = setup
    found = only(proc.handle(hh.wire("lookup", {"meter": world.meter})), hh.secret)
    assert found.body == {"meter": world.meter, "name": "Amina Okafor"}
    missing = only(proc.handle(hh.wire("lookup", {"meter": pan(9)})), hh.secret)
    assert missing.body["name"] is None and missing.body["code"] == "meter_not_found"


def test_time_and_config_carry_the_server_clock(ctx, admin, setup, clock):
    _, hh, proc = setup
    now = int(clock.now.timestamp())
    assert only(proc.handle(hh.wire("time")), hh.secret).body == {"now": now}
    config = only(proc.handle(hh.wire("config")), hh.secret)
    assert config.body["now"] == now and config.body["tariffs"] == ["flat"]
    assert config.body["off"] == [0, 0] and config.body["allow"] == 0


def test_downlinks_are_numbered_upwards_per_device(ctx, admin, setup):
    world, hh, proc = setup
    numbers = []
    for kind in ("time", "config", "time"):
        numbers += [e.seq for e in downlinks(proc.handle(hh.wire(kind)), hh.secret)]
    assert numbers == [1, 2, 3]


def test_the_customer_can_get_the_token_by_sms(ctx, admin, master_key):
    world = build_world(ctx, admin)
    customers.add_customer(ctx, admin, account_no="C002", name="Baraka", phone="+254700000001")
    from server.services import meters
    from tests.server.world import SGC, pan

    meters.add_meter(ctx, admin, number=pan(3), sgc=SGC, tariff="flat", customer_account="C002")
    hh = add_handheld(ctx, admin, DeviceSecrets(master_key), "GV0001")
    sent = []

    class Recorder:
        def send(self, phone, text):
            sent.append((phone, text))

    from server.link.processor import LinkProcessor

    proc = LinkProcessor(ctx, DeviceSecrets(master_key), notifier=Recorder())
    (item,) = result_items(proc.handle(hh.wire("sale", hh.sale(1, pan(3), 1000))), hh.secret)
    token = item["answer"]["tokens"][0]
    assert len(sent) == 1 and sent[0][0] == "+254700000001"
    assert "-".join(token[i : i + 4] for i in range(0, 20, 4)) in sent[0][1]
    proc.handle(hh.wire("sale", hh.sale(1, pan(3), 1000)))
    assert len(sent) == 1  # a repeat is not a second message
    assert world.meter  # the world's own meter has a customer without a phone: no SMS
