"""Property tests (hypothesis) of the ledger: on the pure rules, and on the service with the real database.

The database tests use the session's migrated database (SQLite, or PostgreSQL in CI), emptied per example,
with few examples: they run in the CI budget.
"""

from __future__ import annotations

from datetime import date

import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from telcocrm.analytics.schemas import POINTS_AWARDS
from telcocrm.loyalty import ledger
from telcocrm.loyalty.ledger_repository import ENTRY
from telcocrm.loyalty.ledger_rules import (
    Draw,
    Lot,
    allocate,
    expiry_draws,
    give_back,
    nearest_expiry_first,
    revise,
    spendable,
)
from tests.conftest import empty_database

DAY = date(2026, 6, 1)
expiries = st.dates(min_value=date(2025, 12, 31), max_value=date(2028, 12, 31))


@st.composite
def lots(draw: st.DrawFn) -> list[Lot]:
    """A few lots with distinct ids, some expired, some empty."""
    count = draw(st.integers(1, 6))
    return [
        Lot(i, draw(st.dates(date(2024, 1, 1), date(2026, 5, 31))), draw(expiries), draw(st.integers(0, 200)))
        for i in range(1, count + 1)
    ]


def apply(lots_now: list[Lot], draws: list[Draw]) -> list[Lot]:
    """The lots after the draws (what the database's sums compute)."""
    delta = {d.lot_id: 0 for d in draws}
    for d in draws:
        delta[d.lot_id] += d.points
    return [Lot(lot.id, lot.earned_on, lot.expires_on, lot.remaining + delta.get(lot.id, 0)) for lot in lots_now]


@given(lots(), st.integers(1, 1200))
def test_a_spend_draws_nearest_expiry_first_and_never_more_than_remains(found: list[Lot], points: int) -> None:
    available = spendable(found, DAY)
    if points > available:
        return
    draws = allocate(found, points, DAY)
    after = apply(found, draws)
    assert -sum(d.points for d in draws) == points
    assert all(lot.remaining >= 0 for lot in after)
    usable = nearest_expiry_first(lot for lot in found if lot.expires_on >= DAY and lot.remaining > 0)
    drawn = [d.lot_id for d in draws]
    assert drawn == [lot.id for lot in usable[: len(drawn)]]  # a prefix of the nearest-expiry order
    left = {lot.id: lot.remaining for lot in after}
    assert all(left[lot_id] == 0 for lot_id in drawn[:-1])  # every lot but the last drawn is emptied
    assert apply(after, give_back(draws)) == found  # a cancellation restores every lot exactly


@given(lots(), st.dates(date(2025, 1, 1), date(2029, 6, 30)))
def test_expiry_twice_is_expiry_once(found: list[Lot], as_of: date) -> None:
    once = apply(found, expiry_draws(found, as_of))
    assert expiry_draws(once, as_of) == []
    assert all(lot.remaining == 0 for lot in once if lot.expires_on < as_of)
    assert sum(lot.remaining for lot in once) >= 0


@given(st.integers(1, 500), st.integers(0, 500), st.integers(0, 500))
def test_a_revision_nets_the_new_award_unless_more_was_spent(awarded: int, spent: int, new: int) -> None:
    spent = min(spent, awarded)
    revision = revise(awarded, [(1, awarded - spent)], new)
    net = awarded + sum(d.points for d in revision.take_back) + revision.earn
    assert revision.earn >= 0
    assert net == max(new, spent)  # what was already spent stays spent


def awards(points: dict[str, int]) -> pa.Table:
    rows = [
        {"month": "2026-03", "customer_code": "C1", "rule": rule, "source": "billing", "points": value}
        | {"published": True, "reason": "test"}
        for rule, value in points.items()
        if value > 0
    ]
    return pa.Table.from_pylist(rows, schema=POINTS_AWARDS)


award_sets = st.dictionaries(
    st.sampled_from(["points.consumption", "points.tenure", "points.credit"]), st.integers(0, 90)
)
steps = st.lists(
    st.one_of(st.tuples(st.just("rerun"), award_sets), st.tuples(st.just("spend"), st.integers(1, 120))), max_size=6
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=steps, final=award_sets)
def test_any_order_of_reruns_spends_and_cancellations_ends_on_the_final_awards(
    engine: Engine, history: list[tuple[str, object]], final: dict[str, int]
) -> None:
    empty_database(engine)
    with engine.begin() as conn:
        ledger.open_account(conn, customer_code="C1")
    spent: list[str] = []
    for n, (step, value) in enumerate(history):
        with engine.begin() as conn:
            if step == "rerun":
                assert isinstance(value, dict)
                ledger.post_awards(conn, awards(value), month="2026-03", expiry_years=2, recorded_by="t")
            elif isinstance(value, int) and value <= ledger.spendable_points(conn, customer_code="C1", on=DAY):
                ledger.spend(
                    conn,
                    customer_code="C1",
                    points=value,
                    reference=f"R{n}",
                    idempotency_key=f"R{n}",
                    recorded_by="t",
                    on=DAY,
                )
                spent.append(f"R{n}")
        assert_consistent(engine)
    for reference in spent:  # every redemption cancelled, then the month posted as it finally is
        with engine.begin() as conn:
            ledger.reverse(conn, reference=reference, recorded_by="t")
        assert_consistent(engine)
    for _ in range(2):
        with engine.begin() as conn:
            ledger.post_awards(conn, awards(final), month="2026-03", expiry_years=2, recorded_by="t")
    assert assert_consistent(engine) == sum(final.values())


def assert_consistent(engine: Engine) -> int:
    """The balance is the sum of entries and of what remains of the lots, and never negative."""
    with engine.connect() as conn:
        total = int(conn.execute(select(func.coalesce(func.sum(ENTRY.c.points), 0))).scalar_one())
        found = ledger.lots_of(conn, customer_code="C1")
        assert ledger.balance_of(conn, customer_code="C1") == total == sum(lot.remaining for lot in found)
    assert total >= 0
    assert all(lot.remaining >= 0 for lot in found)
    return total
