"""The security module's interface: seal vending keys, make tokens; never hand a key out."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

from server.domain.meter_keys import KeyIdentity

if TYPE_CHECKING:
    from server.sts import Token


@dataclass(frozen=True)
class MeterCredentials:
    """A meter as the security module needs it: its number and the key it holds now."""

    pan: str
    key: KeyIdentity


@dataclass(frozen=True)
class Credit:
    """A credit token for `kwh` (0.1 resolution) with this TID."""

    kwh: Decimal
    tid: int


@dataclass(frozen=True)
class ClearCredit:
    """Clear a credit register (0xFFFF: all)."""

    tid: int
    register: int = 0xFFFF


@dataclass(frozen=True)
class ClearTamper:
    """Clear the meter's tamper condition."""

    tid: int


@dataclass(frozen=True)
class MaxPower:
    """Set the maximum power limit in watts."""

    tid: int
    watts: int


@dataclass(frozen=True)
class PhaseUnbalance:
    """Set the maximum phase power unbalance limit in watts."""

    tid: int
    watts: int


@dataclass(frozen=True)
class TestToken:
    """An unencrypted class 1 test token."""

    control: int
    mfr: int = 0
    subclass: int = 0


TokenOrder = Credit | ClearCredit | ClearTamper | MaxPower | PhaseUnbalance | TestToken

# Given (SGC, KRN), the sealed vending key as stored, or None if none was imported.
KeyLookup = Callable[[int, int], "bytes | None"]


class SecurityModule(Protocol):
    """Holds vending keys; makes tokens. Implementations must never return or log a key."""

    def seal_vending_key(self, vending_key: bytes, *, sgc: int, krn: int, dkga: int) -> bytes:
        """Check and seal a vending key for storage; the result opens only inside this module."""
        ...

    def check_master_key(self, sealed_check: bytes | None) -> bytes:
        """Verify the master key against a stored check value (or make one when None)."""
        ...

    def seal_secret(self, purpose: str, label: str, secret: bytes) -> bytes:
        """Seal a small secret of another kind (a device's link secret, an operator's TOTP
        secret) for storage, under a key this module derives for `purpose` alone; `label`
        binds the blob to its row so it cannot be moved to another."""
        ...

    def open_secret(self, purpose: str, label: str, sealed: bytes) -> bytes:
        """The clear secret sealed by `seal_secret` with the same purpose and label; raises
        SealError (server.security.sealing) for another key, label or altered data."""
        ...

    def make_tokens(
        self,
        meter: MeterCredentials,
        orders: Sequence[TokenOrder],
        *,
        keys: KeyLookup,
        new_key: KeyIdentity | None = None,
    ) -> "list[Token]":
        """Tokens for `meter`: key change tokens to `new_key` first if given, then `orders`
        (encrypted under the new key when there is one)."""
        ...
