"""Rules of the points ledger as pure functions over plain data: expiry dates, balances, draws from lots.

A lot is a positive entry that others draw from (an earn, a staff adjustment +). What remains of a lot is its
points plus every entry naming it (draws are negative, give-backs positive); a balance is the sum of entries.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from telcocrm.kit.months import parse_month


@dataclass(frozen=True)
class Lot:
    """A lot as a draw sees it: when it was earned and expires, and how many of its points remain."""

    id: int
    earned_on: date
    expires_on: date
    remaining: int


@dataclass(frozen=True)
class Draw:
    """Points taken from (negative) or given back to (positive) one lot."""

    lot_id: int
    points: int


@dataclass(frozen=True)
class Revision:
    """What correcting an award writes: take back what remains of its lots, then earn the difference anew."""

    take_back: tuple[Draw, ...]
    earn: int  # 0: nothing new to earn


def lot_expiry(month: str, calendar_years: int) -> date:
    """Points earned in `month` expire at the end of the N-th calendar year after the year of earning."""
    if calendar_years < 0:
        raise ValueError(f"calendar_years must be >= 0, got {calendar_years}")
    year, _ = parse_month(month)
    return date(year + calendar_years, 12, 31)


def balance(points: Iterable[int]) -> int:
    """The balance of an account: the sum of its entries' points, nothing stored."""
    return sum(points)


def remaining_by_lot(lots: Iterable[tuple[int, int]], others: Iterable[tuple[int, int]]) -> dict[int, int]:
    """What remains of each lot: (lot id, points) of the lots, plus (lot id, points) of every entry naming one."""
    remaining = dict(lots)
    for lot_id, points in others:
        remaining[lot_id] += points
    return remaining


def nearest_expiry_first(lots: Iterable[Lot]) -> list[Lot]:
    """Lots in the order points are spent: earliest expiry, then earliest earned, then first recorded."""
    return sorted(lots, key=lambda lot: (lot.expires_on, lot.earned_on, lot.id))


def spendable(lots: Iterable[Lot], on: date) -> int:
    """Points that can be spent on a day: what remains of the lots not yet expired (the expiry day included)."""
    return sum(lot.remaining for lot in lots if lot.expires_on >= on and lot.remaining > 0)


def allocate(lots: Iterable[Lot], points: int, on: date) -> list[Draw]:
    """Take `points` from unexpired lots, nearest expiry first: one draw per lot touched."""
    if points <= 0:
        raise ValueError(f"points to take must be positive, got {points}")
    draws: list[Draw] = []
    wanted = points
    for lot in nearest_expiry_first(lot for lot in lots if lot.expires_on >= on and lot.remaining > 0):
        take = min(wanted, lot.remaining)
        draws.append(Draw(lot.id, -take))
        wanted -= take
        if wanted == 0:
            return draws
    raise ValueError(f"{points} points wanted, {points - wanted} spendable")


def expiry_draws(lots: Iterable[Lot], as_of: date) -> list[Draw]:
    """What an expiry run on `as_of` writes: what remains of every lot whose expiry day is before it."""
    return [Draw(lot.id, -lot.remaining) for lot in lots if lot.expires_on < as_of and lot.remaining > 0]


def give_back(drawn: Iterable[Draw]) -> list[Draw]:
    """The reversal of draws (a cancelled redemption): exactly what each took, returned to the same lot."""
    return [Draw(draw.lot_id, -draw.points) for draw in drawn if draw.points < 0]


def take_back_lot(lot_id: int, remaining: int) -> Draw | None:
    """Reversing a lot takes back only what remains of it: points already spent or expired stay so."""
    return Draw(lot_id, -remaining) if remaining > 0 else None


def revise(awarded: int, remaining: Sequence[tuple[int, int]], new_points: int) -> Revision:
    """Correct an award from `awarded` (net points of its entries so far) to `new_points`.

    What remains of its lots is taken back; what was already spent or expired stays spent, and counts towards
    the new award, so the month's net becomes `new_points` whenever enough remained to take back.
    """
    take = [draw for lot_id, left in remaining if (draw := take_back_lot(lot_id, left)) is not None]
    taken = -sum(draw.points for draw in take)
    gone = awarded - taken  # spent or expired: stays so
    return Revision(tuple(take), max(new_points - gone, 0))
