"""Pruning the link's message log: old rows no device needs go; undelivered downlinks, the
uplinks inside the replay window and every sale outcome stay; replays are still refused."""

import time
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from gridvend.cli import cli
from server.link import prune
from server.link.device_secrets import DeviceSecrets
from server.link.processor import REPLAY_WINDOW
from server.services import devices
from server.storage.schema import DeviceSaleOutcome, LinkMessage
from tests.link.kit import Handheld, add_handheld, build_world, downlinks, processor

KEEP = timedelta(days=30)


@pytest.fixture
def setup(ctx, admin, master_key):
    world = build_world(ctx, admin, float_minor=100_000)
    secrets = DeviceSecrets(master_key)
    hh = add_handheld(ctx, admin, secrets, "GV0001")
    return world, hh, processor(ctx, master_key), secrets


def log_rows(ctx) -> list[tuple[str, int | None, str, int]]:
    def work(uow):
        rows = uow.session.scalars(select(LinkMessage).order_by(LinkMessage.id))
        return [(m.direction, m.seq, m.outcome, m.generation) for m in rows]

    return ctx.transaction(work, read_only=True)


def outcomes(ctx) -> int:
    return ctx.transaction(
        lambda uow: uow.session.scalar(select(func.count()).select_from(DeviceSaleOutcome)),
        read_only=True,
    )


def test_only_what_no_device_needs_is_pruned(ctx, admin, clock, setup):
    world, hh, proc, _ = setup
    sale = hh.wire("sale", hh.sale(1, world.meter, 1000))
    (result,) = downlinks(proc.handle(sale), hh.secret)  # in 1, out 1 (the result)
    proc.handle(hh.wire("lookup", {"meter": "x"}))  # refused: bad_body (no seq)
    proc.handle(hh.wire("time"))  # in 2, out 2 (time), which it will not report seeing
    assert outcomes(ctx) == 1
    clock.advance(days=40)
    # The device shows it holds downlink 1 (the result, whose snapshot it reports).
    proc.handle(hh.wire("ack", {"ids": ["GV0001-000001"], "off": [result.seq, 0, 0, 0]}))
    assert prune.prune(ctx, admin, KEEP) == 2  # the reject, and the delivered result
    kept = log_rows(ctx)
    assert ("in", None, "bad_body", 1) not in kept
    assert ("out", 1, "sent", 1) not in kept
    assert ("out", 2, "sent", 1) in kept  # not shown delivered: kept, however old
    assert [r for r in kept if r[0] == "in"] == [("in", n, "accepted", 1) for n in (1, 3, 4)]
    assert outcomes(ctx) == 1  # outcomes are not messages
    # Replays are still refused: the uplinks inside the window were kept.
    assert proc.handle(sale).error == "replayed"


def test_uplinks_below_the_replay_window_go_and_stay_refused(ctx, admin, clock, setup):
    _, hh, proc, _ = setup
    early = [hh.wire("time") for _ in range(3)]
    for wire in early:
        proc.handle(wire)
    clock.advance(days=40)
    proc.handle(hh.wire("time", seq=REPLAY_WINDOW + 3))  # 1..3 are now below the window
    before = len(log_rows(ctx))
    gone = prune.prune(ctx, admin, KEEP)
    ins = [r[1] for r in log_rows(ctx) if r[0] == "in"]
    assert ins == [REPLAY_WINDOW + 3]
    assert gone == 3 + 0  # the early uplinks; their time answers were never shown delivered
    assert len(log_rows(ctx)) == before - 3
    for wire in early:
        assert proc.handle(wire).error == "replayed"  # the window refuses them unread


def test_a_replaced_secrets_messages_go_when_old(ctx, admin, clock, setup):
    world, hh, proc, secrets = setup
    proc.handle(hh.wire("sale", hh.sale(1, world.meter, 1000)))
    issued = devices.issue_secret(ctx, admin, "GV0001", secrets)
    new = Handheld("GV0001", bytes.fromhex(issued.secret_hex))
    assert prune.prune(ctx, admin, KEEP) == 0  # not old yet
    clock.advance(days=31)
    proc.handle(new.wire("time"))
    assert prune.prune(ctx, admin, KEEP) == 2  # generation 1's uplink and result
    assert log_rows(ctx) == [("in", 1, "accepted", 2), ("out", 2, "sent", 2)]
    assert outcomes(ctx) == 1


def test_an_http_poll_marks_downlinks_delivered(ctx, admin, clock, setup):
    _, hh, proc, _ = setup
    proc.handle(hh.wire("time"))
    proc.handle(hh.wire("time"))
    clock.advance(days=40)
    proc.handle(hh.wire("poll", {"after": 1, "wait": 0}))
    assert prune.prune(ctx, admin, KEEP) == 1
    assert [r[1] for r in log_rows(ctx) if r[0] == "out"] == [2]
    # A device cannot mark more delivered than was sent.
    proc.handle(hh.wire("poll", {"after": 10**9, "wait": 0}))
    clock.advance(days=40)
    assert prune.prune(ctx, admin, KEEP) == 1
    assert [r[1] for r in log_rows(ctx) if r[0] == "out"] == []


def test_pruning_runs_in_batches(ctx, admin, clock, setup):
    _, hh, proc, _ = setup
    for _ in range(7):
        proc.handle(hh.wire("lookup", {"meter": "x"}))  # rejects
    clock.advance(days=40)
    assert prune.prune(ctx, admin, KEEP, batch=3) == 7


def test_the_pruner_thread_prunes_at_once_and_then_every_interval(ctx, admin, clock, setup):
    _, hh, proc, _ = setup
    proc.handle(hh.wire("lookup", {"meter": "x"}))
    clock.advance(days=40)
    pruner = prune.Pruner(ctx, admin, keep=KEEP, every_s=3600)
    pruner.start()
    try:
        for _ in range(200):
            if pruner.runs:
                break
            time.sleep(0.05)
    finally:
        pruner.stop()
    assert pruner.runs == 1
    assert log_rows(ctx) == [r for r in log_rows(ctx) if r[1] is not None]


def test_gridvend_link_prune(ctx, admin, clock, setup, db_url, master_key, monkeypatch):
    _, hh, proc, _ = setup
    proc.handle(hh.wire("lookup", {"meter": "x"}))
    monkeypatch.setenv("GRIDVEND_DB", db_url)
    runner = CliRunner()
    result = runner.invoke(cli, ["link", "prune", "--older-than", "0"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "pruned 1 message(s)" in result.output
    bad = runner.invoke(cli, ["link", "prune", "--older-than", "-1"])
    assert bad.exit_code == 2
