"""churn records: churn_record (one per churned line and leaving month) with its change history, and save_attempt

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 12:00:00

The churn database of issue 5 (seed 001 DA003): records are keyed by subscriber and customer codes without
foreign keys, as the monthly histories are (codes never change, and a record outlives merges and cancels).
churn_record_history and save_attempt are append-only.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "churn_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscriber_code", sa.String(length=20), nullable=False),
        sa.Column("customer_code", sa.String(length=16), nullable=False),
        sa.Column("month_left", sa.String(length=7), nullable=False),
        sa.Column("terminated_date", sa.Date(), nullable=True),
        sa.Column("product", sa.String(length=32), nullable=True),
        sa.Column("brand", sa.String(length=32), nullable=True),
        sa.Column("value_tier", sa.String(length=16), nullable=True),
        sa.Column("arpu_fen", sa.BigInteger(), nullable=True),
        sa.Column(
            "reason",
            sa.Enum(
                "network_quality",
                "price",
                "handset_quality",
                "billing",
                "after_sales",
                "channel_card_dumping",
                "other",
                name="churn_reason",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column(
            "controllability",
            sa.Enum(
                "internal_easy",
                "external_controllable",
                "internal_hard",
                "external_hard",
                name="churn_controllability",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column(
            "urgency",
            sa.Enum(
                "high", "medium", "low", name="churn_urgency", native_enum=False, create_constraint=True, length=32
            ),
            nullable=True,
        ),
        sa.Column(
            "destination",
            sa.Enum(
                "competitor",
                "own_product",
                "unknown",
                name="churn_destination",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("competitor", sa.String(length=100), nullable=True),
        sa.Column(
            "source",
            sa.Enum(
                "monthly_run",
                "counter",
                "survey",
                name="churn_record_source",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("recorded_by", sa.String(length=80), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=80), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_churn_record")),
        sa.UniqueConstraint("subscriber_code", "month_left", name=op.f("uq_churn_record_subscriber_code")),
    )
    with op.batch_alter_table("churn_record", schema=None) as batch_op:
        batch_op.create_index("ix_churn_record_customer_code", ["customer_code"], unique=False)
        batch_op.create_index("ix_churn_record_month_left", ["month_left"], unique=False)

    op.create_table(
        "churn_record_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("churn_record_id", sa.Integer(), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["churn_record_id"], ["churn_record.id"], name=op.f("fk_churn_record_history_churn_record_id_churn_record")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_churn_record_history")),
    )
    with op.batch_alter_table("churn_record_history", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_churn_record_history_churn_record_id"), ["churn_record_id"], unique=False)

    op.create_table(
        "save_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscriber_code", sa.String(length=20), nullable=False),
        sa.Column("customer_code", sa.String(length=16), nullable=False),
        sa.Column("churn_record_id", sa.Integer(), nullable=True),
        sa.Column(
            "flow",
            sa.Enum("DS001", "DS002", "DS003", name="save_flow", native_enum=False, create_constraint=True, length=32),
            nullable=False,
        ),
        sa.Column(
            "reason",
            sa.Enum(
                "network_quality",
                "price",
                "handset_quality",
                "billing",
                "after_sales",
                "channel_card_dumping",
                "other",
                name="save_reason",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("measure_code", sa.String(length=16), nullable=True),
        sa.Column("offer_cost_fen", sa.BigInteger(), nullable=True),
        sa.Column("cap_fen", sa.BigInteger(), nullable=True),
        sa.Column(
            "outcome",
            sa.Enum(
                "saved",
                "refused",
                "pending",
                "unreachable",
                name="save_outcome",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("staff", sa.String(length=80), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["churn_record_id"], ["churn_record.id"], name=op.f("fk_save_attempt_churn_record_id_churn_record")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_save_attempt")),
    )
    with op.batch_alter_table("save_attempt", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_save_attempt_churn_record_id"), ["churn_record_id"], unique=False)
        batch_op.create_index("ix_save_attempt_subscriber_code_flow", ["subscriber_code", "flow"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("save_attempt", schema=None) as batch_op:
        batch_op.drop_index("ix_save_attempt_subscriber_code_flow")
        batch_op.drop_index(batch_op.f("ix_save_attempt_churn_record_id"))

    op.drop_table("save_attempt")
    with op.batch_alter_table("churn_record_history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_churn_record_history_churn_record_id"))

    op.drop_table("churn_record_history")
    with op.batch_alter_table("churn_record", schema=None) as batch_op:
        batch_op.drop_index("ix_churn_record_month_left")
        batch_op.drop_index("ix_churn_record_customer_code")

    op.drop_table("churn_record")
