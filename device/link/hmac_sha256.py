"""HMAC-SHA-256 (RFC 2104) on MicroPython's hashlib, which has sha256 (in C) but no hmac.

HMAC(K, m) = H((K' ^ opad) || H((K' ^ ipad) || m)), K' the key padded to the 64-byte
block (hashed first when longer). tests/link/test_device_envelope.py checks it against
CPython's hmac module and the RFC 4231 test vectors.
"""

import hashlib

from link import canonical


def hmac_sha256(key, message, value=None):
    """The 32-byte HMAC-SHA-256 under key (bytes) of message: bytes, or a list of str
    pieces (their UTF-8 text, joined). Or, when value is given, of the canonical text of
    value (link/canonical.py), fed to the hash piece by piece so the whole text is never
    held (the heap is small)."""
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    pad = bytearray(64)
    pad[: len(key)] = key
    for i in range(64):
        pad[i] ^= 0x36  # ipad
    inner = hashlib.sha256(pad)
    if value is None and not isinstance(message, list):
        inner.update(message)
    else:
        put = inner.update  # MicroPython's hashlib takes a str as it is: no copy
        try:
            put("")
        except TypeError:  # CPython's wants bytes

            def put(piece):
                inner.update(piece.encode())

        if value is None:
            for piece in message:
                put(piece)
        else:
            canonical.write(value, put)
    for i in range(64):
        pad[i] ^= 0x6A  # from ipad to opad (0x36 ^ 0x5C) in place: one buffer for both
    outer = hashlib.sha256(pad)
    outer.update(inner.digest())
    return outer.digest()


def hex_of(data):
    """Lower-case hex of bytes."""
    return data.hex()
