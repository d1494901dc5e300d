"""Re-provisioning a handheld that has sold: the server issues it a new secret (a new
generation) and says the highest sale number it has from it; the new image's config.json
carries that as "seq_floor" (API and --db alike), and a sale id answered under the old
secret gets no token. With TLS, the image carries the CA as /ca.der and config.json says
"tls" and "ca"."""

import base64
import json
from pathlib import Path

import pytest

from host.provisioning import firmware_rules
from host.provisioning.contents import image_files
from host.provisioning.device_config import ImageSettings, build_device_files
from host.provisioning.device_record import load_record, save_record
from host.provisioning.errors import ProvisioningError
from host.provisioning.image import build_image, read_image
from host.provisioning.partitions import stock_vfs
from host.provisioning.registration import DatabaseRegistrar
from server.link import tls
from server.link.envelope import Envelope
from tests.provisioning import test_registration
from tests.provisioning.test_registration import BROKER, SERVER, registrar
from tests.server.conftest import sqlite_template  # noqa: F401 - a fixture, found by name

SETTINGS = ImageSettings(vendor_pin="2468")
# The registration tests' fixtures: a server (API in-process) on a fresh database.
master_key = test_registration.master_key
server = test_registration.server


@pytest.fixture(scope="module")
def certs(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("tls")
    tls.write_certs(folder, ["broker.example.org"])
    return folder


def post(client, device: str, secret: bytes, seq: int, kind: str, body: dict) -> dict:
    wire = Envelope(device, seq, 1_763_700_000, kind, body).sign(secret).to_wire()
    response = client.post("/api/v1/link", content=wire)
    (answer,) = response.json()["messages"]
    envelope = Envelope(
        answer["d"], answer["n"], answer["t"], answer["y"], answer["b"], answer["m"]
    )
    assert envelope.verify(secret)
    return envelope.body


def sell(client, device: str, secret: bytes, seq: int, number: int, meter: str) -> dict:
    sale = {"id": f"{device}-{number:06d}", "meter": meter, "amount": 1000, "time": 1}
    (item,) = post(client, device, secret, seq, "sale", sale)["results"]
    return item


def image_config(firmware, record, settings=SETTINGS) -> tuple[dict, dict[str, bytes]]:
    files = build_device_files(record, settings)
    image = build_image(image_files(firmware, files.as_files()), stock_vfs("4MB"))
    inside = read_image(image)
    return json.loads(inside["config.json"]), inside


@pytest.mark.parametrize("way", ["api", "db"])
def test_a_reprovisioned_device_numbers_its_sales_above_what_the_server_has(server, firmware, way):
    url, built, client = server
    api = registrar(client)
    first = api.register(built.agent, "HH-0001")
    assert (first.generation, first.seq_floor) == (1, 0)
    config, _ = image_config(firmware, first)
    assert config["seq_floor"] == 0
    old = bytes.fromhex(first.secret_hex)
    tokens = [sell(client, "HH-0001", old, n, n, built.meter)["answer"]["tokens"]
              for n in (1, 2, 3)]  # fmt: skip

    again = (
        api.reissue("HH-0001")
        if way == "api"
        else DatabaseRegistrar(url, SERVER, BROKER).reissue("HH-0001")
    )
    assert (again.generation, again.seq_floor) == (2, 3)
    assert again.secret_hex != first.secret_hex
    config, _ = image_config(firmware, again)
    assert config["seq_floor"] == 3  # the new image's journal starts at sale 4

    new = bytes.fromhex(again.secret_hex)
    reused = sell(client, "HH-0001", new, 1, 2, built.meter)  # a journal ignoring the floor
    assert reused["code"] == "sale_id_reused" and "answer" not in reused
    fresh = sell(client, "HH-0001", new, 2, 4, built.meter)
    assert fresh["answer"]["tokens"] not in tokens
    wire = Envelope("HH-0001", 9, 1, "time", {}).sign(old).to_wire()
    assert client.post("/api/v1/link", content=wire).status_code == 401  # old secret: gone


def test_reissuing_an_unknown_device_says_so(server):
    url, _built, client = server
    with pytest.raises(ProvisioningError) as err:
        registrar(client).reissue("HH-0404")
    assert err.value.kind == "not_registered"
    with pytest.raises(ProvisioningError) as err:
        DatabaseRegistrar(url).reissue("HH-0404")
    assert err.value.kind == "not_registered"


def test_the_server_hands_out_its_tls_ca_with_the_secret(server, firmware, certs, monkeypatch):
    url, built, client = server
    monkeypatch.setenv(tls.ENV_CA_FILE, str(certs / "ca.pem"))
    record = registrar(client).register(built.agent, "HH-0001")
    assert base64.b64decode(record.ca_der_b64) == (certs / "ca.der").read_bytes()
    record = DatabaseRegistrar(url, SERVER, "mqtts://broker.example.org").reissue("HH-0001")
    assert base64.b64decode(record.ca_der_b64) == (certs / "ca.der").read_bytes()
    config, inside = image_config(firmware, record)
    assert inside["ca.der"] == (certs / "ca.der").read_bytes()
    assert config["server"]["tls"] is True and config["server"]["ca"] == "/ca.der"
    assert config["server"]["port"] == 8883
    manifest = json.loads(inside["manifest.json"])
    assert "ca.der" in manifest["config_files"]  # verify checks it on the device


def test_an_image_built_with_tls_has_the_ca_and_the_config_keys(firmware, record, certs):
    config, inside = image_config(
        firmware, record, ImageSettings(vendor_pin="2468", ca_file=certs / "ca.pem")
    )
    assert inside["ca.der"] == (certs / "ca.der").read_bytes()
    assert config["server"] == {
        "host": "broker.example.org",
        "port": 8883,
        "tls": True,
        "ca": "/ca.der",
        "topic_prefix": "gridvend",
        "url": "https://vend.example.org",
    }
    assert firmware_rules.validate_config(config)["seq_floor"] == 0
    # Without a CA there is no ca.der and no "ca".
    config, inside = image_config(firmware, record)
    assert "ca.der" not in inside and "ca" not in config["server"]


def test_a_ca_with_a_plain_broker_or_a_bad_ca_is_refused(record, certs, tmp_path):
    plain = ImageSettings(
        vendor_pin="2468", broker_url="mqtt://broker.example.org", ca_file=certs / "ca.pem"
    )
    with pytest.raises(ProvisioningError) as err:
        build_device_files(record, plain)
    assert err.value.kind == "bad_broker"
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate")
    with pytest.raises(ProvisioningError) as err:
        build_device_files(record, ImageSettings(vendor_pin="2468", ca_file=junk))
    assert err.value.kind == "bad_ca"


def test_the_record_keeps_the_floor_and_the_ca(record, tmp_path, certs):
    from dataclasses import replace

    kept = replace(record, generation=2, seq_floor=41, ca_der_b64="AAAA")
    save_record(tmp_path, kept)
    assert load_record(tmp_path, kept.device_id) == kept
    old = json.loads(kept.to_json())
    for name in ("generation", "seq_floor", "ca_der_b64"):
        del old[name]
    (tmp_path / "HH-0001.json").write_text(json.dumps(old))
    assert load_record(tmp_path, "HH-0001").seq_floor == 0  # a record from before
