"""The link's envelope on the handheld: seal an uplink, open and check a downlink.

    {"v":1,"d":"<device>","n":<seq>,"t":<unix s>,"y":"<type>","b":{...},"m":"<hmac hex>"}

m is HMAC-SHA-256 with the device secret over the canonical encoding of the other fields
(docs/link-protocol.md). An unsigned downlink (m empty) can only be an error the server
could not sign (it does not know us, or our signature was wrong): it may be shown, and
it changes nothing.
"""

import json

from link import canonical
from link.hmac_sha256 import HmacSha256, hex_of, same

VERSION = 1
_FIELDS = ("v", "d", "n", "t", "y", "b", "m")


class EnvelopeError(ValueError):
    """A downlink that is not a valid envelope for this device; .code says which check."""

    def __init__(self, code):
        super().__init__(code)
        self.code = code


def seal(secret, device, seq, now, kind, body):
    """The wire bytes of an uplink."""
    parts = canonical.pieces({"v": VERSION, "d": device, "n": seq, "t": now, "y": kind, "b": body})
    parts[-1] = ',"m":"' + _mac(secret, parts) + '"}'  # the closing "}" was the last piece
    return "".join(parts).encode()


def _mac(secret, parts):
    mac = HmacSha256(secret)
    last = len(parts) - 1
    for i in range(last):
        mac.update(parts[i])
    mac.update("}")  # the MAC covers the envelope without "m"
    return hex_of(mac.digest())


def open_downlink(data, secret, device):
    """(envelope dict without "m", signed) from wire bytes or an already parsed dict.

    Raises EnvelopeError("malformed" | "not_ours" | "bad_mac" | "unsigned").
    """
    if isinstance(data, dict):
        env = data
    else:
        try:
            env = json.loads(data)
        except ValueError:
            raise EnvelopeError("malformed") from None
    if not isinstance(env, dict) or len(env) != len(_FIELDS):
        raise EnvelopeError("malformed")
    for key in _FIELDS:
        if key not in env:
            raise EnvelopeError("malformed")
    if env["v"] != VERSION or not isinstance(env["b"], dict) or not isinstance(env["n"], int):
        raise EnvelopeError("malformed")
    if env["d"] != device:
        raise EnvelopeError("not_ours")
    mac = env.pop("m")
    if not mac:
        if env["y"] != "error":
            raise EnvelopeError("unsigned")
        return env, False
    check = HmacSha256(secret)
    canonical.write(env, check)
    expected = hex_of(check.digest())
    if not isinstance(mac, str) or not same(mac, expected):
        raise EnvelopeError("bad_mac")
    return env, True
