"""Device secrets: issued at registration, kept sealed by the security module, opened only to
check and sign a device's messages. The broker password is derived from the secret, so a
handheld needs one secret for both, and the server stores no second credential.
"""

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from typing import TYPE_CHECKING

from server.security.master_key import load_master_key
from server.security.sealing import SealError
from server.security.software_module import SoftwareSecurityModule

if TYPE_CHECKING:
    from server.security.module import SecurityModule
    from server.services.context import ServiceContext

SECRET_BYTES = 32
# The security module's purpose for device secrets: its key is HMAC-SHA-256(master key,
# "gridvend device secrets v1"), the key device secrets were always sealed under.
PURPOSE = "device secrets"
_PASSWORD_LABEL = b"gridvend mqtt password v1"


def _label(device_id: int) -> str:
    # Bound to the device row: a sealed secret copied onto another device does not open.
    return f"gridvend-device-secret:id={device_id}"


def new_secret() -> bytes:
    """A fresh random device secret."""
    return secrets.token_bytes(SECRET_BYTES)


def broker_password(secret: bytes) -> str:
    """The device's MQTT password: HMAC-SHA-256(secret, label), first 32 hex digits.

    The handheld computes the same from its secret (device/link/hmac_sha256.py).
    """
    return hmac.new(secret, _PASSWORD_LABEL, hashlib.sha256).hexdigest()[:32]


class DeviceSecrets:
    """Seals and opens device secrets through the security module, under its key for the
    "device secrets" purpose (so nothing here holds a key that could open a vending key);
    opened secrets are kept in memory, like an HSM session, so checking a message does not
    decrypt for every one."""

    def __init__(self, module: "SecurityModule | bytes") -> None:
        if isinstance(module, bytes | bytearray):  # a master key: the software module
            if len(module) != 32:
                raise ValueError("the master key must be 32 bytes")
            module = SoftwareSecurityModule(bytes(module))
        self._module = module
        self._opened: dict[tuple[int, bytes], bytes] = {}

    def __repr__(self) -> str:  # never show a secret, even in a traceback's locals
        return "DeviceSecrets(<sealed>)"

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> "DeviceSecrets":
        """With the master key from GRIDVEND_MASTER_KEY(_FILE); MasterKeyError without one."""
        return cls(SoftwareSecurityModule(load_master_key(environ)))

    @classmethod
    def from_context(cls, ctx: "ServiceContext") -> "DeviceSecrets":
        """With the process's security module; Unavailable ("no_master_key") without one."""
        return cls(ctx.security)

    def seal(self, device_id: int, secret: bytes) -> bytes:
        """The secret sealed for storage in devices.secret."""
        if len(secret) != SECRET_BYTES:
            raise ValueError(f"a device secret has {SECRET_BYTES} bytes")
        return self._module.seal_secret(PURPOSE, _label(device_id), secret)

    def open(self, device_id: int, sealed: bytes) -> bytes:
        """The clear secret; SealError if it was sealed under another key or device."""
        key = (device_id, bytes(sealed))
        found = self._opened.get(key)
        if found is None:
            found = self._module.open_secret(PURPOSE, _label(device_id), bytes(sealed))
            if len(self._opened) > 100_000:
                self._opened.clear()
            self._opened[key] = found
        return found


__all__ = ["PURPOSE", "DeviceSecrets", "SealError", "broker_password", "new_secret"]
