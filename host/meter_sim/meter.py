"""A prepaid meter as STS describes it (STS.md sections 2 and 6), for playing meter.

The meter holds its decoder key and key parameters, a TID memory, one credit register, a
power limit and a tamper flag. ``enter`` takes a typed token and answers as the meter's
display would. The simulator is the acceptance side for everything the server issues, so it
follows the written rules rather than the server's code: it only borrows the engine's
``decode_token`` to decrypt and check the CRC.

Decisions where STS.md leaves room (each one is pinned by a test):

- **Order of checks.** Format, then CRC, then what the token asks for (Function), then key
  type (Key type, DDTK), then the TID (Key expired, Used, Old), then the amount (Range,
  Overflow). A rejected token changes nothing.
- **TID memory** holds the ``memory_size`` most recent TIDs. At manufacture it is full of
  the manufacture TID, so anything older than manufacture is Old. A TID below the oldest one
  remembered is Old only while the memory is full (after a rollover clears it, any unseen
  TID is taken). Accepting a TID into a full memory drops the oldest.
- **Range**: a credit of 0 units, or more than ``max_token`` units in one token (default
  ``None``: whatever a token can carry, 1,820,162.4 units, because the server may issue that
  much). A clear credit token naming a register this meter does not have is also Range.
- **Overflow**: the credit register would exceed ``max_credit`` (default 999,999.9 units, a
  7-digit display with one decimal).
- **Key type**: a meter on an initialisation key (KT 0) takes only key changes and tests.
  **DDTK**: a meter on a default key (KT 1) refuses credit, but takes management tokens.
- **Function**: credit for another meter type, time credit (the simulator models no time
  register), tariff rate and water meter factor (payloads not publicly settled), 3rd and 4th
  key change sections on a 64-bit meter, and reserved subclasses.
- **Key change**: sections are taken in any order and kept, each with a fingerprint of the
  key it arrived under; sections from an earlier key are dropped. The same section again
  replaces the one held. The answer counts the sections now held ("1st/2nd/3rd key change
  accepted"); the last one changes the key and answers Accept. A section whose values are
  out of range (KRN not 1..9, TI above 99, SGC above 999999) is Range.
- **Base date.** A meter compares TIDs as numbers; its base date only says which minute a
  TID stands for. A token cannot say which base date it is for, so the meter moves base on a
  rollover (RO = 1) key change: to ``rollover_base`` when set ("when told"), else to the next
  base date (1993 -> 2014 -> 2035). RO = 1 also clears the TID memory, which is what lets a
  meter that remembered 1993-base TIDs near 2**24 take the small TIDs of base 2014.
"""

from __future__ import annotations

import bisect
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from host.meter_sim.errors import MeterSimError
from host.meter_sim.results import KEY_CHANGE_PROGRESS, Result, ResultName
from server.sts import (
    BASE_DATES,
    EA07,
    EA11,
    KT_DEFAULT,
    KT_INITIALISATION,
    MAX_UNITS,
    DecodedToken,
    StsError,
    decode_token,
    derive_decoder_key,
    parse_meter_number,
    time_from_tid,
)

ELECTRICITY, WATER, GAS = 0, 1, 2
METER_TYPES = {ELECTRICITY: "electricity", WATER: "water", GAS: "gas"}
UNITS = {ELECTRICITY: "kWh", WATER: "m3", GAS: "m3"}
KEY_TYPE_NAMES = {0: "initialisation", 1: "default", 2: "unique", 3: "common"}

DEFAULT_MEMORY_SIZE = 50
DEFAULT_MAX_CREDIT = Decimal("999999.9")
TID_MAX = (1 << 24) - 1
KEN_NEVER_EXPIRES = 255
ALL_REGISTERS = 0xFFFF
MAX_SGC = 999999

# Class 2 subclasses (STS.md section 6).
MAX_POWER, CLEAR_CREDIT, CLEAR_TAMPER, PHASE_UNBALANCE = 0, 1, 5, 6
FIRST, SECOND, THIRD, FOURTH = 3, 4, 8, 9
SECTION_NUMBER = {FIRST: 1, SECOND: 2, THIRD: 3, FOURTH: 4}
# Where each section's 32 key bits go in the new key, from STS.md section 6 (not from the
# engine, so the simulator checks the builder rather than repeating it).
KEY_OFFSETS = {
    EA07: {FIRST: 0, SECOND: 4},
    EA11: {FIRST: 0, THIRD: 4, FOURTH: 8, SECOND: 12},
}
KEY_BYTES = {EA07: 8, EA11: 16}
# What the meter keeps of each section: its values and its share of the new key.
SECTION_FIELDS = {
    FIRST: ("ken_high", "krn", "ro", "kt", "key_bits"),
    SECOND: ("ken_low", "ti", "key_bits"),
    THIRD: ("sgc_low", "key_bits"),
    FOURTH: ("sgc_high", "key_bits"),
}
UNSETTLED = {2: "set tariff rate", 7: "set water meter factor"}

# Class 1 subclass -> how many control bits it carries; all of them set means "test all".
TEST_CONTROL_BITS = {0: 36, 1: 28}


def key_fingerprint(key: bytes) -> str:
    """A short digest naming a key without revealing it (for key change sections held)."""
    return hashlib.sha256(key).hexdigest()[:16]


def next_base(base: int) -> int | None:
    """The base date after ``base`` (None after the last one)."""
    later = sorted(year for year in BASE_DATES if year > base)
    return later[0] if later else None


def _check_int(name: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise MeterSimError(f"{name} {value!r} is outside {low}..{high}")
    return value


def _check_units(name: str, value: object, *, allow_zero: bool) -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise MeterSimError(f"{name} {value!r} is not a decimal number of units")
    if value < 0 or (value == 0 and not allow_zero):
        raise MeterSimError(f"{name} {value} must be {'0 or more' if allow_zero else 'above 0'}")
    if value != value.quantize(Decimal("0.1")):
        raise MeterSimError(f"{name} {value} has more than one decimal place")
    return value


@dataclass(frozen=True)
class PendingSection:
    """A key change section the meter holds until it has all of them."""

    values: dict[str, int | str]
    key_id: str


@dataclass
class MeterSim:
    """One simulated meter. Build it with ``MeterSim.create``; play it with ``enter``.

    The decoder key is held in the clear: this is a simulator for tests and demonstrations,
    never a place for a production key.
    """

    pan: str
    key: bytes
    krn: int
    kt: int
    ti: int
    sgc: int
    ken: int = KEN_NEVER_EXPIRES
    base: int = 1993
    ea: int = EA07
    rollover_base: int | None = None
    meter_type: int = ELECTRICITY
    mfr_code: int = 0
    memory_size: int = DEFAULT_MEMORY_SIZE
    tid_memory: list[int] = field(default_factory=list)
    credit: Decimal = Decimal("0.0")
    max_credit: Decimal = DEFAULT_MAX_CREDIT
    max_token: Decimal | None = None
    power_limit: int | None = None
    phase_unbalance_limit: int | None = None
    tamper: bool = False
    pending: dict[int, PendingSection] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Every way in (create, a state file) passes here, so a meter is always consistent.
        self.pan = parse_meter_number(self.pan).pan
        if self.ea not in KEY_BYTES or isinstance(self.ea, bool):
            raise MeterSimError(f"encryption algorithm {self.ea!r} must be 7 (EA07) or 11 (EA11)")
        if not isinstance(self.key, bytes) or len(self.key) != KEY_BYTES[self.ea]:
            raise MeterSimError(
                f"an EA{self.ea:02d} meter needs a {KEY_BYTES[self.ea] * 8}-bit decoder key "
                f"({KEY_BYTES[self.ea] * 2} hex digits)"
            )
        _check_int("key revision (KRN)", self.krn, 1, 9)
        _check_int("key type (KT)", self.kt, 0, 3)
        _check_int("tariff index (TI)", self.ti, 0, 99)
        _check_int("supply group code (SGC)", self.sgc, 0, MAX_SGC)
        _check_int("key expiry number (KEN)", self.ken, 0, 255)
        for name, year in (("base date", self.base), ("rollover base date", self.rollover_base)):
            if year is not None and year not in BASE_DATES:
                raise MeterSimError(f"{name} {year!r} is not one of 1993, 2014, 2035")
        _check_int("meter type", self.meter_type, 0, 2)
        _check_int("manufacturer code", self.mfr_code, 0, 9999)
        _check_int("TID memory size", self.memory_size, 1, 100_000)
        for tid in self.tid_memory:
            _check_int("remembered TID", tid, 0, TID_MAX)
        if len(self.tid_memory) > self.memory_size:
            raise MeterSimError(
                f"TID memory holds {len(self.tid_memory)} TIDs but its size is {self.memory_size}"
            )
        self.tid_memory = sorted(self.tid_memory)
        _check_units("maximum credit", self.max_credit, allow_zero=False)
        _check_units("credit", self.credit, allow_zero=True)
        if self.credit > self.max_credit:
            raise MeterSimError(f"credit {self.credit} is above the maximum {self.max_credit}")
        if self.max_token is not None:
            _check_units("maximum per token", self.max_token, allow_zero=False)
        for name, watts in (("power limit", self.power_limit),
                            ("phase unbalance limit", self.phase_unbalance_limit)):  # fmt: skip
            if watts is not None:
                _check_int(name, watts, 0, 1 << 32)
        for subclass in self.pending:
            if subclass not in KEY_OFFSETS[self.ea]:
                raise MeterSimError(
                    f"a key change section of subclass {subclass!r} does not belong to an "
                    f"EA{self.ea:02d} meter"
                )

    @classmethod
    def create(
        cls,
        *,
        pan: str,
        kt: int,
        sgc: int,
        ti: int,
        krn: int,
        key: bytes | None = None,
        vk: bytes | None = None,
        dkga: int | None = None,
        ken: int = KEN_NEVER_EXPIRES,
        base: int = 1993,
        ea: int = EA07,
        memory_size: int = DEFAULT_MEMORY_SIZE,
        manufactured_tid: int = 0,
        meter_type: int = ELECTRICITY,
        mfr_code: int = 0,
        max_credit: Decimal | None = None,
        max_token: Decimal | None = None,
        rollover_base: int | None = None,
    ) -> MeterSim:
        """A meter fresh from the factory.

        Give either its decoder ``key``, or a vending key ``vk`` and ``dkga`` (2 or 4) to
        derive it from the meter number and key parameters, as the server does. The TID
        memory starts full of ``manufactured_tid``, so tokens older than manufacture are Old.
        """
        if (key is None) == (vk is None):
            raise MeterSimError("give either the decoder key or a vending key, not both")
        if vk is not None:
            if dkga is None:
                raise MeterSimError("a vending key needs its derivation algorithm (DKGA 2 or 4)")
            key = derive_decoder_key(
                vk, dkga=dkga, pan=pan, kt=kt, sgc=sgc, ti=ti, krn=krn, base=base, ea=ea
            )
        _check_int("manufacture TID", manufactured_tid, 0, TID_MAX)
        _check_int("TID memory size", memory_size, 1, 100_000)
        return cls(
            pan=pan,
            key=key,
            krn=krn,
            kt=kt,
            ti=ti,
            sgc=sgc,
            ken=ken,
            base=base,
            ea=ea,
            rollover_base=rollover_base,
            meter_type=meter_type,
            mfr_code=mfr_code,
            memory_size=memory_size,
            tid_memory=[manufactured_tid] * memory_size,
            max_credit=DEFAULT_MAX_CREDIT if max_credit is None else max_credit,
            max_token=max_token,
        )

    @property
    def unit(self) -> str:
        """What the credit register counts: kWh or m3."""
        return UNITS[self.meter_type]

    @property
    def type_name(self) -> str:
        """electricity, water or gas."""
        return METER_TYPES[self.meter_type]

    @property
    def ea_bits(self) -> int:
        """The decoder key's size in bits: 64 (EA07) or 128 (EA11)."""
        return KEY_BYTES[self.ea] * 8

    def describe_tid(self, tid: int) -> str:
        """'TID 5871715 (2004-03-01 13:55 UTC)' on this meter's base date."""
        return f"TID {tid} ({time_from_tid(tid, self.base):%Y-%m-%d %H:%M} UTC)"

    def detect_tamper(self) -> None:
        """Someone opened the cover: the meter flags tamper until a clear tamper token."""
        self.tamper = True

    # --- tokens ---------------------------------------------------------------------------

    def enter(self, digits: str) -> Result:
        """Type a token into the meter and read its answer. Only an accepted token changes
        the meter (credit, limits, TID memory, key); a rejected one leaves it as it was."""
        try:
            decoded = decode_token(digits, self.key, ea=self.ea, base=self.base)
        except StsError as error:
            if error.code != "format":
                raise
            return Result(ResultName.FORMAT, str(error))
        if not decoded.crc_ok:
            return Result(
                ResultName.CRC_ERROR,
                "the token was not made with this meter's key (another meter, an old key "
                "revision) or a digit was mistyped",
            )
        if decoded.token_class == 1:
            return self._test(decoded)
        if decoded.token_class == 0:
            return self._credit(decoded)
        return self._management(decoded)

    def _test(self, decoded: DecodedToken) -> Result:
        if decoded.subclass not in TEST_CONTROL_BITS:
            reserved = f"test token subclass {decoded.subclass} is reserved"
            return Result(ResultName.FUNCTION, reserved)
        mfr = decoded.fields["mfr"]
        # Code 0 is for every manufacturer's meters; any other code must be this maker's.
        if mfr not in (0, self.mfr_code):
            return Result(
                ResultName.MANUFACTURER_CODE,
                f"the test token is for manufacturer {mfr}; this meter's code is {self.mfr_code}",
            )
        control = decoded.fields["control"]
        if control == (1 << TEST_CONTROL_BITS[decoded.subclass]) - 1:
            control = 0b1011111  # test all: every bit the meter knows
        limit = "none" if self.power_limit is None else f"{self.power_limit} W"
        shows = {
            0: "load switch opened and closed",
            1: "display and buzzer tested",
            2: f"credit {self.credit} {self.unit}",
            3: f"KRN {self.krn}, KT {self.kt} ({KEY_TYPE_NAMES[self.kt]})",
            4: f"TI {self.ti:02d}",
            6: f"power limit {limit}",
        }
        shown = [text for bit, text in shows.items() if control >> bit & 1]
        return Result(ResultName.ACCEPT, "test: " + ("; ".join(shown) or "nothing asked"))

    def _refuse_key_type(self, what: str) -> Result | None:
        if self.kt == KT_INITIALISATION:
            return Result(
                ResultName.KEY_TYPE,
                f"the meter is on an initialisation key (KT 0): it takes no {what} until a "
                "key change",
            )
        return None

    def _check_tid(self, tid: int) -> Result | None:
        if self.ken != KEN_NEVER_EXPIRES and tid >> 16 > self.ken:
            return Result(
                ResultName.KEY_EXPIRED,
                f"{self.describe_tid(tid)} is past the key's expiry (KEN {self.ken}): the "
                "meter needs a key change",
            )
        memory = self.tid_memory
        index = bisect.bisect_left(memory, tid)
        if index < len(memory) and memory[index] == tid:
            return Result(ResultName.USED, f"{self.describe_tid(tid)} was already accepted")
        if len(memory) >= self.memory_size and tid < memory[0]:
            return Result(
                ResultName.OLD,
                f"{self.describe_tid(tid)} is older than the oldest TID the meter remembers "
                f"({memory[0]}); ask for a new token",
            )
        return None

    def _remember(self, tid: int) -> None:
        bisect.insort(self.tid_memory, tid)
        del self.tid_memory[: len(self.tid_memory) - self.memory_size]

    def _credit(self, decoded: DecodedToken) -> Result:
        if decoded.subclass != self.meter_type:
            return Result(
                ResultName.FUNCTION,
                f"this {self.type_name} meter does not take {decoded.kind} tokens",
            )
        refused = self._refuse_key_type("credit")
        if refused:
            return refused
        if self.kt == KT_DEFAULT:
            return Result(
                ResultName.DDTK,
                "the meter is on a default key (KT 1): it takes no credit until a key change "
                "gives it its own key",
            )
        tid = decoded.fields["tid"]
        refused = self._check_tid(tid)
        if refused:
            return refused
        amount: Decimal = decoded.fields["amount"]
        most = MAX_UNITS if self.max_token is None else self.max_token
        if amount == 0 or amount > most:
            return Result(
                ResultName.RANGE,
                f"{amount} {self.unit} is outside what one token may credit (0.1..{most})",
            )
        if self.credit + amount > self.max_credit:
            return Result(
                ResultName.OVERFLOW,
                f"{amount} {self.unit} would take the credit from {self.credit} past the "
                f"register's {self.max_credit} {self.unit}",
            )
        self._remember(tid)
        self.credit += amount
        return Result(
            ResultName.ACCEPT,
            f"{amount} {self.unit} added with {self.describe_tid(tid)}; credit {self.credit} "
            f"{self.unit}",
        )

    def _management(self, decoded: DecodedToken) -> Result:
        sub = decoded.subclass
        if sub in KEY_OFFSETS[self.ea]:
            return self._key_change(decoded)
        if sub not in (MAX_POWER, CLEAR_CREDIT, CLEAR_TAMPER, PHASE_UNBALANCE):
            if sub in UNSETTLED:
                why = f"{UNSETTLED[sub]} tokens are not supported (payload not publicly settled)"
            elif sub in SECTION_NUMBER:
                why = f"a {self.ea_bits}-bit meter has no key change section {SECTION_NUMBER[sub]}"
            else:
                why = f"management subclass {sub} is reserved"
            return Result(ResultName.FUNCTION, why)
        refused = self._refuse_key_type("management tokens")
        if refused:
            return refused
        tid = decoded.fields["tid"]
        refused = self._check_tid(tid)
        if refused:
            return refused
        if sub == CLEAR_CREDIT:
            register = decoded.fields["register"]
            if register not in (ALL_REGISTERS, self.meter_type):
                return Result(
                    ResultName.RANGE,
                    f"this {self.type_name} meter has no register {register} to clear",
                )
            self.credit = Decimal("0.0")
            done = "credit cleared"
        elif sub == CLEAR_TAMPER:
            self.tamper = False
            done = "tamper cleared"
        elif sub == MAX_POWER:
            self.power_limit = decoded.fields["watts"]
            done = f"power limit set to {self.power_limit} W"
        else:
            self.phase_unbalance_limit = decoded.fields["watts"]
            done = f"phase unbalance limit set to {self.phase_unbalance_limit} W"
        self._remember(tid)
        return Result(ResultName.ACCEPT, f"{done} with {self.describe_tid(tid)}")

    def _key_change(self, decoded: DecodedToken) -> Result:
        sub = decoded.subclass
        values = {name: decoded.fields[name] for name in SECTION_FIELDS[sub]}
        number = SECTION_NUMBER[sub]
        out_of_range = self._section_range_error(values)
        if out_of_range:
            return Result(ResultName.RANGE, f"key change section {number}: {out_of_range}")
        key_id = key_fingerprint(self.key)
        # Only sections that arrived under the current key belong to this key change.
        held = {s: p for s, p in self.pending.items() if p.key_id == key_id}
        held[sub] = PendingSection(values, key_id)
        needed = KEY_OFFSETS[self.ea]
        if len(held) < len(needed):
            missing = sorted(SECTION_NUMBER[s] for s in needed if s not in held)
            self.pending = held
            return Result(
                KEY_CHANGE_PROGRESS[len(held)],
                f"section {number} of {len(needed)} held; waiting for section(s) "
                + ", ".join(map(str, missing)),
            )
        return self._change_key(held)

    def _section_range_error(self, values: dict[str, Any]) -> str | None:
        if "krn" in values and not 1 <= values["krn"] <= 9:
            return f"key revision {values['krn']} is outside 1..9"
        if "ti" in values and values["ti"] > 99:
            return f"tariff index {values['ti']} is outside 0..99"
        if "sgc_high" in values and values["sgc_high"] << 12 > MAX_SGC:
            return f"supply group code high part {values['sgc_high']} is too large"
        return None

    def _change_key(self, held: dict[int, PendingSection]) -> Result:
        first, second = held[FIRST].values, held[SECOND].values
        sgc = self.sgc
        if self.ea == EA11:
            sgc = int(held[FOURTH].values["sgc_high"]) << 12 | int(held[THIRD].values["sgc_low"])
            if sgc > MAX_SGC:
                return Result(ResultName.RANGE, f"supply group code {sgc} is above {MAX_SGC}")
        key = bytearray(KEY_BYTES[self.ea])
        for subclass, offset in KEY_OFFSETS[self.ea].items():
            key[offset : offset + 4] = bytes.fromhex(str(held[subclass].values["key_bits"]))
        before = f"KRN {self.krn}, TI {self.ti:02d}"
        self.key = bytes(key)
        self.krn, self.kt = int(first["krn"]), int(first["kt"])
        self.ti, self.sgc = int(second["ti"]), sgc
        self.ken = int(first["ken_high"]) << 4 | int(second["ken_low"])
        self.pending = {}
        detail = (
            f"key changed ({before} -> KRN {self.krn}, TI {self.ti:02d}; KT {self.kt} "
            f"({KEY_TYPE_NAMES[self.kt]}), KEN {self.ken})"
        )
        if first["ro"]:
            self.tid_memory = []
            target = self.rollover_base or next_base(self.base)
            if target is not None:
                self.base = target
            self.rollover_base = None
            detail += f"; rollover: TID memory cleared, base date {self.base}"
        return Result(ResultName.ACCEPT, detail)
