"""The link over HTTP: POST an envelope, get the signed answers back in the response; errors
with a status code and the same body shape; a poll waits for downlinks (long-poll)."""

import json
import threading
import time

import pytest
from fastapi.testclient import TestClient

from server.api.app import create_app
from server.link.device_secrets import DeviceSecrets
from server.link.envelope import Envelope
from server.link.processor import LinkProcessor
from server.services import offline
from tests.link.kit import add_handheld, build_world

URL = "/api/v1/link"


@pytest.fixture
def setup(ctx, admin, master_key):
    world = build_world(ctx, admin)
    hh = add_handheld(ctx, admin, DeviceSecrets(master_key), "GV0001")
    app = create_app(ctx)
    app.state.link_processor = LinkProcessor(ctx, DeviceSecrets(master_key))
    with TestClient(app) as client:
        yield world, hh, client


def messages(response) -> list[dict]:
    return response.json()["messages"]


def test_a_sale_posted_is_answered_in_the_response(setup):
    world, hh, client = setup
    response = client.post(URL, content=hh.wire("sale", hh.sale(1, world.meter, 1000)))
    assert response.status_code == 200
    (answer,) = messages(response)
    envelope = Envelope(
        answer["d"], answer["n"], answer["t"], answer["y"], answer["b"], answer["m"]
    )
    assert envelope.verify(hh.secret) and envelope.kind == "result"


@pytest.mark.parametrize(
    ("make", "status", "code"),
    [
        (lambda hh: b"{{{", 400, "malformed"),
        (lambda hh: hh.wire("sale", {"id": "x"}), 400, "bad_body"),
        (lambda hh: hh.wire("hello", {}).replace(b'"y":"hello"', b'"y":"hellp"'), 401, "bad_mac"),
        (
            lambda hh: Envelope("NOPE", 1, 0, "hi").sign(bytes(32)).to_wire(),
            401,
            "unknown_device",
        ),
        (lambda hh: b"{" + b" " * 20_000 + b"}", 413, "too_large"),
    ],
)
def test_refusals_have_a_status_and_an_error_envelope(setup, make, status, code):
    _, hh, client = setup
    response = client.post(URL, content=make(hh))
    assert response.status_code == status
    (error,) = messages(response)
    assert error["y"] == "error" and error["b"]["code"] == code


def test_a_replay_is_refused_with_409(setup):
    _, hh, client = setup
    wire = hh.wire("time")
    assert client.post(URL, content=wire).status_code == 200
    assert client.post(URL, content=wire).status_code == 409


def test_a_poll_returns_what_is_waiting_at_once(setup):
    world, hh, client = setup
    client.post(URL, content=hh.wire("time"))
    client.post(URL, content=hh.wire("config"))
    response = client.post(URL, content=hh.wire("poll", {"after": 0, "wait": 5}))
    assert [m["n"] for m in messages(response)] == [1, 2]
    response = client.post(URL, content=hh.wire("poll", {"after": 2, "wait": 0}))
    assert messages(response) == []


def test_a_poll_waits_for_the_next_downlink(ctx, admin, setup):
    world, hh, client = setup

    # A downlink made while the poll waits (here: the answer to a request the device made
    # on another connection, after the operator changed its allowance).
    def later():
        time.sleep(0.6)
        offline.set_allowance(ctx, admin, "GV0001", 1000)
        client.post(URL, content=hh.wire("config"))

    pusher = threading.Thread(target=later)
    started = time.monotonic()
    pusher.start()
    response = client.post(URL, content=hh.wire("poll", {"after": 0, "wait": 10}))
    waited = time.monotonic() - started
    pusher.join()
    assert 0.5 < waited < 5
    (config,) = messages(response)
    assert config["y"] == "config" and config["b"]["off"] == [1000, 0]


def test_the_endpoint_is_in_the_openapi_document(setup):
    _, _, client = setup
    assert URL in json.loads(client.get("/openapi.json").text)["paths"]
