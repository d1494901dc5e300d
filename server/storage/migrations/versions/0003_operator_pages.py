"""operator pages: login sessions by stage, TOTP secrets, uploads awaiting import

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 05:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "web_session_grants",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("expires_at", _WHEN, nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_web_session_grants")),
    )
    op.create_index(
        op.f("ix_web_session_grants_operator_id"),
        "web_session_grants",
        ["operator_id"],
        unique=False,
    )
    op.create_table(
        "web_totp",
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column("confirmed", sa.Boolean(), nullable=False),
        sa.Column("last_step", sa.BigInteger(), nullable=True),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.PrimaryKeyConstraint("operator_id", name=op.f("pk_web_totp")),
    )
    op.create_table(
        "web_import_uploads",
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_web_import_uploads")),
    )


def downgrade() -> None:
    op.drop_table("web_import_uploads")
    op.drop_table("web_totp")
    op.drop_index(op.f("ix_web_session_grants_operator_id"), table_name="web_session_grants")
    op.drop_table("web_session_grants")
