"""customer attributes for segmentation; subscriber brand

Profile: organisation category, industry, decision scope, strategic, home business; income band as a vocabulary.
code_counter.next_value becomes BIGINT: customer codes are an 11-digit serial.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 23:00:00

Written by hand. income_band was free text (String(20)); it becomes the IncomeBand vocabulary, stored as its
code in VARCHAR(32) with a CHECK like every other enum column. A value that is not a code cannot be kept under
the CHECK and is cleared on upgrade (the profile is peripheral data; nothing wrote the column in bulk before).
Downgrade drops the new columns and returns income_band to String(20) text, codes kept.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ORGANISATION_CATEGORIES = (
    "government",
    "party",
    "military",
    "public_institution",
    "enterprise_high_end",
    "enterprise",
    "small_business",
)
DECISION_SCOPES = ("global", "national", "provincial", "local")
INCOME_BANDS = ("below_3k", "3k_to_8k", "8k_to_20k", "above_20k")


def _one_of(column: str, values: Sequence[str]) -> str:
    """The CHECK condition of an enum column, as enum_type (db/types.py) writes it."""
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    # Customer codes are an 11-digit serial: the counter outgrows a 32-bit integer at 2,147,483,647.
    with op.batch_alter_table("code_counter", schema=None) as batch_op:
        batch_op.alter_column("next_value", existing_type=sa.Integer(), type_=sa.BigInteger(), existing_nullable=False)
    profile = sa.table("customer_profile", sa.column("income_band", sa.String()))
    op.execute(
        profile.update()
        .where(profile.c.income_band.is_not(None), profile.c.income_band.not_in(INCOME_BANDS))
        .values(income_band=None)
    )
    with op.batch_alter_table("customer_profile", schema=None) as batch_op:
        batch_op.add_column(sa.Column("organisation_category", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("industry", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("decision_scope", sa.String(length=32), nullable=True))
        # server_default fills the rows already there; the models give the value on every insert.
        batch_op.add_column(sa.Column("strategic", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("home_business", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.alter_column(
            "income_band", existing_type=sa.String(length=20), type_=sa.String(length=32), existing_nullable=True
        )
        batch_op.create_check_constraint(
            op.f("ck_customer_profile_organisation_category"),
            _one_of("organisation_category", ORGANISATION_CATEGORIES),
        )
        batch_op.create_check_constraint(
            op.f("ck_customer_profile_decision_scope"), _one_of("decision_scope", DECISION_SCOPES)
        )
        batch_op.create_check_constraint(op.f("ck_customer_profile_income_band"), _one_of("income_band", INCOME_BANDS))
    with op.batch_alter_table("customer_profile", schema=None) as batch_op:
        batch_op.alter_column("strategic", server_default=None, existing_type=sa.Boolean(), existing_nullable=False)
        batch_op.alter_column("home_business", server_default=None, existing_type=sa.Boolean(), existing_nullable=False)
    with op.batch_alter_table("subscriber", schema=None) as batch_op:
        batch_op.add_column(sa.Column("brand", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("code_counter", schema=None) as batch_op:
        batch_op.alter_column("next_value", existing_type=sa.BigInteger(), type_=sa.Integer(), existing_nullable=False)
    with op.batch_alter_table("subscriber", schema=None) as batch_op:
        batch_op.drop_column("brand")
    with op.batch_alter_table("customer_profile", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_customer_profile_income_band"), type_="check")
        batch_op.drop_constraint(op.f("ck_customer_profile_decision_scope"), type_="check")
        batch_op.drop_constraint(op.f("ck_customer_profile_organisation_category"), type_="check")
        batch_op.alter_column(
            "income_band", existing_type=sa.String(length=32), type_=sa.String(length=20), existing_nullable=True
        )
        batch_op.drop_column("home_business")
        batch_op.drop_column("strategic")
        batch_op.drop_column("decision_scope")
        batch_op.drop_column("industry")
        batch_op.drop_column("organisation_category")
