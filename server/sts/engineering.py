"""Engineering tokens: class 2 management (power limits, clear credit, clear tamper) and
class 1 test/display tokens."""

from __future__ import annotations

from server.sts.amount import MAX_TENTHS, decode_amount, encode_amount
from server.sts.cipher import block_cipher
from server.sts.errors import StsError
from server.sts.fields import check_int, timed_payload_head
from server.sts.keys import EA07
from server.sts.token import CLASS_MANAGEMENT, CLASS_TEST, KINDS, Token, assemble

MAX_POWER = 0
CLEAR_CREDIT = 1
TARIFF_RATE = 2
CLEAR_TAMPER = 5
PHASE_UNBALANCE = 6
WATER_FACTOR = 7

ALL_REGISTERS = 0xFFFF
REGISTER_NAMES = {0: "electricity", 1: "water", 2: "gas", 3: "time", ALL_REGISTERS: "all"}

# Class 1 control bits: what a test token asks the meter to do.
CONTROL_BITS = {
    0: "open the load switch",
    1: "test display and buzzer",
    2: "show total units",
    3: "show key revision and key type",
    4: "show tariff index",
    6: "show power limit",
}
TEST_LAYOUTS = {0: (36, 8, 99), 1: (28, 16, 9999)}  # subclass: control bits, mfr bits, max mfr


def _management(
    key: bytes, subclass: int, tid: int, low16: int, *, ea: int, rnd: int | None, ken: int
) -> tuple[str, int]:
    head = timed_payload_head(tid, rnd, ken)
    return assemble(CLASS_MANAGEMENT, subclass, head | low16, block_cipher(ea, key)), head >> 40


def _power_token(subclass: int, key: bytes, tid: int, watts: int, ea: int, rnd, ken) -> Token:
    check_int("power limit (W)", watts, 0, MAX_TENTHS, "amount_range")
    raw = encode_amount(watts)
    effective = decode_amount(raw)
    digits, rnd_used = _management(key, subclass, tid, raw, ea=ea, rnd=rnd, ken=ken)
    return Token(
        digits=digits,
        token_class=CLASS_MANAGEMENT,
        subclass=subclass,
        tid=tid,
        description=f"{KINDS[(2, subclass)]} {effective} W",
        fields={"rnd": rnd_used, "tid": tid, "amount_raw": raw, "watts": effective},
    )


def max_power_token(
    key: bytes, *, tid: int, watts: int, ea: int = EA07, rnd: int | None = None, ken: int = 255
) -> Token:
    """Set the meter's maximum power limit (watts, rounded up as amounts are)."""
    return _power_token(MAX_POWER, key, tid, watts, ea, rnd, ken)


def phase_unbalance_token(
    key: bytes, *, tid: int, watts: int, ea: int = EA07, rnd: int | None = None, ken: int = 255
) -> Token:
    """Set the meter's maximum phase power unbalance limit (watts)."""
    return _power_token(PHASE_UNBALANCE, key, tid, watts, ea, rnd, ken)


def clear_credit_token(
    key: bytes,
    *,
    tid: int,
    register: int = ALL_REGISTERS,
    ea: int = EA07,
    rnd: int | None = None,
    ken: int = 255,
) -> Token:
    """Clear a credit register (0xFFFF: all of them)."""
    check_int("register", register, 0, 0xFFFF)
    digits, rnd_used = _management(key, CLEAR_CREDIT, tid, register, ea=ea, rnd=rnd, ken=ken)
    name = REGISTER_NAMES.get(register, f"register {register}")
    return Token(
        digits=digits,
        token_class=CLASS_MANAGEMENT,
        subclass=CLEAR_CREDIT,
        tid=tid,
        description=f"clear credit ({name})",
        fields={"rnd": rnd_used, "tid": tid, "register": register},
    )


def clear_tamper_token(
    key: bytes, *, tid: int, ea: int = EA07, rnd: int | None = None, ken: int = 255
) -> Token:
    """Clear the meter's tamper state."""
    digits, rnd_used = _management(key, CLEAR_TAMPER, tid, 0, ea=ea, rnd=rnd, ken=ken)
    return Token(
        digits=digits,
        token_class=CLASS_MANAGEMENT,
        subclass=CLEAR_TAMPER,
        tid=tid,
        description="clear tamper",
        fields={"rnd": rnd_used, "tid": tid},
    )


def refuse_unsupported(token_class: int, subclass: int) -> None:
    """Tariff-rate and water-factor payloads are not publicly settled: never guess them."""
    if (token_class, subclass) in {(2, TARIFF_RATE), (2, WATER_FACTOR)}:
        raise StsError(
            f"{KINDS[(token_class, subclass)]} tokens (class 2, subclass {subclass}) are not "
            "supported: their payload is not publicly specified",
            "not_supported",
        )


def control_names(subclass: int, control: int) -> list[str]:
    """What a test token's control bits ask for, in words."""
    control_bits = TEST_LAYOUTS[subclass][0]
    if control == (1 << control_bits) - 1:
        return ["test all"]
    return [name for bit, name in CONTROL_BITS.items() if control >> bit & 1]


def test_token(*, control: int, mfr: int = 0, subclass: int = 0) -> Token:
    """A class 1 test/display token (not encrypted: any meter of the manufacturer takes it).

    Subclass 0 carries 36 control bits and a 2-digit manufacturer code; subclass 1 carries
    28 control bits and a 4-digit one.
    """
    if subclass not in TEST_LAYOUTS or isinstance(subclass, bool):
        raise StsError(f"test token subclass {subclass!r} must be 0 or 1", "invalid")
    control_bits, mfr_bits, max_mfr = TEST_LAYOUTS[subclass]
    check_int("control", control, 0, (1 << control_bits) - 1)
    check_int("manufacturer code", mfr, 0, max_mfr)
    digits = assemble(CLASS_TEST, subclass, control << mfr_bits | mfr)
    return Token(
        digits=digits,
        token_class=CLASS_TEST,
        subclass=subclass,
        description=f"{KINDS[(1, subclass)]}: {', '.join(control_names(subclass, control))}",
        fields={"control": control, "mfr": mfr},
    )


# Not a pytest test, though its name starts with "test": keep collectors away when imported.
test_token.__test__ = False  # type: ignore[attr-defined]
