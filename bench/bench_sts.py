"""Token engine throughput on one core: class-0 tokens per second, cached key and per-token
derivation, for EA07 and EA11."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from decimal import Decimal

from server.sts import EA11, credit_token, derive_decoder_key, luhn_check_digit
from server.sts.sta import Sta

VK64 = bytes.fromhex("abababababababab")
VK160 = bytes.fromhex("abababababababab949494949494949401234567")
KEY_PARAMS = {"kt": 2, "sgc": 123456, "ti": 1, "krn": 1}
MASK64 = (1 << 64) - 1
AMOUNTS = [Decimal(n).scaleb(-1) for n in (1, 256, 1234, 16383, 20000, 99999)]


def pans(count: int) -> list[str]:
    bodies = [f"600727{n:011d}" for n in range(count)]
    return [body + str(luhn_check_digit(body)) for body in bodies]


def rate(label: str, count: int, work: Callable[[int], object], unit: str = "tokens/s") -> float:
    """Run ``work(i)`` for i in range(count), best of three, and print the rate."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for i in range(count):
            work(i)
        best = min(best, time.perf_counter() - start)
    per_second = count / best
    print(f"   {label:<52} {per_second:>10,.0f} {unit}", flush=True)
    return per_second


def main() -> None:
    key = derive_decoder_key(VK64, dkga=2, pan=pans(1)[0], **KEY_PARAMS)
    key11 = derive_decoder_key(VK160, dkga=4, pan=pans(1)[0], ea=EA11, **KEY_PARAMS)
    n = 60_000
    sta = Sta(key)
    rate(
        "EA07 block encryption alone",
        n,
        lambda i: sta.encrypt(i * 0x9E37_79B9 & MASK64),
        "blocks/s",
    )
    rate(
        "class 0, EA07, cached decoder key",
        n,
        lambda i: credit_token(key, tid=i, amount=AMOUNTS[i % 6], rnd=i & 15),
    )
    rate(
        "class 0, EA11, cached decoder key",
        n,
        lambda i: credit_token(key11, ea=EA11, tid=i, amount=AMOUNTS[i % 6], rnd=i & 15),
    )
    meters = pans(2_000)
    m = len(meters)

    def dkga02_each(i: int) -> object:
        dk = derive_decoder_key(VK64, dkga=2, pan=meters[i % m], **KEY_PARAMS)
        return credit_token(dk, tid=i, amount=AMOUNTS[i % 6], rnd=i & 15)

    def dkga04_each(i: int) -> object:
        dk = derive_decoder_key(VK160, dkga=4, pan=meters[i % m], **KEY_PARAMS)
        return credit_token(dk, tid=i, amount=AMOUNTS[i % 6], rnd=i & 15)

    # 2,000 meters, cycled: the cipher memo holds them all, so this measures derivation itself.
    rate("class 0, EA07, DKGA02 derivation per token", 20_000, dkga02_each)
    rate("class 0, EA07, DKGA04 derivation per token", 20_000, dkga04_each)

    fresh = itertools.count(1)

    def cold_each(i: int) -> object:
        # A key never seen before each time: derivation plus the cipher's key expansion.
        vk = (int.from_bytes(VK64, "big") ^ next(fresh)).to_bytes(8, "big")
        dk = derive_decoder_key(vk, dkga=2, pan=meters[i % m], **KEY_PARAMS)
        return credit_token(dk, tid=i, amount=AMOUNTS[i % 6], rnd=i & 15)

    rate("class 0, EA07, DKGA02 + key expansion per token (cold)", 4_000, cold_each)


if __name__ == "__main__":
    main()
