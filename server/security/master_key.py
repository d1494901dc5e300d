"""The master key that seals vending keys at rest: from the environment or a file, never default."""

import os
import secrets
from collections.abc import Mapping
from pathlib import Path

ENV_KEY = "GRIDVEND_MASTER_KEY"
ENV_KEY_FILE = "GRIDVEND_MASTER_KEY_FILE"
KEY_BYTES = 32


class MasterKeyError(Exception):
    """The master key is missing or malformed; the message says how to provide one."""


def load_master_key(environ: Mapping[str, str] | None = None) -> bytes:
    """Read the 256-bit master key from GRIDVEND_MASTER_KEY (hex) or GRIDVEND_MASTER_KEY_FILE.

    Refuses to guess: without one of them the server must not start.
    """
    env = os.environ if environ is None else environ
    if env.get(ENV_KEY):
        return _parse(env[ENV_KEY], f"${ENV_KEY}")
    if env.get(ENV_KEY_FILE):
        path = Path(env[ENV_KEY_FILE]).expanduser()
        try:
            text = path.read_text()
        except OSError as exc:
            raise MasterKeyError(f"master key file {path}: {exc.strerror or exc}") from None
        return _parse(text, f"master key file {path}")
    raise MasterKeyError(
        f"no master key: set {ENV_KEY_FILE} to a file holding 64 hex digits "
        f"(create one with `gridvend keys new-master-key PATH`) or {ENV_KEY} to the digits"
    )


def write_new_master_key(path: Path) -> None:
    """Create a file holding a fresh random master key, readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(secrets.token_hex(KEY_BYTES) + "\n")


def _parse(text: str, where: str) -> bytes:
    digits = "".join(text.split())
    try:
        key = bytes.fromhex(digits)
    except ValueError:
        raise MasterKeyError(f"{where}: expected {KEY_BYTES * 2} hex digits") from None
    if len(key) != KEY_BYTES:
        raise MasterKeyError(f"{where}: expected {KEY_BYTES * 2} hex digits, found {len(digits)}")
    return key
