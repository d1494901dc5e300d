"""HMAC-SHA-256 (RFC 2104) on MicroPython's hashlib, which has sha256 but no hmac module.

HMAC(K, m) = H((K' ^ opad) || H((K' ^ ipad) || m)), K' the key padded to the 64-byte
block (hashed first when longer). tests/link/test_device_envelope.py checks it against
CPython's hmac module and the RFC 4231 test vectors.
"""

import hashlib

_BLOCK = 64
_HEX = "0123456789abcdef"


class HmacSha256:
    """HMAC-SHA-256 fed in pieces (update), so a long message need not exist in one piece."""

    def __init__(self, key):
        if len(key) > _BLOCK:
            key = hashlib.sha256(key).digest()
        pad = bytearray(_BLOCK)
        pad[: len(key)] = key
        for i in range(_BLOCK):
            pad[i] ^= 0x36
        self._inner = hashlib.sha256(pad)
        for i in range(_BLOCK):
            pad[i] ^= 0x36 ^ 0x5C  # from ipad to opad in place: one buffer for both
        self._outer_pad = pad

    def update(self, data):
        """Feed bytes, or a str (its UTF-8 bytes)."""
        try:
            self._inner.update(data)  # MicroPython takes a str as it is: no copy
        except TypeError:
            self._inner.update(data.encode())  # CPython wants bytes

    append = update  # so canonical.write() can feed it directly

    def digest(self):
        """The 32-byte MAC (the object is used up)."""
        outer = hashlib.sha256(self._outer_pad)
        outer.update(self._inner.digest())
        return outer.digest()


def hmac_sha256(key, message):
    """The 32-byte HMAC-SHA-256 of message (bytes) under key (bytes)."""
    mac = HmacSha256(key)
    mac.update(message)
    return mac.digest()


def hex_of(data):
    """Lower-case hex of bytes (MicroPython's hashlib has no hexdigest)."""
    out = []
    for byte in data:
        out.append(_HEX[byte >> 4])
        out.append(_HEX[byte & 15])
    return "".join(out)


def same(a, b):
    """Compare two strings in time that does not depend on where they differ."""
    if len(a) != len(b):
        return False
    diff = 0
    for i in range(len(a)):
        diff |= ord(a[i]) ^ ord(b[i])
    return diff == 0
