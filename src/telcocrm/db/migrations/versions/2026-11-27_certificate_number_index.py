"""certificate numbers: one index for the active ones (number first), a small one for released ones

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27 09:00:00

Certificates had two indexes on the number: the unique one on (type, number) of active certificates, and one on
the number of every certificate, for search. A bulk import built both (4.3 s of the 33.5 s its end phase took at 1M,
docs/benchmarks.md § Customer import). The unique index now leads with the number, so it also serves search
for active certificates; released certificates (those of cancelled customers, few) keep a partial index of
their own. On SQLite each condition reads `active = 1` or `active = 0`, as SQLAlchemy writes them in queries:
SQLite uses a partial index only when the query states its condition in the same form (with `active` alone,
search and the certificate-holder check would scan the table there).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNIQUE = "uq_certificate_active_number"
RELEASED = "ix_certificate_released_number"
BY_NUMBER = "ix_certificate_cert_number"


def _partial(active: bool) -> dict[str, sa.TextClause]:
    """Where `active` is (not) true, in the form a query states it on each backend (models.Certificate)."""
    return {
        "sqlite_where": sa.text(f"active = {int(active)}"),
        "postgresql_where": sa.text("active" if active else "NOT active"),
    }


ACTIVE_BEFORE = {"sqlite_where": sa.text("active"), "postgresql_where": sa.text("active")}


def upgrade() -> None:
    with op.batch_alter_table("certificate", schema=None) as batch_op:
        batch_op.drop_index(BY_NUMBER)
        batch_op.drop_index(UNIQUE, **ACTIVE_BEFORE)
        batch_op.create_index(UNIQUE, ["cert_number", "cert_type"], unique=True, **_partial(True))
        batch_op.create_index(RELEASED, ["cert_number"], unique=False, **_partial(False))


def downgrade() -> None:
    with op.batch_alter_table("certificate", schema=None) as batch_op:
        batch_op.drop_index(RELEASED, **_partial(False))
        batch_op.drop_index(UNIQUE, **_partial(True))
        batch_op.create_index(UNIQUE, ["cert_type", "cert_number"], unique=True, **ACTIVE_BEFORE)
        batch_op.create_index(BY_NUMBER, ["cert_number"], unique=False)
