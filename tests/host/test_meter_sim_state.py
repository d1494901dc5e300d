"""The meter's JSON state file: a faithful round trip, atomic saves, clear refusals."""

from __future__ import annotations

import json
import os
import stat
from decimal import Decimal
from pathlib import Path

import pytest

from host.meter_sim import MeterSim, MeterSimError, load_meter, save_meter, to_state
from server.sts import credit_token, max_power_token

PAN1 = "600727000000000009"
KEY = bytes.fromhex("0123456789abcdef")


def busy_meter() -> MeterSim:
    """A meter with something in every part of its state."""
    meter = MeterSim.create(
        pan=PAN1, key=KEY, kt=2, sgc=123456, ti=7, krn=3, ken=200, memory_size=4,
        manufactured_tid=50, mfr_code=77, max_credit=Decimal("5000.0"),
        max_token=Decimal("900.5"), rollover_base=2035,
    )  # fmt: skip
    meter.enter(credit_token(KEY, tid=100, amount="12.3").digits)
    meter.enter(max_power_token(KEY, tid=101, watts=4000).digits)
    meter.detect_tamper()
    return meter


def test_round_trip_keeps_everything(tmp_path: Path) -> None:
    meter = busy_meter()
    path = tmp_path / "meter.json"
    save_meter(meter, path)
    loaded = load_meter(path)
    assert loaded == meter
    assert to_state(loaded) == to_state(meter)
    # And it behaves the same: the TID it took before is still Used.
    assert loaded.enter(credit_token(KEY, tid=100, amount="12.3").digits).name == "Used"


def test_file_holds_decimals_as_strings_and_the_key_in_hex(tmp_path: Path) -> None:
    path = tmp_path / "meter.json"
    save_meter(busy_meter(), path)
    state = json.loads(path.read_text())
    assert state["credit"] == "12.3"
    assert state["max_credit"] == "5000.0"
    assert state["key_hex"] == KEY.hex()
    assert state["tid_memory"] == [50, 50, 100, 101]
    assert "in the clear" in state["note"]


def test_save_is_owner_only_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "meter.json"
    save_meter(busy_meter(), path)
    save_meter(busy_meter(), path)
    assert [p.name for p in tmp_path.iterdir()] == ["meter.json"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_failed_save_keeps_the_old_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "meter.json"
    save_meter(busy_meter(), path)
    before = path.read_text()

    def broken_replace(source: str, target: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    changed = busy_meter()
    changed.tamper = False
    with pytest.raises(MeterSimError, match="cannot save .*disk full"):
        save_meter(changed, path)
    assert path.read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["meter.json"]


def test_missing_file_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(MeterSimError, match="meter-sim create"):
        load_meter(tmp_path / "absent.json")


def test_saving_into_a_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(MeterSimError, match="cannot write"):
        save_meter(busy_meter(), tmp_path / "no" / "meter.json")


def _state_with(**changes: object) -> dict[str, object]:
    state = to_state(busy_meter())
    state.update(changes)
    return state


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"format": "something else"}, "not a meter simulator state"),
        ({"version": 2}, "version"),
        ({"key_hex": "xyz"}, "does not hold together"),
        ({"key_hex": "0123"}, "64-bit decoder key"),
        ({"credit": 12.3}, "decimal number written as a string"),
        ({"credit": "lots"}, "decimal number"),
        ({"credit": "6000.0"}, "above the maximum"),
        ({"tid_memory": [1, 2, 3, 4, 5]}, "TID memory holds 5"),
        ({"tid_memory": [1 << 24]}, "remembered TID"),
        ({"tamper": "yes"}, "true or false"),
        ({"pan": "600727000000000008"}, "check digit"),
        ({"pending_key_change": [{"subclass": 3, "values": {}}]}, "must carry"),
        (
            {
                "pending_key_change": [
                    {"subclass": 8, "key_id": "x", "values": {"sgc_low": 1, "key_bits": "01020304"}}
                ]
            },
            "does not belong",
        ),  # fmt: skip
    ],
)
def test_inconsistent_state_is_refused_with_the_reason(
    tmp_path: Path, changes: dict[str, object], message: str
) -> None:
    path = tmp_path / "meter.json"
    path.write_text(json.dumps(_state_with(**changes)))
    with pytest.raises(MeterSimError, match=message) as caught:
        load_meter(path)
    assert str(path) in str(caught.value)


def test_missing_field_is_named(tmp_path: Path) -> None:
    state = to_state(busy_meter())
    del state["krn"]
    path = tmp_path / "meter.json"
    path.write_text(json.dumps(state))
    with pytest.raises(MeterSimError, match="no 'krn' field"):
        load_meter(path)


def test_not_json_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "meter.json"
    path.write_text("{ not json")
    with pytest.raises(MeterSimError, match="not valid JSON"):
        load_meter(path)
