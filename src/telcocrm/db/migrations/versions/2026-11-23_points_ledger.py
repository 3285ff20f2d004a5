"""points ledger: points_account and the append-only points_entry

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 09:00:00

One account per customer code (no foreign key to customer: the monthly run opens accounts in bulk for codes it
read from the customer table, and codes never change). Entries are never updated or deleted; a lot is a positive
entry without lot_id, every other entry names the lot it draws from or gives back to.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ENTRY_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
ENTRY_INDEXES = ("account_id", "lot_id", "reverses_id", "reference", "month", "expires_on")


def upgrade() -> None:
    op.create_table(
        "points_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_code", sa.String(length=16), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "active", "closed", name="points_account_status", native_enum=False, create_constraint=True, length=32
            ),
            nullable=False,
        ),
        sa.Column("opted_in", sa.Boolean(), nullable=False),
        sa.Column("points_sensitive", sa.Boolean(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_account")),
        sa.UniqueConstraint("customer_code", name=op.f("uq_points_account_customer_code")),
    )
    op.create_table(
        "points_entry",
        sa.Column("id", ENTRY_ID, nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "earn",
                "spend",
                "expiry",
                "adjustment",
                "reversal",
                name="points_entry_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("lot_id", ENTRY_ID, nullable=True),
        sa.Column("month", sa.String(length=7), nullable=True),
        sa.Column("earned_on", sa.Date(), nullable=True),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("rule", sa.String(length=120), nullable=True),
        sa.Column("source", sa.String(length=120), nullable=True),
        sa.Column("idempotency_key", sa.String(length=400), nullable=False),
        sa.Column("reverses_id", ENTRY_ID, nullable=True),
        sa.Column("reference", sa.String(length=64), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=60), nullable=False),
        sa.CheckConstraint("points <> 0", name=op.f("ck_points_entry_points_not_zero")),
        sa.CheckConstraint(
            "(lot_id IS NULL AND points > 0 AND expires_on IS NOT NULL) OR (lot_id IS NOT NULL)",
            name=op.f("ck_points_entry_lot_or_draw"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["points_account.id"], name=op.f("fk_points_entry_account_id_points_account")
        ),
        sa.ForeignKeyConstraint(["lot_id"], ["points_entry.id"], name=op.f("fk_points_entry_lot_id_points_entry")),
        sa.ForeignKeyConstraint(
            ["reverses_id"], ["points_entry.id"], name=op.f("fk_points_entry_reverses_id_points_entry")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_entry")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_points_entry_idempotency_key")),
    )
    with op.batch_alter_table("points_entry", schema=None) as batch_op:
        for column in ENTRY_INDEXES:
            batch_op.create_index(f"ix_points_entry_{column}", [column], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("points_entry", schema=None) as batch_op:
        for column in reversed(ENTRY_INDEXES):
            batch_op.drop_index(f"ix_points_entry_{column}")
    op.drop_table("points_entry")
    op.drop_table("points_account")
