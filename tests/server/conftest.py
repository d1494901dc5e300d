"""Fixtures for the server: a fresh, migrated database per test, on SQLite and PostgreSQL.

Every test that takes `ctx` (or `db_url`) runs twice: once on a SQLite file, once on a
PostgreSQL server these fixtures start from the machine's binaries on a free port.
Set GRIDVEND_TEST_PG=skip to run the SQLite half only (say, on a laptop without PostgreSQL).
"""

import itertools
import os
import secrets
import shutil
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from server.bootstrap import open_context
from server.domain.money import Currency
from server.domain.roles import Role
from server.services.context import Actor, ServiceContext
from server.services.installation import initialise
from server.storage.database import make_engine, make_session_factory
from server.storage.migrate import upgrade
from server.storage.unit_of_work import UnitOfWork
from tests.server.postgres_server import PostgresServer, find_bindir

CURRENCY = "USD"
_numbers = itertools.count(1)


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def _initialise(url: str) -> None:
    upgrade(url)
    engine = make_engine(url)
    with UnitOfWork(make_session_factory(engine), {}) as uow:
        initialise(uow, Currency.of(CURRENCY))
        uow.commit()
    engine.dispose()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    if os.environ.get("GRIDVEND_TEST_PG") == "skip":
        pytest.skip("GRIDVEND_TEST_PG=skip")
    bindir = find_bindir()
    if bindir is None:
        pytest.fail(
            "PostgreSQL server binaries (initdb, pg_ctl) not found: install postgresql, set "
            "GRIDVEND_PG_BINDIR, or set GRIDVEND_TEST_PG=skip to run the SQLite half only"
        )
    server = PostgresServer(bindir)
    server.start()
    try:
        server.execute("CREATE DATABASE gv_template")
        _initialise(server.url("gv_template"))
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    _initialise(f"sqlite:///{path}")
    with sqlite3.connect(path) as conn:  # fold the WAL in so that copying one file suffices
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode=DELETE")
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database at the newest schema, with the installation set up (USD)."""
    if request.param == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        path = tmp_path / "gridvend.db"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    server: PostgresServer = request.getfixturevalue("postgres")
    name = f"gv_test_{next(_numbers)}"
    server.execute(f"CREATE DATABASE {name} TEMPLATE gv_template")
    yield server.url(name)
    server.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2025, 3, 14, 9, 26, 5, tzinfo=UTC))


@pytest.fixture
def master_key() -> bytes:
    return secrets.token_bytes(32)


@pytest.fixture
def ctx(db_url: str, clock: FakeClock, master_key: bytes) -> Iterator[ServiceContext]:
    context = open_context(db_url, master_key=master_key, clock=clock)
    yield context
    context.dispose()


@pytest.fixture
def admin() -> Actor:
    return Actor(kind="cli", name="test-admin", role=Role.ADMIN)
