"""Engine set-up: one SQLite writer at a time across processes, and PostgreSQL connections
checked before use only when they sat idle."""

import gc
import multiprocessing
import os
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from server.storage.database import WriterLock, _ping_when_idle, make_engine
from tests.server.postgres_server import PostgresServer


def _hold_writer_lock(database: str, held, go) -> None:
    lock = WriterLock(database)
    assert lock.acquire(timeout=5)
    held.set()
    go.wait(10)
    time.sleep(0.3)  # still holding it after telling the parent to try
    lock.release()


def test_the_writer_lock_makes_another_process_wait_until_it_is_released(tmp_path: Path):
    database = str(tmp_path / "gridvend.db")
    context = multiprocessing.get_context("spawn")
    held, go = context.Event(), context.Event()
    child = context.Process(target=_hold_writer_lock, args=(database, held, go))
    child.start()
    try:
        assert held.wait(30), "the other process never took the lock"
        lock = WriterLock(database)
        go.set()
        began = time.monotonic()
        assert lock.acquire(timeout=5)
        waited = time.monotonic() - began
        lock.release()
    finally:
        child.join(15)
    assert child.exitcode == 0
    assert waited >= 0.25, f"took the lock after {waited:.3f} s while the other process held it"


def test_a_dead_process_does_not_keep_the_writer_lock(tmp_path: Path):
    database = str(tmp_path / "gridvend.db")
    context = multiprocessing.get_context("spawn")
    held, go = context.Event(), context.Event()
    child = context.Process(target=_hold_writer_lock, args=(database, held, go))
    child.start()
    assert held.wait(30)
    child.kill()
    child.join(15)
    lock = WriterLock(database)
    assert lock.acquire(timeout=5)
    lock.release()


def test_threads_of_one_process_take_turns(tmp_path: Path):
    lock = WriterLock(str(tmp_path / "gridvend.db"))
    assert lock.acquire(timeout=1)
    assert not lock.acquire(timeout=0.05)  # the thread lock times out; nothing is taken
    lock.release()
    assert lock.acquire(timeout=1)
    lock.release()


def test_two_sqlite_engines_on_one_file_write_in_turn(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'gridvend.db'}"
    first, second = make_engine(url), make_engine(url)
    with first.begin() as connection:
        connection.execute(text("CREATE TABLE t (n INTEGER)"))
    with first.begin() as connection:
        connection.execute(text("INSERT INTO t VALUES (1)"))
    with second.begin() as connection:
        connection.execute(text("INSERT INTO t VALUES (2)"))
        assert connection.execute(text("SELECT count(*) FROM t")).scalar_one() == 2
    assert (tmp_path / "gridvend.db.lock").exists()
    first.dispose()
    second.dispose()


def _backend_pid(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(text("SELECT pg_backend_pid()")).scalar_one()


def _terminate(server: PostgresServer, pid: int) -> None:
    server.execute(f"SELECT pg_terminate_backend({pid})")
    time.sleep(0.2)


def test_an_idle_pooled_connection_that_died_is_replaced_before_use(postgres):
    engine = create_engine(postgres.url("gv_template"), pool_size=1, max_overflow=0)
    _ping_when_idle(engine, idle=0.0)  # every connection back in the pool counts as idle
    first = _backend_pid(engine)
    _terminate(postgres, first)
    assert _backend_pid(engine) != first  # checked at checkout, replaced, no error
    engine.dispose()


def test_a_connection_used_a_moment_ago_is_not_pinged(postgres):
    # The price of skipping the round trip: a connection killed between two busy uses
    # fails once, then the pool starts afresh.
    engine = make_engine(postgres.url("gv_template"), pool_size=1, max_overflow=0)
    first = _backend_pid(engine)
    _terminate(postgres, first)
    with pytest.raises(OperationalError):
        _backend_pid(engine)
    assert _backend_pid(engine) != first
    engine.dispose()


def _open_files() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts /proc/self/fd")
def test_engines_let_go_of_the_lock_file_when_disposed_or_dropped(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'gridvend.db'}"

    def write(engine) -> None:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE IF NOT EXISTS t (n INTEGER)"))

    write(make_engine(url))  # the first engine: files Python keeps open from now on
    gc.collect()
    before = _open_files()
    for _ in range(20):
        engine = make_engine(url)
        write(engine)
        engine.dispose()
    assert _open_files() == before
    for _ in range(20):
        write(make_engine(url))  # never disposed: the files go with the engine
    gc.collect()
    assert _open_files() == before
