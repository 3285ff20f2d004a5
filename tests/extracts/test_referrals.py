"""The optional referrals extract: a month without it ingests as before; a bad referral refuses the month whole."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from sqlalchemy import Engine

from telcocrm.analytics.store import AnalyticsStore
from telcocrm.extracts.ingest import ingest_month

from .conftest import MONTH
from .test_checks import edit, refused, where

# examples/2026-10/referrals.csv: row 2 000000000021 (李伟) referred U4001 on 2026-09-28; row 3 000000000013 (陈静)
# referred U3001 on 2026-10-12. 000000000013 holds U1001 and U1002.
FIRST = "000000000021,U4001,2026-09-28"


def test_a_month_without_referrals_ingests_as_before_and_lands_none(
    store: AnalyticsStore, known: Engine, folder: Path
) -> None:
    (folder / "referrals.csv").unlink()
    report = ingest_month(folder, MONTH, engine=known)
    assert report.rows["referrals"] == 0 and report.rows["bills"] == 6
    assert not store.extract_path(MONTH, "referrals").exists()


def test_referrals_land_with_the_month_that_delivered_them(store: AnalyticsStore, known: Engine, folder: Path) -> None:
    ingest_month(folder, MONTH, engine=known)
    landed = pq.read_table(store.extract_path(MONTH, "referrals")).to_pylist()
    assert landed[0] == {
        "referrer_customer_code": "000000000021",
        "referred_subscriber_id": "U4001",
        "referral_date": date(2026, 9, 28),  # before the month: a referral may be reported late
        "month": MONTH,
    }
    assert [row["month"] for row in landed] == [MONTH, MONTH]


REFUSALS = {
    "not a date": (FIRST, "000000000021,U4001,2026-09-31", "referral_date"),
    "after the month": (FIRST, "000000000021,U4001,2026-11-01", "referral_date"),
    "unknown referrer": (FIRST, "000000000099,U4001,2026-09-28", "referrer_customer_code"),
    "unknown referred line": (FIRST, "000000000021,U4009,2026-09-28", "referred_subscriber_id"),
    "own line": (FIRST, "000000000021,U2001,2026-09-28", "referred_subscriber_id"),
    "no referrer": (FIRST, ",U4001,2026-09-28", "referrer_customer_code"),
}


@pytest.mark.parametrize("case", REFUSALS.values(), ids=REFUSALS.keys())
def test_a_bad_referral_refuses_the_month_naming_its_row_and_field(
    case: tuple[str, str, str], store: AnalyticsStore, known: Engine, folder: Path
) -> None:
    old, new, field = case
    edit(folder, "referrals.csv", old, new)
    assert where(refused(folder, known, store)) == [("referrals.csv", 2, field)]


def test_a_line_referred_twice_and_a_customer_referring_its_own_line_are_refused(
    store: AnalyticsStore, known: Engine, folder: Path
) -> None:
    edit(folder, "referrals.csv", "000000000013,U3001,2026-10-12", "000000000013,U4001,2026-10-12")
    with (folder / "referrals.csv").open("a", encoding="utf-8") as out:
        out.write("000000000013,U1002,2026-10-13\n")  # 陈静's own broadband line
    refusal = refused(folder, known, store)
    assert where(refusal) == [
        ("referrals.csv", 3, "referred_subscriber_id"),
        ("referrals.csv", 4, "referred_subscriber_id"),
    ]
    twice, own = refusal.problems
    assert "own line" in own.reason and "the first referral is row 2" in twice.reason
