"""The handheld's half of the envelope (device/link/) against the server's: the same
canonical bytes, the same MAC, each side accepting what the other signs and nothing else."""

import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st
from link import canonical as device_canonical
from link.envelope import EnvelopeError, open_downlink, seal
from link.hmac_sha256 import hex_of, hmac_sha256

from server.link import canonical as server_canonical
from server.link import envelope as server_envelope

SECRET = bytes(range(32))

# RFC 4231 test cases 1, 2 and 6 (key longer than the block).
RFC4231 = [
    (b"\x0b" * 20, b"Hi There",
     "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
    (b"Jefe", b"what do ya want for nothing?",
     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
    (b"\xaa" * 131, b"Test Using Larger Than Block-Size Key - Hash Key First",
     "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
]  # fmt: skip


@pytest.mark.parametrize(("key", "message", "expected"), RFC4231)
def test_hmac_matches_rfc_4231(key, message, expected):
    assert hex_of(hmac_sha256(key, message)) == expected


@given(key=st.binary(max_size=200), message=st.binary(max_size=300))
def test_hmac_matches_cpythons(key, message):
    assert hmac_sha256(key, message) == hmac.new(key, message, hashlib.sha256).digest()


values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.text(max_size=12),  # any code point: controls, accents, emoji (surrogate pairs)
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=15,
)


@given(value=values)
def test_device_and_server_encode_the_same_bytes(value):
    assert device_canonical.encode(value).encode() == server_canonical.encode(value)


def test_an_uplink_sealed_on_the_device_verifies_on_the_server():
    body = {"id": "GV1-000001", "meter": "600727000000000009", "amount": 500, "off": 1}
    wire = seal(SECRET, "GV1", 7, 1_763_700_000, "sale", body)
    envelope = server_envelope.parse(wire)
    assert envelope.verify(SECRET)
    assert (envelope.device, envelope.seq, envelope.kind, envelope.body) == ("GV1", 7, "sale", body)
    assert not envelope.verify(bytes(32))


def test_a_downlink_signed_by_the_server_opens_on_the_device():
    body = {"results": [{"id": "GV1-000001", "answer": {"customer": "Amélie 🌍"}}], "off": [5, 0]}
    wire = server_envelope.Envelope("GV1", 3, 1_763_700_000, "result", body).sign(SECRET).to_wire()
    env, signed = open_downlink(wire, SECRET, "GV1")
    assert signed and env["b"] == body and env["n"] == 3


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda w: w.replace(b'"n":3', b'"n":4'), "bad_mac"),
        (lambda w: w.replace(b'"d":"GV1"', b'"d":"GV2"'), "not_ours"),
        (lambda w: w[:-5], "malformed"),
        (lambda w: w.replace(b'"v":1', b'"v":2'), "malformed"),
    ],
)
def test_a_downlink_that_is_not_right_is_refused(change, code):
    wire = server_envelope.Envelope("GV1", 3, 0, "result", {"results": []}).sign(SECRET).to_wire()
    with pytest.raises(EnvelopeError) as caught:
        open_downlink(change(wire), SECRET, "GV1")
    assert caught.value.code == code


def test_only_an_error_may_come_unsigned():
    error = server_envelope.Envelope("GV1", 0, 0, "error", {"code": "bad_mac"}).to_wire()
    env, signed = open_downlink(error, SECRET, "GV1")
    assert not signed and env["b"]["code"] == "bad_mac"
    forged = server_envelope.Envelope("GV1", 9, 0, "result", {"results": []}).to_wire()
    with pytest.raises(EnvelopeError, match="unsigned"):
        open_downlink(forged, SECRET, "GV1")
