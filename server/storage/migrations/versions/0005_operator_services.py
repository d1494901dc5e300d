"""operator services: TOTP secrets sealed by the security module

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 12:00:00

- web_totp.sealed_secret: the operator's TOTP secret sealed under the master key (purpose
  "totp secrets", label "operator:<id>");
- web_totp.secret becomes nullable: it holds a clear secret only for rows written before
  this revision, until their first use seals them (the migration has no master key, so it
  cannot seal them itself).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("web_totp") as batch:
        batch.add_column(sa.Column("sealed_secret", sa.LargeBinary(), nullable=True))
        batch.alter_column("secret", existing_type=sa.String(length=64), nullable=True)


def downgrade() -> None:
    # A sealed secret cannot be opened here (no master key): those operators set their
    # second step up again.
    op.execute(sa.text("DELETE FROM web_totp WHERE secret IS NULL"))
    with op.batch_alter_table("web_totp") as batch:
        batch.alter_column("secret", existing_type=sa.String(length=64), nullable=False)
        batch.drop_column("sealed_secret")
