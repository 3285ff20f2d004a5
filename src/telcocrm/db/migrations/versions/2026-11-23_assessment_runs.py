"""assessment runs: a month's histories are published by pointing at the run that wrote them

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 03:00:00

The write-back used to replace a month in one long transaction; on SQLite that held the database's write lock
for the whole load (tens of seconds on a million subscribers), so the web could not write (log in, audit a view)
meanwhile. Now every history row carries the run that wrote it, the load commits in short transactions beside the
month's current rows, and `assessment_run` names the run each month shows: publishing is one tiny update.
Rows already stored become the run `YYYYMM` of their month.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# history table → the code column that, with month (and now run_id), keys it
HISTORIES = {
    "credit_rating_history": "customer_code",
    "segment_history": "customer_code",
    "lifecycle_history": "subscriber_code",
}
LEGACY_RUN = "CAST(replace(month, '-', '') AS BIGINT)"  # 2026-10 → run 202610


def _sqlite() -> bool:
    return op.get_bind().dialect.name != "postgresql"


def upgrade() -> None:
    op.create_table(
        "assessment_run",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=False),
        sa.Column("rules_version", sa.String(length=64), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("month", name=op.f("pk_assessment_run")),
        sa.UniqueConstraint("run_id", name=op.f("uq_assessment_run_run_id")),
    )
    for table, code in HISTORIES.items():
        _add_run(table, code)
    op.execute(
        f"INSERT INTO assessment_run (month, run_id, rules_version, published_at) "
        f"SELECT month, {LEGACY_RUN}, max(rules_version), max(recorded_at) FROM credit_rating_history GROUP BY month"
    )


def _add_run(table: str, code: str) -> None:
    """run_id on every row (the legacy run of its month), in the key and, on SQLite, in the month index."""
    op.add_column(table, sa.Column("run_id", sa.BigInteger(), nullable=False, server_default="0"))
    op.execute(f"UPDATE {table} SET run_id = {LEGACY_RUN}")
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.alter_column("run_id", server_default=None)
        batch_op.drop_constraint(f"pk_{table}", type_="primary")
        batch_op.create_primary_key(f"pk_{table}", [code, "month", "run_id"])
        if _sqlite():
            batch_op.drop_index(f"ix_{table}_month")
            batch_op.create_index(f"ix_{table}_month", ["month", "run_id"], unique=False)


def downgrade() -> None:
    for table, code in HISTORIES.items():
        op.execute(f"DELETE FROM {table} WHERE run_id NOT IN (SELECT run_id FROM assessment_run)")
        with op.batch_alter_table(table, schema=None) as batch_op:
            if _sqlite():
                batch_op.drop_index(f"ix_{table}_month")
                batch_op.create_index(f"ix_{table}_month", ["month"], unique=False)
            batch_op.drop_constraint(f"pk_{table}", type_="primary")
            batch_op.create_primary_key(f"pk_{table}", [code, "month"])
            batch_op.drop_column("run_id")
    op.drop_table("assessment_run")
