"""Which decoder key a meter holds, and when a vend must first move it to a new one."""

from dataclasses import dataclass, replace

from server.domain.errors import InvalidInput

BASE_DATES = (1993, 2014, 2035)
ALGORITHMS = (7, 11)  # EA07 (STA), EA11 (MISTY1)
DERIVATIONS = (2, 4)  # DKGA02 (DES), DKGA04 (HMAC-SHA-256)
KEY_TYPES = (0, 1, 2, 3)  # initialisation, default, unique, common


@dataclass(frozen=True)
class KeyIdentity:
    """Everything that, with the vending key, determines a meter's decoder key."""

    sgc: int
    krn: int
    ti: int
    kt: int = 2
    base: int = 2014
    ea: int = 7
    dkga: int = 2
    ken: int = 255

    def __post_init__(self) -> None:
        check_key_identity(self)

    def rolls_over_from(self, old: "KeyIdentity") -> bool:
        """True when moving to this key changes base date: the meter must clear its TID memory."""
        return self.base != old.base


def check_key_identity(key: KeyIdentity) -> None:
    """Refuse values an STS decoder key cannot carry, naming the field."""
    if not 0 <= key.sgc <= 999_999:
        raise InvalidInput("invalid_key", f"supply group code {key.sgc}: expected 6 digits")
    if not 1 <= key.krn <= 9:
        raise InvalidInput("invalid_key", f"key revision {key.krn}: expected 1 to 9")
    if not 0 <= key.ti <= 99:
        raise InvalidInput("invalid_key", f"tariff index {key.ti}: expected 0 to 99")
    if key.kt not in KEY_TYPES:
        raise InvalidInput("invalid_key", f"key type {key.kt}: expected 0, 1, 2 or 3")
    if key.base not in BASE_DATES:
        raise InvalidInput("invalid_key", f"base date {key.base}: expected 1993, 2014 or 2035")
    if key.ea not in ALGORITHMS:
        raise InvalidInput("invalid_key", f"algorithm EA{key.ea:02d}: expected EA07 or EA11")
    if key.dkga not in DERIVATIONS:
        raise InvalidInput("invalid_key", f"derivation DKGA{key.dkga:02d}: expected 02 or 04")
    if key.dkga == 2 and key.ea != 7:
        raise InvalidInput("invalid_key", "DKGA02 makes 64-bit keys: it only works with EA07")
    if not 0 <= key.ken <= 255:
        raise InvalidInput("invalid_key", f"key expiry number {key.ken}: expected 0 to 255")


def due_key(
    current: KeyIdentity, *, krn: int, base: int, ti: int | None = None
) -> KeyIdentity | None:
    """The key a meter must move to before its next credit, or None if it is up to date.

    `krn` and `base` are the supply group's current revision and base date; `ti` a tariff
    index change waiting for this meter.
    """
    wanted = replace(current, krn=krn, base=base, ti=current.ti if ti is None else ti)
    return None if wanted == current else wanted
