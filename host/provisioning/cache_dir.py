"""Where provisioning keeps what it fetched or compiled: one directory per user.

$GRIDVEND_CACHE if set, else $XDG_CACHE_HOME/gridvend, else ~/.cache/gridvend. Nothing
in it is precious: every entry is checked by hash when read and rebuilt when missing.
"""

import os
from pathlib import Path


def default_cache_dir() -> Path:
    """The cache directory for this user (not created here)."""
    explicit = os.environ.get("GRIDVEND_CACHE")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "gridvend"


def write_atomically(path: Path, data: bytes) -> None:
    """Write data to path so a reader never sees half a file (two builds at once, a kill)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
