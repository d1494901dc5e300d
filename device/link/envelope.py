"""The link's envelope on the handheld: seal an uplink, open and check a downlink.

    {"v":1,"d":"<device>","n":<seq>,"t":<unix s>,"y":"<type>","b":{...},"m":"<hmac hex>"}

m is HMAC-SHA-256 with the device secret over the canonical encoding of the other fields
(docs/link-protocol.md). An unsigned downlink (m empty) can only be an error the server
could not sign (it does not know us, or our signature was wrong): it may be shown, and
it changes nothing.
"""

import json

from link import canonical
from link.hmac_sha256 import hmac_sha256


class EnvelopeError(ValueError):
    """A downlink that is not a valid envelope for this device; .code says which check."""

    def __init__(self, code):
        super().__init__(code)
        self.code = code


def seal(secret, device, seq, now, kind, body):
    """The wire bytes of an uplink."""
    env = {"v": 1, "d": device, "n": seq, "t": now, "y": kind, "b": body}
    parts = []
    canonical.write(env, parts.append)
    # The MAC covers the envelope without "m": then "m" goes before the closing "}",
    # the last piece.
    parts[-1] = ',"m":"' + hmac_sha256(secret, parts).hex() + '"}'
    return "".join(parts).encode()


def open_downlink(data, secret, device):
    """(envelope dict without "m", signed) from wire bytes or an already parsed dict.

    Raises EnvelopeError("malformed" | "not_ours" | "bad_mac" | "unsigned").
    """
    env = data
    if not isinstance(data, dict):
        try:
            env = json.loads(data)
        except ValueError:
            raise EnvelopeError("malformed") from None
    if not isinstance(env, dict) or len(env) != 7:
        raise EnvelopeError("malformed")
    for key in "vdntybm":
        if key not in env:
            raise EnvelopeError("malformed")
    if env["v"] != 1 or not isinstance(env["b"], dict) or not isinstance(env["n"], int):
        raise EnvelopeError("malformed")
    if env["d"] != device:
        raise EnvelopeError("not_ours")
    mac = env.pop("m")
    if not mac:
        if env["y"] != "error":
            raise EnvelopeError("unsigned")
        return env, False
    expected = hmac_sha256(secret, None, env).hex()
    if not isinstance(mac, str) or len(mac) != 64:
        raise EnvelopeError("bad_mac")
    diff = 0  # compared in time that does not depend on where they differ
    for i in range(64):
        diff |= ord(mac[i]) ^ ord(expected[i])
    if diff:
        raise EnvelopeError("bad_mac")
    return env, True
