"""Vendor PINs: only salted hashes are stored in config, never the PIN itself.

hash = SHA-256 applied `rounds` times, starting from salt + PIN. Host tools that
provision a device import pin_hash from here so both sides agree byte for byte.

Rounds stay few: a 4 to 8 digit PIN has too few values for hashing rounds to protect
it against someone who has the config file; what protects it is the lockout after
wrong tries, and keeping config.json off the device's USB once provisioned. Each round
leaves ~200 bytes of garbage on a 100 KB heap, so 16 rounds, not thousands.
"""

import hashlib

DEFAULT_ROUNDS = 16


def pin_hash(salt_hex, pin, rounds=DEFAULT_ROUNDS):
    """The hex digest stored in config for this salt and PIN."""
    digest = bytes.fromhex(salt_hex) + pin.encode()
    for _ in range(rounds):
        digest = hashlib.sha256(digest).digest()
    return digest.hex()


def find_vendor(vendors, pin):
    """The vendor (a config dict) whose PIN this is, or None."""
    for vendor in vendors:
        rounds = vendor.get("rounds", DEFAULT_ROUNDS)
        if pin_hash(vendor["salt"], pin, rounds) == vendor["pin_hash"]:
            return vendor
    return None
