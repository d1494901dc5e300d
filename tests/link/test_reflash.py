"""A handheld re-flashed with an empty journal: its new secret starts a new generation, its
image says where its sale numbers start (seq_floor), and a sale id the server answered
under the old secret is refused, never answered with another customer's token.
Registration (device and secret) is one transaction."""

import pytest
from sqlalchemy import func, select

from server.domain.errors import DomainError
from server.link.device_secrets import DeviceSecrets
from server.services import agents, devices, ledger_check
from server.storage.repositories.device_link import DeviceLinkRepository
from server.storage.schema import AuditRecord, Device, DeviceSaleOutcome, LinkMessage, Sale
from tests.link.kit import Handheld, add_handheld, build_world, only, processor


@pytest.fixture
def secrets(master_key):
    return DeviceSecrets(master_key)


def results(handled, secret) -> list[dict]:
    envelope = only(handled, secret)
    assert envelope.kind == "result", envelope.body
    return envelope.body["results"]


def count(ctx, model) -> int:
    return ctx.transaction(
        lambda uow: uow.session.scalar(select(func.count()).select_from(model)), read_only=True
    )


def float_of(ctx, admin) -> int:
    return int(agents.get_agent(ctx, admin, "AG1").balance * 100)


def outcome_rows(ctx) -> list[tuple]:
    def work(uow):
        rows = uow.session.scalars(select(DeviceSaleOutcome).order_by(DeviceSaleOutcome.sale_ref))
        return [(r.sale_ref, r.sale_seq, r.generation, r.outcome) for r in rows]

    return ctx.transaction(work, read_only=True)


def test_registration_gives_generation_one_and_floor_zero(ctx, admin, secrets):
    build_world(ctx, admin)
    issued = devices.register_device(ctx, admin, "AG1", "GV0001", secrets, offline_allowance=0)
    assert (issued.generation, issued.seq_floor) == (1, 0)
    assert (issued.agent_code, issued.agent_name) == ("AG1", "Village vendor")
    assert len(bytes.fromhex(issued.secret_hex)) == 32


def test_registration_is_one_transaction(ctx, admin, secrets, monkeypatch):
    build_world(ctx, admin)

    def broken(*args, **kwargs):
        raise RuntimeError("the security module went away")

    monkeypatch.setattr(devices, "_issue", broken)
    with pytest.raises(RuntimeError):
        devices.register_device(ctx, admin, "AG1", "GV0001", secrets)
    assert count(ctx, Device) == 0  # no device without a secret
    with pytest.raises(DomainError) as refused:
        devices.register_device(ctx, admin, "NOBODY", "GV0001", secrets)
    assert refused.value.code == "agent_not_found"
    assert count(ctx, Device) == 0


def test_a_reflashed_handheld_cannot_get_an_old_sales_token(ctx, admin, secrets, master_key):
    world = build_world(ctx, admin, float_minor=100_000)
    old = add_handheld(ctx, admin, secrets, "GV0001")
    proc = processor(ctx, master_key)
    answered = {}
    for number in (1, 2, 3):
        (item,) = results(proc.handle(old.wire("sale", old.sale(number, world.meter, 1000))),
                          old.secret)  # fmt: skip
        answered[item["id"]] = item["answer"]["tokens"]
    sales_before, float_before = count(ctx, Sale), float_of(ctx, admin)

    issued = devices.issue_secret(ctx, admin, "GV0001", secrets)  # re-provisioning
    assert (issued.generation, issued.seq_floor) == (2, 3)

    # The new image numbers its messages from 1 again: not a replay under the new secret.
    new = Handheld("GV0001", bytes.fromhex(issued.secret_hex))
    reused = new.sale(2, world.meter, 1000)  # a journal that ignored seq_floor
    (item,) = results(proc.handle(new.wire("sale", reused)), new.secret)
    assert item["code"] == "sale_id_reused"
    assert "answer" not in item and item["refused"] == "call support: sale id"
    # ... however often it comes, and nothing changed.
    (again,) = results(proc.handle(new.wire("sale", reused)), new.secret)
    assert again["code"] == "sale_id_reused"
    assert (count(ctx, Sale), float_of(ctx, admin)) == (sales_before, float_before)
    assert ledger_check.check(ctx, admin).ok
    assert [r[2] for r in outcome_rows(ctx)] == [1, 1, 1]  # the old outcomes, untouched

    # Its next sale, above the floor, is a new sale under the new generation.
    (fresh,) = results(proc.handle(new.wire("sale", new.sale(4, world.meter, 1000))), new.secret)
    assert fresh["answer"]["tokens"] not in answered.values()
    (replayed,) = results(proc.handle(new.wire("sale", new.sale(4, world.meter, 1000))),
                          new.secret)  # fmt: skip
    assert replayed["answer"] == fresh["answer"]  # same generation: the same answer again
    assert outcome_rows(ctx)[-1] == ("GV0001-000004", 4, 2, "issued")
    assert count(ctx, Sale) == sales_before + 1

    # The old secret no longer verifies.
    refused = proc.handle(old.wire("sale", old.sale(5, world.meter, 1000)))
    assert refused.error == "bad_mac"


def test_old_downlinks_are_not_handed_to_the_new_image(ctx, admin, secrets, master_key):
    world = build_world(ctx, admin, float_minor=100_000)
    old = add_handheld(ctx, admin, secrets, "GV0001")
    proc = processor(ctx, master_key)
    proc.handle(old.wire("sale", old.sale(1, world.meter, 1000)))
    issued = devices.issue_secret(ctx, admin, "GV0001", secrets)

    def device_and_downlinks(uow, generation):
        device = uow.devices.by_name("GV0001")
        return DeviceLinkRepository(uow.session).outbound_after(device.id, 0, 100, generation)

    assert ctx.transaction(lambda uow: device_and_downlinks(uow, 2), read_only=True) == []
    assert len(ctx.transaction(lambda uow: device_and_downlinks(uow, 1), read_only=True)) == 1
    new = Handheld("GV0001", bytes.fromhex(issued.secret_hex))
    assert proc.handle(new.wire("time")).error is None
    assert len(ctx.transaction(lambda uow: device_and_downlinks(uow, 2), read_only=True)) == 1


def test_a_late_uplink_of_the_old_secret_does_not_move_the_new_window(
    ctx, admin, secrets, master_key
):
    build_world(ctx, admin)
    old = add_handheld(ctx, admin, secrets, "GV0001")
    proc = processor(ctx, master_key)
    assert proc.handle(old.wire("time", seq=9000)).error is None
    issued = devices.issue_secret(ctx, admin, "GV0001", secrets)
    new = Handheld("GV0001", bytes.fromhex(issued.secret_hex))
    for _ in range(3):
        assert proc.handle(new.wire("time")).error is None
    assert proc.handle(new.wire("time", seq=2)).error == "replayed"  # replays still refused

    def state(uow):
        device = uow.devices.by_name("GV0001")
        return DeviceLinkRepository(uow.session).in_seq_hi(device.id)

    assert ctx.transaction(state, read_only=True) == 3


def test_issuing_a_secret_is_audited_with_its_generation_and_floor(ctx, admin, secrets):
    build_world(ctx, admin)
    add_handheld(ctx, admin, secrets, "GV0001")
    devices.issue_secret(ctx, admin, "GV0001", secrets)

    def work(uow):
        rows = uow.session.scalars(
            select(AuditRecord.after).where(AuditRecord.action == "device.secret")
        )
        return list(rows)

    after = ctx.transaction(work, read_only=True)
    assert after[-1] == '{"generation":2,"replaced":true,"seq_floor":0}'
    assert "secret" not in after[-1].replace("device.secret", "")


def test_the_message_log_keeps_each_generations_numbers_apart(ctx, admin, secrets, master_key):
    build_world(ctx, admin)
    old = add_handheld(ctx, admin, secrets, "GV0001")
    proc = processor(ctx, master_key)
    proc.handle(old.wire("time"))
    issued = devices.issue_secret(ctx, admin, "GV0001", secrets)
    new = Handheld("GV0001", bytes.fromhex(issued.secret_hex))
    proc.handle(new.wire("time"))

    def work(uow):
        rows = uow.session.scalars(
            select(LinkMessage).where(LinkMessage.direction == "in").order_by(LinkMessage.id)
        )
        return [(m.seq, m.generation) for m in rows]

    assert ctx.transaction(work, read_only=True) == [(1, 1), (1, 2)]
