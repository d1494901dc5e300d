"""The security module: the only place vending keys exist in clear, and only while in use.

Callers ask it to seal a vending key for storage and to make tokens for a meter; nothing
returns a key. A hardware module (PKCS#11) can replace `SoftwareSecurityModule` behind the
same `SecurityModule` protocol, with the sealed blobs becoming key handles.
"""

from server.security.master_key import MasterKeyError, load_master_key, write_new_master_key
from server.security.module import (
    ClearCredit,
    ClearTamper,
    Credit,
    KeyLookup,
    MaxPower,
    MeterCredentials,
    PhaseUnbalance,
    SecurityModule,
    TestToken,
    TokenOrder,
)
from server.security.software_module import SoftwareSecurityModule

__all__ = [
    "ClearCredit",
    "ClearTamper",
    "Credit",
    "KeyLookup",
    "MasterKeyError",
    "MaxPower",
    "MeterCredentials",
    "PhaseUnbalance",
    "SecurityModule",
    "SoftwareSecurityModule",
    "TestToken",
    "TokenOrder",
    "load_master_key",
    "write_new_master_key",
]
