"""EA11 (MISTY1, RFC 2994): known answers, inversion, input checks and S-box integrity."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.sts.misty1 import _FI_IN, _FI_OUT, _S7, _S9, Misty1

RFC_KEY = bytes.fromhex("00112233445566778899aabbccddeeff")

# RFC 2994 test data: (plaintext, ciphertext) under RFC_KEY.
RFC_VECTORS = [
    (0x0123456789ABCDEF, 0x8B1DA5F56AB3D07C),
    (0xFEDCBA9876543210, 0x04B68240B13BE95D),
]

keys = st.binary(min_size=16, max_size=16)
blocks = st.integers(min_value=0, max_value=2**64 - 1)


@pytest.mark.parametrize(("plaintext", "ciphertext"), RFC_VECTORS)
def test_encrypt_matches_rfc_2994(plaintext: int, ciphertext: int) -> None:
    assert Misty1(RFC_KEY).encrypt(plaintext) == ciphertext


@pytest.mark.parametrize(("plaintext", "ciphertext"), RFC_VECTORS)
def test_decrypt_matches_rfc_2994(plaintext: int, ciphertext: int) -> None:
    assert Misty1(RFC_KEY).decrypt(ciphertext) == plaintext


def test_block_int_is_the_bytes_read_big_endian() -> None:
    plaintext = int.from_bytes(bytes.fromhex("0123456789abcdef"), "big")
    ciphertext = Misty1(RFC_KEY).encrypt(plaintext).to_bytes(8, "big")
    assert ciphertext == bytes.fromhex("8b1da5f56ab3d07c")


@given(key=keys, block=blocks)
def test_decrypt_undoes_encrypt(key: bytes, block: int) -> None:
    cipher = Misty1(key)
    assert cipher.decrypt(cipher.encrypt(block)) == block


@given(key=keys, block=blocks)
def test_encrypt_undoes_decrypt(key: bytes, block: int) -> None:
    cipher = Misty1(key)
    assert cipher.encrypt(cipher.decrypt(block)) == block


def test_one_instance_serves_many_blocks_unchanged() -> None:
    cipher = Misty1(RFC_KEY)
    first = [cipher.encrypt(p) for p, _ in RFC_VECTORS]
    second = [cipher.encrypt(p) for p, _ in RFC_VECTORS]
    assert first == second == [c for _, c in RFC_VECTORS]


@pytest.mark.parametrize("bit", range(128))
def test_every_key_bit_changes_the_ciphertext(bit: int) -> None:
    plaintext, ciphertext = RFC_VECTORS[0]
    flipped = (int.from_bytes(RFC_KEY, "big") ^ (1 << bit)).to_bytes(16, "big")
    assert Misty1(flipped).encrypt(plaintext) != ciphertext


@pytest.mark.parametrize("bit", range(64))
def test_every_plaintext_bit_changes_the_ciphertext(bit: int) -> None:
    plaintext, ciphertext = RFC_VECTORS[0]
    assert Misty1(RFC_KEY).encrypt(plaintext ^ (1 << bit)) != ciphertext


@pytest.mark.parametrize("length", [0, 8, 15, 17, 32])
def test_key_of_wrong_length_is_rejected(length: int) -> None:
    with pytest.raises(ValueError, match=rf"exactly 16 bytes .*got {length}$"):
        Misty1(bytes(length))


def test_key_that_is_not_bytes_is_rejected() -> None:
    with pytest.raises(TypeError, match="key must be bytes, got str"):
        Misty1("00112233445566778899aabbccddeeff")  # type: ignore[arg-type]


def test_bytearray_key_works_like_bytes() -> None:
    plaintext, ciphertext = RFC_VECTORS[0]
    assert Misty1(bytearray(RFC_KEY)).encrypt(plaintext) == ciphertext


@pytest.mark.parametrize("block", [-1, 2**64, 2**64 + 5, -(2**63)])
@pytest.mark.parametrize("operation", ["encrypt", "decrypt"])
def test_block_outside_64_bits_is_rejected(operation: str, block: int) -> None:
    cipher = Misty1(RFC_KEY)
    with pytest.raises(ValueError, match=rf"64-bit value .*got {block}$"):
        getattr(cipher, operation)(block)


@pytest.mark.parametrize("block", [0, 2**64 - 1])
def test_extreme_blocks_are_accepted(block: int) -> None:
    cipher = Misty1(RFC_KEY)
    assert cipher.decrypt(cipher.encrypt(block)) == block


def _differential_uniformity(sbox: tuple[int, ...]) -> int:
    """Largest count of x with sbox[x] ^ sbox[x ^ a] == b over all a != 0 and b."""
    size = len(sbox)
    worst = 0
    for a in range(1, size):
        counts = [0] * size
        for x in range(size):
            counts[sbox[x] ^ sbox[x ^ a]] += 1
        worst = max(worst, max(counts))
    return worst


@pytest.mark.parametrize(("sbox", "bits"), [(_S7, 7), (_S9, 9)], ids=["S7", "S9"])
def test_sbox_is_an_almost_perfect_nonlinear_permutation(sbox: tuple[int, ...], bits: int) -> None:
    # MISTY1's S-boxes are permutations with differential uniformity 2 by design; a mistyped
    # or swapped table entry breaks one of the two properties even where the RFC vectors
    # happen not to look it up.
    assert sorted(sbox) == list(range(1 << bits))
    assert _differential_uniformity(sbox) == 2


def _fi_as_written_in_rfc(fi_in: int, fi_key: int) -> int:
    d9 = fi_in >> 7
    d7 = fi_in & 0x7F
    d9 = _S9[d9] ^ d7
    d7 = _S7[d7] ^ (d9 & 0x7F)
    d7 = d7 ^ (fi_key >> 9)
    d9 = d9 ^ (fi_key & 0x1FF)
    d9 = _S9[d9] ^ d7
    return (d7 << 9) | d9


@given(
    fi_in=st.integers(min_value=0, max_value=0xFFFF),
    fi_key=st.integers(min_value=0, max_value=0xFFFF),
)
def test_split_fi_tables_equal_the_rfc_fi(fi_in: int, fi_key: int) -> None:
    assert _FI_OUT[_FI_IN[fi_in] ^ fi_key] == _fi_as_written_in_rfc(fi_in, fi_key)
