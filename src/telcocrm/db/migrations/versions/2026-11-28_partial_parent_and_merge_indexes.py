"""account parents and merged-into codes: partial indexes of the rows that have one

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-28 09:00:00

Most accounts have no parent and most customers were never merged, yet both indexes held a row for every one:
a bulk import built them over a million nulls each (0.3–0.6 s of its end at 1M, docs/benchmarks.md § Customer
import). Every lookup through them compares with a value (`parent_account_id IN (…)`, `merged_into_code = …`),
which implies IS NOT NULL on both backends, so the partial indexes serve the same queries.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("billing_account", "ix_billing_account_parent_account_id", "parent_account_id"),
    ("customer", "ix_customer_merged_into_code", "merged_into_code"),
)


def _not_null(column: str) -> dict[str, sa.TextClause]:
    return {"sqlite_where": sa.text(f"{column} IS NOT NULL"), "postgresql_where": sa.text(f"{column} IS NOT NULL")}


def upgrade() -> None:
    for table, name, column in INDEXES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(name)
            batch_op.create_index(name, [column], unique=False, **_not_null(column))


def downgrade() -> None:
    for table, name, column in INDEXES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(name, **_not_null(column))
            batch_op.create_index(name, [column], unique=False)
