"""Hash-chaining audit records so that editing or deleting one is detectable."""

import hashlib
import json
from typing import Any

GENESIS = "0" * 64


def canonical(record: dict[str, Any]) -> str:
    """One exact text for a record: sorted keys, no spaces, non-JSON values as strings."""
    return json.dumps(record, sort_keys=True, separators=(",", ":"), default=str)


def chain_hash(previous_hash: str, record: dict[str, Any]) -> str:
    """The hash of a record linked to the one before it."""
    return hashlib.sha256((previous_hash + "\n" + canonical(record)).encode()).hexdigest()
