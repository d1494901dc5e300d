"""Offline sales that sync after the vendor was suspended or the device disabled.

The rule (docs/link-protocol.md, "Disabled devices, suspended vendors"): an offline sale
taken before that moment (the reserve's cutoff) and covered by the reserve is honoured,
and audited; one taken after it is refused (vendor suspended: finally; device disabled:
not answered, it stays queued on the handheld). Whatever the server refuses, the money
reserved for it goes back to the vendor's float, through the handheld's report or, for a
device that never comes back, `gridvend link release`.
"""

import pytest
from sqlalchemy import select

from server.domain.errors import DomainError
from server.link.device_secrets import DeviceSecrets
from server.services import agents, audit_trail, devices, ledger_check, offline
from server.storage.schema import AuditRecord, DeviceSaleOutcome
from tests.link.kit import add_handheld, build_world, downlinks, processor

FLOAT = 100_000
ALLOWANCE = 3_000


@pytest.fixture
def setup(ctx, admin, master_key):
    world = build_world(ctx, admin, float_minor=FLOAT)
    hh = add_handheld(ctx, admin, DeviceSecrets(master_key), "GV0001", allowance=ALLOWANCE)
    return world, hh, processor(ctx, master_key)


def unix(clock) -> int:
    return int(clock.now.timestamp())


def float_of(ctx, admin) -> int:
    return int(agents.get_agent(ctx, admin, "AG1").balance * 100)


def books_sound(ctx, admin) -> None:
    report = ledger_check.check(ctx, admin)
    assert report.ok, report.problems
    assert offline.check(ctx, admin) == ()
    assert audit_trail.verify(ctx, admin).ok


def answered(handled, secret) -> tuple[dict[str, dict], list[str], tuple[int, list[int]] | None]:
    """({sale id: result item}, error codes, (seq, [ceiling, spent]) of the newest snapshot)."""
    items, errors, snapshot = {}, [], None
    for envelope in downlinks(handled, secret):
        if envelope.kind == "result":
            items.update({item["id"]: item for item in envelope.body["results"]})
        if envelope.kind == "error":
            errors.append(envelope.body["code"])
        if "off" in envelope.body:
            snapshot = (envelope.seq, envelope.body["off"])
    return items, errors, snapshot


def audited(ctx, action: str) -> list[str]:
    def work(uow):
        return list(uow.session.scalars(select(AuditRecord.after).where(
            AuditRecord.action == action)))  # fmt: skip

    return ctx.transaction(work, read_only=True)


def outcome_ids(ctx) -> list[str]:
    return ctx.transaction(
        lambda uow: list(uow.session.scalars(select(DeviceSaleOutcome.sale_ref))),
        read_only=True,
    )


def test_a_suspended_vendors_offline_sales_from_before_are_honoured(ctx, admin, clock, setup):
    world, hh, proc = setup
    taken = unix(clock) + 60  # sold offline while the vendor was still active
    clock.advance(minutes=5)
    agents.set_status(ctx, admin, "AG1", "suspended")
    clock.advance(minutes=5)
    late = unix(clock)  # sold offline after the suspension (the handheld did not know)
    before = hh.sale(1, world.meter, 1000, offline=True, time=taken)
    after = hh.sale(2, world.meter, 1000, offline=True, time=late)
    online = hh.sale(3, world.meter, 1000)
    items, errors, snapshot = answered(
        proc.handle(hh.wire("batch", {"sales": [before, after, online]})), hh.secret
    )
    assert errors == []
    assert len(items["GV0001-000001"]["answer"]["tokens"]) == 1
    assert items["GV0001-000002"]["code"] == "agent_not_active"
    assert items["GV0001-000003"]["code"] == "agent_not_active"
    assert agents.get_agent(ctx, admin, "AG1").status == "suspended"  # still
    (record,) = audited(ctx, "device.sale_after_cutoff")
    assert '"sale":"GV0001-000001"' in record and '"why":"agent_not_active"' in record
    view = offline.reserve_of(ctx, admin, "GV0001")
    assert (view.spent, view.held) == (1000, 2000)
    assert float_of(ctx, admin) == FLOAT - ALLOWANCE  # the reserve paid the sale
    books_sound(ctx, admin)

    # The same answers again.
    again, _, snapshot = answered(
        proc.handle(hh.wire("batch", {"sales": [before, after]})), hh.secret
    )
    assert again["GV0001-000001"]["answer"] == items["GV0001-000001"]["answer"]
    assert again["GV0001-000002"]["code"] == "agent_not_active"

    # The handheld acknowledges with its report: the rest of the reserve goes back.
    seq, (ceiling, spent) = snapshot
    ack = {"ids": list(items), "off": [seq, ceiling, spent, 0]}
    assert proc.handle(hh.wire("ack", ack)).error is None
    view = offline.reserve_of(ctx, admin, "GV0001")
    assert view.held == 0
    assert float_of(ctx, admin) == FLOAT - 1000  # only the one honoured sale was paid
    books_sound(ctx, admin)


def test_a_sale_the_reserve_cannot_cover_or_without_a_time_is_not_honoured(
    ctx, admin, clock, setup
):
    world, hh, proc = setup
    taken = unix(clock)
    clock.advance(minutes=1)
    agents.set_status(ctx, admin, "AG1", "suspended")
    too_big = hh.sale(1, world.meter, ALLOWANCE + 100, offline=True, time=taken)
    no_clock = hh.sale(2, world.meter, 500, offline=True, time=0)
    items, _, _ = answered(proc.handle(hh.wire("batch", {"sales": [too_big, no_clock]})), hh.secret)
    assert {i["code"] for i in items.values()} == {"agent_not_active"}
    assert audited(ctx, "device.sale_after_cutoff") == []
    assert float_of(ctx, admin) == FLOAT - ALLOWANCE
    books_sound(ctx, admin)


def test_a_sale_refused_for_another_reason_leaves_the_vendor_suspended(ctx, admin, clock, setup):
    world, hh, proc = setup
    taken = unix(clock)
    clock.advance(minutes=1)
    agents.set_status(ctx, admin, "AG1", "suspended")
    unknown = hh.sale(1, "01234567891", 1000, offline=True, time=taken)
    items, _, _ = answered(proc.handle(hh.wire("sale", unknown)), hh.secret)
    assert items["GV0001-000001"]["code"] in ("meter_not_found", "invalid_meter_number")
    assert agents.get_agent(ctx, admin, "AG1").status == "suspended"
    assert audited(ctx, "device.sale_after_cutoff") == []
    assert offline.reserve_of(ctx, admin, "GV0001").spent == 0
    books_sound(ctx, admin)


def test_a_disabled_device_syncs_what_it_sold_before_and_nothing_after(ctx, admin, clock, setup):
    world, hh, proc = setup
    taken = unix(clock) + 10
    clock.advance(minutes=5)
    devices.set_enabled(ctx, admin, "GV0001", False)  # reported stolen
    clock.advance(minutes=5)
    before = hh.sale(1, world.meter, 1000, offline=True, time=taken)
    after = hh.sale(2, world.meter, 700, offline=True, time=unix(clock))
    online = hh.sale(3, world.meter, 500)
    items, errors, snapshot = answered(
        proc.handle(hh.wire("batch", {"sales": [before, after, online]})), hh.secret
    )
    assert list(items) == ["GV0001-000001"]  # the others are not answered: still queued
    assert len(items["GV0001-000001"]["answer"]["tokens"]) == 1
    assert errors == ["device_disabled"]
    assert outcome_ids(ctx) == ["GV0001-000001"]  # nothing recorded for the others
    (record,) = audited(ctx, "device.sale_after_cutoff")
    assert '"why":"device_disabled"' in record
    # Anything else it sends is refused.
    assert proc.handle(hh.wire("hello", {"fw": "1.0"})).error == "device_disabled"
    assert proc.handle(hh.wire("lookup", {"meter": world.meter})).error == "device_disabled"
    books_sound(ctx, admin)

    # Its acknowledgement is taken, and gives back what it no longer needs (it still holds
    # the two sales it was not answered: 700 of them offline).
    seq, (ceiling, spent) = snapshot
    ack = {"ids": ["GV0001-000001"], "off": [seq, ceiling, spent, 700]}
    assert proc.handle(hh.wire("ack", ack)).error is None
    view = offline.reserve_of(ctx, admin, "GV0001")
    assert (view.spent, view.held) == (1000, 700)
    books_sound(ctx, admin)

    # It never comes back: the operator releases the rest.
    with pytest.raises(DomainError):
        offline.release(ctx, admin, "GV0002")
    view = offline.release(ctx, admin, "GV0001")
    assert view.held == 0
    assert float_of(ctx, admin) == FLOAT - 1000
    books_sound(ctx, admin)
    (released,) = audited(ctx, "device.reserve_release")
    assert released == '{"released":700}'
    # ... and the sale it took before the cutoff but not yet synced is no longer covered.
    items, errors, _ = answered(proc.handle(hh.wire("sale", after)), hh.secret)
    assert items == {} and errors == ["device_disabled"]


def test_a_device_enabled_again_sells_its_queued_sales_as_usual(ctx, admin, clock, setup):
    world, hh, proc = setup
    devices.set_enabled(ctx, admin, "GV0001", False)
    clock.advance(minutes=1)
    queued = hh.sale(1, world.meter, 700, offline=True, time=unix(clock))
    items, errors, _ = answered(proc.handle(hh.wire("sale", queued)), hh.secret)
    assert items == {} and errors == ["device_disabled"]
    devices.set_enabled(ctx, admin, "GV0001", True)
    items, errors, _ = answered(proc.handle(hh.wire("sale", queued)), hh.secret)
    assert errors == [] and "answer" in items["GV0001-000001"]
    assert offline.reserve_of(ctx, admin, "GV0001").spent == 700
    books_sound(ctx, admin)


def test_release_is_for_disabled_devices_only(ctx, admin, setup):
    with pytest.raises(DomainError) as refused:
        offline.release(ctx, admin, "GV0001")
    assert refused.value.code == "device_enabled"


def test_a_refused_offline_sale_leaves_its_money_for_the_float(ctx, admin, clock, setup):
    world, hh, proc = setup
    unknown = hh.sale(1, "01234567891", 1000, offline=True, time=unix(clock))
    items, _, snapshot = answered(proc.handle(hh.wire("sale", unknown)), hh.secret)
    assert "code" in items["GV0001-000001"]
    view = offline.reserve_of(ctx, admin, "GV0001")
    assert (view.spent, view.held) == (0, ALLOWANCE)  # still the allowance, not more
    # The allowance goes; once the handheld reports the newest snapshot, so does the money.
    offline.set_allowance(ctx, admin, "GV0001", 0)
    config = downlinks(proc.handle(hh.wire("config")), hh.secret)[-1]
    assert config.kind == "config"
    ceiling, spent = config.body["off"]
    assert (
        proc.handle(hh.wire("ack", {"ids": [], "off": [config.seq, ceiling, spent, 0]})).error
        is None
    )
    assert offline.reserve_of(ctx, admin, "GV0001").held == 0
    assert float_of(ctx, admin) == FLOAT
    books_sound(ctx, admin)


def test_suspension_and_reactivation_set_and_clear_the_cutoff(ctx, admin, clock, setup):
    def cutoff():
        from server.storage.repositories.device_link import OfflineReserveRepository

        def work(uow):
            device = uow.devices.by_name("GV0001")
            return OfflineReserveRepository(uow.session).get(device.id).cutoff_at

        return ctx.transaction(work, read_only=True)

    assert cutoff() is None
    agents.set_status(ctx, admin, "AG1", "suspended")
    first = clock.now
    assert cutoff() == first
    clock.advance(minutes=3)
    devices.set_enabled(ctx, admin, "GV0001", False)
    assert cutoff() == first  # the earliest stop counts
    agents.set_status(ctx, admin, "AG1", "active")
    assert cutoff() == first  # the device is still disabled
    devices.set_enabled(ctx, admin, "GV0001", True)
    assert cutoff() is None
