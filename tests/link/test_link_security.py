"""Forged, replayed, cross-device, oversized and malformed messages: refused with an error
code the handheld can show, logged, and nothing changes (no sale, no money, no crash)."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.link.device_secrets import DeviceSecrets
from server.link.envelope import Envelope
from server.services import devices, ledger_check
from server.storage.repositories.device_link import DeviceLinkRepository
from server.storage.schema import LinkMessage, Sale
from tests.link.kit import add_handheld, build_world, only, processor


@pytest.fixture
def setup(ctx, admin, master_key):
    world = build_world(ctx, admin)
    secrets = DeviceSecrets(master_key)
    a = add_handheld(ctx, admin, secrets, "GV0001")
    b = add_handheld(ctx, admin, secrets, "GV0002")
    return world, a, b, processor(ctx, master_key)


def sale_count(ctx) -> int:
    return ctx.transaction(lambda uow: uow.session.query(Sale).count(), read_only=True)


def rejects(ctx) -> list[tuple[str, str]]:
    def work(uow):
        rows = uow.session.query(LinkMessage).filter(LinkMessage.outcome != "accepted")
        return [(r.device_name, r.outcome) for r in rows if r.direction == "in"]

    return ctx.transaction(work, read_only=True)


def assert_nothing_changed(ctx, admin, sales_before: int = 0) -> None:
    assert sale_count(ctx) == sales_before
    assert ledger_check.check(ctx, admin).ok


def test_a_message_altered_after_signing_is_refused(ctx, admin, setup):
    world, a, _, proc = setup
    wire = a.wire("sale", a.sale(1, world.meter, 1000))
    forged = wire.replace(b'"amount":1000', b'"amount":9000')
    handled = proc.handle(forged)
    error = only(handled)
    assert (handled.error, error.kind, error.mac) == ("bad_mac", "error", "")
    assert error.body == {"code": "bad_mac", "text": "signature wrong", "re": 1}
    assert_nothing_changed(ctx, admin)
    assert rejects(ctx) == [("GV0001", "bad_mac")]


def test_a_message_signed_with_another_devices_secret_is_refused(ctx, admin, setup):
    world, a, b, proc = setup
    posing = Envelope("GV0001", 1, 0, "sale", a.sale(1, world.meter, 1000)).sign(b.secret)
    assert proc.handle(posing.to_wire()).error == "bad_mac"
    assert_nothing_changed(ctx, admin)


def test_an_unknown_device_is_refused_and_not_logged_in_the_database(ctx, admin, setup):
    world, _, _, proc = setup
    stranger = Envelope("GV9999", 1, 0, "hello", {}).sign(bytes(32))
    handled = proc.handle(stranger.to_wire())
    error = only(handled)
    assert (handled.error, error.device, error.body["code"]) == (
        "unknown_device",
        "GV9999",
        "unknown_device",
    )
    assert rejects(ctx) == []  # strangers could otherwise fill the database


def test_a_disabled_device_is_refused_until_enabled_again(ctx, admin, setup):
    world, a, _, proc = setup
    devices.set_enabled(ctx, admin, "GV0001", False)
    handled = proc.handle(a.wire("sale", a.sale(1, world.meter, 1000)))
    error = only(handled, a.secret)  # signed: the device can trust it
    assert error.body["code"] == "device_disabled"
    assert_nothing_changed(ctx, admin)
    devices.set_enabled(ctx, admin, "GV0001", True)
    answer = only(proc.handle(a.wire("sale", a.sale(1, world.meter, 1000))), a.secret)
    assert answer.kind == "result"


def test_a_replayed_sequence_number_is_refused(ctx, admin, setup):
    world, a, _, proc = setup
    first = a.wire("sale", a.sale(1, world.meter, 1000))
    assert only(proc.handle(first)).kind == "result"
    again = proc.handle(first)
    assert only(again, a.secret).body == {"code": "replayed", "text": "message repeated", "re": 1}
    other_body_same_seq = a.wire("sale", a.sale(2, world.meter, 500), seq=1)
    assert proc.handle(other_body_same_seq).error == "replayed"
    assert sale_count(ctx) == 1
    assert ledger_check.check(ctx, admin).ok


def test_sequence_numbers_far_below_the_newest_are_refused_unread(ctx, admin, setup):
    world, a, _, proc = setup
    assert proc.handle(a.wire("time", seq=10_000)).error is None
    assert proc.handle(a.wire("time", seq=10_000 - 4096)).error == "replayed"
    assert proc.handle(a.wire("time", seq=9_000)).error is None  # late, inside the window


def test_a_device_cannot_name_another_devices_sale(ctx, admin, setup):
    world, a, b, proc = setup
    body = b.sale(1, world.meter, 1000)  # id GV0002-000001
    handled = proc.handle(a.wire("sale", body))
    assert only(handled, a.secret).body["code"] == "bad_body"
    assert_nothing_changed(ctx, admin)


def test_a_message_on_another_devices_topic_is_refused(ctx, admin, setup):
    world, a, _, proc = setup
    handled = proc.handle(a.wire("hello", {}), topic_device="GV0002")
    assert handled.error == "wrong_topic" and handled.device == "GV0002"


def test_an_oversized_message_is_refused_unread(ctx, admin, setup):
    world, a, _, proc = setup
    huge = a.wire("hello", {"fw": "x" * 20_000})
    handled = proc.handle(huge)
    assert handled.error == "too_large"
    assert only(handled).body["code"] == "too_large"


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not json",
        b"\xff\xfe",
        b"[1,2,3]",
        b'{"v":1}',
        b'{"v":1,"d":"GV0001","n":1,"t":0,"y":"sale","b":{},"m":"","x":1}',
        b'{"v":2,"d":"GV0001","n":1,"t":0,"y":"sale","b":{},"m":""}',
        b'{"v":1,"d":"GV 01","n":1,"t":0,"y":"sale","b":{},"m":""}',
        b'{"v":1,"d":"GV0001","n":1.5,"t":0,"y":"sale","b":{},"m":""}',
        b'{"v":1,"d":"GV0001","n":-1,"t":0,"y":"sale","b":{},"m":""}',
        b'{"v":1,"d":"GV0001","n":1,"n":2,"t":0,"y":"sale","b":{},"m":""}',
        b'{"v":1,"d":"GV0001","n":1,"t":0,"y":"sale","b":[],"m":""}',
        b'{"v":1,"d":"GV0001","n":1,"t":NaN,"y":"sale","b":{},"m":""}',
        b'{"v":1,"d":"GV0001","n":1,"t":0,"y":"sale","b":' + b"[" * 5000 + b"]" * 5000 + b"}",
    ],
)
def test_malformed_messages_are_refused_with_a_code(ctx, admin, setup, data):
    _, _, _, proc = setup
    handled = proc.handle(data)
    assert handled.error == "malformed"
    assert only(handled).body["code"] == "malformed"


@pytest.mark.parametrize(
    "body",
    [
        {"id": "GV0001-000001", "meter": "1234", "amount": -5},
        {"id": "GV0001-000001", "meter": "1234", "amount": 5, "surprise": 1},
        {"id": "GV0001-abc", "meter": "1234", "amount": 5},
        {"id": "GV0001-000001", "meter": "12ab", "amount": 5},
        {"id": "GV0001-000001", "meter": "1234", "amount": True},
        {"id": "GV0001-000001", "meter": "1234", "amount": 5, "off": 7},
    ],
)
def test_a_signed_sale_with_a_wrong_field_is_refused(ctx, admin, setup, body):
    _, a, _, proc = setup
    handled = proc.handle(a.wire("sale", body))
    assert only(handled, a.secret).body["code"] == "bad_body"
    assert_nothing_changed(ctx, admin)


def test_an_unknown_type_is_refused(ctx, admin, setup):
    _, a, _, proc = setup
    assert only(proc.handle(a.wire("reboot")), a.secret).body["code"] == "unknown_type"


def test_refused_messages_do_not_use_up_their_sequence_number(ctx, admin, setup):
    # A forged copy must not block the real message with the same number.
    world, a, _, proc = setup
    real = a.wire("sale", a.sale(1, world.meter, 1000))
    forged = real.replace(b'"amount":1000', b'"amount":9000')
    assert proc.handle(forged).error == "bad_mac"
    assert proc.handle(real).error is None
    assert sale_count(ctx) == 1


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20) | st.floats(),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=20,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    noise=st.binary(max_size=300),
    body=st.dictionaries(
        st.sampled_from(["id", "meter", "amount", "off", "sales", "ids", "x"]), json_values
    ),
    kind=st.sampled_from(
        ["sale", "batch", "ack", "hello", "lookup", "config", "time", "poll", "?"]
    ),
)
def test_nothing_a_device_sends_crashes_the_processor(ctx, admin, setup, noise, body, kind):
    world, a, _, proc = setup
    assert proc.handle(noise).error is not None
    try:
        wire = a.wire(kind, json.loads(json.dumps(body)))
    except ValueError:
        return  # floats cannot even be signed: the canonical encoding refuses them
    handled = proc.handle(wire)
    assert handled.wires or handled.poll is not None
    assert ledger_check.check(ctx, admin).ok


def test_rejects_are_in_the_message_log_with_their_code(ctx, admin, setup):
    world, a, _, proc = setup
    proc.handle(a.wire("reboot"))
    proc.handle(b"garbage")
    logged = ctx.transaction(
        lambda uow: [m.outcome for m in DeviceLinkRepository(uow.session).messages(None)],
        read_only=True,
    )
    assert "unknown_type" in logged
