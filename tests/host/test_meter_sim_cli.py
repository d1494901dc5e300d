"""`gridvend meter-sim`: create, enter, show, tamper; exit codes scripts can rely on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from host.cli.meter_sim import meter_sim

PAN1 = "600727000000000009"
VK = "abababababababab"
DK = "e653341f9d5bf36f"
PAN1_CREDIT = "23716100501183194197"
PAN2_CREDIT = "67206107716095682372"
KEY_CHANGE = ("51638423060042734509", "15361891762113502242")
METER_ARGS = ["--pan", PAN1, "--kt", "2", "--sgc", "123456", "--ti", "1", "--krn", "1"]


def run(*args: str) -> Result:
    return CliRunner().invoke(meter_sim, list(args), prog_name="gridvend meter-sim")


@pytest.fixture
def state(tmp_path: Path) -> Path:
    path = tmp_path / "meter.json"
    made = run("create", "--state", str(path), "--vk", VK, "--dkga", "2", *METER_ARGS)
    assert made.exit_code == 0, made.output
    return path


def assert_refused(result: Result, fragment: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert fragment in result.stderr
    assert result.stdout == ""


def test_the_group_is_named_meter_sim() -> None:
    assert meter_sim.name == "meter-sim"
    assert {"create", "enter", "show", "tamper"} <= set(meter_sim.commands)


def test_create_saves_a_meter_and_says_so(state: Path) -> None:
    saved = json.loads(state.read_text())
    assert saved["key_hex"] == DK
    assert saved["tid_memory"] == [0] * 50


def test_create_with_a_decoder_key_and_options(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    result = run(
        "create", "--state", str(path), "--key", DK, *METER_ARGS, "--ken", "200",
        "--memory", "10", "--manufactured", "2004-01-01T00:00Z", "--type", "water",
        "--mfr", "42", "--max-credit", "500", "--max-token", "100.5",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "TID 5784480 (2004-01-01 00:00 UTC)" in result.output
    saved = json.loads(path.read_text())
    assert (saved["ken"], saved["meter_type"], saved["mfr_code"]) == (200, 1, 42)
    assert (saved["max_credit"], saved["max_token"]) == ("500", "100.5")
    assert saved["tid_memory"] == [5784480] * 10


def test_enter_accepts_then_says_used(state: Path) -> None:
    first = run("enter", "--state", str(state), PAN1_CREDIT)
    assert first.exit_code == 0
    assert first.output.startswith("Accept: 0.1 kWh added")
    again = run("enter", "--state", str(state), "2371", "6100", "5011", "8319", "4197")
    assert again.exit_code == 1
    assert again.output.startswith("Used: TID 5871715")


def test_a_rejected_token_exits_1_and_leaves_the_file_alone(state: Path) -> None:
    before = state.read_bytes()
    result = run("enter", "--state", str(state), PAN2_CREDIT)
    assert result.exit_code == 1
    assert result.output.startswith("CRC error: ")
    assert state.read_bytes() == before


def test_enter_something_that_is_not_a_token_is_format(state: Path) -> None:
    result = run("enter", "--state", str(state), "1234-56")
    assert result.exit_code == 1
    assert result.output.startswith("Format: ")
    assert "Traceback" not in result.output


def test_key_change_through_the_shell(state: Path) -> None:
    first = run("enter", "--state", str(state), KEY_CHANGE[1])
    assert (first.exit_code, first.output.split(":")[0]) == (0, "1st key change accepted")
    shown = run("show", "--state", str(state))
    assert "1 of 2 sections held: 2" in shown.output
    second = run("enter", "--state", str(state), KEY_CHANGE[0])
    assert (second.exit_code, second.output.split(":")[0]) == (0, "Accept")
    assert json.loads(state.read_text())["key_hex"] == "060b8643c59a27f1"


def test_show_gives_the_state_but_never_the_key(state: Path) -> None:
    run("enter", "--state", str(state), PAN1_CREDIT)
    run("tamper", "--state", str(state))
    result = run("show", "--state", str(state))
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    for expected in (
        "0.1 kWh",
        "loaded (64-bit, EA07), KRN 1",
        "2 (unique)",
        "YES",
        "255 (never)",
        "1993-01-01",
        "50 of 50",
        "TID 5871715",
    ):
        assert expected in text, expected
    assert DK not in result.output
    assert DK.upper() not in result.output
    assert VK not in result.output


def test_create_refuses_to_overwrite_without_force(state: Path) -> None:
    again = run("create", "--state", str(state), "--key", DK, *METER_ARGS)
    assert_refused(again, "--force")
    forced = run("create", "--state", str(state), "--key", DK, *METER_ARGS, "--force")
    assert forced.exit_code == 0


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--key", DK, "--pan", "600727000000000008"], "check digit should be 9"),
        (["--key", "00ff"], "64-bit decoder key"),
        (["--key", "nothex"], "not hex digits"),
        (["--key", DK, "--vk", VK], "either --key"),
        (["--vk", VK], "--vk needs --dkga"),
        (["--vk", "abab", "--dkga", "2"], "64-bit vending key"),
        (["--key", DK, "--krn", "12"], "KRN"),
        (["--key", DK, "--manufactured", "2004-01-01T00:00"], "no time zone"),
        (["--key", DK, "--manufactured", "yesterday"], "not an ISO date"),
        (["--key", DK, "--manufactured", "1990-01-01T00:00Z"], "before the base date"),
        (["--key", DK, "--max-credit", "lots"], "not a number"),
        (["--key", DK, "--ea", "9"], "'9' is not one of"),
    ],
)
def test_create_bad_input_is_a_clear_error(tmp_path: Path, args: list[str], fragment: str) -> None:
    # Later options win in click, so a bad --pan or --krn overrides the good ones before it.
    result = run("create", "--state", str(tmp_path / "m.json"), *METER_ARGS, *args)
    assert_refused(result, fragment)
    assert not (tmp_path / "m.json").exists()


def test_enter_or_show_without_a_meter_says_how_to_make_one(tmp_path: Path) -> None:
    absent = str(tmp_path / "absent.json")
    assert_refused(run("enter", "--state", absent, PAN1_CREDIT), "meter-sim create")
    assert_refused(run("show", "--state", absent), "meter-sim create")


def test_a_corrupt_state_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_text("[1, 2")
    assert_refused(run("show", "--state", str(path)), "not valid JSON")
