"""End to end over MQTT with TLS: certificates from `gridvend broker certs`, Mosquitto's TLS
listener, the real server process, and a simulated handheld whose link settings come from
the very files provisioning puts in its image (config.json with "tls" and "ca", link.json,
/ca.der), read by the firmware's own settings loader. A handheld that trusts another CA
never gets online."""

import asyncio
import json
from pathlib import Path

import pytest

from host.provisioning import firmware_rules
from host.provisioning.device_config import ImageSettings, build_device_files
from host.provisioning.device_record import DeviceRecord
from server.link import tls
from server.link.device_secrets import broker_password
from tests.link.e2e import LinkWorld
from tests.link.handhelds import SimHandheld, quick_timeouts, wait_for


@pytest.fixture(scope="module")
def certs(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("tls")
    tls.write_certs(folder, ["broker.example.org"])
    return folder


@pytest.fixture
def linkworld(db_url, master_key, admin, certs):
    made = LinkWorld.build(db_url, master_key, admin, ["GV0001"], tls_dir=certs)
    yield made
    made.close()


def provisioned_root(linkworld: LinkWorld, name: str, root: Path, ca_file: Path) -> dict:
    """The handheld's files as provisioning writes them; its checked config."""
    assert linkworld.broker is not None
    secret = linkworld.handhelds[name].secret
    record = DeviceRecord(
        device_id=name,
        agent_code="AG1",
        agent_name="Village vendor",
        secret_hex=secret.hex(),
        broker_user=name,
        broker_password=broker_password(secret),
        currency="USD",
        minor_digits=2,
        broker_url=f"mqtts://localhost:{linkworld.broker.device_port}",
    )
    files = build_device_files(record, ImageSettings(vendor_pin="2468", ca_file=ca_file))
    root.mkdir(parents=True, exist_ok=True)
    for path, data in files.as_files().items():
        (root / path).write_bytes(data)
    return firmware_rules.validate_config(json.loads(files.config_json))


def firmware_link_settings():
    """The firmware's own loader of config.json's "server" and link.json (device/ is on
    sys.path): link.load(root, cfg), or link.settings.load in older firmware."""
    import link

    found = getattr(link, "load", None)
    if found is None:
        from link import settings

        found = settings.load
    return found


def tls_handheld(linkworld: LinkWorld, name: str, root: Path, ca_file: Path) -> SimHandheld:
    cfg = provisioned_root(linkworld, name, root, ca_file)
    assert cfg["server"]["tls"] is True and cfg["server"]["ca"] == "/ca.der"
    loaded = firmware_link_settings()(str(root), cfg)
    assert loaded["mqtt"] is not None and loaded["mqtt"]["port"] == linkworld.broker.device_port
    return SimHandheld(
        name, linkworld.handhelds[name].secret, str(root), mqtt=loaded["mqtt"], http=None
    )


def test_a_handheld_sells_over_tls(linkworld, tmp_path, certs, monkeypatch):
    quick_timeouts(monkeypatch)
    linkworld.start_server()

    async def scenario():
        hh = tls_handheld(linkworld, "GV0001", tmp_path / "GV0001", certs / "ca.pem")
        hh.start()
        await wait_for(hh.link.online, 20, "the TLS link to come up")
        for amount in (1000, 500):
            assert hh.sell(linkworld.meters[0], amount) is not None
        await wait_for(lambda: not hh.unfinished(), 30, "sales answered, printed, acknowledged")
        await hh.stop()
        return hh

    hh = asyncio.run(scenario())
    assert len(hh.printed) == 2
    assert hh.tokens == linkworld.server_tokens("GV0001")
    assert linkworld.books_problems() == []


def test_a_handheld_trusting_another_ca_stays_offline(linkworld, tmp_path, monkeypatch):
    quick_timeouts(monkeypatch)
    linkworld.start_server()
    other = tmp_path / "other"
    tls.write_certs(other, ["broker.example.org"])

    async def scenario():
        hh = tls_handheld(linkworld, "GV0001", tmp_path / "GV0001", other / "ca.der")
        hh.start()
        await asyncio.sleep(4)
        online = hh.link.online()
        await hh.stop()
        return online

    assert asyncio.run(scenario()) is False
    assert linkworld.server_tokens("GV0001") == {}
