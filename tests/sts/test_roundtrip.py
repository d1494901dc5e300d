"""Encode then decode gives back every field, for every class, key size and algorithm."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.sts import (
    EA07,
    EA11,
    StsError,
    clear_credit_token,
    clear_tamper_token,
    credit_token,
    decode_token,
    key_change_tokens,
    max_power_token,
    phase_unbalance_token,
    refuse_unsupported,
    test_token,
)
from server.sts.amount import MAX_TENTHS, decode_amount
from server.sts.cipher import block_cipher
from server.sts.tid import TID_MAX

algorithms = st.sampled_from([EA07, EA11])
tids = st.integers(0, TID_MAX)
rnds = st.integers(0, 15)
tenths = st.integers(0, MAX_TENTHS)


def key_for(ea: int, data: st.DataObject) -> bytes:
    return data.draw(st.binary(min_size=8 if ea == EA07 else 16, max_size=8 if ea == EA07 else 16))


@given(st.data(), algorithms, st.integers(0, 3), tids, rnds, tenths)
def test_credit_tokens_round_trip(data, ea, subclass, tid, rnd, amount_tenths):
    key = key_for(ea, data)
    amount = Decimal(amount_tenths).scaleb(-1)
    token = credit_token(key, ea=ea, tid=tid, amount=amount, rnd=rnd, subclass=subclass)
    assert len(token.digits) == 20 and token.digits.isdigit()
    decoded = decode_token(token.digits, key, ea=ea)
    assert decoded.crc_ok
    assert (decoded.token_class, decoded.subclass) == (0, subclass)
    assert (decoded.fields["tid"], decoded.fields["rnd"]) == (tid, rnd)
    assert decoded.fields["amount"] == token.credited >= amount


@given(st.data(), algorithms, tids, rnds, st.integers(0, MAX_TENTHS))
def test_power_limit_tokens_round_trip(data, ea, tid, rnd, watts):
    key = key_for(ea, data)
    for make, subclass in ((max_power_token, 0), (phase_unbalance_token, 6)):
        token = make(key, ea=ea, tid=tid, watts=watts, rnd=rnd)
        decoded = decode_token(token.digits, key, ea=ea)
        assert decoded.crc_ok and (decoded.token_class, decoded.subclass) == (2, subclass)
        assert decoded.fields["tid"] == tid
        assert decoded.fields["watts"] == token.fields["watts"] >= watts


@given(st.data(), algorithms, tids, rnds, st.integers(0, 0xFFFF))
def test_clear_tokens_round_trip(data, ea, tid, rnd, register):
    key = key_for(ea, data)
    decoded = decode_token(
        clear_credit_token(key, ea=ea, tid=tid, register=register, rnd=rnd).digits, key, ea=ea
    )
    assert decoded.crc_ok and decoded.subclass == 1
    assert (decoded.fields["tid"], decoded.fields["register"]) == (tid, register)
    decoded = decode_token(clear_tamper_token(key, ea=ea, tid=tid, rnd=rnd).digits, key, ea=ea)
    assert decoded.crc_ok and decoded.subclass == 5 and decoded.fields["tid"] == tid


@given(st.integers(0, (1 << 36) - 1), st.integers(0, 99))
def test_test_tokens_with_2_digit_manufacturer_round_trip(control, mfr):
    decoded = decode_token(test_token(control=control, mfr=mfr).digits)
    assert decoded.crc_ok and (decoded.token_class, decoded.subclass) == (1, 0)
    assert (decoded.fields["control"], decoded.fields["mfr"]) == (control, mfr)


@given(st.integers(0, (1 << 28) - 1), st.integers(0, 9999))
def test_test_tokens_with_4_digit_manufacturer_round_trip(control, mfr):
    decoded = decode_token(test_token(control=control, mfr=mfr, subclass=1).digits)
    assert decoded.crc_ok and decoded.subclass == 1
    assert (decoded.fields["control"], decoded.fields["mfr"]) == (control, mfr)


@given(
    st.data(),
    algorithms,
    st.integers(0, 255),
    st.integers(1, 9),
    st.integers(0, 1),
    st.integers(0, 3),
    st.integers(0, 99),
    st.integers(0, 999999),
)
def test_key_change_tokens_carry_the_whole_new_key(data, ea, ken, krn, ro, kt, ti, sgc):
    old, new = key_for(ea, data), key_for(ea, data)
    tokens = key_change_tokens(old, new, ea=ea, ken=ken, krn=krn, ro=ro, kt=kt, ti=ti, sgc=sgc)
    assert len(tokens) == (2 if ea == EA07 else 4)
    sections = {}
    for token in tokens:
        decoded = decode_token(token.digits, old, ea=ea)
        assert decoded.crc_ok and decoded.token_class == 2
        sections[decoded.fields["section"]] = decoded.fields
    first, second = sections[1], sections[2]
    assert first["ken_high"] << 4 | second["ken_low"] == ken
    assert (first["krn"], first["ro"], first["kt"], second["ti"]) == (krn, ro, kt, ti)
    if ea == EA07:
        carried = first["key_bits"] + second["key_bits"]
    else:
        third, fourth = sections[3], sections[4]
        carried = first["key_bits"] + third["key_bits"] + fourth["key_bits"] + second["key_bits"]
        assert fourth["sgc_high"] << 12 | third["sgc_low"] == sgc
    assert carried == new.hex()


@given(st.data(), algorithms, tids, tenths)
def test_another_key_fails_the_crc(data, ea, tid, amount_tenths):
    key, other = key_for(ea, data), key_for(ea, data)
    if key == other:
        return
    token = credit_token(key, ea=ea, tid=tid, amount=Decimal(amount_tenths).scaleb(-1), rnd=0)
    # A wrong key decrypts to noise; the 16-bit CRC lets about 1 in 65536 through.
    decoded = decode_token(token.digits, other, ea=ea)
    if decoded.crc_ok:
        assert decoded.fields != token.fields
    else:
        assert decoded.fields.keys() == {"payload"}


def test_a_mistyped_digit_fails_the_crc_or_the_format():
    key = bytes.fromhex("e653341f9d5bf36f")
    token = "23716100501183194197"
    for i in range(20):
        for d in "0123456789":
            if d == token[i]:
                continue
            typo = token[:i] + d + token[i + 1 :]
            try:
                decoded = decode_token(typo, key)
            except StsError:
                continue
            assert not decoded.crc_ok, typo


@pytest.mark.parametrize(
    ("digits", "message"),
    [
        ("2371610050118319419", "has 19 digits"),
        ("237161005011831941977", "has 21 digits"),
        ("2371610050118319419x", "'x' is not a digit"),
        ("99999999999999999999", "more than 66 bits"),
    ],
)
def test_what_is_not_a_token_is_refused(digits, message):
    with pytest.raises(StsError, match=message) as info:
        decode_token(digits, bytes(8))
    assert info.value.code == "format"


def test_class_3_is_reserved():
    value = int("23716100501183194197") | (3 << 27)
    with pytest.raises(StsError, match="class 3 is reserved"):
        decode_token(f"{value:020d}", bytes(8))


def test_encrypted_classes_need_a_key():
    with pytest.raises(StsError, match="decoder key is needed"):
        decode_token("23716100501183194197")


@pytest.mark.parametrize(("cls", "sub"), [(2, 2), (2, 7)])
def test_tariff_rate_and_water_factor_are_not_supported(cls, sub):
    with pytest.raises(StsError, match="not supported") as info:
        refuse_unsupported(cls, sub)
    assert info.value.code == "not_supported"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: credit_token(bytes(8), tid=1, amount="1", subclass=4), "credit subclass 4"),
        (lambda: credit_token(bytes(8), tid=1 << 24, amount="1"), "TID 16777216 is outside"),
        (lambda: credit_token(bytes(8), tid=1, amount="1", rnd=16), "RND 16 is outside"),
        (lambda: credit_token(bytes(7), tid=1, amount="1"), "64-bit decoder key"),
        (lambda: credit_token(bytes(8), tid=1, amount="1", ea=11), "128-bit decoder key"),
        (lambda: credit_token(bytes(8), tid=1, amount="1", ea=9), "EA09"),
        (lambda: credit_token(bytes(8), tid=0x10000, amount="1", ken=0), "Key expired"),
        (lambda: max_power_token(bytes(8), tid=1, watts=-1), "power limit"),
        (lambda: clear_credit_token(bytes(8), tid=1, register=0x10000), "register"),
        (lambda: test_token(control=1 << 36), "control"),
        (lambda: test_token(control=1, mfr=100), "manufacturer code 100"),
        (lambda: test_token(control=1, subclass=2), "subclass 2 must be 0 or 1"),
        (lambda: key_change_tokens(bytes(8), bytes(16), ken=1, krn=1, ro=0, kt=2, ti=1), "new key"),
        (lambda: key_change_tokens(bytes(8), bytes(8), ken=1, krn=0, ro=0, kt=2, ti=1), "KRN"),
        (
            lambda: key_change_tokens(bytes(16), bytes(16), ea=11, ken=1, krn=1, ro=0, kt=2, ti=1),
            "supply group code",
        ),
    ],
)
def test_builders_refuse_bad_fields_clearly(call, message):
    with pytest.raises(StsError, match=message):
        call()


def test_unit_credit_reported_is_what_the_meter_reads():
    token = credit_token(bytes(8), tid=1, amount="1638.41", rnd=0)
    # 1638.41 kWh rounds up to 16385 tenths, past exponent 0: mantissa ceil(1/10) = 1, so the
    # meter reads 16384 + 10 = 16394 tenths.
    assert token.credited == Decimal(decode_amount(0x4001)).scaleb(-1) == Decimal("1639.4")


@pytest.mark.parametrize(("cls", "sub"), [(0, 4), (0, 15), (2, 2), (2, 7), (2, 12), (1, 5)])
def test_reserved_and_unsettled_layouts_decode_to_their_bare_payload(cls, sub):
    from server.sts.token import assemble

    key = bytes.fromhex("e653341f9d5bf36f")
    cipher = None if cls == 1 else block_cipher(EA07, key)
    decoded = decode_token(assemble(cls, sub, 123 << 16 | 10, cipher), key)
    assert decoded.crc_ok and (decoded.token_class, decoded.subclass) == (cls, sub)
    assert decoded.fields == {"payload": f"{123 << 16 | 10:011x}"}
