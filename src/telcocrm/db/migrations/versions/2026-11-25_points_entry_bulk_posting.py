"""points entry for bulk posting: no key check per entry on the account, partial indexes, account+month index

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 09:00:00

The monthly posting writes one entry per award (564,000 at 1M subscribers). Measured on PostgreSQL at that size
(docs/benchmarks.md § Loyalty), each entry's foreign-key check on points_account (a row lock per entry) and the
index insertions of NULL lot, reversal and reference ids took about 40% of the posting. Accounts are never
deleted, so the key check goes; the three indexes keep only the entries that set their column; the account and
month indexes become one (account_id, month), which answers both "an account's entries" and the posting's
"this account's entries of this month".
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PARTIAL = ("lot_id", "reverses_id", "reference")
ACCOUNT_KEY = "fk_points_entry_account_id_points_account"


def upgrade() -> None:
    with op.batch_alter_table("points_entry", schema=None) as batch_op:
        for column in (*PARTIAL, "account_id", "month"):
            batch_op.drop_index(f"ix_points_entry_{column}")
        batch_op.drop_constraint(ACCOUNT_KEY, type_="foreignkey")
    with op.batch_alter_table("points_entry", schema=None) as batch_op:
        batch_op.create_index("ix_points_entry_account_month", ["account_id", "month"], unique=False)
        for column in PARTIAL:
            where = sa.text(f"{column} IS NOT NULL")
            batch_op.create_index(
                f"ix_points_entry_{column}", [column], unique=False, postgresql_where=where, sqlite_where=where
            )


def downgrade() -> None:
    with op.batch_alter_table("points_entry", schema=None) as batch_op:
        for column in PARTIAL:
            batch_op.drop_index(f"ix_points_entry_{column}")
        batch_op.drop_index("ix_points_entry_account_month")
        batch_op.create_foreign_key(ACCOUNT_KEY, "points_account", ["account_id"], ["id"])
    with op.batch_alter_table("points_entry", schema=None) as batch_op:
        for column in (*PARTIAL, "account_id", "month"):
            batch_op.create_index(f"ix_points_entry_{column}", [column], unique=False)
