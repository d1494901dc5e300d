"""`gridvend sts batch`: every STS.md vector in one batch, bad lines, order, the real binary.

The vectors run twice: in-process through click's CliRunner (fast, precise failures) and
once through the installed `gridvend` entry point in a subprocess, as scripts will run it.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from server.cli.sts import sts
from server.cli.sts_requests import batch_answer

VK = "abababababababab"
VK160 = "abababababababab949494949494949401234567"
PAN1 = "600727000000000009"
PAN2 = "000001000000000082"
DK_PAN1 = "e653341f9d5bf36f"
# PAN2's DKGA02 key is not printed in STS.md; the PAN2 token vectors below pin it down.
DK_PAN2 = "e94023262e9993c2"
DK_PAN1_TI2 = "060b8643c59a27f1"
DK04 = "aa4baa8749c10d27"
DK04_EA11 = "f94b6ed353c3bfdb113e2d3a7ea3c41d"

_COMMON = {"kt": 2, "sgc": "123456", "ti": 1, "krn": 1}


def _credit(key: str, time: str, amount: str, subclass: int = 0, **extra: Any) -> dict:
    return {"op": "encode", "key": key, "class": 0, "subclass": subclass, "time": time,
            "rnd": 5, "amount": amount, **extra}  # fmt: skip


def _management(key: str, time: str, subclass: int, **extra: Any) -> dict:
    return {"op": "encode", "key": key, "class": 2, "subclass": subclass, "time": time,
            "rnd": 5, **extra}  # fmt: skip


# (request, expected answer), in the order they are piped through one batch.
VECTORS: list[tuple[dict[str, Any], dict[str, Any]]] = [
    # Decoder keys.
    ({"op": "derive", "vk": VK, "dkga": 2, "pan": PAN1, **_COMMON}, {"key": DK_PAN1}),
    ({"op": "derive", "vk": VK, "dkga": 2, "pan": PAN2, **_COMMON}, {"key": DK_PAN2}),
    (
        {"op": "derive", "vk": VK, "dkga": 2, "pan": PAN1, **_COMMON, "ti": 2},
        {"key": DK_PAN1_TI2},
    ),
    (
        {
            "op": "derive",
            "vk": VK160,
            "dkga": 4,
            "pan": PAN1,
            **_COMMON,
            "sgc": "123457",
            "base": 1993,
            "ea": 7,
        },
        {"key": DK04},
    ),  # fmt: skip
    (
        {
            "op": "derive",
            "vk": VK160,
            "dkga": 4,
            "pan": PAN1,
            **_COMMON,
            "sgc": "123457",
            "base": 1993,
            "ea": 11,
        },
        {"key": DK04_EA11},
    ),  # fmt: skip
    # Credit tokens.
    (_credit(DK_PAN1, "2004-03-01T13:55Z", "0.1"), {"token": "23716100501183194197"}),
    (_credit(DK_PAN2, "2004-03-01T14:00Z", "0.1"), {"token": "67206107716095682372"}),
    (_credit(DK_PAN1, "2004-03-01T14:05Z", "0.1", 1), {"token": "42502136492215507402"}),
    (_credit(DK_PAN2, "2004-03-01T14:20Z", "0.1", 2), {"token": "35758660990071466853"}),
    (_credit(DK_PAN1, "2004-04-01T00:30Z", "25.6"), {"token": "26456622012185850752"}),
    (_credit(DK_PAN1, "2004-04-01T00:35Z", "1638.3"), {"token": "02194538019157867319"}),
    (_credit(DK_PAN1, "2004-04-01T00:40Z", "1638.4"), {"token": "49848950875249585071"}),
    (_credit(DK_PAN1, "2004-04-01T00:45Z", "2000.0"), {"token": "71997443697501228179"}),
    (
        _credit("0ABC12DEF3456789", "1996-03-25T13:55Z", "25.6", rnd=11),
        {"token": "29054347139309851356"},
    ),
    # The same first vector given by TID instead of time.
    (
        {
            "op": "encode",
            "key": DK_PAN1,
            "class": 0,
            "subclass": 0,
            "tid": 5871715,
            "rnd": 5,
            "amount": "0.1",
            "ken": 255,
        },
        {"token": "23716100501183194197"},
    ),  # fmt: skip
    # Test tokens: not encrypted, no key.
    (
        {"op": "encode", "class": 1, "subclass": 0, "control": (1 << 36) - 1, "mfr": 0},
        {"token": "56493153725450313471"},
    ),
    (
        {"op": "encode", "class": 1, "subclass": 1, "control": (1 << 28) - 1, "mfr": 0},
        {"token": "02305843005052951967"},
    ),
    # Management tokens.
    (
        _management(DK_PAN1, "2004-03-28T09:01Z", 0, watts=1000),
        {"token": "50901894209860263092"},
    ),
    (
        _management(DK_PAN1, "2004-03-28T09:15Z", 1, register=0xFFFF),
        {"token": "29511990995826640868"},
    ),
    (_management(DK_PAN1, "2004-03-28T10:00Z", 5), {"token": "37037300014464855694"}),
    # Key change TI 01 -> TI 02, under the old key.
    (
        {
            "op": "key_change",
            "key": DK_PAN1,
            "new_key": DK_PAN1_TI2,
            "ea": 7,
            "ken": 255,
            "krn": 1,
            "ro": 0,
            "kt": 2,
            "ti": 2,
        },
        {"tokens": ["51638423060042734509", "15361891762113502242"]},
    ),  # fmt: skip
    # DKGA04 keys, EA07 and EA11.
    (
        _management(DK04, "2008-05-26T08:00Z", 1, register=0xFFFF),
        {"token": "08144275084202187413"},
    ),
    (_credit(DK04, "2009-01-01T08:00Z", "0.1"), {"token": "15697331168573253829"}),
    (_credit(DK04_EA11, "2004-03-01T13:00Z", "0.1", ea=11), {"token": "59386323472137426967"}),
    # Decoding a vector token gives back every field.
    (
        {"op": "decode", "key": DK_PAN1, "token": "2371 6100 5011 8319 4197"},
        {
            "fields": {
                "token": "23716100501183194197",
                "class": 0,
                "subclass": 0,
                "kind": "electricity credit",
                "crc_ok": True,
                "rnd": 5,
                "tid": 5871715,
                "time": "2004-03-01T13:55Z",
                "amount_raw": 1,
                "amount": "0.1",
                "unit": "kWh",
            }
        },
    ),
    (
        {"op": "decode", "key": DK04_EA11, "ea": 11, "token": "59386323472137426967"},
        {
            "fields": {
                "token": "59386323472137426967",
                "class": 0,
                "subclass": 0,
                "kind": "electricity credit",
                "crc_ok": True,
                "rnd": 5,
                "tid": 5871660,
                "time": "2004-03-01T13:00Z",
                "amount_raw": 1,
                "amount": "0.1",
                "unit": "kWh",
            }
        },
    ),
]

GRIDVEND = Path(sys.prefix) / "bin" / "gridvend"


def _lines(requests: list[Any]) -> str:
    """Batch input: dicts as JSON lines, strings exactly as given (for bad lines)."""
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in requests)


def _run_batch(text: str) -> tuple[list[dict[str, Any]], Any]:
    result = CliRunner().invoke(sts, ["batch"], input=text)
    assert "Traceback" not in result.output
    return [json.loads(line) for line in result.stdout.splitlines()], result


# ---- vectors ---------------------------------------------------------------------------------


def test_every_vector_in_one_batch() -> None:
    answers, result = _run_batch(_lines([request for request, _ in VECTORS]))
    assert result.exit_code == 0, result.output
    assert answers == [expected for _, expected in VECTORS]


@pytest.mark.parametrize(("request_", "expected"), VECTORS, ids=lambda v: str(v)[:60])
def test_each_vector_alone(request_: dict[str, Any], expected: dict[str, Any]) -> None:
    assert batch_answer(json.dumps(request_)) == expected


def test_installed_gridvend_runs_every_vector_in_a_subprocess(tmp_path: Path) -> None:
    batch_file = tmp_path / "vectors.jsonl"
    batch_file.write_text(_lines([request for request, _ in VECTORS]))
    with batch_file.open() as stdin:
        done = subprocess.run(
            [str(GRIDVEND), "sts", "batch"],
            stdin=stdin,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert done.returncode == 0, done.stderr
    answers = [json.loads(line) for line in done.stdout.splitlines()]
    assert answers == [expected for _, expected in VECTORS]


def test_installed_gridvend_reports_a_bad_line_without_a_traceback() -> None:
    done = subprocess.run(
        [str(GRIDVEND), "sts", "batch"],
        input='{"op": "derive"}\n',
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert json.loads(done.stdout) == {"error": 'derive: "vk" is required'}
    assert "Traceback" not in done.stderr
    assert "1 of 1 lines were errors" in done.stderr


def test_installed_gridvend_answers_each_line_before_stdin_closes() -> None:
    # A caller may drive the batch one request at a time: each answer must be flushed.
    # PYTHONUNBUFFERED would hide a missing flush, so the child runs without it.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    with subprocess.Popen(
        [str(GRIDVEND), "sts", "batch"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    ) as process:
        assert process.stdin is not None and process.stdout is not None
        for request, expected in VECTORS[:3]:
            process.stdin.write(json.dumps(request) + "\n")
            process.stdin.flush()
            # Never hang the suite: an unflushed answer fails here after 30 s instead.
            ready, _, _ = select.select([process.stdout], [], [], 30)
            assert ready, "no answer while stdin is still open: output is not flushed"
            assert json.loads(process.stdout.readline()) == expected
        process.stdin.close()
        assert process.wait(timeout=60) == 0


# ---- bad lines -------------------------------------------------------------------------------

ENCODE = {"op": "encode", "key": DK_PAN1, "class": 0, "subclass": 0, "tid": 5871715, "rnd": 5,
          "amount": "0.1"}  # fmt: skip
TOKEN = "23716100501183194197"

# (line, words the error must contain)
BAD_LINES: list[tuple[Any, list[str]]] = [
    ("{not json", ["not valid JSON"]),
    ('{"op": "encode", "amount": NaN}', ["not valid JSON", "NaN"]),
    ("[1, 2]", ["JSON object", "a list"]),
    ('"encode"', ["JSON object"]),
    ({"vk": VK}, ['missing "op"']),
    ({"op": "vend"}, ["unknown op 'vend'", "derive, encode, key_change, decode"]),
    ({"op": ["encode"]}, ["unknown op"]),
    ({**ENCODE, "amout": "1"}, ['unknown field "amout"']),
    ({**ENCODE, "vk": VK}, ['"vk" does not apply to encode']),
    (
        {"op": "derive", "vk": VK, "dkga": 2, "pan": PAN1, "kt": 2, "sgc": "123456", "ti": 1},
        ['"krn" is required'],
    ),  # fmt: skip
    ({**ENCODE, "tid": "5871715"}, ['"tid" must be a whole number', "text"]),
    ({**ENCODE, "rnd": True}, ['"rnd" must be a whole number', "true/false"]),
    ({**ENCODE, "rnd": 5.0}, ['"rnd" must be a whole number']),
    ({**ENCODE, "amount": 0.1}, ['"amount" must be a decimal string']),
    ({**ENCODE, "amount": "1e999999999"}, ['"amount"', "more than one token can carry"]),
    ({**ENCODE, "amount": "NaN"}, ['"amount" NaN is not a finite number']),
    ({**ENCODE, "amount": "\uff11"}, ['"amount"', "use the digits 0-9"]),
    ({**ENCODE, "key": 1234}, ['"key" must be hex digits']),
    ({**ENCODE, "key": "e653341f9d5bf36"}, ['"key" has 15 hex digits', "odd"]),
    ({**ENCODE, "key": "e653341f9d5bf36g"}, ['"key"', "'g' is not a hex digit"]),
    ({**ENCODE, "key": "e653341f9d5bf3"}, ["64-bit decoder key", "56 bits"]),
    ({**ENCODE, "time": "2004-03-01T13:55Z"}, ['"time" or "tid", not both']),
    ({**ENCODE, "base": 2014}, ['"base" does not apply']),
    ({**ENCODE, "class": 2, "subclass": 2}, ["not supported"]),
    ({**ENCODE, "class": 2, "subclass": 7}, ["not supported"]),
    ({**ENCODE, "class": 2, "subclass": 3}, ["key change section", "key_change"]),
    ({**ENCODE, "class": 0, "subclass": 9}, ["class 0 has no subclass 9"]),
    ({**ENCODE, "class": 3}, ['"class" 3 must be 0, 1 or 2', "reserved"]),
    ({**ENCODE, "watts": 1000}, ['"watts" does not apply', "electricity credit"]),
    (
        {"op": "encode", "key": DK_PAN1, "class": 0, "subclass": 0, "tid": 1},
        ['"amount" is required'],
    ),  # fmt: skip
    ({**ENCODE, "sgc": "123456"}, ['"sgc" does not apply to encode']),
    ({**ENCODE, "pan": 12}, ['"pan" does not apply to encode']),
    (
        {
            "op": "derive",
            "vk": VK,
            "dkga": 2,
            "pan": 600727000000000009,
            "kt": 2,
            "sgc": "123456",
            "ti": 1,
            "krn": 1,
        },
        ['"pan" must be text'],
    ),  # fmt: skip
    (
        {
            "op": "derive",
            "vk": VK,
            "dkga": 2,
            "pan": "600727000000000008",
            "kt": 2,
            "sgc": "123456",
            "ti": 1,
            "krn": 1,
        },
        ["check digit should be 9"],
    ),  # fmt: skip
    (
        {
            "op": "derive",
            "vk": VK,
            "dkga": 2,
            "pan": PAN1,
            "kt": 2,
            "sgc": "12345x",
            "ti": 1,
            "krn": 1,
        },
        ['"sgc"', "6 digits"],
    ),  # fmt: skip
    ({"op": "decode", "key": DK_PAN2, "token": TOKEN}, ["CRC check failed"]),
    ({"op": "decode", "token": TOKEN}, ["decoder key is needed"]),
    ({"op": "decode", "key": DK_PAN1, "token": TOKEN[:-1]}, ["exactly 20"]),
    (
        {
            "op": "key_change",
            "key": DK_PAN1,
            "new_key": DK_PAN1_TI2,
            "ken": 255,
            "krn": 1,
            "ro": 0,
            "kt": 2,
            "ti": 2,
            "ea": 11,
        },
        ['give "sgc"'],
    ),  # fmt: skip
]


@pytest.mark.parametrize(("line", "words"), BAD_LINES, ids=lambda v: str(v)[:50])
def test_a_bad_line_is_answered_with_what_was_wrong(line: Any, words: list[str]) -> None:
    answer = batch_answer(line if isinstance(line, str) else json.dumps(line))
    assert list(answer) == ["error"]
    for word in words:
        assert word in answer["error"]


def test_bad_lines_never_stop_the_batch_and_order_is_kept() -> None:
    good = VECTORS[5]
    mixed = [good[0], "{oops", BAD_LINES[5][0], VECTORS[0][0], "", ENCODE, "   ", good[0]]
    answers, result = _run_batch(_lines(mixed))
    assert len(answers) == len(mixed)
    assert answers[0] == answers[5] == answers[7] == {"token": TOKEN}
    assert answers[3] == {"key": DK_PAN1}
    assert [i for i, a in enumerate(answers) if "error" in a] == [1, 2, 4, 6]
    assert result.exit_code == 1
    assert "4 of 8 lines were errors" in result.stderr


def test_a_blank_line_gets_an_error_so_line_numbers_stay_aligned() -> None:
    assert "blank line" in batch_answer("  \n")["error"]


def test_null_means_not_given() -> None:
    assert batch_answer(json.dumps({**ENCODE, "ken": None, "time": None})) == {"token": TOKEN}


def test_an_empty_batch_answers_nothing_and_succeeds() -> None:
    answers, result = _run_batch("")
    assert answers == []
    assert result.exit_code == 0


def test_windows_line_endings_are_accepted() -> None:
    answers, _ = _run_batch(json.dumps(ENCODE) + "\r\n")
    assert answers == [{"token": TOKEN}]


# ---- flags and batch agree -------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    subclass=st.integers(0, 3),
    tid=st.integers(0, (1 << 24) - 1),
    rnd=st.integers(0, 15),
    tenths=st.integers(0, 18_201_624),
)
def test_encode_flags_and_batch_make_the_same_token(
    subclass: int, tid: int, rnd: int, tenths: int
) -> None:
    amount = f"{tenths // 10}.{tenths % 10}"
    flags = CliRunner().invoke(
        sts,
        ["encode", "--key", DK_PAN1, "--class", "0", "--subclass", str(subclass),
         "--tid", str(tid), "--rnd", str(rnd), "--amount", amount, "--plain"],
    )  # fmt: skip
    line = {**ENCODE, "subclass": subclass, "tid": tid, "rnd": rnd, "amount": amount}
    assert flags.exit_code == 0, flags.output
    assert batch_answer(json.dumps(line)) == {"token": flags.output.strip()}


# ---- robustness ------------------------------------------------------------------------------

_FIELDS = ["vk", "dkga", "pan", "kt", "sgc", "ti", "krn", "base", "ea", "key", "class",
           "subclass", "tid", "time", "rnd", "amount", "watts", "register", "control", "mfr",
           "new_key", "ken", "ro", "token"]  # fmt: skip
_JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=40)
    | st.sampled_from([DK_PAN1, DK04_EA11, VK160, PAN1, TOKEN, "2004-03-01T13:55Z", "0.1"]),
    lambda inner: st.lists(inner, max_size=3),
    max_leaves=5,
)


@settings(max_examples=400, deadline=None)
@given(
    base=st.sampled_from([request for request, _ in VECTORS]),
    changes=st.dictionaries(st.sampled_from(_FIELDS), _JSON_VALUES, max_size=3),
)
def test_any_line_gets_exactly_one_answer_and_never_an_internal_error(
    base: dict[str, Any], changes: dict[str, Any]
) -> None:
    # Starting from a valid vector, a few changed fields reach deep into the engine.
    answer = batch_answer(json.dumps({**base, **changes}))
    assert len(answer) == 1
    assert next(iter(answer)) in {"key", "token", "tokens", "fields", "error"}
    assert "internal error" not in answer.get("error", "")
