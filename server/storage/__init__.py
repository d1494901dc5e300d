"""Persistence: SQLAlchemy tables, the unit of work and repositories, Alembic migrations."""
