"""link hardening: secret generations, sale sequence numbers, offline cutoff, delivered mark

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 09:00:00

- devices.secret_generation: each secret issued starts a new generation;
- device_sale_outcomes.generation / sale_seq: the generation a sale id was answered under,
  and the journal number in the sale id (for the re-flashed handheld's seq_floor);
- link_messages.generation: uplink sequence numbers are unique per secret generation (a
  re-flashed handheld numbers its messages from 1 again);
- device_links.out_seen: the highest downlink the device showed it holds (pruning);
- offline_reserves.cutoff_at: when the device was disabled or its vendor suspended.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHEN = sa.DateTime(timezone=True)


def _zero(name: str, type_: sa.types.TypeEngine) -> sa.Column:
    # A plain string default: SQLite then adds the column in place (ALTER TABLE ADD COLUMN)
    # instead of copying the table, which its foreign keys would not allow for devices.
    return sa.Column(name, type_, nullable=False, server_default="0")


def _drop_column(table: str, column: str) -> None:
    # In place on SQLite too (3.35+): copying a table others refer to is refused.
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    else:
        op.drop_column(table, column)


def upgrade() -> None:
    op.add_column("devices", _zero("secret_generation", sa.Integer()))
    op.add_column("device_links", _zero("out_seen", sa.BigInteger()))
    op.add_column("offline_reserves", sa.Column("cutoff_at", _WHEN, nullable=True))
    op.add_column("device_sale_outcomes", _zero("sale_seq", sa.BigInteger()))
    op.add_column("device_sale_outcomes", _zero("generation", sa.Integer()))
    op.create_index(
        "ix_device_sale_outcomes_seq", "device_sale_outcomes", ["device_id", "sale_seq"]
    )
    with op.batch_alter_table("link_messages") as batch:
        batch.add_column(_zero("generation", sa.Integer()))
        batch.drop_constraint("uq_link_messages_device_id", type_="unique")
        batch.create_unique_constraint(
            "uq_link_messages_device_id", ["device_id", "direction", "generation", "seq"]
        )
    _backfill_sale_seq()


def _backfill_sale_seq() -> None:
    # A sale id is "<device>-<journal number>": the number is what follows the last dash.
    outcomes = sa.table(
        "device_sale_outcomes",
        sa.column("device_id", sa.Integer()),
        sa.column("sale_ref", sa.String()),
        sa.column("sale_seq", sa.BigInteger()),
    )
    bind = op.get_bind()
    rows = bind.execute(sa.select(outcomes.c.device_id, outcomes.c.sale_ref)).all()
    for device_id, sale_ref in rows:
        tail = str(sale_ref).rsplit("-", 1)[-1]
        if not tail.isdigit():
            continue
        bind.execute(
            sa.update(outcomes)
            .where(outcomes.c.device_id == device_id, outcomes.c.sale_ref == sale_ref)
            .values(sale_seq=int(tail))
        )


def downgrade() -> None:
    with op.batch_alter_table("link_messages") as batch:
        batch.drop_constraint("uq_link_messages_device_id", type_="unique")
        batch.create_unique_constraint(
            "uq_link_messages_device_id", ["device_id", "direction", "seq"]
        )
        batch.drop_column("generation")
    op.drop_index("ix_device_sale_outcomes_seq", table_name="device_sale_outcomes")
    _drop_column("device_sale_outcomes", "generation")
    _drop_column("device_sale_outcomes", "sale_seq")
    _drop_column("offline_reserves", "cutoff_at")
    _drop_column("device_links", "out_seen")
    _drop_column("devices", "secret_generation")
