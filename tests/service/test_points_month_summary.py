"""The points month summary the analyst page reads equals a fresh aggregate of the ledger, whatever was written."""

from __future__ import annotations

import threading
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pyarrow as pa
from sqlalchemy import Engine, func, select

from telcocrm.analytics.schemas import POINTS_AWARDS
from telcocrm.config import get_settings
from telcocrm.db.engine import session_factory
from telcocrm.loyalty import ledger, month_summary
from telcocrm.loyalty.month_summary import SUMMARY
from telcocrm.web import loyalty_data

BY = "test"
ZONE: ZoneInfo = get_settings().zone


def post(engine: Engine, month: str, *awards: tuple[str, int]) -> None:
    rows = [
        {"month": month, "customer_code": code, "rule": "points.consumption", "source": "billing", "points": points}
        | {"published": True, "reason": "测试 / test"}
        for code, points in awards
    ]
    with engine.begin() as conn:
        table = pa.Table.from_pylist(rows, schema=POINTS_AWARDS)
        ledger.post_awards(conn, table, month=month, expiry_years=2, recorded_by=BY)


def spend(engine: Engine, code: str, points: int, reference: str) -> None:
    with engine.begin() as conn:
        ledger.spend(conn, customer_code=code, points=points, reference=reference, idempotency_key=reference,
                     recorded_by=BY, on=date(2024, 3, 1))  # fmt: skip


def page_and_fresh(engine: Engine) -> tuple[list[loyalty_data.MonthFigures], list[loyalty_data.MonthFigures]]:
    """The analyst page's figures (from the summary) and the same figures aggregated afresh from every entry."""
    now = datetime.now(ZONE)
    with session_factory(engine)() as db:
        page = loyalty_data.ledger_by_month(db, zone=ZONE, unit_cost_fen=3, now=now)
        sums = month_summary.ledger_sums(db.connection(), ZONE, now)
    current = month_summary.local_month(now)
    return page, loyalty_data.figures_by_month(sums, current=current, unit_cost_fen=3)


def summary_rows(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(SUMMARY)).scalar_one())


def test_the_page_equals_a_fresh_aggregate_after_posting_rerun_redemption_cancellation_and_expiry(
    clean_engine: Engine,
) -> None:
    post(clean_engine, "2024-01", ("C1", 1000), ("C2", 500))
    post(clean_engine, "2024-01", ("C1", 1000), ("C2", 500))  # a rerun: nothing new
    post(clean_engine, "2024-01", ("C1", 800))  # corrected: C1 lowered, C2 withdrawn
    post(clean_engine, "2024-02", ("C1", 300), ("C2", 40))
    spend(clean_engine, "C1", 900, "R1")  # draws from both of C1's lots
    spend(clean_engine, "C2", 40, "R2")
    with clean_engine.begin() as conn:
        ledger.reverse(conn, reference="R1", recorded_by=BY, note="退货 / returned")  # a cancelled redemption
        ledger.reverse(conn, reference="R1", recorded_by=BY)  # cancelling twice gives back once
        ledger.adjust(conn, customer_code="C2", points=70, note="补偿", idempotency_key="A1", recorded_by=BY,
                      expiry_years=2, on=date(2024, 3, 5))  # fmt: skip
        ledger.adjust(conn, customer_code="C2", points=-20, note="更正", idempotency_key="A2", recorded_by=BY,
                      expiry_years=2, on=date(2024, 3, 5))  # fmt: skip
    spend(clean_engine, "C1", 100, "R3")
    with clean_engine.begin() as conn:
        ledger.expire_points(conn, as_of=date(2027, 1, 1), recorded_by=BY)  # every 2024 lot, and it folds

    page, fresh = page_and_fresh(clean_engine)

    assert page == fresh
    january = next(row for row in page if row.month == "2024-01")
    assert january.issued == 800  # the award as corrected, C2's withdrawn
    assert sum(row.expired for row in page) == 1000 + 50 > 0  # all that was left: C1 1000, C2 50
    assert page[-1].outstanding == 0
    with clean_engine.connect() as conn:
        kinds_by_month = month_summary.ledger_sums(conn, ZONE, datetime.now(ZONE))
    assert summary_rows(clean_engine) == sum(len(kinds) for kinds in kinds_by_month.values())  # folded: one a kind


def test_spends_and_folds_at_once_neither_lose_nor_double_count(clean_engine: Engine) -> None:
    codes = [f"C{n}" for n in range(6)]
    post(clean_engine, "2024-01", *((code, 100) for code in codes))
    start = threading.Barrier(len(codes) + 2)

    def work(n: int) -> None:
        start.wait()
        if n < len(codes):
            spend(clean_engine, codes[n], 10 + n, f"R{n}")
        else:
            with clean_engine.begin() as conn:
                month_summary.fold(conn)

    workers = [threading.Thread(target=work, args=(n,)) for n in range(len(codes) + 2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    page, fresh = page_and_fresh(clean_engine)
    assert page == fresh
    assert sum(row.spent for row in page) == sum(10 + n for n in range(len(codes)))
    assert page[0].issued == 100 * len(codes)
