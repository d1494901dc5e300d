"""device link: sequence numbers, message log, offline reserves, sale outcomes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 04:49:49

The devices table already has the sealed secret (devices.secret) and the offline allowance;
this adds what the link to the handhelds keeps: per-device sequence numbers, the message
log (replay protection and the downlink outbox), the offline reserves and the final
outcome of every device sale id.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHEN = sa.DateTime(timezone=True)
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _device_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["device_id"], ["devices.id"], name=op.f(f"fk_{table}_device_id_devices")
    )


def upgrade() -> None:
    op.create_table(
        "device_links",
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("in_seq_hi", sa.BigInteger(), nullable=False),
        sa.Column("out_seq", sa.BigInteger(), nullable=False),
        sa.Column("settings", sa.Text(), nullable=False),
        sa.Column("last_status", sa.Text(), nullable=True),
        sa.Column("last_seen_at", _WHEN, nullable=True),
        _device_fk("device_links"),
        sa.PrimaryKeyConstraint("device_id", name=op.f("pk_device_links")),
    )
    op.create_table(
        "device_sale_outcomes",
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("sale_ref", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=8), nullable=False),
        sa.Column("offline", sa.Boolean(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.String(length=128), nullable=True),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("acknowledged_at", _WHEN, nullable=True),
        _device_fk("device_sale_outcomes"),
        sa.PrimaryKeyConstraint("device_id", "sale_ref", name=op.f("pk_device_sale_outcomes")),
    )
    op.create_table(
        "link_messages",
        sa.Column("id", _ID, nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.Column("device_name", sa.String(length=64), nullable=False),
        sa.Column("direction", sa.String(length=4), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        _device_fk("link_messages"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_messages")),
        sa.UniqueConstraint(
            "device_id", "direction", "seq", name=op.f("uq_link_messages_device_id")
        ),
    )
    op.create_index("ix_link_messages_created", "link_messages", ["created_at"], unique=False)
    op.create_table(
        "offline_reserves",
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("granted", sa.BigInteger(), nullable=False),
        sa.Column("spent", sa.BigInteger(), nullable=False),
        sa.Column("ceiling", sa.BigInteger(), nullable=False),
        sa.Column("snapshot_seq", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", _WHEN, nullable=False),
        sa.CheckConstraint("ceiling <= granted", name=op.f("ck_offline_reserves_ceiling_covered")),
        sa.CheckConstraint(
            "spent <= granted", name=op.f("ck_offline_reserves_reserve_not_overdrawn")
        ),
        _device_fk("offline_reserves"),
        sa.PrimaryKeyConstraint("device_id", name=op.f("pk_offline_reserves")),
    )


def downgrade() -> None:
    op.drop_table("offline_reserves")
    op.drop_index("ix_link_messages_created", table_name="link_messages")
    op.drop_table("link_messages")
    op.drop_table("device_sale_outcomes")
    op.drop_table("device_links")
