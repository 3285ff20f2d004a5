"""cards and rewards: member_card (百事通) with its history, the reward catalogue, stock history and redemptions

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 10:40:00

Cards and redemptions are keyed by customer code without a foreign key, as points accounts are (codes never
change; a merged-away code leads to its survivor). The database refuses a negative stock by a CHECK. Card numbers
take their serials from code_counter 'card', seeded here.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "member_card",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("card_number", sa.String(length=20), nullable=False),
        sa.Column("customer_code", sa.String(length=16), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "shangwu_linghang",
                "wode_ejia",
                "travel",
                name="card_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "holder",
            sa.Enum("company", "personal", name="card_holder", native_enum=False, create_constraint=True, length=32),
            nullable=False,
        ),
        sa.Column(
            "holder_role",
            sa.Enum(
                "decision_maker",
                "handler",
                "self",
                name="card_holder_role",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("holder_name", sa.String(length=200), nullable=False),
        sa.Column(
            "level",
            sa.Enum(
                "diamond", "platinum", "vip", name="card_level", native_enum=False, create_constraint=True, length=32
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum("active", "cancelled", name="card_status", native_enum=False, create_constraint=True, length=32),
            nullable=False,
        ),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_card")),
        sa.UniqueConstraint("card_number", name=op.f("uq_member_card_card_number")),
    )
    with op.batch_alter_table("member_card", schema=None) as batch_op:
        batch_op.create_index("ix_member_card_customer_code", ["customer_code"], unique=False)
        batch_op.create_index(
            "uq_member_card_active_holder",
            ["customer_code", "kind", "holder_name"],
            unique=True,
            sqlite_where=sa.text("status = 'active'"),
            postgresql_where=sa.text("status = 'active'"),
        )

    op.create_table(
        "reward",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                "bill_credit",
                "goods",
                "service",
                "club_event",
                name="reward_category",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("points_price", sa.Integer(), nullable=False),
        sa.Column("face_value_fen", sa.Integer(), nullable=True),
        sa.Column("segments", sa.JSON(), nullable=False),
        sa.Column("value_tiers", sa.JSON(), nullable=False),
        sa.Column("card_levels", sa.JSON(), nullable=False),
        sa.Column("stock", sa.Integer(), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("points_price > 0", name=op.f("ck_reward_points_price_positive")),
        sa.CheckConstraint("stock IS NULL OR stock >= 0", name=op.f("ck_reward_stock_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reward")),
        sa.UniqueConstraint("code", name=op.f("uq_reward_code")),
    )
    op.create_table(
        "member_card_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column(
            "action",
            sa.Enum(
                "issue",
                "upgrade",
                "downgrade",
                "cancel",
                name="card_action",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "level_before",
            sa.Enum(
                "diamond",
                "platinum",
                "vip",
                name="card_level_before",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column(
            "level_after",
            sa.Enum(
                "diamond",
                "platinum",
                "vip",
                name="card_level_after",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("rule", sa.String(length=120), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["card_id"], ["member_card.id"], name=op.f("fk_member_card_history_card_id_member_card")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_card_history")),
    )
    with op.batch_alter_table("member_card_history", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_member_card_history_card_id"), ["card_id"], unique=False)

    op.create_table(
        "redemption",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_key", sa.String(length=64), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("customer_code", sa.String(length=16), nullable=False),
        sa.Column("reward_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "redeemed", "cancelled", name="redemption_status", native_enum=False, create_constraint=True, length=32
            ),
            nullable=False,
        ),
        sa.Column(
            "channel",
            sa.Enum(
                "counter", "web", "api", name="redemption_channel", native_enum=False, create_constraint=True, length=32
            ),
            nullable=False,
        ),
        sa.Column("card_number", sa.String(length=20), nullable=True),
        sa.Column("redeemed_by", sa.String(length=80), nullable=False),
        sa.Column("redeemed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cancelled_by", sa.String(length=80), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("points > 0", name=op.f("ck_redemption_points_positive")),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_redemption_quantity_positive")),
        sa.ForeignKeyConstraint(["reward_id"], ["reward.id"], name=op.f("fk_redemption_reward_id_reward")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_redemption")),
        sa.UniqueConstraint("reference", name=op.f("uq_redemption_reference")),
        sa.UniqueConstraint("request_key", name=op.f("uq_redemption_request_key")),
    )
    with op.batch_alter_table("redemption", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_redemption_customer_code"), ["customer_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_redemption_reward_id"), ["reward_id"], unique=False)

    op.create_table(
        "redemption_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("redemption_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "redeemed", "cancelled", name="redemption_status", native_enum=False, create_constraint=True, length=32
            ),
            nullable=False,
        ),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["redemption_id"], ["redemption.id"], name=op.f("fk_redemption_history_redemption_id_redemption")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_redemption_history")),
    )
    with op.batch_alter_table("redemption_history", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_redemption_history_redemption_id"), ["redemption_id"], unique=False)

    op.create_table(
        "reward_stock_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reward_id", sa.Integer(), nullable=False),
        sa.Column(
            "action",
            sa.Enum(
                "initial",
                "redeemed",
                "cancelled",
                "restock",
                "set",
                name="stock_action",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("change", sa.Integer(), nullable=True),
        sa.Column("stock_after", sa.Integer(), nullable=True),
        sa.Column("redemption_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["redemption_id"], ["redemption.id"], name=op.f("fk_reward_stock_history_redemption_id_redemption")
        ),
        sa.ForeignKeyConstraint(["reward_id"], ["reward.id"], name=op.f("fk_reward_stock_history_reward_id_reward")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reward_stock_history")),
    )
    with op.batch_alter_table("reward_stock_history", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reward_stock_history_reward_id"), ["reward_id"], unique=False)


def downgrade() -> None:
    op.execute("DELETE FROM code_counter WHERE name = 'card'")
    with op.batch_alter_table("reward_stock_history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reward_stock_history_reward_id"))

    op.drop_table("reward_stock_history")
    with op.batch_alter_table("redemption_history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_redemption_history_redemption_id"))

    op.drop_table("redemption_history")
    with op.batch_alter_table("redemption", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_redemption_reward_id"))
        batch_op.drop_index(batch_op.f("ix_redemption_customer_code"))

    op.drop_table("redemption")
    with op.batch_alter_table("member_card_history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_member_card_history_card_id"))

    op.drop_table("member_card_history")
    op.drop_table("reward")
    with op.batch_alter_table("member_card", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_member_card_active_holder",
            sqlite_where=sa.text("status = 'active'"),
            postgresql_where=sa.text("status = 'active'"),
        )
        batch_op.drop_index("ix_member_card_customer_code")

    op.drop_table("member_card")
