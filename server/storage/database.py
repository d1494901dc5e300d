"""Engines and sessions: SQLite (WAL, one writer at a time) or PostgreSQL (row locks)."""

import os
import threading
import time
import weakref
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

try:
    import fcntl as _flock
except ImportError:  # not on Windows: there, processes wait in SQLite's busy handler
    _flock = None  # type: ignore[assignment]

# A pooled PostgreSQL connection idle this long is checked before use (see _ping_when_idle).
IDLE_BEFORE_PING = 5.0

# Execution option that lets a SQLite transaction start without taking the write lock.
READ_ONLY = "gridvend_read_only"

# PostgreSQL SQLSTATEs after which repeating the whole transaction is correct.
_RETRYABLE_SQLSTATES = {"40001", "40P01"}  # serialization failure, deadlock detected


def normalize_url(url: str) -> str:
    """Accept the URLs people type: `postgresql://` uses psycopg 3; a bare path means SQLite."""
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser().resolve()}"
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url`, set up for correctness under concurrency on either database."""
    url = normalize_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, parsed.database, **kwargs)
    kwargs.setdefault("pool_size", 20)
    kwargs.setdefault("max_overflow", 20)
    engine = create_engine(url, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        _ping_when_idle(engine)
    return engine


def _ping_when_idle(engine: Engine, idle: float = IDLE_BEFORE_PING) -> None:
    """Check a pooled connection before use when it has been idle for `idle` seconds.

    SQLAlchemy's pool_pre_ping checks every checkout: a round trip per transaction, a
    tenth of a vend. A connection back in the pool moments ago is as good as checked; one
    that sat idle may have been closed by the server, a restart or a firewall, and is
    replaced before anyone uses it. If the server goes away under busy connections, the
    first statement on each fails (the caller gets "try again"), and SQLAlchemy then
    discards every connection made before the failure.
    """

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection: Any, record: Any) -> None:
        record.info["gridvend_returned"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _check(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get("gridvend_returned")
        if returned is None or time.monotonic() - returned < idle:
            return  # new, or used a moment ago
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # any failure means: not usable
            raise DisconnectionError(f"pooled connection is gone: {exc}") from exc
        if not alive:
            raise DisconnectionError("pooled connection is gone")


def _sqlite_engine(url: str, database: str | None, **kwargs: Any) -> Engine:
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    kwargs.setdefault("pool_size", 20)
    kwargs.setdefault("max_overflow", 20)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the driver so that we can BEGIN IMMEDIATE ourselves.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")  # durable across process crashes in WAL
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    # SQLite has one writer at a time. Writers queue for their turn on a lock, shared by the
    # threads of this process and, through a lock file beside the database, by every server
    # process on it; SQLite's own busy handler would make them sleep and poll, wasting turns.
    writer = WriterLock(database if database and database != ":memory:" else None)

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        # A writer takes the lock at BEGIN: two transactions that read, then both try to
        # write, would otherwise fail with "database is locked" instead of waiting in turn.
        if connection.get_execution_options().get(READ_ONLY):
            connection.exec_driver_sql("BEGIN")
            return
        if writer.acquire(timeout=30):
            connection.info["gridvend_writer"] = True
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            _release(connection)
            raise

    def _release(connection: Any) -> None:
        if connection.info.pop("gridvend_writer", False):
            writer.release()

    event.listen(engine, "commit", _release)
    event.listen(engine, "rollback", _release)
    event.listen(engine, "engine_disposed", lambda _engine: writer.close())
    return engine


class WriterLock:
    """One SQLite writer at a time: a thread lock, and an advisory lock on `<database>.lock`
    for the other processes (where the OS has flock). A waiting process sleeps in the kernel
    and wakes when the holder commits; a process that dies lets go of it with its files.

    acquire(timeout) gives up on the thread lock after `timeout` seconds and returns False;
    the writer then goes on to BEGIN IMMEDIATE, where SQLite's busy timeout has the last word.
    """

    def __init__(self, database: str | None) -> None:
        self._thread_lock = threading.Lock()
        self._path = f"{database}.lock" if database and _flock is not None else None
        self._fd: int | None = None
        self._pid = 0
        self._closer: weakref.finalize | None = None  # closes the file with this object

    def acquire(self, timeout: float) -> bool:
        if not self._thread_lock.acquire(timeout=timeout):
            return False
        if self._path is None:
            return True
        try:
            # Blocks in the kernel until the process holding it commits or rolls back (its
            # transactions are short) or exits (the kernel lets go of a dead process's lock).
            _flock.flock(self._file(), _flock.LOCK_EX)  # type: ignore[union-attr]
        except BaseException:
            self._thread_lock.release()
            raise
        return True

    def release(self) -> None:
        try:
            if self._fd is not None and _flock is not None:
                _flock.flock(self._fd, _flock.LOCK_UN)
        finally:
            self._thread_lock.release()

    def close(self) -> None:
        """Close the lock file (the engine was disposed); the next writer opens it again."""
        closer, self._closer, self._fd = self._closer, None, None
        if closer is not None:
            closer()  # a finalizer runs once: never a second close of a reused number

    def _file(self) -> int:
        # Opened per process: a child forked from a parent holding the file must have its own
        # open file, or the two would share one lock.
        if self._fd is None or self._pid != os.getpid():
            assert self._path is not None
            fd = os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._fd, self._pid = fd, os.getpid()
            self._closer = weakref.finalize(self, os.close, fd)
        return self._fd


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded values usable after commit (receipts are built from them)."""
    return sessionmaker(engine, expire_on_commit=False, autoflush=False)


def is_retryable(exc: BaseException) -> bool:
    """True for failures where running the same transaction again is the right answer."""
    if not isinstance(exc, DBAPIError):
        return False
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if sqlstate in _RETRYABLE_SQLSTATES:
        return True
    return "database is locked" in str(exc.orig)
