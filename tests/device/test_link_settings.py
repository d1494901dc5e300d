"""The link's settings on the device (device/link/__init__.py: load): config.json's "server"
with or without TLS, link.json, and the CA file; every mistake a clear ValueError that
safe mode shows, never a crash."""

import json
import ssl

import link
import main
import pytest
from link import LinkSettingsError

from tests.device.test_config_safe_mode import Screen
from tests.device.tls_kit import make_certs
from tests.device.vendkit import raw_config

SECRET = "ab" * 32


@pytest.fixture(scope="module")
def ca_der(tmp_path_factory):
    return make_certs(tmp_path_factory.mktemp("ca")).ca_der.read_bytes()


def provision(root, server, ca=None, ca_path="ca.der", login=True):
    """root as provisioning leaves it: link.json, and the CA file when given."""
    root.mkdir(parents=True, exist_ok=True)
    mqtt = {"user": "GV0001", "password": "pw"} if login else None
    (root / "link.json").write_text(
        json.dumps({"device_id": "GV0001", "secret": SECRET, "mqtt": mqtt, "wifi": None})
    )
    if ca is not None:
        (root / ca_path).parent.mkdir(parents=True, exist_ok=True)
        (root / ca_path).write_bytes(ca)
    return {"device_id": "GV0001", "server": server}


def test_plain_mqtt_and_http_have_no_tls(tmp_path):
    cfg = provision(tmp_path, {"host": "broker.example.org", "url": "http://vend.example.org"})
    loaded = link.load(str(tmp_path), cfg)
    assert loaded["secret"] == bytes.fromhex(SECRET)
    assert loaded["mqtt"] == {
        "host": "broker.example.org", "port": 1883, "user": "GV0001", "password": "pw",
        "prefix": "gridvend", "tls": None,
    }  # fmt: skip
    assert loaded["http"] == {
        "host": "vend.example.org", "port": 80, "path": "/api/v1/link", "tls": None,
    }  # fmt: skip


def test_tls_loads_the_ca_and_defaults_to_port_8883_and_https(tmp_path, ca_der):
    server = {"host": "broker.example.org", "tls": True, "url": "https://vend.example.org/gv"}
    loaded = link.load(str(tmp_path), provision(tmp_path, server, ca=ca_der))
    context = loaded["mqtt"]["tls"]
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert context.get_ca_certs(binary_form=True) == [ca_der]  # that CA, and only it
    assert loaded["mqtt"]["port"] == 8883
    assert loaded["http"] == {
        "host": "vend.example.org", "port": 443, "path": "/gv/api/v1/link", "tls": context,
    }  # fmt: skip


def test_the_ca_path_and_ports_can_be_given(tmp_path, ca_der):
    server = {"host": "b.example.org", "port": 9883, "tls": True, "ca": "/certs/link-ca.der",
              "url": "https://v.example.org:8443"}  # fmt: skip
    cfg = provision(tmp_path, server, ca=ca_der, ca_path="certs/link-ca.der")
    loaded = link.load(str(tmp_path), cfg)
    assert loaded["mqtt"]["port"] == 9883
    assert (loaded["http"]["host"], loaded["http"]["port"]) == ("v.example.org", 8443)


@pytest.mark.parametrize(
    ("server", "ca", "message"),
    [
        ({"host": "b", "tls": True}, None, "server.ca: no CA certificate at /ca.der"),
        ({"host": "b", "tls": True, "ca": "/x.der"}, b"", "server.ca: no CA certificate at /x.der"),
        (
            {"host": "b", "tls": True},
            b"-----BEGIN nonsense",
            "server.ca: /ca.der is not a DER certificate",
        ),
        ({"url": "http://v", "tls": True}, "ca", "server.url must start with https://"),
        ({"url": "https://v"}, None, "server.url must start with http://"),
    ],
)
def test_tls_mistakes_are_named(tmp_path, ca_der, server, ca, message):
    cfg = provision(tmp_path, server, ca=ca_der if ca == "ca" else ca)
    with pytest.raises(LinkSettingsError, match="^" + message.replace(".", r"\.")):
        link.load(str(tmp_path), cfg)
    assert LinkSettingsError is ValueError  # what main.py catches for safe mode


def test_a_tls_device_without_its_ca_goes_to_safe_mode_saying_so(tmp_path):
    cfg = raw_config(device_id="GV0001", server={"host": "localhost", "tls": True})
    (tmp_path / "config.json").write_text(json.dumps(cfg))
    provision(tmp_path, cfg["server"])
    screen = Screen()
    assert main.boot(str(tmp_path), screen) is None
    assert "SAFE MODE" in screen.text()
    assert "no CA certificate" in " ".join(screen.text().split())
