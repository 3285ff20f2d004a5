"""The run whose results each month shows: the monthly run's write-back publishes a month by pointing here."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from telcocrm.db.base import Base
from telcocrm.db.types import UtcDateTime, utc_now


class AssessmentRun(Base):
    """One row per month: the run (`run_id`) whose credit, segment and lifecycle rows are the month's history.

    The write-back loads a run's rows beside the current ones in short transactions, then replaces this row in
    one tiny transaction: readers see the old month or the new one, never a mix, and nobody waits for the load.
    History rows of any other run are invisible (a load in progress, an interrupted one, or the run replaced).
    """

    __tablename__ = "assessment_run"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # YYYY-MM
    run_id: Mapped[int] = mapped_column(BigInteger, nullable=False, unique=True)
    rules_version: Mapped[str] = mapped_column(String(64), nullable=False)
    published_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utc_now)
