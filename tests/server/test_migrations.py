"""The Alembic migrations build exactly the schema the models describe (both databases)."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from server.storage.database import make_engine
from server.storage.migrate import current_revision, head_revision
from server.storage.schema import Base


def test_the_migrated_database_matches_the_models(db_url):
    assert current_revision(db_url) == head_revision()
    engine = make_engine(db_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()
