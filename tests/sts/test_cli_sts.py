"""`gridvend sts` commands: happy paths with STS.md vectors, and one clear line for bad input."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner, Result

from server.cli.sts import sts
from server.cli.sts_requests import FLAGS, Request, parse_hex
from server.sts import StsError

VK = "abababababababab"
VK160 = "abababababababab949494949494949401234567"
PAN1 = "600727000000000009"
DK_PAN1 = "e653341f9d5bf36f"
DK_PAN1_TI2 = "060b8643c59a27f1"
DK04_EA11 = "f94b6ed353c3bfdb113e2d3a7ea3c41d"
TOKEN = "23716100501183194197"
GROUPED = "2371 6100 5011 8319 4197"

DERIVE = ["derive-key", "--vk", VK, "--dkga", "2", "--pan", PAN1, "--kt", "2",
          "--sgc", "123456", "--ti", "01", "--krn", "1"]  # fmt: skip
CREDIT = ["encode", "--key", DK_PAN1, "--class", "0", "--subclass", "0", "--rnd", "5",
          "--amount", "0.1"]  # fmt: skip
AT_1355 = ["--time", "2004-03-01T13:55Z"]
KEY_CHANGE = ["key-change", "--key", DK_PAN1, "--new-key", DK_PAN1_TI2, "--ken", "255",
              "--krn", "1", "--ro", "0", "--kt", "2", "--ti", "2"]  # fmt: skip


def run(*args: str) -> Result:
    return CliRunner().invoke(sts, list(args))


def ok(*args: str) -> str:
    result = run(*args)
    assert result.exit_code == 0, result.output
    return result.stdout


def refused(*args: str) -> str:
    """The one line a bad command prints; asserts a non-zero exit and no traceback."""
    result = run(*args)
    assert result.exit_code != 0
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    return lines[0]


# ---- derive-key ------------------------------------------------------------------------------


def test_derive_key_dkga02() -> None:
    assert ok(*DERIVE) == "e653341f9d5bf36f\n"


def test_derive_key_dkga04_ea11_accepts_upper_case_spaced_hex() -> None:
    spaced = "ABABABAB ABABABAB 94949494 94949494 01234567"
    out = ok("derive-key", "--vk", spaced, "--dkga", "4", "--pan", PAN1, "--kt", "2",
             "--sgc", "123457", "--ti", "1", "--krn", "1", "--base", "1993",
             "--ea", "11")  # fmt: skip
    assert out == DK04_EA11 + "\n"


def test_derive_key_dkga04_ea07() -> None:
    out = ok("derive-key", "--vk", VK160, "--dkga", "4", "--pan", PAN1, "--kt", "2",
             "--sgc", "123457", "--ti", "1", "--krn", "1")  # fmt: skip
    assert out == "aa4baa8749c10d27\n"


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"--vk": "abababababababzz"}, ["--vk", "'z' is not a hex digit"]),
        ({"--vk": "abababababababa"}, ["--vk has 15 hex digits", "odd"]),
        ({"--vk": "abababababab"}, ["DKGA02 needs a 64-bit vending key", "48 bits"]),
        ({"--vk": ""}, ["--vk is empty"]),
        ({"--pan": "600727000000000008"}, ["check digit should be 9"]),
        ({"--pan": "60072700000000000"}, ["17 digits"]),
        ({"--kt": "abc"}, ["'--kt'", "not a valid integer"]),
        ({"--kt": "7"}, ["key type (KT) 7"]),
        ({"--sgc": "1234567"}, ["--sgc", "6 digits"]),
        ({"--dkga": "3"}, ["key derivation algorithm 3"]),
        ({"--krn": None}, ["--krn is required"]),
        ({"--pan": None}, ["--pan is required"]),
    ],
)
def test_derive_key_refuses_bad_input(change: dict[str, str | None], words: list[str]) -> None:
    args = list(DERIVE)
    for option, value in change.items():
        at = args.index(option)
        if value is None:
            del args[at : at + 2]
        else:
            args[at + 1] = value
    line = refused(*args)
    for word in words:
        assert word in line


def test_derive_key_refuses_ea09_and_dkga02_with_ea11() -> None:
    assert "EA09 (DES) is not supported" in refused(*DERIVE, "--ea", "9")
    assert "EA11 needs DKGA04" in refused(*DERIVE, "--ea", "11")


# ---- encode ----------------------------------------------------------------------------------


def test_encode_prints_groups_of_four() -> None:
    assert ok(*CREDIT, *AT_1355) == GROUPED + "\n"


def test_encode_plain_prints_20_bare_digits() -> None:
    assert ok(*CREDIT, *AT_1355, "--plain") == TOKEN + "\n"


def test_encode_json_prints_every_field() -> None:
    fields = json.loads(ok(*CREDIT, *AT_1355, "--json"))
    assert fields == {
        "token": TOKEN,
        "grouped": GROUPED,
        "class": 0,
        "subclass": 0,
        "tid": 5871715,
        "credited": "0.1",
        "description": "electricity credit 0.1 kWh",
        "rnd": 5,
        "amount_raw": 1,
        "amount": "0.1",
        "unit": "kWh",
    }


@pytest.mark.parametrize(
    "time",
    ["2004-03-01T13:55", "2004-03-01 13:55:59", "2004-03-01T15:55+02:00", "2004-03-01T13:55Z"],
)
def test_encode_takes_a_naive_time_as_utc_and_honours_offsets(time: str) -> None:
    assert ok(*CREDIT, "--time", time, "--plain") == TOKEN + "\n"


def test_encode_by_tid() -> None:
    assert ok(*CREDIT, "--tid", "5871715", "--plain") == TOKEN + "\n"


def test_encode_help_says_a_naive_time_is_utc() -> None:
    assert "taken as UTC" in " ".join(ok("encode", "--help").split())


def test_encode_class_1_needs_no_key() -> None:
    out = ok("encode", "--class", "1", "--subclass", "0", "--control", "0xFFFFFFFFF", "--plain")
    assert out == "56493153725450313471\n"
    out = ok("encode", "--class", "1", "--subclass", "1", "--control", str((1 << 28) - 1))
    assert out == "0230 5843 0050 5295 1967\n"


def test_encode_management_vectors() -> None:
    key = ["--key", DK_PAN1, "--rnd", "5", "--class", "2", "--plain"]
    at = "--time"
    assert ok("encode", *key, "--subclass", "0", at, "2004-03-28T09:01Z", "--watts", "1000") == (
        "50901894209860263092\n"
    )
    assert ok("encode", *key, "--subclass", "1", at, "2004-03-28T09:15Z", "--register",
              "0xFFFF") == "29511990995826640868\n"  # fmt: skip
    assert ok("encode", *key, "--subclass", "1", at, "2004-03-28T09:15Z") == (
        "29511990995826640868\n"
    )
    assert ok("encode", *key, "--subclass", "5", at, "2004-03-28T10:00Z") == (
        "37037300014464855694\n"
    )


def test_encode_ea11_with_a_128_bit_key() -> None:
    out = ok("encode", "--key", DK04_EA11, "--ea", "11", "--class", "0", "--subclass", "0",
             "--time", "2004-03-01T13:00Z", "--rnd", "5", "--amount", "0.1", "--plain")  # fmt: skip
    assert out == "59386323472137426967\n"


def test_encode_with_ken_refuses_a_token_the_meter_would_reject_as_key_expired() -> None:
    # TID 5871715 has top byte 89: a meter holding KEN 88 rejects it, KEN 89 accepts it.
    assert "Key expired" in refused(*CREDIT, *AT_1355, "--ken", "88")
    assert ok(*CREDIT, *AT_1355, "--ken", "89", "--plain") == TOKEN + "\n"


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        ([*AT_1355, "--tid", "5871715"], ["give --time or --tid, not both"]),
        (["--tid", "5871715", "--base", "2014"], ["--base does not apply", "--time"]),
        ([], ["needs --time or --tid"]),
        ([*AT_1355, "--watts", "100"], ["--watts does not apply", "electricity credit"]),
        ([*AT_1355, "--control", "1"], ["--control does not apply"]),
        (["--time", "yesterday"], ["--time 'yesterday' is not an ISO 8601 time"]),
        (["--time", "2025-01-01T00:00Z"], ["does not fit 24 bits", "base date 1993", "2014"]),
        (["--time", "1992-12-31T23:59Z"], ["before the base date"]),
        (["--time", "2020-01-01T00:00Z", "--base", "2000"], ["base date 2000"]),
        (["--tid", "16777216"], ["TID 16777216 is outside"]),
        (["--tid", "-1"], ["TID -1 is outside"]),
        ([*AT_1355, "--rnd", "16"], ["RND 16 is outside 0..15"]),
        ([*AT_1355, "--ea", "11"], ["EA11 needs a 128-bit decoder key"]),
        ([*AT_1355, "--plain", "--json"], ["--plain or --json, not both"]),
        ([*AT_1355, "--mfr", "1"], ["--mfr does not apply"]),
        ([*AT_1355, "--amount", "-1"], ["negative"]),
        ([*AT_1355, "--amount", "lots"], ["amount 'lots' is not a number"]),
        ([*AT_1355, "--amount", "2000000"], ["more than one token can carry"]),
        ([*AT_1355, "--frobnicate"], ["No such option", "--frobnicate"]),
        ([*AT_1355, "--tid", "x"], ["'--tid'", "not a valid integer"]),
    ],
)
def test_encode_refuses_bad_input(extra: list[str], words: list[str]) -> None:
    args = list(CREDIT)
    if "--amount" in extra:  # the case replaces CREDIT's amount
        at = args.index("--amount")
        del args[at : at + 2]
    line = refused(*args, *extra)
    for word in words:
        assert word in line


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        (["--class", "2", "--subclass", "2"], ["set tariff rate", "not supported"]),
        (["--class", "2", "--subclass", "7"], ["set water meter factor", "not supported"]),
        (["--class", "2", "--subclass", "3"], ["key change section", "key-change"]),
        (["--class", "2", "--subclass", "12"], ["class 2 has no subclass 12", "0, 1, 5, 6"]),
        (["--class", "0", "--subclass", "4"], ["class 0 has no subclass 4"]),
        (["--class", "1", "--subclass", "2"], ["class 1 has no subclass 2"]),
        (["--class", "3", "--subclass", "0"], ["--class 3 must be 0, 1 or 2", "reserved"]),
        (["--class", "0"], ["--subclass is required"]),
        (["--subclass", "0"], ["--class is required"]),
    ],
)
def test_encode_refuses_kinds_that_do_not_exist_or_are_unsupported(
    kind: list[str], words: list[str]
) -> None:
    line = refused("encode", "--key", DK_PAN1, "--tid", "1", *kind)
    for word in words:
        assert word in line


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--class", "0", "--subclass", "0", "--tid", "1", "--amount", "1"], ["--key is required"]),
        (
            [
                "--key",
                "e653 341f 9d5b f36",
                "--class",
                "0",
                "--subclass",
                "0",
                "--tid",
                "1",
                "--amount",
                "1",
            ],
            ["--key has 15 hex digits"],
        ),  # fmt: skip
        (
            ["--class", "0", "--subclass", "0", "--tid", "1", "--key", DK_PAN1],
            ["--amount is required for an electricity credit token"],
        ),  # fmt: skip
        (
            ["--class", "2", "--subclass", "0", "--tid", "1", "--key", DK_PAN1],
            ["--watts is required"],
        ),  # fmt: skip
        (["--class", "1", "--subclass", "0"], ["--control is required"]),
        (
            ["--class", "1", "--subclass", "0", "--control", "1", "--tid", "5"],
            ["--tid does not apply", "carries no TID"],
        ),  # fmt: skip
        (["--class", "1", "--subclass", "0", "--control", "0x1000000000"], ["control"]),
        (["--class", "1", "--subclass", "0", "--control", "0xZZ"], ["not a whole number"]),
        (
            ["--class", "1", "--subclass", "0", "--control", "1", "--mfr", "100"],
            ["manufacturer code 100"],
        ),  # fmt: skip
        (
            [
                "--class",
                "2",
                "--subclass",
                "1",
                "--tid",
                "1",
                "--key",
                DK_PAN1,
                "--register",
                "0x10000",
            ],
            ["register 65536"],
        ),  # fmt: skip
    ],
)
def test_encode_refuses_missing_or_wrong_options_for_the_class(
    args: list[str], words: list[str]
) -> None:
    line = refused("encode", *args)
    for word in words:
        assert word in line


def test_encode_class_1_ignores_a_key_it_does_not_need() -> None:
    out = ok("encode", "--key", DK_PAN1, "--class", "1", "--subclass", "0", "--control",
             str((1 << 36) - 1), "--plain")  # fmt: skip
    assert out == "56493153725450313471\n"


# ---- key-change ------------------------------------------------------------------------------


def test_key_change_prints_both_sections() -> None:
    assert ok(*KEY_CHANGE) == "5163 8423 0600 4273 4509\n1536 1891 7621 1350 2242\n"


def test_key_change_plain_and_json() -> None:
    assert ok(*KEY_CHANGE, "--plain").split() == ["51638423060042734509", "15361891762113502242"]
    sections = json.loads(ok(*KEY_CHANGE, "--json"))
    assert [s["subclass"] for s in sections] == [3, 4]
    assert sections[0]["token"] == "51638423060042734509"


def test_key_change_128_bit_makes_four_sections_that_decode() -> None:
    args = ["key-change", "--key", DK04_EA11, "--new-key", DK04_EA11[::-1], "--ea", "11",
            "--ken", "255", "--krn", "2", "--ro", "1", "--kt", "2", "--ti", "1",
            "--sgc", "123457", "--plain"]  # fmt: skip
    tokens = ok(*args).split()
    assert len(tokens) == 4
    subclasses = [
        json.loads(ok("decode", "--key", DK04_EA11, "--ea", "11", "--json", t))["subclass"]
        for t in tokens
    ]
    assert subclasses == [3, 4, 8, 9]


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (["--new-key", "060b8643c59a27"], ["new key for EA07 must be 64 bits"]),
        (["--new-key", "xyz"], ["--new-key", "'x' is not a hex digit"]),
        (["--ro", "2"], ["rollover (RO) 2"]),
        (["--ken", "256"], ["KEN 256"]),
        (["--krn", "0"], ["key revision (KRN) 0"]),
        (["--ea", "11"], ["give --sgc"]),
    ],
)
def test_key_change_refuses_bad_input(change: list[str], words: list[str]) -> None:
    line = refused(*KEY_CHANGE, *change)
    for word in words:
        assert word in line


def test_key_change_refuses_a_missing_option() -> None:
    assert "--ti is required" in refused(*KEY_CHANGE[:-2])


# ---- decode ----------------------------------------------------------------------------------


def test_decode_prints_every_field_and_takes_the_token_in_groups() -> None:
    out = ok("decode", "--key", DK_PAN1, *GROUPED.split())
    rows = dict(line.split(None, 1) for line in out.splitlines())
    assert rows["token"] == GROUPED
    assert rows["kind"] == "electricity credit"
    assert rows["tid"] == "5871715"
    assert rows["time"] == "2004-03-01T13:55Z"
    assert rows["amount"] == "0.1"


def test_decode_json() -> None:
    fields = json.loads(ok("decode", "--key", DK_PAN1.upper(), "--json", TOKEN))
    assert fields["crc_ok"] is True
    assert fields["amount"] == "0.1"
    assert fields["rnd"] == 5


def test_decode_base_date_moves_the_time_shown() -> None:
    fields = json.loads(ok("decode", "--key", DK_PAN1, "--base", "2014", "--json", TOKEN))
    assert fields["time"].startswith("2025-")


def test_decode_class_1_needs_no_key() -> None:
    fields = json.loads(ok("decode", "--json", "56493153725450313471"))
    assert fields["control_meaning"] == ["test all"]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--key", "e94023262e9993c2", TOKEN], ["CRC check failed", GROUPED, "mistyped"]),
        ([TOKEN], ["class 0 token is encrypted", "decoder key is needed"]),
        (["--key", DK_PAN1, TOKEN[:-1]], ["19 digits", "exactly 20"]),
        (["--key", DK_PAN1, TOKEN[:-1] + "x"], ["'x' is not a digit"]),
        (["--key", DK_PAN1, "99999999999999999999"], ["too large"]),
        (["--key", DK_PAN1, "--base", "1990", TOKEN], ["base date 1990"]),
        (["--key", DK_PAN1], ["Missing argument"]),
        (["--key", DK_PAN1, "--ea", "11", TOKEN], ["128-bit decoder key"]),
    ],
)
def test_decode_refuses_bad_input(args: list[str], words: list[str]) -> None:
    line = refused("decode", *args)
    for word in words:
        assert word in line


# ---- the group -------------------------------------------------------------------------------


def test_an_unknown_command_is_one_line() -> None:
    assert "No such command 'vend'" in refused("vend")


def test_help_lists_every_command() -> None:
    out = ok("--help")
    for command in ("derive-key", "encode", "key-change", "decode", "batch"):
        assert command in out


# ---- the shared request layer ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("e653341F9D5BF36F", DK_PAN1), (" e653 341f\t9d5b f36f ", DK_PAN1), ("00", "00")],
)
def test_parse_hex_accepts_either_case_and_spaces(text: str, expected: str) -> None:
    assert parse_hex(text, "--key").hex() == expected


def test_request_names_fields_the_way_the_caller_spells_them() -> None:
    with pytest.raises(StsError, match="--new-key must be hex digits"):
        Request("key_change", {"new_key": 12}, FLAGS)
