"""Handhelds on the pages: what their last hello over the device link said, silence on the
dashboard, enabling and disabling, the offline allowance."""

import pytest

from server import demo
from server.link.device_secrets import DeviceSecrets
from server.link.envelope import Envelope
from server.link.processor import LinkProcessor
from server.services import agents, devices
from tests.web.browsing import send_form
from tests.web.pages_html import text_of

LINK = "/api/v1/link"


@pytest.fixture
def handheld(app, world, template):
    """A handheld of AG001 with its secret, and a way to send a signed hello as it."""
    secrets = DeviceSecrets(template.master_key)
    app.state.link_processor = LinkProcessor(world.ctx, secrets)
    agents.add_device(world.ctx, demo.SYSTEM, "AG001", "HH-0001")
    secret = bytes.fromhex(
        devices.issue_secret(world.ctx, demo.SYSTEM, "HH-0001", secrets).secret_hex
    )
    sent = {"seq": 0}

    def hello(client, **status) -> None:
        sent["seq"] += 1
        body = {
            "fw": "1.4.2",
            "bat": 81,
            "paper": "ok",
            "queue": 0,
            "heap": 61_440,
            "sig": 4,
            "tr": "http",
        }
        body.update(status)
        wire = Envelope("HH-0001", sent["seq"], 1_763_700_000, "hello", body).sign(secret).to_wire()
        answer = client.post(LINK, content=wire)
        assert answer.status_code == 200, answer.text

    return hello


def test_the_last_hello_shows_on_the_handhelds_page(as_admin, handheld):
    handheld(as_admin, queue=3, bat=64)
    row = text_of(as_admin.get("/handhelds").text, "HH-0001")
    assert "HH-0001 AG001 yes 2025-03-14 09:26 1.4.2 64 % ok 3 4/5 60 KiB http" in row
    assert "silent" not in row


def test_a_handheld_goes_silent_on_the_dashboard_and_its_queue_is_counted(
    as_admin, handheld, clock
):
    page = as_admin.get("/").text
    assert "HH-0001" in text_of(page, "silent-handhelds")  # registered, never heard from
    assert "never" in text_of(page, "silent-handhelds")
    handheld(as_admin, queue=2)
    page = as_admin.get("/").text
    assert 'id="silent-handhelds"' not in page
    assert text_of(page, "queued") == "2"
    clock.advance(minutes=59)
    assert 'id="silent-handhelds"' not in as_admin.get("/").text
    clock.advance(minutes=2)
    silent = text_of(as_admin.get("/").text, "silent-handhelds")
    assert "HH-0001 AG001 2025-03-14 09:26 2" in silent
    handheld(as_admin)  # it speaks again
    assert 'id="silent-handhelds"' not in as_admin.get("/").text


def test_a_disabled_handheld_is_refused_by_the_link_and_not_counted_silent(as_admin, handheld):
    page = send_form(as_admin, "/handhelds", "/handhelds/HH-0001/enabled", {"enabled": "no"})
    assert "Handheld disabled" in page.text
    with pytest.raises(AssertionError, match="device_disabled"):
        handheld(as_admin)
    assert 'id="silent-handhelds"' not in as_admin.get("/").text
    page = send_form(as_admin, "/handhelds", "/handhelds/HH-0001/enabled", {"enabled": "yes"})
    assert "Handheld enabled" in page.text
    audit = as_admin.get("/audit?q=HH-0001").text
    assert "device.disable" in audit and "device.enable" in audit


def test_the_offline_allowance_is_reserved_from_the_float(as_admin, handheld, world):
    page = send_form(as_admin, "/handhelds", "/handhelds/HH-0001/allowance", {"amount": "40"})
    assert "Offline allowance set" in page.text
    row = text_of(page.text, "HH-0001")
    assert row.endswith("40.00 40.00 40.00")  # allowance, reserved, may sell offline
    assert agents.get_agent(world.ctx, demo.SYSTEM, "AG001").balance == 5000 - 40


def test_a_cashier_sees_handhelds_but_cannot_change_them(as_role, handheld):
    cara = as_role("cara")
    page = cara.get("/handhelds")
    assert page.status_code == 200 and "Change a handheld" not in page.text
    refused = send_form(cara, "/handhelds", "/handhelds/HH-0001/enabled", {"enabled": "no"})
    assert refused.status_code == 403
