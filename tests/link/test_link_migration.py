"""Migration 0004 on a database that already has link data (both databases): sale outcomes
get the journal number out of their sale id, devices start at generation 0, the message
log's numbers stay unique per generation; and it goes back down."""

from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import text

from server.storage.database import make_engine
from server.storage.migrate import alembic_config, upgrade
from tests.server.postgres_server import PostgresServer

WHEN = datetime(2025, 3, 14, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres")
    server.execute("CREATE DATABASE gv_migration_0004")
    yield server.url("gv_migration_0004")
    server.execute("DROP DATABASE IF EXISTS gv_migration_0004 WITH (FORCE)")


def test_0004_fills_in_sale_numbers_and_generations(empty_db):
    upgrade(empty_db, "0003")
    engine = make_engine(empty_db)
    try:
        with engine.begin() as db:
            db.execute(
                text(
                    "INSERT INTO agents (id, code, name, phone, status, balance, credit_limit,"
                    " created_at) VALUES (1, 'AG1', 'A', '', 'active', 0, 0, :at)"
                ),
                {"at": WHEN},
            )
            db.execute(
                text(
                    "INSERT INTO devices (id, agent_id, name, enabled, offline_allowance,"
                    " created_at) VALUES (1, 1, 'HH-01', true, 0, :at)"
                ),
                {"at": WHEN},
            )
            for ref in ("HH-01-000007", "HH-01-000012"):
                db.execute(
                    text(
                        "INSERT INTO device_sale_outcomes (device_id, sale_ref, outcome,"
                        " offline, created_at) VALUES (1, :ref, 'issued', false, :at)"
                    ),
                    {"ref": ref, "at": WHEN},
                )
            db.execute(
                text(
                    "INSERT INTO link_messages (device_id, device_name, direction, seq, kind,"
                    " outcome, payload, created_at) VALUES (1, 'HH-01', 'in', 1, 'time',"
                    " 'accepted', '{}', :at)"
                ),
                {"at": WHEN},
            )
        upgrade(empty_db)
        with engine.begin() as db:
            rows = db.execute(
                text("SELECT sale_ref, sale_seq, generation FROM device_sale_outcomes ORDER BY 1")
            ).all()
            assert [tuple(r) for r in rows] == [("HH-01-000007", 7, 0), ("HH-01-000012", 12, 0)]
            assert db.execute(text("SELECT secret_generation FROM devices")).scalar() == 0
            # The same uplink number under a new generation is a new row.
            db.execute(
                text(
                    "INSERT INTO link_messages (device_id, device_name, direction, seq,"
                    " generation, kind, outcome, payload, created_at) VALUES (1, 'HH-01',"
                    " 'in', 1, 1, 'time', 'accepted', '{}', :at)"
                ),
                {"at": WHEN},
            )
            # (the old schema could not hold both: going down needs one of them gone)
            db.execute(text("DELETE FROM link_messages WHERE generation = 1"))
        command.downgrade(alembic_config(empty_db), "0003")
        command.upgrade(alembic_config(empty_db), "head")
    finally:
        engine.dispose()
