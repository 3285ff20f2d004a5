"""A referral award reaches the ledger once per referred line, however often its month is run again."""

from __future__ import annotations

import pyarrow as pa
from sqlalchemy import Engine

from telcocrm.analytics.schemas import POINTS_AWARDS
from tests.service.test_points_ledger import balance, entry_sum, post

REFERRER = "C1"


def referral_awards(month: str, *lines: str) -> pa.Table:
    """The month's referral awards of REFERRER, one per referred line, as the points mart writes them."""
    rows = [
        {"month": month, "customer_code": REFERRER, "rule": "points.bonus.referral"}
        | {"source": f"campaign:referral_2026:{line}", "points": 500, "published": True, "reason": "推荐 / referral"}
        for line in lines
    ]
    return pa.Table.from_pylist(rows, schema=POINTS_AWARDS)


def test_a_rerun_of_the_award_month_pays_each_referred_line_once(clean_engine: Engine) -> None:
    first = post(clean_engine, referral_awards("2026-05", "N1", "N2"), month="2026-05")
    again = post(clean_engine, referral_awards("2026-05", "N1", "N2"), month="2026-05")
    assert (first.earned_entries, again.earned_entries) == (2, 0)
    assert balance(clean_engine, REFERRER) == entry_sum(clean_engine) == 1_000
