"""config.json: a good file loads with defaults; every bad field is named.

Runs under CPython and under real MicroPython (tests/micropython).
"""

import json

import config
from casekit import fresh_dir, raises
from vendkit import SALT

HASH = "ab" * 32


def _raw(**changes):
    raw = {
        "device_id": "HH0042",
        "utility": "Kijiji Power",
        "currency": "KES",
        "amount_min": 5000,
        "amount_max": 2000000,
        "vendors": [{"id": "V007", "name": "Amina", "salt": SALT, "pin_hash": HASH}],
    }
    for key in changes:
        if changes[key] is None:
            del raw[key]
        else:
            raw[key] = changes[key]
    return raw


def _problem(raw):
    with raises(config.ConfigError) as caught:
        config.validate(raw)
    return caught.value.field, str(caught.value)


def test_a_good_config_gets_defaults():
    cfg = config.validate(_raw())
    assert cfg["language"] == "en"
    assert cfg["minor_digits"] == 2
    assert cfg["answer_timeout_s"] == 30
    assert cfg["server"] == {}
    assert cfg["printer_codepage"] == "cp858"
    assert cfg["seq_floor"] == 0  # a new device: its sales start at 1
    assert cfg["vendors"][0]["id"] == "V007"


def test_the_sequence_floor_and_the_tls_settings_are_taken():
    cfg = config.validate(_raw(seq_floor=41))
    assert cfg["seq_floor"] == 41
    server = {"host": "broker.example.org", "tls": True, "ca": "/ca.der", "url": "https://x"}
    assert config.validate(_raw(server=server))["server"] == server


def test_missing_and_unknown_fields_are_named():
    assert _problem(_raw(device_id=None)) == ("device_id", "device_id: missing")
    assert _problem(_raw(amout_max=5))[0] == "amout_max"
    assert "spelling" in _problem(_raw(amout_max=5))[1]


def test_wrong_values_say_what_is_wrong():
    cases = (
        (_raw(device_id="HH 42"), "device_id", "found ' '"),
        (_raw(device_id=""), "device_id", "1 to 16 characters"),
        (_raw(utility=7), "utility", "must be text"),
        (_raw(language="de"), "language", "en, fr, sw"),
        (_raw(printer_codepage="cp1252"), "printer_codepage", "cp437, cp850"),
        (_raw(amount_min=50.5), "amount_min", "whole number"),
        (_raw(amount_max=True), "amount_max", "whole number"),
        (_raw(amount_min=0), "amount_min", "between 1 and"),
        (_raw(amount_min=300000, amount_max=200000), "amount_min", "above amount_max"),
        (_raw(minor_digits=4), "minor_digits", "between 0 and 3"),
        (_raw(answer_timeout_s=1), "answer_timeout_s", "between 5 and 600"),
        (_raw(vendors=[]), "vendors", "at least one"),
        (_raw(server={"hots": "x"}), "server.hots", "unknown field"),
        (_raw(server={"port": "1883"}), "server.port", "wrong type"),
        (_raw(server={"port": 70000}), "server.port", "wrong type"),
        (_raw(server={"tls": "yes"}), "server.tls", "wrong type"),
        (_raw(server={"tls": True, "ca": 7}), "server.ca", "wrong type"),
        (_raw(seq_floor=-1), "seq_floor", "between 0 and"),
        (_raw(seq_floor="41"), "seq_floor", "whole number"),
        (_raw(seq_floor=True), "seq_floor", "whole number"),
        (_raw(seq_floor=4.0), "seq_floor", "whole number"),
    )
    for raw, field, words in cases:
        got_field, message = _problem(raw)
        assert got_field == field, (field, got_field, message)
        assert words in message, (field, message)


def test_vendor_entries_are_checked_one_by_one():
    good = {"id": "V1", "name": "Amina", "salt": SALT, "pin_hash": HASH}

    def vendor(**changes):
        v = dict(good)
        for key in changes:
            v[key] = changes[key]
        return v

    cases = (
        ([vendor(salt="xyz0")], "vendors[0].salt", "hex"),
        ([vendor(salt="0011")], "vendors[0].salt", "at least 8 bytes"),
        ([vendor(pin_hash="ab")], "vendors[0].pin_hash", "64 hex digits"),
        ([vendor(), vendor()], "vendors[1].id", "repeats"),
        ([vendor(rounds=0)], "vendors[0].rounds", "1 to 100000"),
        ([vendor(pin="1234")], "vendors[0].pin", "unknown field"),
        ([{"id": "V1"}], "vendors[0].name", "missing"),
    )
    for vendors, field, words in cases:
        got_field, message = _problem(_raw(vendors=vendors))
        assert got_field == field, (field, got_field)
        assert words in message, message


def test_load_reports_a_missing_or_broken_file():
    directory = fresh_dir()
    with raises(config.ConfigError, "no config file at " + directory + "/config.json"):
        config.load(directory + "/config.json")
    with open(directory + "/config.json", "w") as f:
        f.write("{not json")
    with raises(config.ConfigError, "not valid JSON"):
        config.load(directory + "/config.json")
    with open(directory + "/config.json", "w") as f:
        f.write(json.dumps(_raw(language="sw")))
    assert config.load(directory + "/config.json")["language"] == "sw"
