"""The server tests' database fixtures (a fresh database per test, on SQLite and on
PostgreSQL), for the tables the pages keep for themselves."""

from tests.server.conftest import (  # noqa: F401 - fixtures used by the tests here
    admin,
    ctx,
    db_url,
    master_key,
    postgres,
    sqlite_template,
)
