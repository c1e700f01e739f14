"""holder state: the locked amount (a lock-up locks issued tokens by amount)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 21:20:00.000000
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # binds `sqlmodel` and lets type checkers see sqlmodel.sql
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("holderstate", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("locked_amount", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("holderstate", schema=None) as batch_op:
        batch_op.drop_column("locked_amount")
