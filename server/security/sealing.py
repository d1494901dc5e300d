"""AES-256-GCM sealing of secrets at rest, bound to a label so a blob cannot be moved."""

import secrets

from Crypto.Cipher import AES

_VERSION = b"\x01"
_NONCE = 12
_TAG = 16


class SealError(Exception):
    """A sealed blob could not be opened: wrong master key, wrong label, or tampering."""


def seal(master_key: bytes, secret: bytes, label: str) -> bytes:
    """Encrypt and authenticate `secret`; the label is authenticated but not stored."""
    nonce = secrets.token_bytes(_NONCE)
    cipher = AES.new(master_key, AES.MODE_GCM, nonce=nonce, mac_len=_TAG)
    cipher.update(label.encode())
    ciphertext, tag = cipher.encrypt_and_digest(secret)
    return _VERSION + nonce + tag + ciphertext


def unseal(master_key: bytes, blob: bytes, label: str) -> bytes:
    """The secret inside `blob`, after checking it was sealed with this key and label."""
    if len(blob) < 1 + _NONCE + _TAG or blob[:1] != _VERSION:
        raise SealError(f"{label}: not a sealed secret")
    nonce, tag, ciphertext = blob[1 : 1 + _NONCE], blob[1 + _NONCE : 1 + _NONCE + _TAG], blob[29:]
    cipher = AES.new(master_key, AES.MODE_GCM, nonce=nonce, mac_len=_TAG)
    cipher.update(label.encode())
    try:
        return cipher.decrypt_and_verify(ciphertext, tag)
    except ValueError:
        raise SealError(
            f"{label}: cannot be opened with this master key (wrong key or altered data)"
        ) from None
