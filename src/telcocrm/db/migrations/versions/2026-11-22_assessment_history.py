"""monthly assessment history: credit rating, segment, lifecycle per month

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 23:00:00

Three append-only tables written by the monthly run's write-back (jobs/writeback.py), keyed by codes rather
than foreign keys: millions of rows arrive by COPY, and customer and subscriber codes never change. The
composite primary key (code, month) is also the index of "the history of one customer"; the month index
serves the write-back's "replace this month" on SQLite (on PostgreSQL the tables are partitioned by month).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# PostgreSQL: partitioned by month (one partition per month, made by the write-back), so replacing a month is
# a swap of one table rather than a million deletes and inserts into large indexes. Ignored by SQLite.
MONTHLY = "LIST (month)"


def _recorded() -> list[sa.Column[object]]:
    """The columns every history row ends with."""
    return [
        sa.Column("rules_version", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    ]


def _month_index_wanted() -> bool:
    """The month index serves "replace this month" by DELETE (SQLite); on PostgreSQL a month is a partition."""
    return op.get_bind().dialect.name != "postgresql"


def upgrade() -> None:
    op.create_table(
        "credit_rating_history",
        sa.Column("customer_code", sa.String(length=16), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("credit_rating", sa.String(length=1), nullable=False),
        sa.Column("credit_rule", sa.String(length=120), nullable=False),
        sa.Column("credit_reason", sa.Text(), nullable=False),
        sa.Column("consecutive_a_months", sa.Integer(), nullable=False),
        sa.Column("credit_class", sa.String(length=3), nullable=False),
        sa.Column("class_rule", sa.String(length=120), nullable=False),
        sa.Column("class_reason", sa.Text(), nullable=False),
        sa.Column("suspension_exempt_months", sa.Integer(), nullable=False),
        sa.Column("overdraft_limit_fen", sa.BigInteger(), nullable=False),
        sa.Column("rental_eligible", sa.Boolean(), nullable=False),
        sa.Column("discount_limit_pct", sa.Integer(), nullable=False),
        *_recorded(),
        sa.PrimaryKeyConstraint("customer_code", "month", name=op.f("pk_credit_rating_history")),
        postgresql_partition_by=MONTHLY,
    )
    if _month_index_wanted():
        with op.batch_alter_table("credit_rating_history", schema=None) as batch_op:
            batch_op.create_index("ix_credit_rating_history_month", ["month"], unique=False)

    op.create_table(
        "segment_history",
        sa.Column("customer_code", sa.String(length=16), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("segment", sa.String(length=64), nullable=False),
        sa.Column("sub_segment", sa.String(length=64), nullable=True),
        sa.Column("segment_rule", sa.String(length=120), nullable=False),
        sa.Column("segment_reason", sa.Text(), nullable=False),
        sa.Column("value_grade", sa.String(length=16), nullable=True),
        sa.Column("arpu_grade", sa.String(length=64), nullable=True),
        sa.Column("deposit_tier", sa.String(length=64), nullable=True),
        sa.Column("tenure_band", sa.String(length=64), nullable=True),
        sa.Column("behaviour_cluster", sa.String(length=64), nullable=True),
        sa.Column("demographic_band", sa.String(length=64), nullable=True),
        sa.Column("big_customer_kinds", sa.String(length=64), nullable=True),
        sa.Column("special_class", sa.Boolean(), nullable=False),
        sa.Column("big_customer_reason", sa.Text(), nullable=True),
        sa.Column("star_tier", sa.String(length=16), nullable=False),
        sa.Column("star_rule", sa.String(length=120), nullable=False),
        sa.Column("star_reason", sa.Text(), nullable=False),
        sa.Column("value_tier", sa.String(length=16), nullable=False),
        sa.Column("value_rule", sa.String(length=120), nullable=False),
        sa.Column("value_reason", sa.Text(), nullable=False),
        *_recorded(),
        sa.PrimaryKeyConstraint("customer_code", "month", name=op.f("pk_segment_history")),
        postgresql_partition_by=MONTHLY,
    )
    if _month_index_wanted():
        with op.batch_alter_table("segment_history", schema=None) as batch_op:
            batch_op.create_index("ix_segment_history_month", ["month"], unique=False)

    op.create_table(
        "lifecycle_history",
        sa.Column("subscriber_code", sa.String(length=20), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("customer_code", sa.String(length=16), nullable=False),
        sa.Column("lifecycle_stage", sa.String(length=32), nullable=False),
        sa.Column("lifecycle_rule", sa.String(length=120), nullable=False),
        sa.Column("lifecycle_reason", sa.Text(), nullable=False),
        *_recorded(),
        sa.PrimaryKeyConstraint("subscriber_code", "month", name=op.f("pk_lifecycle_history")),
        postgresql_partition_by=MONTHLY,
    )
    with op.batch_alter_table("lifecycle_history", schema=None) as batch_op:
        batch_op.create_index("ix_lifecycle_history_customer_code_month", ["customer_code", "month"], unique=False)
        if _month_index_wanted():
            batch_op.create_index("ix_lifecycle_history_month", ["month"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("lifecycle_history", schema=None) as batch_op:
        if _month_index_wanted():
            batch_op.drop_index("ix_lifecycle_history_month")
        batch_op.drop_index("ix_lifecycle_history_customer_code_month")
    op.drop_table("lifecycle_history")
    if _month_index_wanted():
        with op.batch_alter_table("segment_history", schema=None) as batch_op:
            batch_op.drop_index("ix_segment_history_month")
    op.drop_table("segment_history")
    if _month_index_wanted():
        with op.batch_alter_table("credit_rating_history", schema=None) as batch_op:
            batch_op.drop_index("ix_credit_rating_history_month")
    op.drop_table("credit_rating_history")
