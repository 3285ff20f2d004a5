"""Rules of the points ledger straight from issue 4 and the brief §4 (pure functions, no database)."""

from __future__ import annotations

from datetime import date

import pytest

from telcocrm.errors import InvalidInput
from telcocrm.loyalty.ledger_rules import (
    Draw,
    Lot,
    Revision,
    allocate,
    balance,
    expiry_draws,
    give_back,
    lot_expiry,
    nearest_expiry_first,
    remaining_by_lot,
    revise,
    spendable,
    take_back_lot,
)

DAY = date(2026, 6, 1)


@pytest.mark.parametrize(
    ("month", "years", "expires"),
    [
        ("2026-03", 2, date(2028, 12, 31)),  # the default: end of the second calendar year after earning
        ("2026-01", 2, date(2028, 12, 31)),
        ("2026-12", 2, date(2028, 12, 31)),  # earned late in the year: still the same calendar year's points
        ("2026-03", 1, date(2027, 12, 31)),
        ("2026-03", 0, date(2026, 12, 31)),  # N = 0: the end of the year of earning
    ],
)
def test_points_expire_at_the_end_of_the_nth_calendar_year_after_earning(month: str, years: int, expires: date) -> None:
    assert lot_expiry(month, years) == expires


def test_a_bad_month_or_a_negative_period_is_refused() -> None:
    with pytest.raises(InvalidInput):
        lot_expiry("2026-13", 2)
    with pytest.raises(ValueError, match="calendar_years"):
        lot_expiry("2026-03", -1)


def test_the_balance_is_the_sum_of_entries() -> None:
    assert balance([100, -30, -70, 90, 30]) == 120


def test_what_remains_of_a_lot_counts_every_entry_naming_it() -> None:
    remaining = remaining_by_lot([(1, 100), (2, 50)], [(1, -30), (1, 30), (2, -50), (1, -10)])
    assert remaining == {1: 90, 2: 0}


def test_spending_draws_the_nearest_expiry_first_then_the_oldest() -> None:
    later = Lot(1, date(2026, 3, 31), date(2028, 12, 31), 40)
    sooner = Lot(2, date(2025, 5, 31), date(2027, 12, 31), 30)
    same_expiry_older = Lot(3, date(2025, 1, 31), date(2027, 12, 31), 10)
    assert allocate([later, sooner, same_expiry_older], 45, DAY) == [Draw(3, -10), Draw(2, -30), Draw(1, -5)]


def test_expired_and_empty_lots_are_not_spendable_but_the_expiry_day_is() -> None:
    expired = Lot(1, date(2024, 1, 31), date(2026, 5, 31), 100)
    on_its_last_day = Lot(2, date(2024, 6, 30), date(2026, 6, 1), 20)
    empty = Lot(3, date(2025, 1, 31), date(2027, 12, 31), 0)
    assert spendable([expired, on_its_last_day, empty], DAY) == 20
    assert allocate([expired, on_its_last_day, empty], 20, DAY) == [Draw(2, -20)]
    with pytest.raises(ValueError, match="21 points wanted, 20 spendable"):
        allocate([expired, on_its_last_day, empty], 21, DAY)


def test_an_expiry_run_takes_what_remains_of_lots_past_their_day_only() -> None:
    lots = [
        Lot(1, date(2024, 1, 31), date(2026, 12, 31), 70),
        Lot(2, date(2024, 2, 29), date(2026, 12, 31), 0),
        Lot(3, date(2025, 1, 31), date(2027, 12, 31), 50),
    ]
    assert expiry_draws(lots, date(2027, 1, 1)) == [Draw(1, -70)]
    assert expiry_draws(lots, date(2026, 12, 31)) == []


def test_a_cancelled_redemption_gives_back_what_each_draw_took() -> None:
    assert give_back([Draw(2, -30), Draw(1, -5)]) == [Draw(2, 30), Draw(1, 5)]


def test_reversing_a_lot_takes_back_only_what_remains() -> None:
    assert take_back_lot(7, 30) == Draw(7, -30)
    assert take_back_lot(7, 0) is None


def test_a_raised_award_keeps_what_was_spent_and_earns_the_rest() -> None:
    # 100 awarded, 30 spent; corrected to 120: take back the 70 left, earn 90, so the month nets 120.
    assert revise(100, [(1, 70)], 120) == Revision((Draw(1, -70),), 90)


def test_a_lowered_award_below_what_was_spent_earns_nothing_and_spent_points_stay_spent() -> None:
    revision = revise(100, [(1, 20)], 50)
    assert revision.take_back == (Draw(1, -20),)
    assert revision.earn == 0


def test_nearest_expiry_first_orders_by_expiry_then_earning_then_record() -> None:
    lots = [Lot(5, DAY, date(2028, 12, 31), 1), Lot(4, DAY, date(2027, 12, 31), 1), Lot(3, DAY, date(2027, 12, 31), 1)]
    assert [lot.id for lot in nearest_expiry_first(lots)] == [3, 4, 5]
