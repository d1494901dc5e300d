"""The default security module: vending keys sealed with AES-GCM under the master key."""

import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence

from server import sts
from server.domain.errors import Conflict, InvalidInput, Unavailable
from server.domain.meter_keys import KeyIdentity
from server.security.module import (
    ClearCredit,
    ClearTamper,
    Credit,
    KeyLookup,
    MaxPower,
    MeterCredentials,
    PhaseUnbalance,
    TestToken,
    TokenOrder,
)
from server.security.sealing import SealError, seal, unseal

# Vending key length by derivation algorithm: DES for DKGA02, 160-bit HMAC key for DKGA04.
VENDING_KEY_BYTES = {2: 8, 4: 20}
_CHECK_LABEL = "gridvend-master-key-check"
# The token engine's refusal codes, as this server's API names them.
_STS_CODES = {"tid_overflow": "key_change_needed", "key_expired": "key_expired"}
_CHECK_TEXT = b"gridvend master key check v1"


_DERIVED_MAX = 100_000  # decoder keys kept (some 30 MB at most)
_PURPOSE = re.compile(r"[a-z][a-z ]{2,40}")


def _label(sgc: int, krn: int) -> str:
    return f"gridvend-vending-key:sgc={sgc:06d}:krn={krn}"


class SoftwareSecurityModule:
    """Keeps vending keys encrypted at rest and opens one only to derive a meter's key."""

    def __init__(self, master_key: bytes) -> None:
        if len(master_key) != 32:
            raise ValueError("the master key must be 32 bytes")
        self._master_key = master_key
        # Opened vending keys, by label and sealed blob: like an HSM session, the module keeps a key
        # it has opened instead of decrypting it for every token. Never leaves the module.
        self._opened: dict[tuple[str, bytes], bytes] = {}
        self._purpose_keys: dict[str, bytes] = {}
        self._derived: dict[tuple[str, KeyIdentity, bytes], bytes] = {}

    def __repr__(self) -> str:  # never show the key, even in a traceback's locals
        return "SoftwareSecurityModule(<sealed>)"

    def seal_vending_key(self, vending_key: bytes, *, sgc: int, krn: int, dkga: int) -> bytes:
        """Check the key's length for its derivation algorithm and seal it."""
        want = VENDING_KEY_BYTES.get(dkga)
        if want is None:
            raise InvalidInput("invalid_key", f"derivation DKGA{dkga:02d}: expected 02 or 04")
        if len(vending_key) != want:
            raise InvalidInput(
                "invalid_key",
                f"a DKGA{dkga:02d} vending key has {want * 8} bits ({want * 2} hex digits), "
                f"this one has {len(vending_key) * 8}",
            )
        return seal(self._master_key, vending_key, _label(sgc, krn))

    def check_master_key(self, sealed_check: bytes | None) -> bytes:
        """Return a check value for this master key, refusing one sealed under another key."""
        if sealed_check is None:
            return seal(self._master_key, _CHECK_TEXT, _CHECK_LABEL)
        try:
            if unseal(self._master_key, sealed_check, _CHECK_LABEL) == _CHECK_TEXT:
                return sealed_check
        except SealError:
            pass
        raise Unavailable(
            "wrong_master_key",
            "the master key does not match the one this database was set up with",
        )

    def seal_secret(self, purpose: str, label: str, secret: bytes) -> bytes:
        """AES-GCM under HMAC-SHA-256(master key, "gridvend <purpose> v1"), bound to label."""
        return seal(self._purpose_key(purpose), secret, label)

    def open_secret(self, purpose: str, label: str, sealed: bytes) -> bytes:
        """The secret sealed by seal_secret; SealError for another key, label or altered data."""
        return unseal(self._purpose_key(purpose), bytes(sealed), label)

    def _purpose_key(self, purpose: str) -> bytes:
        # A key per purpose, so a blob sealed for one use never opens as another, and none of
        # them opens a vending key (those are sealed under the master key itself).
        key = self._purpose_keys.get(purpose)
        if key is None:
            if not _PURPOSE.fullmatch(purpose):
                raise ValueError(f"not a secret purpose: {purpose!r}")
            derivation = f"gridvend {purpose} v1".encode()
            key = hmac.new(self._master_key, derivation, hashlib.sha256).digest()
            self._purpose_keys[purpose] = key
        return key

    def make_tokens(
        self,
        meter: MeterCredentials,
        orders: Sequence[TokenOrder],
        *,
        keys: KeyLookup,
        new_key: KeyIdentity | None = None,
    ) -> "list[sts.Token]":
        """Key change tokens (if `new_key`), then one token per order, in that order."""
        current = meter.key
        tokens: list[sts.Token] = []
        try:
            key = (
                self._decoder_key(meter.pan, current, keys) if _needs_key(orders, new_key) else b""
            )
            if new_key is not None:
                if new_key.ea != current.ea:
                    raise InvalidInput(
                        "invalid_key", "a key change cannot switch encryption algorithm"
                    )
                new_dk = self._decoder_key(meter.pan, new_key, keys)
                tokens += sts.key_change_tokens(
                    key,
                    new_dk,
                    ea=current.ea,
                    ken=new_key.ken,
                    krn=new_key.krn,
                    ro=1 if new_key.rolls_over_from(current) else 0,
                    kt=new_key.kt,
                    ti=new_key.ti,
                    sgc=new_key.sgc if new_key.ea == 11 else None,
                )
                key, current = new_dk, new_key
            tokens += [self._token(key, current.ea, order) for order in orders]
        except sts.StsError as exc:
            code = _STS_CODES.get(exc.code, "token_refused")
            raise Conflict(code, str(exc)) from None
        return tokens

    def _decoder_key(self, pan: str, key: KeyIdentity, keys: KeyLookup) -> bytes:
        sealed = keys(key.sgc, key.krn)
        if sealed is None:
            raise Unavailable(
                "vending_key_missing",
                f"no vending key for supply group {key.sgc:06d} revision {key.krn}: "
                "import it with `gridvend keys import`",
            )
        label = _label(key.sgc, key.krn)
        vending_key = self._opened.get((label, sealed))
        if vending_key is None:
            try:
                vending_key = unseal(self._master_key, sealed, label)
            except SealError as exc:
                raise Unavailable("vending_key_unreadable", str(exc)) from None
            self._opened[(label, sealed)] = vending_key
        # Decoder keys derived before, by meter and key identity (and the sealed vending key,
        # so a re-imported key is never answered from here): a meter's key changes rarely,
        # and deriving it costs more than making its token. Bounded; like the opened keys
        # above, it never leaves the module.
        cache_key = (pan, key, sealed)
        decoder_key = self._derived.get(cache_key)
        if decoder_key is None:
            decoder_key = self._derive(vending_key, pan, key)
            if len(self._derived) >= _DERIVED_MAX:
                self._derived.clear()
            self._derived[cache_key] = decoder_key
        return decoder_key

    @staticmethod
    def _derive(vending_key: bytes, pan: str, key: KeyIdentity) -> bytes:
        return sts.derive_decoder_key(
            vending_key,
            dkga=key.dkga,
            pan=pan,
            kt=key.kt,
            sgc=key.sgc,
            ti=key.ti,
            krn=key.krn,
            base=key.base,
            ea=key.ea,
        )

    @staticmethod
    def _token(key: bytes, ea: int, order: TokenOrder) -> "sts.Token":
        rnd = secrets.randbelow(16)
        match order:
            case Credit(kwh=kwh, tid=tid):
                return sts.credit_token(key, ea=ea, tid=tid, amount=kwh, rnd=rnd)
            case ClearCredit(tid=tid, register=register):
                return sts.clear_credit_token(key, ea=ea, tid=tid, rnd=rnd, register=register)
            case ClearTamper(tid=tid):
                return sts.clear_tamper_token(key, ea=ea, tid=tid, rnd=rnd)
            case MaxPower(tid=tid, watts=watts):
                return sts.max_power_token(key, ea=ea, tid=tid, rnd=rnd, watts=watts)
            case PhaseUnbalance(tid=tid, watts=watts):
                return sts.phase_unbalance_token(key, ea=ea, tid=tid, rnd=rnd, watts=watts)
            case TestToken(control=control, mfr=mfr, subclass=subclass):
                return sts.test_token(subclass=subclass, control=control, mfr=mfr)
        raise TypeError(f"unknown token order {type(order).__name__}")


def _needs_key(orders: Sequence[TokenOrder], new_key: KeyIdentity | None) -> bool:
    return new_key is not None or any(not isinstance(o, TestToken) for o in orders)
