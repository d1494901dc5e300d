"""Every public vector in STS.md, through the engine's public API."""

from decimal import Decimal

import pytest

from server.sts import (
    EA11,
    clear_credit_token,
    clear_tamper_token,
    credit_token,
    decode_token,
    derive_decoder_key,
    key_change_tokens,
    max_power_token,
    test_token,
    tid_from_time,
)
from server.sts.crc import token_crc
from server.sts.keys import dkga04_data
from server.sts.sta import Sta
from tests.sts.vectors import COMMON, CREDIT_VECTORS, PAN1, VK, VK160, at

DK1 = bytes.fromhex("e653341f9d5bf36f")


def dk(pan: str) -> bytes:
    return derive_decoder_key(VK, dkga=2, pan=pan, **COMMON)


def test_crc_checks_from_the_notes():
    assert token_crc(0x000B19EB230100) == 0xC207
    assert token_crc(0x00004A2D900FF2) == 0x0FFA


def test_dkga02_pan1():
    assert dk(PAN1) == DK1


def test_tid_of_the_first_vector():
    assert tid_from_time(at(2004, 3, 1, 13, 55), 1993) == 5871715 == 0x599863


def test_sta_block_of_the_first_vector():
    assert Sta(DK1).encrypt(0x05599863000119E6) == 0x492083C0AE7CE455
    assert Sta(DK1).decrypt(0x492083C0AE7CE455) == 0x05599863000119E6


@pytest.mark.parametrize(
    ("what", "pan", "subclass", "when", "amount", "expected"),
    CREDIT_VECTORS,
    ids=[v[0] for v in CREDIT_VECTORS],
)
def test_credit_vectors(what, pan, subclass, when, amount, expected):
    token = credit_token(
        dk(pan), tid=tid_from_time(when), amount=Decimal(amount), rnd=5, subclass=subclass
    )
    assert token.digits == expected
    decoded = decode_token(expected, dk(pan))
    assert decoded.crc_ok
    assert decoded.subclass == subclass
    assert decoded.fields["tid"] == tid_from_time(when)
    assert decoded.fields["amount"] == token.credited


def test_2000_kwh_is_credited_as_2000_4():
    token = credit_token(DK1, tid=0, amount=Decimal("2000.0"), rnd=5)
    assert token.fields["amount_raw"] == 0x416A
    assert token.credited == Decimal("2000.4")


def test_test_all_token():
    assert test_token(control=(1 << 36) - 1, mfr=0).digits == "56493153725450313471"


def test_class_1_subclass_1_token():
    assert test_token(control=(1 << 28) - 1, mfr=0, subclass=1).digits == "02305843005052951967"


def test_max_power_1000_w():
    tid = tid_from_time(at(2004, 3, 28, 9, 1))
    assert max_power_token(DK1, tid=tid, watts=1000, rnd=5).digits == "50901894209860263092"


def test_clear_credit_all_registers():
    tid = tid_from_time(at(2004, 3, 28, 9, 15))
    assert clear_credit_token(DK1, tid=tid, rnd=5).digits == "29511990995826640868"


def test_clear_tamper():
    tid = tid_from_time(at(2004, 3, 28, 10, 0))
    assert clear_tamper_token(DK1, tid=tid, rnd=5).digits == "37037300014464855694"


def test_key_change_ti_01_to_02():
    new = bytes.fromhex("060b8643c59a27f1")
    assert derive_decoder_key(VK, dkga=2, pan=PAN1, kt=2, sgc=123456, ti=2, krn=1) == new
    tokens = key_change_tokens(DK1, new, ken=255, krn=1, ro=0, kt=2, ti=2)
    assert [t.digits for t in tokens] == ["51638423060042734509", "15361891762113502242"]
    first, second = (decode_token(t.digits, DK1) for t in tokens)
    assert first.fields["key_bits"] + second.fields["key_bits"] == new.hex()
    assert (first.fields["krn"], first.fields["kt"], first.fields["ro"]) == (1, 2, 0)
    assert second.fields["ti"] == 2
    assert first.fields["ken_high"] << 4 | second.fields["ken_low"] == 255


def test_direct_key_vector():
    key = bytes.fromhex("0ABC12DEF3456789")
    tid = tid_from_time(at(1996, 3, 25, 13, 55))
    token = credit_token(key, tid=tid, amount=Decimal("25.6"), rnd=0xB)
    assert token.digits == "29054347139309851356"
    assert Sta(key).encrypt(0x0B19EB230100C207) == 0x9335C6C96B7352DC


DKGA04_PARAMS = {"kt": 2, "sgc": 123457, "ti": 1, "krn": 1, "pan": PAN1}


def test_dkga04_data_is_spelled_as_the_notes_show():
    expected = (
        "04023034023933023037023031000406313233343537013201311236303037323730303030303030"
        "303030303900000040"
    )
    assert dkga04_data(base=1993, ea=7, **DKGA04_PARAMS).hex() == expected


def test_dkga04_ea07():
    key = derive_decoder_key(VK160, dkga=4, **DKGA04_PARAMS)
    assert key.hex() == "aa4baa8749c10d27"
    tid = tid_from_time(at(2008, 5, 26, 8, 0))
    assert clear_credit_token(key, tid=tid, rnd=5).digits == "08144275084202187413"
    tid = tid_from_time(at(2009, 1, 1, 8, 0))
    token = credit_token(key, tid=tid, amount=Decimal("0.1"), rnd=5)
    assert token.digits == "15697331168573253829"


def test_dkga04_ea11():
    key = derive_decoder_key(VK160, dkga=4, ea=EA11, **DKGA04_PARAMS)
    assert key.hex() == "f94b6ed353c3bfdb113e2d3a7ea3c41d"
    tid = tid_from_time(at(2004, 3, 1, 13, 0))
    token = credit_token(key, ea=EA11, tid=tid, amount=Decimal("0.1"), rnd=5)
    assert token.digits == "59386323472137426967"
    decoded = decode_token(token.digits, key, ea=EA11)
    assert decoded.crc_ok and decoded.fields["tid"] == tid
