"""points entry, lighter writes: no key check per entry on its lot or reversed entry; expiry index as BRIN;
award keys month first

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26 09:00:00

Measured on PostgreSQL at 1M subscribers (docs/benchmarks.md § Loyalty), the two self-referencing foreign keys
cost every earn of the monthly posting a queued trigger event, though an earn sets neither column (about a sixth
of writing a part's entries), and the B-tree on the expiry date another tenth. Entries are never updated nor
deleted, and every draw or reversal takes its lot's id from the lot row it read in its own transaction, so the
keys go, as the account's did in 0009. Entries are appended in the order they expire, which is what a BRIN index
summarises in a few pages: the yearly expiry job still finds the expired lots by range; SQLite keeps its B-tree.

An award's idempotency key was `customer|month|rule|source` (with `#n` and `/reverses:id` for its corrections):
each month's keys went beside the same customers' keys of every earlier month, all over the unique index. It is
now `month|customer|rule|source`, so a month's posting fills the index in order at one place; the keys already
posted are rewritten, exactly those that begin with their own account's customer code and month.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SELF_KEYS = {
    "fk_points_entry_lot_id_points_entry": "lot_id",
    "fk_points_entry_reverses_id_points_entry": "reverses_id",
}
EXPIRY_INDEX = "ix_points_entry_expires_on"
CODE = "(SELECT a.customer_code FROM points_account a WHERE a.id = points_entry.account_id)"
# `code|month|rest` ↔ `month|code|rest`, where rest is `|rule|source` and what follows; both sides are 8
# characters of month and bar apart from the code, so the rest starts at length(code) + 9 either way.
REST = f"substr(idempotency_key, length({CODE}) + 9)"
MONTH_FIRST = f"""UPDATE points_entry SET idempotency_key = month || '|' || {CODE} || {REST}
WHERE month IS NOT NULL AND idempotency_key LIKE {CODE} || '|' || month || '|%'"""
CODE_FIRST = f"""UPDATE points_entry SET idempotency_key = {CODE} || '|' || month || {REST}
WHERE month IS NOT NULL AND idempotency_key LIKE month || '|' || {CODE} || '|%'"""


def upgrade() -> None:
    with op.batch_alter_table("points_entry", schema=None) as batch_op:
        for name in SELF_KEYS:
            batch_op.drop_constraint(name, type_="foreignkey")
    op.execute(sa.text(MONTH_FIRST))
    if op.get_context().dialect.name == "postgresql":
        op.drop_index(EXPIRY_INDEX, table_name="points_entry")
        op.create_index(EXPIRY_INDEX, "points_entry", ["expires_on"], unique=False, postgresql_using="brin")


def downgrade() -> None:
    op.execute(sa.text(CODE_FIRST))
    if op.get_context().dialect.name == "postgresql":
        op.drop_index(EXPIRY_INDEX, table_name="points_entry")
        op.create_index(EXPIRY_INDEX, "points_entry", ["expires_on"], unique=False)
    with op.batch_alter_table("points_entry", schema=None) as batch_op:
        for name, column in SELF_KEYS.items():
            batch_op.create_foreign_key(name, "points_entry", [column], ["id"])
