"""The points ledger on the real database (SQLite by default, PostgreSQL in CI): issue 4, item 2 and its concurrency."""

from __future__ import annotations

import threading
from datetime import date

import pyarrow as pa
import pytest
from sqlalchemy import Engine, func, select

from telcocrm.analytics.schemas import POINTS_AWARDS
from telcocrm.db.engine import session_factory
from telcocrm.errors import Conflict, InvalidInput
from telcocrm.loyalty import ledger
from telcocrm.loyalty.ledger_awards import award_key
from telcocrm.loyalty.ledger_repository import ENTRY
from telcocrm.models.enums import PointsEntryKind

CODE = "C0000000001"
BY = "test"


def awards(*rows: tuple[str, str, int], month: str = "2026-03", published: bool = True) -> pa.Table:
    """Awards in the shared schema: (customer, rule, points), source billing."""
    return pa.Table.from_pylist(
        [
            {"month": month, "customer_code": code, "rule": rule, "source": "billing", "points": points}
            | {"published": published, "reason": f"测试 {points} / test {points}"}
            for code, rule, points in rows
        ],
        schema=POINTS_AWARDS,
    )


def post(engine: Engine, table: pa.Table, month: str = "2026-03", **options: bool) -> ledger.PostingSummary:
    with engine.begin() as conn:
        return ledger.post_awards(conn, table, month=month, expiry_years=2, recorded_by=BY, **options)


def balance(engine: Engine, code: str = CODE) -> int:
    with engine.connect() as conn:
        return ledger.balance_of(conn, customer_code=code)


def entry_sum(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.coalesce(func.sum(ENTRY.c.points), 0))).scalar_one())


def spend(
    engine: Engine, points: int, key: str, on: date = date(2026, 6, 1), code: str = CODE
) -> list[ledger.EntryRecord]:
    with engine.begin() as conn:
        return ledger.spend(
            conn, customer_code=code, points=points, reference=key, idempotency_key=key, recorded_by=BY, on=on
        )


def test_a_rerun_of_the_month_writes_nothing(clean_engine: Engine) -> None:
    first = post(
        clean_engine,
        awards((CODE, "points.consumption", 128), (CODE, "points.tenure", 20), ("C2", "points.consumption", 5)),
    )
    again = post(
        clean_engine,
        awards((CODE, "points.consumption", 128), (CODE, "points.tenure", 20), ("C2", "points.consumption", 5)),
    )
    assert (first.accounts_opened, first.earned_entries, first.earned_points) == (2, 3, 153)
    assert (again.accounts_opened, again.earned_entries, again.reversal_entries) == (0, 0, 0)
    assert balance(clean_engine) == 148
    assert entry_sum(clean_engine) == 153


def test_only_published_awards_reach_the_ledger(clean_engine: Engine) -> None:
    post(
        clean_engine,
        pa.concat_tables(
            [awards((CODE, "points.consumption", 10)), awards(("C2", "points.consumption", 7), published=False)]
        ),
    )
    assert entry_sum(clean_engine) == 10
    with clean_engine.connect() as conn, pytest.raises(Exception, match="C2"):
        ledger.get_account(conn, customer_code="C2")


def test_points_expire_at_the_end_of_the_second_calendar_year_after_earning(clean_engine: Engine) -> None:
    post(clean_engine, awards((CODE, "points.consumption", 100)))
    with clean_engine.connect() as conn:
        (lot,) = ledger.lots_of(conn, customer_code=CODE)
    assert lot.expires_on == date(2028, 12, 31)


def test_a_changed_award_is_reversed_and_earned_anew_keeping_what_was_spent(clean_engine: Engine) -> None:
    post(clean_engine, awards((CODE, "points.consumption", 100)))
    spend(clean_engine, 30, "R1")
    summary = post(clean_engine, awards((CODE, "points.consumption", 120)))
    assert (summary.reversal_entries, summary.points_taken_back, summary.earned_points) == (1, 70, 90)
    assert balance(clean_engine) == 120 - 30  # the month's net award is 120, of which 30 were spent
    assert post(clean_engine, awards((CODE, "points.consumption", 120))).reversal_entries == 0
    with clean_engine.connect() as conn:
        keys = [entry.idempotency_key for entry in ledger.entries_of(conn, customer_code=CODE)]
    assert len(keys) == len(set(keys)) == 4


def test_entries_carry_the_award_key_and_reason_when_first_posted_and_when_corrected(clean_engine: Engine) -> None:
    post(clean_engine, awards((CODE, "points.consumption", 100)))
    post(clean_engine, awards((CODE, "points.consumption", 120)))
    with clean_engine.connect() as conn:
        first, taken_back, again = ledger.entries_of(conn, customer_code=CODE)
    key = award_key(CODE, "2026-03", "points.consumption", "billing")
    assert key == "2026-03|C0000000001|points.consumption|billing", "month first: a month's keys sit together"
    assert (first.kind, first.idempotency_key, first.note) == (PointsEntryKind.EARN, key, "测试 100 / test 100")
    assert (taken_back.kind, taken_back.idempotency_key) == (PointsEntryKind.REVERSAL, f"{key}#1/reverses:{first.id}")
    assert (again.kind, again.idempotency_key, again.note) == (PointsEntryKind.EARN, f"{key}#1", "测试 120 / test 120")


def test_a_lowered_award_takes_back_only_what_remains(clean_engine: Engine) -> None:
    post(clean_engine, awards((CODE, "points.consumption", 100)))
    spend(clean_engine, 80, "R1")
    post(clean_engine, awards((CODE, "points.consumption", 50)))
    assert balance(clean_engine) == 0  # 20 remained and were taken back; the 80 spent stay spent
    assert post(clean_engine, awards((CODE, "points.consumption", 50))).reversal_entries == 0


def test_an_award_missing_from_a_complete_rerun_is_withdrawn(clean_engine: Engine) -> None:
    post(clean_engine, awards((CODE, "points.consumption", 100), (CODE, "points.tenure", 40)))
    post(clean_engine, awards((CODE, "points.consumption", 100)))
    assert balance(clean_engine) == 100
    post(clean_engine, awards((CODE, "points.tenure", 40)), month_complete=False)
    assert balance(clean_engine) == 140


def test_awards_of_another_month_or_twice_the_same_key_are_refused(clean_engine: Engine) -> None:
    with pytest.raises(InvalidInput) as wrong_month:
        post(clean_engine, awards((CODE, "points.consumption", 1), month="2026-04"))
    with pytest.raises(InvalidInput) as twice:
        post(clean_engine, awards((CODE, "points.consumption", 1), (CODE, "points.consumption", 2)))
    assert (wrong_month.value.field, wrong_month.value.record) == ("month", CODE)
    assert (twice.value.field, twice.value.record) == ("rule", CODE)
    assert entry_sum(clean_engine) == 0


def test_spend_takes_the_nearest_expiry_first_one_entry_per_lot(clean_engine: Engine) -> None:
    post(clean_engine, awards((CODE, "points.consumption", 50), month="2026-02"), month="2026-02")
    post(clean_engine, awards((CODE, "points.consumption", 50), month="2025-11"), month="2025-11")
    drawn = spend(clean_engine, 70, "R1")
    with clean_engine.connect() as conn:
        lots = {lot.id: lot for lot in ledger.lots_of(conn, customer_code=CODE)}
    assert [(lots[e.lot_id].expires_on, e.points) for e in drawn if e.lot_id] == [
        (date(2027, 12, 31), -50),
        (date(2028, 12, 31), -20),
    ]
    assert balance(clean_engine) == 30


def test_spend_beyond_the_balance_is_refused_naming_customer_and_field(clean_engine: Engine) -> None:
    post(clean_engine, awards((CODE, "points.consumption", 50)))
    with pytest.raises(Conflict) as refused:
        spend(clean_engine, 51, "R1")
    assert (refused.value.field, refused.value.record) == ("points", CODE)
    assert CODE in refused.value.message
    assert balance(clean_engine) == 50


def test_the_same_idempotency_key_spends_once(clean_engine: Engine) -> None:
    post(clean_engine, awards((CODE, "points.consumption", 50)))
    first = spend(clean_engine, 20, "R1")
    again = spend(clean_engine, 20, "R1")
    assert [e.id for e in again] == [e.id for e in first]
    assert balance(clean_engine) == 30
    with pytest.raises(Conflict, match="R1"):
        spend(clean_engine, 25, "R1")


def test_a_cancelled_redemption_gives_back_exactly_what_it_drew(clean_engine: Engine) -> None:
    post(clean_engine, awards((CODE, "points.consumption", 50), month="2025-11"), month="2025-11")
    post(clean_engine, awards((CODE, "points.consumption", 50)))
    drawn = spend(clean_engine, 70, "R1")
    for _ in range(2):  # cancelling twice gives back once
        with clean_engine.begin() as conn:
            back = ledger.reverse(conn, reference="R1", recorded_by=BY)
    assert sorted((e.lot_id, e.points) for e in back) == sorted((e.lot_id, -e.points) for e in drawn)
    assert balance(clean_engine) == 100


def test_reversing_an_earn_takes_back_only_what_remains(clean_engine: Engine) -> None:
    post(clean_engine, awards((CODE, "points.consumption", 50)))
    spend(clean_engine, 20, "R1")
    with clean_engine.begin() as conn:
        (lot,) = ledger.lots_of(conn, customer_code=CODE)
        (taken,) = ledger.reverse(conn, entry_id=lot.id, recorded_by=BY, note="wrong award")
    assert taken.points == -30
    assert balance(clean_engine) == 0


def test_staff_adjustments_open_a_lot_or_draw_like_a_spend(clean_engine: Engine) -> None:
    with clean_engine.begin() as conn:
        ledger.open_account(conn, customer_code=CODE)
        ledger.adjust(
            conn,
            customer_code=CODE,
            points=40,
            note="goodwill",
            idempotency_key="A1",
            recorded_by=BY,
            expiry_years=2,
            on=date(2026, 5, 3),
        )
        ledger.adjust(
            conn,
            customer_code=CODE,
            points=-15,
            note="typo",
            idempotency_key="A2",
            recorded_by=BY,
            expiry_years=2,
            on=date(2026, 5, 3),
        )
        (lot,) = ledger.lots_of(conn, customer_code=CODE)
        with pytest.raises(InvalidInput):
            ledger.adjust(
                conn, customer_code=CODE, points=5, note=" ", idempotency_key="A3", recorded_by=BY, expiry_years=2
            )
    assert (lot.expires_on, lot.remaining) == (date(2028, 12, 31), 25)


def test_expiry_writes_what_remains_once_and_expired_points_cannot_be_spent(clean_engine: Engine) -> None:
    post(clean_engine, awards((CODE, "points.consumption", 60), month="2024-05"), month="2024-05")
    post(clean_engine, awards((CODE, "points.consumption", 10)))
    spend(clean_engine, 25, "R1", on=date(2026, 12, 31))  # the lot of 2024-05 is spendable through 2026-12-31
    with pytest.raises(Conflict):
        spend(clean_engine, 11, "R2", on=date(2027, 1, 1))
    written = []
    for _ in range(2):
        with clean_engine.begin() as conn:
            written.append(ledger.expire_points(conn, as_of=date(2027, 1, 1), recorded_by=BY))
    assert written == [1, 0]
    assert balance(clean_engine) == 10
    with clean_engine.connect() as conn:
        kinds = [e.kind for e in ledger.entries_of(conn, customer_code=CODE)]
    assert kinds.count(PointsEntryKind.EXPIRY) == 1


def test_parallel_spends_never_overdraw(clean_engine: Engine) -> None:
    post(clean_engine, awards((CODE, "points.consumption", 100)))
    threads, each, affordable = 20, 15, 100 // 15
    start = threading.Barrier(threads)
    outcomes: list[str] = []

    def attempt(n: int) -> None:
        start.wait()
        try:
            with session_factory(clean_engine)() as session:
                ledger.spend(
                    session,
                    customer_code=CODE,
                    points=each,
                    reference=f"R{n}",
                    idempotency_key=f"R{n}",
                    recorded_by=BY,
                    on=date(2026, 6, 1),
                )
                session.commit()
            outcomes.append("spent")
        except Conflict:
            outcomes.append("refused")

    workers = [threading.Thread(target=attempt, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert outcomes.count("spent") == affordable
    assert outcomes.count("refused") == threads - affordable
    assert balance(clean_engine) == entry_sum(clean_engine) == 100 - affordable * each >= 0
