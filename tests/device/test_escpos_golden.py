"""The exact ESC/POS bytes of a receipt, against a golden file written and checked by hand."""

import binascii

from drivers.escpos import encode_slip

from tests.device.escpos_golden import RECEIPT_HEX, SAMPLE_SLIP, read_hex
from tests.device.test_under_micropython import device_and_cases_args, run_micropython


def first_difference(got: bytes, want: bytes) -> str:
    at = next((i for i, (a, b) in enumerate(zip(got, want, strict=False)) if a != b), None)
    if at is None:
        at = min(len(got), len(want))
    got_hex, want_hex = got[at : at + 12].hex(" "), want[at : at + 12].hex(" ")
    return f"first difference at byte {at}: got {got_hex}, want {want_hex}"


def test_sample_receipt_is_byte_for_byte_the_golden():
    got = encode_slip(SAMPLE_SLIP, "cp858")
    want = read_hex(RECEIPT_HEX)
    assert got == want, first_difference(got, want)


def test_golden_reader_rejects_a_malformed_byte(tmp_path):
    bad = tmp_path / "bad.hex"
    bad.write_text("1b 4 # half a byte\n")
    try:
        read_hex(bad)
    except ValueError as exc:
        assert "'4'" in str(exc)
    else:
        raise AssertionError("a one-digit token was accepted")


def test_micropython_encodes_the_same_bytes():
    """The encoder runs on the device: real MicroPython must produce the golden bytes too."""
    proc = run_micropython(
        *device_and_cases_args(),
        "--exec",
        f"LINES = {SAMPLE_SLIP!r}\n"
        "import binascii\n"
        "from drivers.escpos import encode_slip\n"
        "print('SLIP', binascii.hexlify(encode_slip(LINES, 'cp858')).decode())",
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    line = next(row for row in proc.stdout.splitlines() if row.startswith("SLIP "))
    got = binascii.unhexlify(line.split()[1])
    want = read_hex(RECEIPT_HEX)
    assert got == want, first_difference(got, want)
