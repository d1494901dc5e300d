"""Decoder keys: DKGA02 (single DES) and DKGA04 (HMAC-SHA-256), from the vending key."""

from __future__ import annotations

import hashlib
import hmac

from Crypto.Cipher import DES

from server.sts.errors import StsError
from server.sts.meter_number import MeterNumber, parse_meter_number
from server.sts.tid import check_base

KT_INITIALISATION = 0
KT_DEFAULT = 1
KT_UNIQUE = 2
KT_COMMON = 3
KEY_TYPES = {
    KT_INITIALISATION: "initialisation",
    KT_DEFAULT: "default",
    KT_UNIQUE: "unique",
    KT_COMMON: "common",
}

EA07 = 7
EA11 = 11
KEY_BYTES = {EA07: 8, EA11: 16}


def check_ea(ea: int) -> int:
    """The encryption algorithm code, refused unless it is 7 (STA) or 11 (MISTY1)."""
    if ea not in KEY_BYTES or isinstance(ea, bool):
        if ea == 9:
            raise StsError("EA09 (DES) is not supported: no public vectors exist", "not_supported")
        raise StsError(f"encryption algorithm {ea!r} must be 7 (EA07) or 11 (EA11)", "invalid")
    return ea


def _check_int(name: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise StsError(f"{name} {value!r} is outside {low}..{high}", "invalid")
    return value


def check_key_params(kt: int, sgc: int, ti: int, krn: int) -> None:
    """Refuse key type, supply group, tariff index or key revision outside STS ranges."""
    _check_int("key type (KT)", kt, 0, 3)
    _check_int("supply group code (SGC)", sgc, 0, 999999)
    _check_int("tariff index (TI)", ti, 0, 99)
    _check_int("key revision (KRN)", krn, 1, 9)


def _meter(pan: str | MeterNumber) -> MeterNumber:
    return pan if isinstance(pan, MeterNumber) else parse_meter_number(pan)


def dkga02(vk: bytes, *, pan: str | MeterNumber, kt: int, sgc: int, ti: int, krn: int) -> bytes:
    """DKGA02: DK = DES(VK, D) xor D xor VK, with D = PANBlock xor CONTROLBlock."""
    if len(vk) != 8:
        raise StsError(f"DKGA02 needs a 64-bit vending key, got {len(vk) * 8} bits", "key")
    check_key_params(kt, sgc, ti, krn)
    meter = _meter(pan)
    control = bytes.fromhex(f"{kt:X}{sgc:06d}{ti:02d}{krn:X}FFFFFF")
    data = bytes(a ^ b for a, b in zip(meter.pan_block, control, strict=True))
    encrypted = DES.new(vk, DES.MODE_ECB).encrypt(data)
    return bytes(e ^ d ^ k for e, d, k in zip(encrypted, data, vk, strict=True))


def _field(text: str) -> bytes:
    return bytes([len(text)]) + text.encode("ascii")


def dkga04_data(
    *, pan: str | MeterNumber, kt: int, sgc: int, ti: int, krn: int, base: int, ea: int
) -> bytes:
    """The HMAC input of DKGA04: label, a zero byte, context, then L (the key length in bits)."""
    meter = _meter(pan)
    bits = KEY_BYTES[check_ea(ea)] * 8
    label = b"\x04" + _field("04") + _field(f"{base % 100:02d}") + _field(f"{ea:02d}")
    label += _field(f"{ti:02d}")
    context = b"\x04" + _field(f"{sgc:06d}") + _field(f"{kt:X}") + _field(f"{krn:X}")
    context += _field(meter.pan)
    return label + b"\x00" + context + bits.to_bytes(4, "big")


def dkga04(
    vk: bytes,
    *,
    pan: str | MeterNumber,
    kt: int,
    sgc: int,
    ti: int,
    krn: int,
    base: int = 1993,
    ea: int = EA07,
) -> bytes:
    """DKGA04: the first 64 (EA07) or 128 (EA11) bits of HMAC-SHA256(VK, data)."""
    if len(vk) != 20:
        raise StsError(f"DKGA04 needs a 160-bit vending key, got {len(vk) * 8} bits", "key")
    check_key_params(kt, sgc, ti, krn)
    check_base(base)
    data = dkga04_data(pan=pan, kt=kt, sgc=sgc, ti=ti, krn=krn, base=base, ea=ea)
    return hmac.new(vk, data, hashlib.sha256).digest()[: KEY_BYTES[ea]]


def derive_decoder_key(
    vk: bytes,
    *,
    dkga: int,
    pan: str | MeterNumber,
    kt: int,
    sgc: int,
    ti: int,
    krn: int,
    base: int = 1993,
    ea: int = EA07,
) -> bytes:
    """The meter's decoder key by DKGA02 or DKGA04: 8 bytes for EA07, 16 for EA11."""
    check_ea(ea)
    if dkga == 2:
        if ea != EA07:
            raise StsError("DKGA02 makes 64-bit keys; EA11 needs DKGA04", "invalid")
        check_base(base)
        return dkga02(vk, pan=pan, kt=kt, sgc=sgc, ti=ti, krn=krn)
    if dkga == 4:
        return dkga04(vk, pan=pan, kt=kt, sgc=sgc, ti=ti, krn=krn, base=base, ea=ea)
    raise StsError(f"key derivation algorithm {dkga!r} must be 2 (DKGA02) or 4 (DKGA04)", "invalid")
