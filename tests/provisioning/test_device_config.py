"""config.json is what the firmware's own checker accepts; link.json carries the secret and
the network settings; every bad setting is refused with a sentence naming it."""

import json
from dataclasses import replace

import pytest

from host.provisioning import firmware_rules
from host.provisioning.device_config import ImageSettings, build_device_files
from host.provisioning.device_record import load_record, save_record
from host.provisioning.errors import ProvisioningError


def test_config_json_passes_the_firmwares_own_validation(record):
    files = build_device_files(record, ImageSettings(language="sw", vendor_pin="2468"))
    config = json.loads(files.config_json)
    checked = firmware_rules.validate_config(config)
    assert checked["device_id"] == "HH-0001"
    assert checked["language"] == "sw"
    assert checked["currency"] == "KES" and checked["minor_digits"] == 2
    assert checked["server"] == {
        "url": "https://vend.example.org",
        "host": "broker.example.org",
        "port": 8883,
        "tls": True,
        "topic_prefix": "gridvend",
    }
    assert "secret" not in files.config_json.decode()  # secrets only in link.json


def test_the_vendor_pin_is_stored_only_as_the_firmwares_salted_hash(record):
    files = build_device_files(record, ImageSettings(vendor_pin="2468"))
    vendor = json.loads(files.config_json)["vendors"][0]
    assert vendor["id"] == "V001" and vendor["name"] == "Amina Vendor"
    assert "2468" not in files.config_json.decode()
    assert vendor["pin_hash"] == firmware_rules.pin_hash(vendor["salt"], "2468", vendor["rounds"])
    find_vendor = firmware_rules.device_module("vend/pin.py").find_vendor
    assert find_vendor([vendor], "2468") == vendor
    assert find_vendor([vendor], "2469") is None


def test_a_pin_is_generated_when_none_is_given(record):
    files = build_device_files(record, ImageSettings())
    assert files.generated_pin is not None and len(files.generated_pin) == 6
    vendor = json.loads(files.config_json)["vendors"][0]
    assert vendor["pin_hash"] == firmware_rules.pin_hash(
        vendor["salt"], files.generated_pin, vendor["rounds"]
    )


def test_link_json_carries_secret_broker_credentials_wifi_and_apn(record):
    settings = ImageSettings(wifi="Shop Wifi:pa:ss:word", apn="internet.example", vendor_pin="1234")
    link = json.loads(build_device_files(record, settings).link_json)
    assert link == {
        "device_id": "HH-0001",
        "secret": "5e" * 32,
        "mqtt": {"user": "HH-0001", "password": "broker-password-1"},
        "wifi": {"ssid": "Shop Wifi", "password": "pa:ss:word"},
        "apn": "internet.example",
    }


def test_without_a_broker_there_are_no_mqtt_credentials(record):
    http_only = replace(record, broker_url="")
    files = build_device_files(http_only, ImageSettings(vendor_pin="1234"))
    assert json.loads(files.link_json)["mqtt"] is None
    assert "host" not in json.loads(files.config_json)["server"]


@pytest.mark.parametrize(
    ("settings", "kind", "says"),
    [
        (ImageSettings(wifi="no-colon"), "bad_wifi", "SSID:PASSWORD"),
        (ImageSettings(wifi="net:short"), "bad_wifi", "8 to 63"),
        (ImageSettings(broker_url="http://broker"), "bad_broker", "mqtt://host"),
        (ImageSettings(broker_url="mqtt://broker:port"), "bad_broker", "not a number"),
        (ImageSettings(server_url="ftp://x"), "bad_server_url", "http://"),
        (ImageSettings(apn='in"ternet'), "bad_apn", "no quotes"),
        (ImageSettings(vendor_pin="12"), "bad_pin", "4 to 8 digits"),
        (ImageSettings(language="de"), "bad_config", "language: must be one of en, fr, sw"),
        (ImageSettings(amount_min=500, amount_max=100), "bad_config", "amount_min"),
    ],
)
def test_bad_settings_are_refused_naming_what_is_wrong(record, settings, kind, says):
    settings = replace(settings, vendor_pin=settings.vendor_pin or "1234")
    with pytest.raises(ProvisioningError) as err:
        build_device_files(record, settings)
    assert err.value.kind == kind
    assert says in str(err.value)


def test_a_device_needs_some_server(record):
    nowhere = replace(record, server_url="", broker_url="")
    with pytest.raises(ProvisioningError) as err:
        build_device_files(nowhere, ImageSettings(vendor_pin="1234"))
    assert err.value.kind == "no_server"


def test_an_agent_code_the_handheld_cannot_hold_is_refused(record):
    with pytest.raises(ProvisioningError) as err:
        build_device_files(replace(record, agent_code="A" * 17), ImageSettings(vendor_pin="1234"))
    assert err.value.kind == "bad_agent_code"


def test_the_record_store_keeps_secrets_private_and_names_a_missing_device(record, tmp_path):
    path = save_record(tmp_path, record)
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_record(tmp_path, "HH-0001") == record
    with pytest.raises(ProvisioningError) as err:
        load_record(tmp_path, "HH-0002")
    assert err.value.kind == "not_registered"
    assert "gridvend device register" in str(err.value)
    with pytest.raises(ProvisioningError) as err:
        load_record(tmp_path, "../etc/passwd")
    assert err.value.kind == "bad_device_id"
