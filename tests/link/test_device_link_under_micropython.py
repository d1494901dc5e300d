"""The handheld's envelope code under real MicroPython (the WebAssembly port, in Node):
canonical encoding, HMAC and sealing give the server's bytes, and a server-signed downlink
opens. CPython's fakes could hide a difference (dict order, escapes, hashlib); this cannot."""

import json

from server.link import canonical, envelope
from tests.device.test_under_micropython import ROOT, run_micropython

SECRET = bytes(range(32))
VALUES = [
    {"b": 1, "a": [True, False, None], "é": "naïve 🌍", "ctl": '\x00\x1f\x7f"\\/'},
    {"sales": [{"id": "GV1-000001", "meter": "600727000000000009", "amount": 500, "off": 1}]},
    [-(2**40), 0, 2**62, "", "\u2028"],
]
SCRIPT = """
import json
from link import canonical
from link.envelope import open_downlink, seal
from link.hmac_sha256 import hex_of, hmac_sha256
secret = bytes(range(32))
for value in json.loads(VALUES):
    print("CANON " + hex_of(canonical.encode(value).encode()))
print("HMAC " + hex_of(hmac_sha256(b"Jefe", b"what do ya want for nothing?")))
print("SEAL " + hex_of(seal(secret, "GV1", 7, 1763700000, "batch", json.loads(VALUES)[1])))
env, signed = open_downlink(DOWN, secret, "GV1")
print("OPEN " + str(signed) + " " + str(env["n"]) + " " + env["b"]["results"][0]["id"])
"""


def test_the_envelope_code_agrees_with_the_server_under_micropython():
    down = envelope.Envelope(
        "GV1", 3, 0, "result", {"results": [{"id": "GV1-000001", "refused": "ünknown"}]}
    ).sign(SECRET)
    setup = f"VALUES = {json.dumps(VALUES)!r}\nDOWN = {down.to_wire()!r}"
    proc = run_micropython(
        "--copy", f"{ROOT / 'device'}:/device", "--path", "/device",
        "--exec", setup, "--exec", SCRIPT,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.split("\n")
    canon = [bytes.fromhex(line[6:]) for line in lines if line.startswith("CANON ")]
    assert canon == [canonical.encode(v) for v in VALUES]
    assert "HMAC 5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" in lines
    sealed = bytes.fromhex(next(line[5:] for line in lines if line.startswith("SEAL ")))
    parsed = envelope.parse(sealed)
    assert parsed.verify(SECRET) and parsed.body == VALUES[1]
    assert "OPEN True 3 GV1-000001" in lines
