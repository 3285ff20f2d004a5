"""points month summary: points by month and kind, kept beside the ledger for the analyst page

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 09:00:00

Writers of points entries append their part in the same transaction; the jobs fold the parts. The upgrade fills
the summary from the ledger as it stands, in one aggregate: awards and their corrections by the month earned
for, every other entry by the operator's month it was recorded (the configured time zone), a reversal with the
kind of the entry it undoes. The downgrade drops the table; the ledger itself is untouched either way.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

from telcocrm.config import get_settings

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
KINDS = ("earn", "spend", "expiry", "adjustment", "reversal")
BACKFILL = """
INSERT INTO points_month_summary (month, kind, points)
SELECT month, kind, SUM(points) FROM (
    SELECT COALESCE(entry.month, {local_month}) AS month, COALESCE(undone.kind, entry.kind) AS kind, entry.points
    FROM points_entry AS entry LEFT OUTER JOIN points_entry AS undone ON entry.reverses_id = undone.id
) AS part
GROUP BY month, kind
HAVING SUM(points) <> 0
"""


def upgrade() -> None:
    op.create_table(
        "points_month_summary",
        sa.Column("id", ROW_ID, nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(*KINDS, name="points_month_summary_kind", native_enum=False, create_constraint=True, length=32),
            nullable=False,
        ),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_month_summary")),
    )
    with op.batch_alter_table("points_month_summary", schema=None) as batch_op:
        batch_op.create_index("ix_points_month_summary_month_kind", ["month", "kind"], unique=False)
    op.execute(sa.text(BACKFILL.format(local_month=_local_month())))


def downgrade() -> None:
    with op.batch_alter_table("points_month_summary", schema=None) as batch_op:
        batch_op.drop_index("ix_points_month_summary_month_kind")
    op.drop_table("points_month_summary")


def _local_month() -> str:
    """SQL for `YYYY-MM` of entry.recorded_at (stored in UTC) in the operator's zone."""
    zone = get_settings().zone
    if op.get_bind().dialect.name == "postgresql":
        return f"to_char(timezone('{zone.key}', entry.recorded_at), 'YYYY-MM')"
    # SQLite keeps naive UTC text; today's offset is exact for a zone without summer time (Asia/Shanghai).
    offset = datetime.now(zone).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset else 0
    return f"strftime('%Y-%m', entry.recorded_at, '{minutes:+d} minutes')"
