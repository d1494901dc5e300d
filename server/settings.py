"""Where things are, by default and by environment variable."""

import os

ENV_DB = "GRIDVEND_DB"
ENV_DATA = "GRIDVEND_DATA"
DEFAULT_DATA_DIR = "var"


def default_db_url() -> str:
    """$GRIDVEND_DB, else a SQLite file in the data folder ($GRIDVEND_DATA, default ./var)."""
    if os.environ.get(ENV_DB):
        return os.environ[ENV_DB]
    return f"sqlite:///{os.environ.get(ENV_DATA, DEFAULT_DATA_DIR)}/gridvend.db"
